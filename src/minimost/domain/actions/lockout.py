"""Password-guessing budgets: a slot is taken in the database *before* a password is checked.

Every password check (log-in, or the password a signed-in user confirms in Settings) first
takes one slot of a budget of ``max_login_attempts`` under a *key*, in one atomic upsert; a
check that finds no slot free is refused without running argon2. A wrong password keeps
its slot; a right one frees every finished one. So at most ``max_login_attempts`` passwords
are checked per window, however many requests arrive at once and on however many worker
processes or nodes (the counters are rows, not process memory). The window ends
``lockout_duration_minutes`` after the latest check, and with it the count and any lock.

Keys (OWASP's device-cookie scheme, docs/accounts.md "Lockout"):

* ``user:<name>``: browsers that never signed in as ``<name>``, counted whether or not
  such an account exists, so a locked unknown name answers exactly like a locked account;
* ``device:<name>:<id>``: one browser that signed in as ``<name>`` before (its signed
  device cookie): strangers locking ``user:<name>`` do not lock it out;
* ``session:<id>``: the password checks of one signed-in session (Settings).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from minimost.config import Settings
from minimost.db.engine import Tx
from minimost.db.models import LoginThrottle, User
from minimost.domain.context import Ctx

KEY_LENGTH = 80
T = LoginThrottle


def account_key(username: str) -> str:
    # Longer names than fit cannot exist (32 characters), so a cut-off collision is harmless.
    return ("user:" + username)[:KEY_LENGTH]


def device_key(username: str, device_id: str) -> str:
    return f"device:{username}:{device_id}"[:KEY_LENGTH]


def session_key(session_id: int) -> str:
    return f"session:{session_id}"


def describe(key: str) -> str:
    """Whose budget ``key`` is, for the audit log."""
    kind = key.split(":", 1)[0]
    return {
        "user": "browsers that never signed in",
        "device": "one known device",
        "session": "one session",
    }.get(kind, kind)


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.lockout_duration_minutes)


async def take_slot(settings: Settings, tx: Tx, key: str, now: datetime) -> int | None:
    """Take one slot of ``key``'s budget for a password check: None when taken, else the
    seconds until the lock lifts (check nothing then). Atomic on SQLite (one writer) and
    PostgreSQL (the upsert locks the row)."""
    limit = settings.max_login_attempts
    if not limit:  # 0 disables the lockout (spec)
        return None
    reset_at = now + _window(settings)
    stale = T.reset_at <= now
    insert = sqlite_insert if tx.dialect == "sqlite" else pg_insert
    taken = await tx.conn.scalar(
        insert(T)
        .values(key=key, failures=0, pending=1, reset_at=reset_at)
        .on_conflict_do_update(
            index_elements=[T.key],
            set_={
                "failures": case((stale, 0), else_=T.failures),
                "pending": case((stale, 1), else_=T.pending + 1),
                "reset_at": reset_at,
            },
            where=or_(stale, T.failures + T.pending < limit),
        )
        .returning(T.key)
    )
    if taken is not None:
        return None
    until = await tx.conn.scalar(select(T.reset_at).where(T.key == key))
    return max(1, math.ceil(((until or now) - now).total_seconds()))


async def settle(settings: Settings, tx: Tx, key: str, now: datetime, *, ok: bool) -> bool:
    """The check that took a slot of ``key`` finished. A right password forgets the
    failures (checks still running keep their slots); a wrong one keeps its slot and
    restarts the window. True when this failure used up the budget (a lockout starts)."""
    limit = settings.max_login_attempts
    if not limit:
        return False
    released = case((T.pending > 0, T.pending - 1), else_=0)
    if ok:
        await tx.conn.execute(update(T).where(T.key == key).values(failures=0, pending=released))
        await tx.conn.execute(delete(T).where(T.key == key, T.failures == 0, T.pending == 0))
        return False
    failures = await tx.conn.scalar(
        update(T)
        .where(T.key == key)
        .values(failures=T.failures + 1, pending=released, reset_at=now + _window(settings))
        .returning(T.failures)
    )
    return failures == limit


def retry_message(seconds: int, what: str = "failed attempts") -> str:
    return f"too many {what}; try again in {math.ceil(seconds / 60)} minute(s)"


def _locked(limit: int, now: datetime) -> ColumnElement[bool]:
    return and_(T.failures + T.pending >= limit, T.reset_at > now)


async def clear(settings: Settings, tx: Tx, username: str, now: datetime) -> bool:
    """Forget every budget of ``username`` (unknown browsers and its known devices): an
    admin's unlock, a new password, a re-enabled account. True if one was locked."""
    keys = or_(
        T.key == account_key(username),
        T.key.startswith(f"device:{username}:", autoescape=True),
    )
    limit = settings.max_login_attempts
    was_locked = bool(
        limit and await tx.conn.scalar(select(T.key).where(keys, _locked(limit, now)).limit(1))
    )
    await tx.conn.execute(delete(T).where(keys))
    return was_locked


def account_budget(limit: int, now: datetime) -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """For a query over ``users``: when the account's lock for unknown browsers lifts (NULL
    if not locked), and its failures in the current window (``minimost users list/show``)."""
    row = T.key == literal("user:") + User.username
    locked_until = select(T.reset_at).where(row, _locked(limit or 1 << 30, now))
    failures = select(T.failures).where(row, T.reset_at > now)
    return locked_until.scalar_subquery(), failures.scalar_subquery()


async def prune(ctx: Ctx) -> int:
    """Drop budgets whose window has ended (guessed names must not pile up)."""
    async with ctx.db.write() as tx:
        result = await tx.conn.execute(delete(T).where(T.reset_at <= ctx.clock.now()))
    return int(getattr(result, "rowcount", 0) or 0)
