"""Ending sessions and personal access tokens, and noting when a session was last seen.

Ending a session deletes its row (the cookie then resolves to nobody) and publishes
``session.ended`` to its user: every process's hub closes that session's open sockets with
4401 (the tab goes to the sign-in page) and drops the user from its auth cache, so a revoked
session stops working everywhere at once rather than after the cache's few seconds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from minimost.db.engine import Tx
from minimost.db.models import ApiToken, PasswordReset, Session
from minimost.domain import audit
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import NotFound
from minimost.domain.events import Event, EventType, event, publish_on_commit
from minimost.wire.events import SessionEnded

log = logging.getLogger(__name__)

# ``last_seen_at`` is for the Settings list ("active 3 minutes ago"): refreshing it at most
# this often costs one small write per session per interval, not one per request.
SEEN_EVERY = timedelta(minutes=5)


def session_ended_event(user_id: int, session_ids: list[int], *, everything: bool) -> Event:
    """``everything``: every socket of the user closes, bearer-token ones included."""
    return event(
        EventType.SESSION_ENDED,
        SessionEnded.model_construct(session_ids=sorted(session_ids), all=everything),
        user_id=user_id,
    )


async def end_every_credential(tx: Tx, user_id: int) -> Event:
    """Every way in ends, inside ``tx``: sessions, API tokens and unused reset links (an
    account disabled or deleted). The returned ``session.ended`` (all), published on
    commit, makes every process close the user's sockets and forget its cached actor."""
    sessions = (
        (await tx.conn.execute(select(Session.id).where(Session.user_id == user_id)))
        .scalars()
        .all()
    )
    for table in (Session, ApiToken, PasswordReset):
        await tx.conn.execute(delete(table).where(table.user_id == user_id))
    return session_ended_event(user_id, [int(s) for s in sessions], everything=True)


async def end_sessions(
    ctx: Ctx, tx: Tx, user_id: int, now: datetime, *, keep: int | None = None
) -> list[int]:
    """End every session of ``user_id`` but ``keep``, inside the caller's transaction."""
    query = select(Session.id).where(Session.user_id == user_id)
    if keep is not None:
        query = query.where(Session.id != keep)
    ids = [int(i) for i in (await tx.conn.execute(query)).scalars().all()]
    if ids:
        await tx.conn.execute(delete(Session).where(Session.id.in_(ids)))
        await publish_on_commit(
            tx, ctx.publisher, session_ended_event(user_id, ids, everything=False), now
        )
    return ids


def needs_touch(last_seen_at: datetime | None, now: datetime) -> bool:
    return last_seen_at is None or now - last_seen_at >= SEEN_EVERY


async def touch_session(ctx: Ctx, session_id: int) -> None:
    """Record that the session was used now (no event: nobody watches this live).
    Best effort: bookkeeping for the Settings list must never fail a request."""
    try:
        async with ctx.db.write() as tx:
            await tx.conn.execute(
                update(Session).where(Session.id == session_id).values(last_seen_at=ctx.clock.now())
            )
    except SQLAlchemyError:
        log.warning("could not record session activity", exc_info=True)


async def revoke_session(ctx: Ctx, actor: Actor, session_id: int) -> None:
    """End one of your own sessions (another's, or none: ``NotFound`` alike)."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        owner = await tx.conn.scalar(select(Session.user_id).where(Session.id == session_id))
        if owner != actor.id:
            raise NotFound("session not found")
        await tx.conn.execute(delete(Session).where(Session.id == session_id))
        await publish_on_commit(
            tx, ctx.publisher, session_ended_event(actor.id, [session_id], everything=False), now
        )
        await audit.record(
            tx, at=now, action="session_revoke", outcome="success", actor_id=actor.id,
            actor_name=actor.username, ip=actor.ip, target=f"session:{session_id}",
            detail="own session" if session_id == actor.session_id else "",
        )  # fmt: skip


async def revoke_token(ctx: Ctx, actor: Actor, token_id: int) -> None:
    """Delete one of your personal access tokens (another's, or none: ``NotFound`` alike)."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        owner = await tx.conn.scalar(select(ApiToken.user_id).where(ApiToken.id == token_id))
        if owner != actor.id:
            raise NotFound("token not found")
        await tx.conn.execute(delete(ApiToken).where(ApiToken.id == token_id))
        await audit.record(
            tx, at=now, action="token_revoke", outcome="success", actor_id=actor.id,
            actor_name=actor.username, ip=actor.ip, target=f"token:{token_id}",
        )  # fmt: skip
