"""The app factory: ``create_app(settings)`` wires database, bus, hub and routes.

Nothing here runs at import time; tests build as many independent apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Gauge

from minimost import __version__
from minimost.config import Settings
from minimost.datadir import prepare_data_dir
from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from minimost.domain.actions import lockout
from minimost.domain.actions.conversations import ensure_public_channels
from minimost.domain.actions.files import sweep_unattached
from minimost.domain.actions.maintenance import prune_events, prune_sessions, server_secret
from minimost.domain.actions.messages import PendingSend, SendResult, write_sends
from minimost.domain.clock import Clock, SystemClock
from minimost.domain.context import Ctx, LinkPreviews, NoPreviews, PresenceView
from minimost.domain.events import Published, Publisher
from minimost.domain.group_commit import GroupCommit
from minimost.domain.janitor import Janitor
from minimost.domain.passwords import Passwords
from minimost.domain.queries.events import last_event_id, load_range
from minimost.linkpreview.service import LinkPreviewer
from minimost.ratelimit import RateLimiter
from minimost.realtime import ephemeral
from minimost.realtime.bus.base import bus_from_url
from minimost.realtime.hub import Hub
from minimost.realtime.presence import PresenceTracker
from minimost.realtime.publisher import BusPublisher
from minimost.realtime.typing_relay import TypingRelay
from minimost.reload import RETENTION_KEYS, SettingsWatcher, swap_settings
from minimost.web import apidocs, errors, pages, ws
from minimost.web.middleware import BodyLimit, SecurityHeaders, upload_allowances
from minimost.web.routes import API_ROUTERS
from minimost.web.state import AppState

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_JSON_BODY = 1024 * 1024


def build_ctx(
    settings: Settings,
    db: Database,
    publisher: Publisher,
    clock: Clock | None = None,
    presence: PresenceView | None = None,
    previews: LinkPreviews | None = None,
) -> Ctx:
    """The domain context; the group-commit writer closes over the context it serves."""

    async def write_batch(batch: list[PendingSend]) -> list[SendResult | BaseException]:
        return await write_sends(ctx, batch)

    ctx = Ctx(
        db=db,
        publisher=publisher,
        clock=clock or SystemClock(),
        settings=settings,
        passwords=Passwords(
            memory_kib=settings.password_hash_memory_kib,
            time_cost=settings.password_hash_time_cost,
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


async def _housekeeping(ctx: Ctx, every: float = 3600.0) -> None:
    """Prune the replay log, expired sessions and guessing budgets at start, then hourly."""
    while True:
        try:
            await prune_events(ctx)
            await prune_sessions(ctx)
            await lockout.prune(ctx)  # guessing budgets whose window ended
            await sweep_unattached(ctx)  # uploads never sent within a day
        except Exception:
            log.exception("housekeeping failed; retrying in an hour")
        await asyncio.sleep(every)


async def _watch_committed(hub: Hub, db: Database, every: float = 2.0) -> None:
    """Look at the newest event id now and then, so the hub delivers from the events table
    whatever never reached it over the bus: events written by another process that cannot
    reach our bus (the admin CLI beside the in-process bus), or published while Redis was
    down (the publish failed after the commit, or our subscription was away)."""
    while True:
        await asyncio.sleep(every)
        try:
            hub.note_committed(await last_event_id(db))
        except Exception as exc:
            log.warning(
                "could not read the newest event id (%s: %s); retrying", type(exc).__name__, exc
            )


async def _until_ready(task: asyncio.Task[None], ready: asyncio.Event) -> None:
    """Wait until a bus subscriber confirmed its subscription; raise its error if it fails
    first (so a broken bus surfaces at start-up)."""
    waiter = asyncio.create_task(ready.wait())
    done, _pending = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        await task
        raise RuntimeError(f"{task.get_name()} stopped during start-up")


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
    ctx = build_ctx(settings, db, publisher, clock, presence, previews)
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
        settings=settings,
        ctx=ctx,
        bus=bus,
        hub=hub,
        limiter=RateLimiter(settings),
        ca_path=ca_path,
        metrics=registry,
        presence=presence,
        typing=typing,
    )
    # Sessions ended on any node: forget their cached credentials here too, at once.
    hub.on_sessions_ended = state.actors.forget_user

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The bus first: creating the settings' channels publishes their events.
        await bus.connect()
        if run_bootstrap:
            created = await bootstrap(ctx)
            if created:
                log.info("created channels: %s", ", ".join(created))
        state.secret = await server_secret(ctx)
        ready = asyncio.Event()
        hub_task = asyncio.create_task(
            hub.run(bus, start_after=lambda: last_event_id(db), ready=ready), name="minimost-hub"
        )
        ready_wait = asyncio.create_task(ready.wait())
        done, _pending = await asyncio.wait(
            {hub_task, ready_wait}, return_when=asyncio.FIRST_COMPLETED
        )
        if hub_task in done:  # the subscription failed: surface its error at start-up
            ready_wait.cancel()
            await hub_task
        ephemeral_ready = asyncio.Event()
        ephemeral_task = asyncio.create_task(
            ephemeral.run(bus, typing, presence, ready=ephemeral_ready), name="minimost-ephemeral"
        )
        await _until_ready(ephemeral_task, ephemeral_ready)
        typing.start(bus)
        # Subscribed first, so the snapshots the other nodes send in answer are not missed.
        presence_task = asyncio.create_task(presence.run(bus), name="minimost-presence")
        housekeeping = asyncio.create_task(_housekeeping(ctx), name="minimost-housekeeping")
        committed = asyncio.create_task(_watch_committed(hub, db), name="minimost-committed")
        background = [hub_task, housekeeping, ephemeral_task, committed]
        # Retention in one process of the cluster (a lease); reloaded settings poke it.
        janitor = state.janitor = Janitor(ctx)
        janitor_task = asyncio.create_task(janitor.run_forever(), name="minimost-janitor")

        def reloaded(new: Settings, keys: frozenset[str]) -> None:
            swap_settings(state, new)
            if keys & RETENTION_KEYS:
                janitor.poke()

        watcher = state.settings_watcher = SettingsWatcher(
            settings_path or settings.data_dir / "settings.json", settings, reloaded
        )
        watcher_task = asyncio.create_task(watcher.run(), name="minimost-settings-watcher")
        # Everything allocated so far lives for the whole run: keep it out of GC passes,
        # which otherwise pause the loop for long with many sockets (design.md §9).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await ctx.previews.close()
            hub.close_all()
            presence_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await presence_task
            await presence.leave()
            typing.stop()
            for task in (*background, janitor_task, watcher_task):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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
