"""The background services of one MiniMost process, wired for the ``Supervisor``.

In start order (each one's ``after`` names what it really needs; the rest of the order is
this list's, and stopping is the reverse):

=============  =======  ==========================================================
service        scope    what it does
=============  =======  ==========================================================
events         process  the hub's bus listener: committed events to local sockets
ephemeral      process  the ephemeral channel's listener (typing, presence)
typing         process  the typing batcher (timers only while someone types)
presence       process  this node's presence outbox; says goodbye on stop
housekeeping   process  prunes the replay log, sessions, lockouts, stray uploads
committed      process  looks at the newest event id, so the hub loads what the bus
                        never brought (another process's CLI, a Redis outage)
janitor        cluster  retention and fair eviction, under the ``retention`` lease
settings       process  reloads ``settings.json`` (every process has its own view)
link-previews  process  the preview fetches in flight; cancelled first on stop
=============  =======  ==========================================================

Every one restarts with backoff if it crashes (``Restart``): a listener within seconds
(the bus resubscribes just as fast), a job within a minute. None fails the process today:
each keeps its own errors to itself and a restart loses nothing (the hub fills gaps from the
events table; presence repairs itself with snapshots). ``FAIL`` is for a service that cannot
recover by itself, such as a STUN server whose port was taken.

Housekeeping runs in every process on purpose: its deletes are idempotent and cheap, and a
process starting after a long stop cleans up at once. Only the janitor's work is heavy
enough to need the lease (``domain/janitor.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from minimost.db.engine import Database
from minimost.domain.actions import lockout
from minimost.domain.actions.files import sweep_unattached
from minimost.domain.actions.maintenance import prune_events, prune_sessions
from minimost.domain.context import Ctx
from minimost.domain.janitor import Janitor
from minimost.domain.queries.events import last_event_id
from minimost.realtime import ephemeral
from minimost.realtime.bus.base import Bus
from minimost.realtime.hub import Hub
from minimost.realtime.presence import PresenceTracker
from minimost.realtime.typing_relay import TypingRelay
from minimost.reload import INTERVAL as SETTINGS_INTERVAL, SettingsWatcher
from minimost.supervisor import BaseService, Policy, Restart, Scope, Sleep, Supervisor

log = logging.getLogger(__name__)

# A listener is back within seconds, like the Redis bus's own resubscribe (at most 5 s).
LISTENER: Policy = Restart(first=0.5, cap=5.0)
# A periodic job's crash is a bug; retry within a minute, not in a tight loop.
JOB: Policy = Restart(first=1.0, cap=60.0)
HOUSEKEEPING_EVERY = 3600.0
COMMITTED_EVERY = 2.0
SHUTDOWN_BUDGET = 5.0  # seconds for stopping every service (presence's goodbye included)


async def _forever() -> None:
    await asyncio.Event().wait()


class EventsListener(BaseService):
    """``Hub.run``: the events channel to local sockets. The first run reads the newest
    committed id after subscribing; a restart keeps the hub's position, so whatever was
    committed meanwhile is loaded from the events table as a gap, not skipped."""

    name = "events"
    policy = LISTENER

    def __init__(self, hub: Hub, bus: Bus, db: Database) -> None:
        self.hub, self.bus, self.db = hub, bus, db
        self._first = True

    async def run(self, ready: asyncio.Event) -> None:
        first, self._first = self._first, False
        start_after = (lambda: last_event_id(self.db)) if first else None
        await self.hub.run(self.bus, start_after=start_after, ready=ready)

    async def stop(self) -> None:
        self._first = True  # a later start of the same app reads the newest id again


class EphemeralListener(BaseService):
    name = "ephemeral"
    policy = LISTENER

    def __init__(self, bus: Bus, typing: TypingRelay, presence: PresenceTracker) -> None:
        self.bus, self.typing, self.presence = bus, typing, presence

    async def run(self, ready: asyncio.Event) -> None:
        await ephemeral.run(self.bus, self.typing, self.presence, ready=ready)


class TypingBatcher(BaseService):
    name = "typing"
    policy = LISTENER
    after = ("ephemeral",)

    def __init__(self, typing: TypingRelay, bus: Bus) -> None:
        self.typing, self.bus = typing, bus

    async def run(self, ready: asyncio.Event) -> None:
        self.typing.start(self.bus)  # its timers run only while something is pending
        ready.set()
        await _forever()

    async def stop(self) -> None:
        self.typing.stop()


class PresenceOutbox(BaseService):
    """Subscribed to the ephemeral channel first (``after``), so the snapshots the other
    nodes send in answer to our ``p.ask`` are not missed."""

    name = "presence"
    policy = LISTENER
    after = ("ephemeral",)
    stop_timeout = 2.5  # ``leave`` gives its goodbye at most 2 s

    def __init__(self, presence: PresenceTracker, bus: Bus) -> None:
        self.presence, self.bus = presence, bus

    async def run(self, ready: asyncio.Event) -> None:
        ready.set()
        await self.presence.run(self.bus)

    async def stop(self) -> None:
        await self.presence.leave()


class Periodic(BaseService):
    """``tick()`` after ``first`` seconds, then every ``every`` seconds. The tick handles
    its own errors (each says what failed in its own words); one that escapes is a crash."""

    policy = JOB

    def __init__(
        self,
        name: str,
        tick: Callable[[], Awaitable[None]],
        *,
        every: float,
        first: float | None = None,
        after: tuple[str, ...] = (),
        scope: Scope = "process",
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name, self.tick, self.every, self.after, self.scope = name, tick, every, after, scope
        self.first = every if first is None else first
        self._sleep = sleep

    async def run(self, ready: asyncio.Event) -> None:
        ready.set()
        if self.first:
            await self._sleep(self.first)
        while True:
            await self.tick()
            await self._sleep(self.every)


class RetentionJanitor(BaseService):
    """Cluster-wide: ``Janitor`` runs the work only in the process holding the lease."""

    name = "janitor"
    scope: Scope = "cluster"
    policy = JOB

    def __init__(self, janitor: Janitor) -> None:
        self.janitor = janitor

    async def run(self, ready: asyncio.Event) -> None:
        ready.set()
        await self.janitor.run_forever()


class LinkPreviewWorkers(BaseService):
    """The preview fetches in flight (started by sends); last to start, first to stop."""

    name = "link-previews"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    async def stop(self) -> None:
        await self.ctx.previews.close()


async def housekeeping(ctx: Ctx) -> None:
    """Prune the replay log, expired sessions, guessing budgets and stray uploads."""
    try:
        await prune_events(ctx)
        await prune_sessions(ctx)
        await lockout.prune(ctx)  # guessing budgets whose window ended
        await sweep_unattached(ctx)  # uploads never sent within a day
    except Exception:
        log.exception("housekeeping failed; retrying in an hour")


async def look_at_committed(hub: Hub, db: Database) -> None:
    """Tell the hub the newest committed event id, so it delivers from the events table
    whatever never reached it over the bus: events written by another process that cannot
    reach our bus (the admin CLI beside the in-process bus), or published while Redis was
    down (the publish failed after the commit, or our subscription was away)."""
    try:
        hub.note_committed(await last_event_id(db))
    except Exception as exc:
        log.warning(
            "could not read the newest event id (%s: %s); retrying", type(exc).__name__, exc
        )


def process_services(
    *,
    ctx: Ctx,
    bus: Bus,
    hub: Hub,
    typing: TypingRelay,
    presence: PresenceTracker,
    janitor: Janitor,
    watcher: SettingsWatcher,
) -> Supervisor:
    """Every background service of an app, under one supervisor (not started)."""

    async def reload_settings() -> None:
        watcher.tick()

    return Supervisor(
        [
            EventsListener(hub, bus, ctx.db),
            EphemeralListener(bus, typing, presence),
            TypingBatcher(typing, bus),
            PresenceOutbox(presence, bus),
            Periodic("housekeeping", lambda: housekeeping(ctx), every=HOUSEKEEPING_EVERY, first=0),
            # After the hub knows where it stands: before that, every id would be a gap.
            Periodic(
                "committed",
                lambda: look_at_committed(hub, ctx.db),
                every=COMMITTED_EVERY,
                after=("events",),
            ),
            RetentionJanitor(janitor),
            Periodic("settings", reload_settings, every=SETTINGS_INTERVAL),
            LinkPreviewWorkers(ctx),
        ],
        budget=SHUTDOWN_BUDGET,
    )


class ServiceMetrics(Collector):
    """``minimost_service_crashes_total{service=...}``: crashes since start, per service."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "minimost_service_crashes", "Background service crashes since start", labels=["service"]
        )
        for service in self.supervisor.services:
            family.add_metric([service.name], self.supervisor.crashes[service.name])
        yield family
