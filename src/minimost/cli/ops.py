"""What the operator commands (users, backup, restore, audit) share: settings, a domain
context against the configured database, and the exit codes.

Exit codes: ``cli.exits`` (0 done, 1 not found or refused, 2 usage or settings, 4 database,
5 bus, 7 data directory), the same for every command so scripts may rely on them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from .exits import OK, REFUSED, USAGE

if TYPE_CHECKING:
    from rich.console import Console

    from minimost.config import Settings
    from minimost.domain.context import Ctx
    from minimost.domain.events import Published

__all__ = ["OK", "REFUSED", "USAGE", "console", "operator_ctx", "when"]


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


class _Discard:
    """Without a shared bus nobody live can be told directly: the events are in the log,
    and a running server delivers them from there with its next event."""

    async def publish(self, event: Published) -> None:
        return None


@asynccontextmanager
async def operator_ctx(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Ctx]:
    """A domain context for one CLI run: schema at head, events to the bus if shared,
    audit records also to ``audit_log_file`` if set."""
    from minimost.app import build_ctx
    from minimost.datadir import prepare_data_dir
    from minimost.db.engine import Database
    from minimost.db.migrate import upgrade
    from minimost.domain import audit
    from minimost.realtime.bus.base import bus_from_url
    from minimost.realtime.publisher import BusPublisher

    from .preflight import check_bus, check_database

    if settings.is_sqlite:
        prepare_data_dir(settings.data_dir)
    await check_database(settings.db_url)
    await check_bus(settings.bus_url)
    db = Database(settings.db_url)
    if settings.audit_log_file:
        audit.attach_file(db, settings.audit_log_file)
    bus = None if settings.bus_url.startswith("memory://") else bus_from_url(settings.bus_url)
    try:
        if migrate:
            await upgrade(db)
        if bus is not None:
            await bus.connect()
        yield build_ctx(settings, db, BusPublisher(bus) if bus is not None else _Discard())
    finally:
        if bus is not None:
            await bus.disconnect()
        await db.dispose()
