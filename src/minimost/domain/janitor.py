"""The retention janitor's schedule: at start (unless it ran within the last hour) and then
every 24 hours, in ONE process of the whole cluster (a ``job_leases`` lease), and again soon
after a retention setting changes (``poke``).

The work itself is ``actions.retention.run_retention``: small batches that yield between
them, so chat never waits behind it. The same run finishes hard purges a crash cut short and
sweeps orphan blobs (see that module). The runner reads ``ctx.settings`` at each run, so
reloaded settings (see ``minimost.reload``) apply without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from minimost.domain.actions import leases
from minimost.domain.actions.retention import LeaseLost, Report, run_retention
from minimost.domain.context import Ctx

log = logging.getLogger(__name__)

JOB = "retention"
INTERVAL = timedelta(hours=24)
# A restart within this long of the last run does not run it again.
START_GAP = timedelta(hours=1)
TTL = timedelta(minutes=5)
RENEW_EVERY = 60.0  # seconds; well inside TTL
START_DELAY = 5.0
RETRY = 60.0
MAX_SLEEP = 3600.0  # re-read the schedule at least hourly (another node may have run it)

Work = Callable[[Ctx, Callable[[], bool]], Awaitable[Report]]


async def _default_work(ctx: Ctx, keep_going: Callable[[], bool]) -> Report:
    return await run_retention(ctx, keep_going=keep_going)


def holder_id() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Janitor:
    def __init__(
        self,
        ctx: Ctx,
        *,
        work: Work = _default_work,
        holder: str | None = None,
        renew_every: float = RENEW_EVERY,
        job: str = JOB,
    ) -> None:
        self.ctx = ctx
        self.job = job
        self.work = work
        self.holder = holder or holder_id()
        self.renew_every = renew_every
        self.runs = 0
        self.last_report: Report | None = None
        self._wake = asyncio.Event()
        self._poked_at: datetime | None = None

    def poke(self) -> None:
        """A retention setting changed: run soon (unless another process runs after now)."""
        self._poked_at = self.ctx.clock.now()
        self._wake.set()

    def _take_poke(self) -> datetime | None:
        poked, self._poked_at = self._poked_at, None
        self._wake.clear()
        return poked

    async def run_if_due(self, due_before: datetime) -> Report | None:
        """Run once if this process gets the lease and nobody ran it since ``due_before``."""
        ctx = self.ctx
        if not await leases.acquire(ctx, self.job, self.holder, ttl=TTL, due_before=due_before):
            return None
        lost = False

        async def renew() -> None:
            nonlocal lost
            while True:
                await asyncio.sleep(self.renew_every)
                try:
                    if not await leases.renew(ctx, self.job, self.holder, ttl=TTL):
                        lost = True
                        return
                except Exception:
                    log.warning("janitor: could not renew the lease; retrying")

        renewer = asyncio.create_task(renew(), name="minimost-janitor-lease")
        completed = False
        try:
            report = await self.work(ctx, lambda: not lost)
            completed = True
        except LeaseLost:
            log.warning("janitor: lease lost to another process; stopping this run")
            return None
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(Exception):
                if not lost:
                    await asyncio.shield(
                        leases.finish(ctx, self.job, self.holder, completed=completed)
                    )
        self.runs += 1
        self.last_report = report
        log.info("retention: %s", report.summary())
        return report

    async def _seconds_until_due(self) -> float:
        last = await leases.last_run(self.ctx, self.job)
        if last is None:
            return 0.0
        due = last + INTERVAL - self.ctx.clock.now()
        return min(max(due.total_seconds(), 0.0), MAX_SLEEP)

    async def run_forever(self, first_delay: float = START_DELAY) -> None:
        # Let start-up (and the first sign-ins) finish before any batch takes the lock.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=first_delay)
        due_before = self._take_poke() or self.ctx.clock.now() - START_GAP
        while True:
            try:
                await self.run_if_due(due_before)
                wait = await self._seconds_until_due()
            except Exception:
                log.exception("retention janitor failed; retrying in an hour")
                wait = MAX_SLEEP
            with contextlib.suppress(TimeoutError):
                # Due but not ours (another process is running it): look again shortly.
                await asyncio.wait_for(self._wake.wait(), timeout=wait or RETRY)
            due_before = self._take_poke() or self.ctx.clock.now() - INTERVAL
