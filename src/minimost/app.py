"""The app factory: ``create_app(settings)`` wires database, bus, hub and routes.

Nothing here runs at import time; tests build as many independent apps as they like.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Gauge

from minimost import __version__
from minimost.config import Settings, SettingsRef
from minimost.datadir import prepare_data_dir
from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from minimost.domain.actions.conversations import ensure_public_channels
from minimost.domain.actions.maintenance import server_secret
from minimost.domain.actions.messages import PendingSend, SendResult, write_sends
from minimost.domain.clock import Clock, SystemClock
from minimost.domain.context import Ctx, LinkPreviews, NoPreviews, PresenceView
from minimost.domain.events import Published, Publisher
from minimost.domain.group_commit import GroupCommit
from minimost.domain.janitor import Janitor
from minimost.domain.passwords import Passwords
from minimost.domain.queries.events import load_range
from minimost.linkpreview.service import LinkPreviewer
from minimost.ratelimit import RateLimiter
from minimost.realtime.bus.base import bus_from_url
from minimost.realtime.hub import Hub
from minimost.realtime.presence import PresenceTracker
from minimost.realtime.publisher import BusPublisher
from minimost.realtime.typing_relay import TypingRelay
from minimost.reload import RETENTION_KEYS, SettingsWatcher
from minimost.services import ServiceMetrics, process_services
from minimost.web import apidocs, errors, pages, ws
from minimost.web.middleware import BodyLimit, SecurityHeaders, upload_allowances
from minimost.web.routes import API_ROUTERS
from minimost.web.state import AppState

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_JSON_BODY = 1024 * 1024


def build_ctx(
    settings: Settings | SettingsRef,
    db: Database,
    publisher: Publisher,
    clock: Clock | None = None,
    presence: PresenceView | None = None,
    previews: LinkPreviews | None = None,
) -> Ctx:
    """The domain context; the group-commit writer closes over the context it serves.
    Given a ``SettingsRef``, the context follows its reloads (the app's); given plain
    ``Settings`` (the CLI's one-shot commands), it keeps them."""
    ref = settings if isinstance(settings, SettingsRef) else SettingsRef(settings)
    running = ref.current

    async def write_batch(batch: list[PendingSend]) -> list[SendResult | BaseException]:
        return await write_sends(ctx, batch)

    ctx = Ctx(
        db=db,
        publisher=publisher,
        clock=clock or SystemClock(),
        settings_ref=ref,
        passwords=Passwords(
            memory_kib=running.password_hash_memory_kib,
            time_cost=running.password_hash_time_cost,
        ),
        sends=GroupCommit(write_batch),
        previews=previews or NoPreviews(),
        **({"presence": presence} if presence is not None else {}),
    )
    return ctx


async def bootstrap(ctx: Ctx) -> list[str]:
    """Schema to head, settings channels present. Idempotent; run once per start."""
    await upgrade(ctx.db)
    return await ensure_public_channels(ctx, list(ctx.settings.channels))


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ca_path: Path | None = None,
    run_bootstrap: bool = True,
    settings_path: Path | None = None,
) -> FastAPI:
    prepare_data_dir(settings.data_dir)
    db = Database(settings.db_url)
    if settings.audit_log_file:
        from minimost.domain import audit

        audit.attach_file(db, settings.audit_log_file)
    bus = bus_from_url(settings.bus_url)

    async def load(after: int, upto: int) -> list[Published]:
        return await load_range(db, after, upto)

    hub = Hub(loader=load)
    presence = PresenceTracker(hub)
    typing = TypingRelay(hub)
    previews = LinkPreviewer(settings) if settings.link_previews else None
    publisher = BusPublisher(bus, on_lost=hub.note_committed)
    # The one holder of the running settings: a reload swaps what it points at.
    settings_ref = SettingsRef(settings)
    ctx = build_ctx(settings_ref, db, publisher, clock, presence, previews)
    if ca_path is None and settings.tls:
        ca_path = settings.data_dir / "tls" / "ca.pem"
    registry = CollectorRegistry()
    Gauge("minimost_ws_connections", "Open WebSocket connections", registry=registry).set_function(
        lambda: hub.connection_count
    )
    Gauge(
        "minimost_ws_frames_queued", "Event frames queued to sockets", registry=registry
    ).set_function(lambda: hub.delivered)
    Gauge(
        "minimost_last_event_id", "Newest event id seen by this process", registry=registry
    ).set_function(lambda: hub.last_id)
    Gauge(
        "minimost_ws_accepted", "WebSockets accepted since start", registry=registry
    ).set_function(lambda: hub.accepted)
    Gauge(
        "minimost_send_batches", "Group-commit transactions for sends", registry=registry
    ).set_function(lambda: ctx.sends.batches)
    Gauge(
        "minimost_presence_users", "Users online, away or dnd (cluster-wide)", registry=registry
    ).set_function(presence.online_count)
    state = AppState(
        settings_ref=settings_ref,
        ctx=ctx,
        bus=bus,
        hub=hub,
        limiter=RateLimiter(settings_ref),
        ca_path=ca_path,
        metrics=registry,
        presence=presence,
        typing=typing,
    )
    # Sessions ended on any node: forget their cached credentials here too, at once.
    hub.on_sessions_ended = state.actors.forget_user
    # Retention in one process of the cluster (a lease); reloaded settings poke it.
    janitor = state.janitor = Janitor(ctx)

    def reloaded(keys: frozenset[str]) -> None:
        if keys & RETENTION_KEYS:
            janitor.poke()

    watcher = state.settings_watcher = SettingsWatcher(
        settings_path or settings.data_dir / "settings.json", settings_ref, reloaded
    )
    supervisor = state.supervisor = process_services(
        ctx=ctx, bus=bus, hub=hub, typing=typing, presence=presence, janitor=janitor,
        watcher=watcher,
    )  # fmt: skip
    registry.register(ServiceMetrics(supervisor))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The bus first: creating the settings' channels publishes their events.
        await bus.connect()
        if run_bootstrap:
            created = await bootstrap(ctx)
            if created:
                log.info("created channels: %s", ", ".join(created))
        state.secret = await server_secret(ctx)
        # Every background service, in dependency order (see minimost.services); a bus
        # that cannot subscribe fails the start-up here.
        await supervisor.start()
        # Everything allocated so far lives for the whole run: keep it out of GC passes,
        # which otherwise pause the loop for long with many sockets (design.md §9).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            # Sockets are connections, not services: MiniMostServer closed them already
            # (1001); an app run without it (tests) closes them here.
            hub.close_all()
            await supervisor.stop()
            await bus.disconnect()
            await db.dispose()

    app = FastAPI(
        title="MiniMost",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.minimost = state
    errors.install(app)
    apidocs.install(app)
    for router in (*API_ROUTERS, ws.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, max_bytes=MAX_JSON_BODY, allowances=upload_allowances(settings))
    app.add_middleware(SecurityHeaders, hsts=settings.tls)
    return app
