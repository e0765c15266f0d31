"""Sign-up, log-in, log-out and personal access tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from minimost.db.engine import Tx
from minimost.db.models import ApiToken, Conversation, Membership, Session, User
from minimost.domain import audit
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import AccountLocked, Conflict, Forbidden, Invalid, Unauthenticated
from minimost.domain.events import EventType, member_event, publish_on_commit
from minimost.domain.passwords import password_problems
from minimost.domain.tokens import new_token, token_hash
from minimost.domain.views import user_view

from . import lockout

USERNAME_RE = re.compile(r"^[a-z0-9._-]{1,32}$")
# Names the system speaks as, or that would be confused with mentions of groups.
RESERVED = frozenset({"minimost", "system", "everyone", "here", "channel", "deleteduser", "admin"})
# A deleted account is renamed ``deleted-<id>`` (freeing its name): nobody may sign up so.
DELETED_PREFIX = "deleted-"


def normalize_username(raw: str) -> str:
    return raw.strip().lower()


def check_username(username: str) -> None:
    if not USERNAME_RE.fullmatch(username):
        raise Invalid(
            "invalid username",
            fields={"username": "1–32 characters: letters a-z, digits, '.', '_' or '-'"},
        )
    if username in RESERVED or username.startswith(DELETED_PREFIX):
        raise Invalid("invalid username", fields={"username": "this name is reserved"})


def check_password(password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise Invalid("password too weak", fields={"password": "needs " + ", ".join(problems)})


async def _new_session(ctx: Ctx, tx: Tx, user_id: int, ip: str, user_agent: str) -> str:
    token = new_token()
    now = ctx.clock.now()
    await tx.conn.execute(
        insert(Session).values(
            user_id=user_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=ctx.settings.session_days),
            last_seen_at=now,
            ip=ip[:64],
            user_agent=user_agent[:255],
        )
    )
    return token


async def signup(
    ctx: Ctx, *, username: str, password: str, display_name: str, ip: str, user_agent: str
) -> tuple[dict[str, Any], str]:
    """Create the account (the first one is admin), join the public channels, open a session."""
    username = normalize_username(username)
    check_username(username)
    check_password(password)
    display_name = display_name.strip()[:64]
    password_hash = await ctx.passwords.hash(password)
    now = ctx.clock.now()
    try:
        async with ctx.db.write() as tx:
            taken = await tx.conn.scalar(select(exists().where(User.username == username)))
            if taken:
                raise Conflict("username already taken", code="username_taken")
            first = not await tx.conn.scalar(select(exists().where(User.id.is_not(None))))
            user_id = (
                await tx.conn.execute(
                    insert(User)
                    .values(
                        username=username,
                        display_name=display_name,
                        password_hash=password_hash,
                        is_admin=first,
                        created_at=now,
                    )
                    .returning(User.id)
                )
            ).scalar_one()
            view = user_view(user_id, username, display_name)
            channels = (
                (
                    await tx.conn.execute(
                        select(Conversation.id).where(
                            Conversation.kind == "public", Conversation.archived_at.is_(None)
                        )
                    )
                )
                .scalars()
                .all()
            )
            for conversation_id in channels:
                await tx.conn.execute(
                    insert(Membership).values(
                        conversation_id=conversation_id,
                        user_id=user_id,
                        role="member",
                        joined_at=now,
                        hidden=False,
                        muted=False,
                    )
                )
                await publish_on_commit(
                    tx,
                    ctx.publisher,
                    member_event(EventType.MEMBER_ADDED, conversation_id, view),
                    now,
                )
            # Guesses at the name before it existed must not lock its new owner out.
            await lockout.clear(ctx.settings, tx, username, now)
            token = await _new_session(ctx, tx, user_id, ip, user_agent)
            await audit.record(
                tx, at=now, action="signup", outcome="success", actor_id=user_id,
                actor_name=username, ip=ip, detail="admin" if first else "",
            )  # fmt: skip
    except IntegrityError:
        # Lost a race with a concurrent sign-up of the same name.
        raise Conflict("username already taken", code="username_taken") from None
    return {**dict(view), "is_admin": first}, token


async def login(
    ctx: Ctx, *, username: str, password: str, ip: str, user_agent: str, device: str | None = None
) -> tuple[dict[str, Any], str]:
    """Check the password and open a session. ``device``: the id of a browser that signed
    in as ``username`` before (its device cookie, already verified): it guesses from its
    own budget, so strangers who locked the name for everyone else do not lock it out.

    The budget's slot is taken before argon2 runs (``lockout``); a locked name answers
    the same ``account_locked`` whether or not an account has it."""
    username = normalize_username(username)
    key = lockout.device_key(username, device) if device else lockout.account_key(username)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        user = (
            await tx.conn.execute(
                select(User).where(User.username == username, User.deleted_at.is_(None))
            )
        ).one_or_none()
        retry = await lockout.take_slot(ctx.settings, tx, key, now)
        if retry is not None:
            await audit.record(
                tx, at=now, action="login", outcome="failure",
                actor_id=user.id if user else None, actor_name=username, ip=ip,
                detail=f"locked ({lockout.describe(key)})",
            )  # fmt: skip
    if retry is not None:
        raise AccountLocked(lockout.retry_message(retry), retry_after=retry)
    ok = await ctx.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        async with ctx.db.write() as tx:
            await audit.record(
                tx, at=now, action="login", outcome="failure",
                actor_id=user.id if user else None, actor_name=username, ip=ip,
                detail="bad password" if user else "unknown user",
            )  # fmt: skip
            await count_failure(ctx, tx, key, user.id if user else None, username, ip)
        raise Unauthenticated("invalid username or password", code="invalid_credentials")
    if user.disabled_at is not None:
        # Only after the right password: nobody else learns the account exists.
        async with ctx.db.write() as tx:
            await lockout.settle(ctx.settings, tx, key, now, ok=True)
            await audit.record(
                tx, at=now, action="login", outcome="failure", actor_id=user.id,
                actor_name=username, ip=ip, detail="account disabled",
            )  # fmt: skip
        raise Forbidden("this account is disabled; ask an administrator", code="account_disabled")
    new_hash = (
        await ctx.passwords.hash(password)
        if ctx.passwords.needs_rehash(user.password_hash)
        else None
    )
    async with ctx.db.write() as tx:
        await lockout.settle(ctx.settings, tx, key, now, ok=True)
        if new_hash:
            await tx.conn.execute(
                update(User).where(User.id == user.id).values(password_hash=new_hash)
            )
        token = await _new_session(ctx, tx, user.id, ip, user_agent)
        await audit.record(
            tx, at=now, action="login", outcome="success", actor_id=user.id,
            actor_name=username, ip=ip, detail="known device" if device else "",
        )  # fmt: skip
    return {
        **dict(
            user_view(user.id, user.username, user.display_name, user.color, user.avatar_sha256)
        ),
        "is_admin": user.is_admin,
    }, token


async def count_failure(
    ctx: Ctx, tx: Tx, key: str, user_id: int | None, username: str, ip: str
) -> None:
    """A wrong password under ``key`` (login, or a password check in Settings) keeps its
    slot; the one that uses up ``max_login_attempts`` starts a lockout, audited."""
    now = ctx.clock.now()
    if await lockout.settle(ctx.settings, tx, key, now, ok=False):
        await audit.record(
            tx, at=now, action="lockout", outcome="success", actor_id=user_id,
            actor_name=username, ip=ip,
            detail=(
                f"{ctx.settings.max_login_attempts} wrong password(s): {lockout.describe(key)}"
                f" refused for {ctx.settings.lockout_duration_minutes} min"
            ),
        )  # fmt: skip


async def logout(ctx: Ctx, actor: Actor, session_token: str | None) -> None:
    async with ctx.db.write() as tx:
        if session_token:
            await tx.conn.execute(
                delete(Session).where(Session.token_hash == token_hash(session_token))
            )
        await audit.record(
            tx, at=ctx.clock.now(), action="logout", outcome="success", actor_id=actor.id,
            actor_name=actor.username, ip=actor.ip,
        )  # fmt: skip


async def create_api_token(ctx: Ctx, actor: Actor, name: str) -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > 64:
        raise Invalid("invalid token name", fields={"name": "1–64 characters"})
    token = new_token("mm_")
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        count = await tx.conn.scalar(select(func.count()).where(ApiToken.user_id == actor.id))
        if count is not None and count >= 100:
            raise Conflict("too many tokens; delete some first", code="too_many_tokens")
        token_id = (
            await tx.conn.execute(
                insert(ApiToken)
                .values(user_id=actor.id, name=name, token_hash=token_hash(token), created_at=now)
                .returning(ApiToken.id)
            )
        ).scalar_one()
        await audit.record(
            tx, at=now, action="token_create", outcome="success", actor_id=actor.id,
            actor_name=actor.username, ip=actor.ip, target=f"token:{token_id}", detail=name,
        )  # fmt: skip
    return {"id": token_id, "name": name, "token": token}
