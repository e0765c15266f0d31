"""Operator actions (``minimost users …``): promote, demote, disable, enable, unlock, delete.

The caller is whoever can run the CLI on the server (filesystem access already means full
access), recorded in the audit log as actor ``cli``. Rules: the last active admin cannot be
demoted, disabled or deleted (someone must be able to administer the server); disabling ends
every session and API token at once and makes log-in fail with ``account_disabled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from minimost.db.engine import Tx
from minimost.db.models import User
from minimost.domain import audit
from minimost.domain.actions.accounts import normalize_username
from minimost.domain.context import Ctx
from minimost.domain.errors import Conflict, NotFound
from minimost.domain.events import Event, EventType, event, publish_many_on_commit
from minimost.domain.views import user_view
from minimost.wire.events import UserUpdated

from . import lockout
from .sessions import end_every_credential

CLI_ACTOR = "cli"
LAST_ADMIN = "last_admin"


@dataclass(frozen=True, slots=True)
class Operator:
    """Who runs an admin action: the CLI (default) or, later, an admin in the web UI."""

    name: str = CLI_ACTOR
    user_id: int | None = None
    ip: str = ""


CLI = Operator()


async def _target(tx: Tx, username: str) -> Any:
    name = normalize_username(username)
    row = (
        await tx.conn.execute(
            select(User).where(
                User.username == name, User.deleted_at.is_(None), User.is_system.is_(False)
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no such user: {name}", code="user_not_found")
    return row


async def active_admins(tx: Tx) -> int:
    return int(
        await tx.conn.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.is_admin.is_(True),
                User.deleted_at.is_(None),
                User.disabled_at.is_(None),
                User.is_system.is_(False),
            )
        )
        or 0
    )


async def _guard_last_admin(ctx: Ctx, tx: Tx, who: Operator, row: Any, action: str) -> None:
    # Serialise admin changes on PostgreSQL too (SQLite has one writer already), so two
    # concurrent demotions cannot both see "another admin is left".
    await tx.ordered()
    if row.is_admin and row.disabled_at is None and await active_admins(tx) <= 1:
        raise Conflict(
            f"{row.username} is the last active admin; promote someone else first",
            code=LAST_ADMIN,
        )


async def _audit(
    ctx: Ctx, tx: Tx, who: Operator, action: str, row: Any, outcome: str, detail: str = ""
) -> None:
    await audit.record(
        tx, at=ctx.clock.now(), action=action, outcome=outcome, actor_id=who.user_id,
        actor_name=who.name, ip=who.ip, target=f"user:{row.username}", detail=detail,
    )  # fmt: skip


async def _refused(ctx: Ctx, who: Operator, action: str, username: str, exc: Exception) -> None:
    """Refusals are audited too, in their own transaction (the action's rolled back)."""
    async with ctx.db.write() as tx:
        await audit.record(
            tx, at=ctx.clock.now(), action=action, outcome="refused", actor_id=who.user_id,
            actor_name=who.name, ip=who.ip, target=f"user:{normalize_username(username)}",
            detail=str(exc),
        )  # fmt: skip


async def set_admin(ctx: Ctx, username: str, admin: bool, who: Operator = CLI) -> bool:
    """Promote or demote. False when nothing changed (already so)."""
    action = "promote" if admin else "demote"
    try:
        async with ctx.db.write() as tx:
            row = await _target(tx, username)
            if row.is_admin == admin:
                return False
            if not admin:
                await _guard_last_admin(ctx, tx, who, row, action)
            # Sessions stay: actors are re-read from the database (cached 5 s per process),
            # so the change applies within seconds without signing anyone out.
            await tx.conn.execute(update(User).where(User.id == row.id).values(is_admin=admin))
            await _audit(ctx, tx, who, action, row, "success")
            await _publish(ctx, tx, [_updated(row, "is_admin", admin)])
    except (NotFound, Conflict) as exc:
        await _refused(ctx, who, action, username, exc)
        raise
    return True


def _updated(row: Any, flag: str, value: bool) -> Event:
    """``user.updated`` to everyone signed in (admin badges, disabled accounts), with the
    changed ``flag`` (``is_admin`` or ``disabled``)."""
    view = user_view(row.id, row.username, row.display_name, row.color, row.avatar_sha256)
    payload = UserUpdated.model_validate({"user": view, flag: value})
    return event(EventType.USER_UPDATED, payload)


async def _publish(ctx: Ctx, tx: Tx, events: list[Event]) -> None:
    await publish_many_on_commit(tx, ctx.publisher, events, ctx.clock.now())


async def set_disabled(ctx: Ctx, username: str, disabled: bool, who: Operator = CLI) -> bool:
    """Disable (sessions and tokens end, log-in refused) or enable. False: already so."""
    action = "disable" if disabled else "enable"
    try:
        async with ctx.db.write() as tx:
            row = await _target(tx, username)
            if (row.disabled_at is not None) == disabled:
                return False
            if disabled:
                await _guard_last_admin(ctx, tx, who, row, action)
                events = [await end_every_credential(tx, row.id)]
            else:
                events = []
            await tx.conn.execute(
                update(User)
                .where(User.id == row.id)
                .values(disabled_at=ctx.clock.now() if disabled else None)
            )
            await lockout.clear(ctx.settings, tx, row.username, ctx.clock.now())
            await _audit(ctx, tx, who, action, row, "success")
            await _publish(ctx, tx, [*events, _updated(row, "disabled", disabled)])
    except (NotFound, Conflict) as exc:
        await _refused(ctx, who, action, username, exc)
        raise
    return True


async def unlock(ctx: Ctx, username: str, who: Operator = CLI) -> bool:
    """Lift ``username``'s lockout, for unknown browsers and its known devices alike.
    False when nothing was locked (failure counts are forgotten anyway)."""
    try:
        async with ctx.db.write() as tx:
            row = await _target(tx, username)
            locked = await lockout.clear(ctx.settings, tx, row.username, ctx.clock.now())
            if locked:
                await _audit(ctx, tx, who, "unlock", row, "success")
    except NotFound as exc:
        await _refused(ctx, who, "unlock", username, exc)
        raise
    return locked


async def check_deletable(ctx: Ctx, username: str, who: Operator = CLI) -> int:
    """The user's id if ``username`` may be deleted; NotFound / Conflict(last_admin) if not."""
    try:
        async with ctx.db.write() as tx:
            row = await _target(tx, username)
            await _guard_last_admin(ctx, tx, who, row, "delete")
            return int(row.id)
    except (NotFound, Conflict) as exc:
        await _refused(ctx, who, "account_delete", username, exc)
        raise
