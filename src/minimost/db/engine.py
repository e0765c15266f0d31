"""Engines, transactions and the per-dialect details, in one place.

SQLite (the default) runs in WAL mode with one *writer* connection and a small pool of
*reader* connections: WAL lets readers proceed while the writer commits, and one writer per
process avoids busy-waiting between our own coroutines. Write transactions start with
``BEGIN IMMEDIATE`` so several processes on one file queue on the lock instead of failing
with SQLITE_BUSY on upgrade. ``synchronous=NORMAL`` in WAL mode keeps every commit across a
crash of the process (``kill -9``); only an OS crash or power loss can drop the newest commits.

PostgreSQL uses one pool for both; the event log keeps commit order with an advisory lock
(see ``domain.events``).
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from minimost.domain.errors import StorageFull

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
ORDER_LOCK_KEY = 727002
SQLITE_FULL = 13
PG_DISK_FULL = "53100"
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full", PostgreSQL's ``disk_full`` (e.g. "could not
    extend file"), or the OS's own ENOSPC/EDQUOT, however the driver wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in NO_SPACE:
            return True
        if getattr(current, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if getattr(current, "sqlstate", None) == PG_DISK_FULL:
            return True
        if isinstance(current, DBAPIError):
            current = current.orig
        else:
            current = current.__cause__ or current.__context__
    return False


class Tx:
    """A write transaction: the connection plus work to run once it has committed."""

    __slots__ = ("_after_commit", "_ordered", "conn", "dialect")

    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self._after_commit: list[AfterCommit] = []
        self._ordered = dialect == "sqlite"  # one writer at a time already

    async def ordered(self) -> None:
        """Make ids allocated from here on follow commit order (events, messages).

        PostgreSQL hands out sequence values to concurrent transactions in any order; a
        transaction-level advisory lock serialises the allocating writers until commit.
        """
        if not self._ordered:
            await self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ORDER_LOCK_KEY})
            self._ordered = True

    def after_commit(self, hook: AfterCommit) -> None:
        """Run ``hook`` after a successful commit; dropped on rollback."""
        self._after_commit.append(hook)


def _sqlite_pragmas(engine: AsyncEngine, *, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (the driver's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if writer:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create it private before SQLite does (SQLite copies the mode to -wal and -shm).
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Database:
    """Owns the engines; hands out write transactions and read connections."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            _prepare_sqlite_file(url)
            # Every statement is a thread hop with aiosqlite, so we spend none on ceremony:
            # no rollback when a connection returns to the pool (our context managers always
            # commit or roll back), and reads run as autocommit statements (no BEGIN/COMMIT).
            self.write_engine = create_async_engine(
                url, pool_size=1, max_overflow=0, pool_reset_on_return=None
            )
            self.read_engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=0, pool_reset_on_return=None
            )
            _sqlite_pragmas(self.write_engine, writer=True)
            _sqlite_pragmas(self.read_engine, writer=False)
        else:
            engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.write_engine = self.read_engine = engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A write transaction; raises ``StorageFull`` when it found no space left (the
        transaction rolled back), so the caller answers that and not an internal error."""
        async with self.write_engine.connect() as conn:
            tx = Tx(conn, self.dialect)
            try:
                async with conn.begin():
                    yield tx
            except DBAPIError as exc:
                if is_disk_full(exc):
                    raise StorageFull() from exc
                raise
            # Committed. Hooks run while this (SQLite: the only) writer connection is still
            # held, so events are published in commit order within a process.
            for hook in tx._after_commit:
                try:
                    await hook()
                except Exception as exc:
                    # The change is committed, so the caller must hear success. A hook's
                    # work is a notification that is repaired elsewhere (events: from the
                    # events table) or only reported (the audit file line): one line here.
                    name = getattr(hook, "__qualname__", repr(hook))
                    log.error("after commit: %s failed: %s: %s", name, type(exc).__name__, exc)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn, conn.begin():
            yield conn

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
