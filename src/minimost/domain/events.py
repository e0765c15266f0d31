"""Typed events: the wire contract of the realtime protocol, published only on commit.

An action calls ``publish_on_commit(tx, ctx, event)``. That inserts the row into the ``events``
replay log *inside* the action's transaction (so an event exists if and only if the change
committed) and queues the publication to the bus for after the commit (a rollback drops it).

Audience: members of ``conversation_id`` and/or the single ``user_id``; with neither, every
signed-in user (only for what everyone may know, such as a changed display name). The hub
and the replay query apply the same rule (see ``queries.events`` and ``realtime.hub``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import orjson
from sqlalchemy import insert

from minimost.db.engine import Tx
from minimost.db.models import Event as EventRow


class EventType(StrEnum):
    MESSAGE_CREATED = "message.created"
    MESSAGE_UPDATED = "message.updated"
    MESSAGE_DELETED = "message.deleted"
    MEMBER_ADDED = "member.added"
    MEMBER_REMOVED = "member.removed"
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    READ_UPDATED = "read.updated"
    MEMBERSHIP_UPDATED = "membership.updated"
    REACTION_ADDED = "reaction.added"
    REACTION_REMOVED = "reaction.removed"
    MESSAGE_PINNED = "message.pinned"
    MESSAGE_UNPINNED = "message.unpinned"
    # To the user alone: these of their sessions ended (the hub closes their sockets, 4401).
    SESSION_ENDED = "session.ended"
    # To every signed-in user (no conversation, no user): a changed name, colour or avatar.
    USER_UPDATED = "user.updated"


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    data: Mapping[str, Any]
    conversation_id: int | None = None
    user_id: int | None = None
    # The message whose whole view ``data`` is (message.created / message.updated only): a
    # later edit or delete finds and rewrites the stored event by it (``actions.redaction``).
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Published:
    """A committed event as it travels: routing fields plus the client frame, encoded once."""

    id: int
    type: str
    conversation_id: int | None
    user_id: int | None
    frame: str


class Publisher(Protocol):
    async def publish(self, event: Published) -> None: ...


def member_event(
    type_: EventType, conversation_id: int, user: Mapping[str, Any], **extra: Any
) -> Event:
    """``member.added`` / ``member.removed``: to the conversation and to the user (whose open
    sockets the hub subscribes or unsubscribes). ``member.added`` also carries the
    ``conversation`` (so the added user's sidebar can show it at once) and ``hidden``."""
    return Event(
        type_,
        {"conversation_id": conversation_id, "user": user, **extra},
        conversation_id=conversation_id,
        user_id=int(user["id"]),
    )


def message_created(view: Mapping[str, Any]) -> Event:
    """``message.created``: the new message's view, to its conversation."""
    return Event(
        EventType.MESSAGE_CREATED,
        view,
        conversation_id=int(view["conversation_id"]),
        message_id=int(view["id"]),
    )


def message_updated(view: Mapping[str, Any]) -> Event:
    """``message.updated``: the whole message as it is now (``queries.enrich.current_views``),
    to its conversation; an edit, a link preview, a lost attachment alike."""
    return Event(
        EventType.MESSAGE_UPDATED,
        view,
        conversation_id=int(view["conversation_id"]),
        message_id=int(view["id"]),
    )


def message_deleted(message_id: int, conversation_id: int, **extra: Any) -> Event:
    """``message.deleted``: ``{id, conversation_id}`` (plus e.g. ``purged``) to the
    conversation, whoever deleted it (its author, an admin, retention, an account purge)."""
    return Event(
        EventType.MESSAGE_DELETED,
        {"id": message_id, "conversation_id": conversation_id, **extra},
        conversation_id=conversation_id,
    )


def encode_frame(event_id: int, type_: str, conversation_id: int | None, payload: str) -> str:
    conv = "null" if conversation_id is None else str(conversation_id)
    # ``payload`` is already JSON; splice it in rather than decode and re-encode.
    return f'{{"id":{event_id},"type":"{type_}","conversation":{conv},"data":{payload}}}'


def dumps(data: Mapping[str, Any]) -> str:
    return orjson.dumps(data).decode()


_INSERT_EVENTS = insert(EventRow).returning(EventRow.id, sort_by_parameter_order=True)


async def publish_on_commit(tx: Tx, publisher: Publisher, event: Event, now: datetime) -> int:
    """Append ``event`` to the log in ``tx``; publish it once ``tx`` commits. Returns its id."""
    return (await publish_many_on_commit(tx, publisher, [event], now))[0]


async def publish_many_on_commit(
    tx: Tx, publisher: Publisher, events: list[Event], now: datetime
) -> list[int]:
    """``publish_on_commit`` for several events with one INSERT; published in this order."""
    await tx.ordered()
    payloads = [dumps(event.data) for event in events]
    result = await tx.conn.execute(
        _INSERT_EVENTS,
        [
            {
                "conversation_id": event.conversation_id,
                "user_id": event.user_id,
                "message_id": event.message_id,
                "type": event.type.value,
                "payload": payload,
                "created_at": now,
            }
            for event, payload in zip(events, payloads, strict=True)
        ],
    )
    ids = [int(i) for i in result.scalars().all()]
    published = [
        Published(
            id=event_id,
            type=event.type.value,
            conversation_id=event.conversation_id,
            user_id=event.user_id,
            frame=encode_frame(event_id, event.type.value, event.conversation_id, payload),
        )
        for event_id, event, payload in zip(ids, events, payloads, strict=True)
    ]

    async def _publish() -> None:
        for item in published:
            await publisher.publish(item)

    tx.after_commit(_publish)
    return ids
