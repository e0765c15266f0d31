"""Replay of the event log for a reconnecting socket, with the access rule applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from minimost.db.engine import Database
from minimost.db.models import Event, Membership
from minimost.domain.events import EventType, Published, encode_frame

MAX_REPLAY = 5000


@dataclass(frozen=True, slots=True)
class Replay:
    frames: list[Published]
    resync: bool
    last_event_id: int


async def last_event_id(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)


def _published(row: Any) -> Published:
    return Published(
        id=row.id,
        type=row.type,
        conversation_id=row.conversation_id,
        user_id=row.user_id,
        frame=encode_frame(row.id, row.type, row.conversation_id, row.payload),
    )


def _member_since(user_id: int) -> Any:
    """``(cid, since)``: each conversation ``user_id`` is a member of, and the id of the
    ``member.added`` that made them one (0 when it is not retained: pruned, or the
    membership came with the conversation, before any event of it)."""
    added = aliased(Event)
    joins = (
        select(added.conversation_id.label("cid"), func.max(added.id).label("joined"))
        .where(added.user_id == user_id, added.type == EventType.MEMBER_ADDED.value)
        .group_by(added.conversation_id)
        .subquery()
    )
    return (
        select(
            Membership.conversation_id.label("cid"),
            func.coalesce(joins.c.joined, 0).label("since"),
        )
        .outerjoin(joins, joins.c.cid == Membership.conversation_id)
        .where(Membership.user_id == user_id)
        .subquery()
    )


async def replay(db: Database, user_id: int, since: int) -> Replay:
    """Events after ``since`` that ``user_id`` may see, oldest first.

    A conversation's events replay from the user's (latest) join on: exactly what their
    sockets would have received live. Anything before is history, read over HTTP like any
    newcomer reads it (``member.added`` tells the client to); so a late joiner of a private
    channel replays neither its old topics nor who came and went before them. Stored
    message events hold no more than history anyway (``actions.redaction``).

    ``since=0`` means everything retained. ``resync`` when ``since`` is older than the
    retained log (pruned), newer than anything
    this server issued (a different or restored database), or the gap is so large that
    refetching state is cheaper than replaying it.
    """
    async with db.read() as conn:
        low, high = (await conn.execute(select(func.min(Event.id), func.max(Event.id)))).one()
        low, high = int(low or 0), int(high or 0)
        pruned = 0 < since < low - 1
        if since > high or pruned:
            return Replay([], True, high)
        member = _member_since(user_id)
        rows = (
            await conn.execute(
                select(Event)
                .outerjoin(member, member.c.cid == Event.conversation_id)
                .where(
                    Event.id > since,
                    Event.id <= high,
                    or_(
                        Event.id >= member.c.since,  # NULL (not a member): false
                        Event.user_id == user_id,
                        and_(Event.conversation_id.is_(None), Event.user_id.is_(None)),
                    ),
                )
                .order_by(Event.id)
                .limit(MAX_REPLAY + 1)
            )
        ).all()
    if len(rows) > MAX_REPLAY:
        return Replay([], True, high)
    return Replay([_published(r) for r in rows], False, high)


async def load_range(db: Database, after: int, upto: int) -> list[Published]:
    """Every event with ``after < id <= upto`` (the hub fills ordering gaps with this)."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(Event).where(Event.id > after, Event.id <= upto).order_by(Event.id)
            )
        ).all()
    return [_published(r) for r in rows]
