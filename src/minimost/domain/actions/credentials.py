"""Passwords: change your own, and the admin's one-time reset link.

A reset link is ``secrets.token_urlsafe(32)``; only its SHA-256 is stored, so a copy of the
database does not hand out working links. It works once, until it expires, and a newer link
for the same person replaces older ones. Unknown, used and expired links all answer the
same ``reset_link_invalid``, so nobody can probe which tokens ever existed.

Changing a password ends every *other* session of the account; using a reset link ends all
of them. Either clears a lockout. Personal access tokens are not touched (revoke them in
Settings). Neither passwords nor tokens ever reach the audit log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from minimost.db.models import PasswordReset, User
from minimost.domain import audit
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import AccountLocked, DomainError, Forbidden, Invalid, NotFound
from minimost.domain.passwords import password_problems
from minimost.domain.tokens import MAX_RESET_MINUTES, token_hash

from . import lockout
from .accounts import count_failure, normalize_username
from .dms import post_system_notice
from .sessions import end_sessions

RESET_LINK_INVALID = "reset_link_invalid"
MAX_EXPIRY_MINUTES = MAX_RESET_MINUTES


def check_new_password(password: str, field: str = "new_password") -> None:
    problems = password_problems(password)
    if problems:
        raise Invalid("password too weak", fields={field: "needs " + ", ".join(problems)})


def reset_link_invalid() -> DomainError:
    return DomainError(
        "this reset link is invalid, used or expired: ask your administrator for a new one",
        code=RESET_LINK_INVALID,
    )


async def verify_own_password(ctx: Ctx, actor: Actor, password: str, *, action: str) -> None:
    """Confirm ``actor`` knows their password. A session guesses from its own budget of
    ``max_login_attempts`` (``lockout.session_key``): a stolen session cannot try more, and
    strangers who locked the name at the sign-in form cannot stop the owner from changing
    the password here. A personal access token uses the name's budget. Locked: refused
    before the password is checked."""
    now = ctx.clock.now()
    key = (
        lockout.session_key(actor.session_id)
        if actor.session_id is not None
        else lockout.account_key(actor.username)
    )
    async with ctx.db.write() as tx:
        password_hash = await tx.conn.scalar(
            select(User.password_hash).where(User.id == actor.id, User.deleted_at.is_(None))
        )
        if password_hash is None:
            raise NotFound("account not found")
        retry = await lockout.take_slot(ctx.settings, tx, key, now)
    if retry is not None:
        raise AccountLocked(lockout.retry_message(retry, "wrong passwords"), retry_after=retry)
    ok = await ctx.passwords.verify(password_hash, password)
    async with ctx.db.write() as tx:
        if ok:
            await lockout.settle(ctx.settings, tx, key, now, ok=True)
        else:
            await audit.record(
                tx, at=now, action=action, outcome="failure", actor_id=actor.id,
                actor_name=actor.username, ip=actor.ip, detail="wrong password",
            )  # fmt: skip
            await count_failure(ctx, tx, key, actor.id, actor.username, actor.ip)
    if not ok:
        raise Forbidden("wrong password", code="wrong_password")


async def change_password(ctx: Ctx, actor: Actor, current: str, new: str) -> int:
    """Set a new password; returns how many other sessions ended (the caller's stays)."""
    check_new_password(new)
    if new == current:
        raise Invalid(
            "password unchanged",
            fields={"new_password": "choose a different password"},  # nosec B105  # a message, not a secret
        )
    await verify_own_password(ctx, actor, current, action="password_change")
    new_hash = await ctx.passwords.hash(new)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        await tx.conn.execute(
            update(User).where(User.id == actor.id).values(password_hash=new_hash)
        )
        await lockout.clear(ctx.settings, tx, actor.username, now)
        ended = await end_sessions(ctx, tx, actor.id, now, keep=actor.session_id)
        await audit.record(
            tx, at=now, action="password_change", outcome="success", actor_id=actor.id,
            actor_name=actor.username, ip=actor.ip,
            detail=f"ended {len(ended)} other session(s)",
        )  # fmt: skip
    return len(ended)


@dataclass(frozen=True, slots=True)
class ResetLink:
    token: str  # the secret: printed once by the CLI, never stored or logged
    user_id: int
    username: str
    expires_at: datetime


async def create_password_reset(
    ctx: Ctx, username: str, *, expires_minutes: int, requested_by: str = "cli"
) -> ResetLink:
    """A one-time link for ``username`` (``NotFound`` if there is no such active account);
    the person gets a notice in their DM with the server, whoever asked."""
    if not 1 <= expires_minutes <= MAX_EXPIRY_MINUTES:
        raise Invalid("bad expiry", fields={"expires": f"1 to {MAX_EXPIRY_MINUTES} minutes"})
    name = normalize_username(username)
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    expires_at = now + timedelta(minutes=expires_minutes)
    async with ctx.db.write() as tx:
        user = (
            await tx.conn.execute(
                select(User.id, User.username).where(
                    User.username == name, User.deleted_at.is_(None), User.is_system.is_(False)
                )
            )
        ).one_or_none()
        if user is None:
            raise NotFound(f"no such user: {name}")
        # One live link per person: a new one replaces any earlier, unused one.
        await tx.conn.execute(
            delete(PasswordReset).where(
                PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
            )
        )
        await tx.conn.execute(
            insert(PasswordReset).values(
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await audit.record(
            tx, at=now, action="password_reset_request", outcome="success",
            actor_name=requested_by, target=f"user:{user.id}",
            detail=f"{user.username}; expires in {expires_minutes} min",
        )  # fmt: skip
    await post_system_notice(ctx, int(user.id), reset_notice(expires_minutes, expires_at))
    return ResetLink(token, int(user.id), str(user.username), expires_at)


def reset_notice(expires_minutes: int, expires_at: datetime) -> str:
    until = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        "An administrator requested a password reset for your account. The reset link "
        f"they were given expires in {expires_minutes} minute(s) (at {until}) and works once. "
        "If you did not ask for this, tell your administrator; your current password keeps "
        "working until the link is used."
    )


async def reset_password(ctx: Ctx, token: str, new_password: str, *, ip: str) -> dict[str, Any]:
    """Use a reset link: set the password, end every session, clear the lockout."""
    check_new_password(new_password)
    # Hash before taking the write lock (argon2 takes tens of milliseconds).
    new_hash = await ctx.passwords.hash(new_password)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        # Claim the link atomically: of two concurrent uses, one wins.
        user_id = await tx.conn.scalar(
            update(PasswordReset)
            .where(
                PasswordReset.token_hash == token_hash(token),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
                PasswordReset.user_id.in_(select(User.id).where(User.deleted_at.is_(None))),
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id)
        )
        if user_id is not None:
            username = await tx.conn.scalar(select(User.username).where(User.id == user_id))
            await tx.conn.execute(
                update(User).where(User.id == user_id).values(password_hash=new_hash)
            )
            await lockout.clear(ctx.settings, tx, str(username), now)
            # Any other outstanding link of this person is moot now.
            await tx.conn.execute(
                delete(PasswordReset).where(
                    PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None)
                )
            )
            ended = await end_sessions(ctx, tx, int(user_id), now)
            await audit.record(
                tx, at=now, action="password_reset", outcome="success", actor_id=user_id,
                actor_name=str(username), ip=ip, target=f"user:{user_id}",
                detail=f"ended {len(ended)} session(s)",
            )  # fmt: skip
            return {"user_id": int(user_id), "username": str(username)}
    async with ctx.db.write() as tx:
        await audit.record(
            tx, at=now, action="password_reset", outcome="failure", ip=ip,
            detail="invalid, used or expired link",
        )  # fmt: skip
    raise reset_link_invalid()
