"""Events: published only on commit, in the order they committed.

An action builds a typed payload (``minimost.wire``) and calls
``publish_on_commit(tx, ctx, event(EventType.X, payload))``. That inserts the row into the
``events`` replay log *inside* the action's transaction (so an event exists if and only if
the change committed) and queues the publication to the bus for after the commit (a
rollback drops it).

Every event type's payload model, audience and replay rule are declared together in
``minimost.wire.events.SPECS``; ``event()`` fills in the routing columns from it, so an
action cannot send an event to the wrong audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert

from minimost.db.engine import Tx
from minimost.db.models import Event as EventRow
from minimost.wire.events import (
    SPECS,
    Audience,
    EventType,
    MemberChange,
    MessageDeleted,
    Replay,
)
from minimost.wire.models import ConversationView, MessageOut, UserOut, WireModel, encode

__all__ = ["Event", "EventType", "Published", "Publisher", "event", "publish_on_commit"]


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    data: WireModel
    conversation_id: int | None = None
    user_id: int | None = None
    # The message whose whole view ``data`` is (``Replay.CURRENT_VIEW`` types only): a
    # later edit or delete finds and rewrites the stored event by it (``actions.redaction``).
    message_id: int | None = None


# Which routing columns an audience fills in: (conversation_id, user_id).
_NAMES = {
    Audience.CONVERSATION: (True, False),
    Audience.MEMBERS_AND_USER: (True, True),
    Audience.USER: (False, True),
    Audience.EVERYONE: (False, False),
}


def event(type_: EventType, payload: WireModel, *, user_id: int | None = None) -> Event:
    """The event of ``type_``, routed as its spec says. ``user_id``: the user an
    ``Audience.USER`` event is for, when its payload does not name them."""
    spec = SPECS[type_]
    if not isinstance(payload, spec.model):
        raise TypeError(f"{type_} carries {spec.model.__name__}, not {type(payload).__name__}")
    conversation_id, named = spec.route(payload)
    if named is not None:
        user_id = named
    if _NAMES[spec.audience] != (conversation_id is not None, user_id is not None):
        raise ValueError(f"{type_} goes to {spec.audience}: it names the wrong audience")
    message_id = (
        payload.id
        if spec.replay is Replay.CURRENT_VIEW and isinstance(payload, MessageOut)
        else None
    )
    return Event(type_, payload, conversation_id, user_id, message_id)


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
    type_: EventType,
    conversation_id: int,
    user: UserOut,
    *,
    conversation: ConversationView | None = None,
    hidden: bool | None = None,
) -> Event:
    """``member.added`` / ``member.removed``, to the conversation and to the user."""
    present = {"conversation_id", "user"}
    if conversation is not None:
        present.add("conversation")
    if hidden is not None:
        present.add("hidden")
    payload = MemberChange.model_construct(
        present,
        conversation_id=conversation_id,
        user=user,
        conversation=conversation,
        hidden=bool(hidden),
    )
    return event(type_, payload)


def message_created(view: MessageOut) -> Event:
    """``message.created``: the new message's view, to its conversation."""
    return event(EventType.MESSAGE_CREATED, view)


def message_updated(view: MessageOut) -> Event:
    """``message.updated``: the whole message as it is now (``queries.enrich.current_views``)."""
    return event(EventType.MESSAGE_UPDATED, view)


def message_deleted(message_id: int, conversation_id: int, *, purged: bool = False) -> Event:
    """``message.deleted``: ``{id, conversation_id}`` (plus ``purged`` by an account purge)."""
    present = {"id", "conversation_id", "purged"} if purged else {"id", "conversation_id"}
    payload = MessageDeleted.model_construct(
        present, id=message_id, conversation_id=conversation_id, purged=purged
    )
    return event(EventType.MESSAGE_DELETED, payload)


def encode_frame(event_id: int, type_: str, conversation_id: int | None, payload: str) -> str:
    conv = "null" if conversation_id is None else str(conversation_id)
    # ``payload`` is already JSON; splice it in rather than decode and re-encode.
    return f'{{"id":{event_id},"type":"{type_}","conversation":{conv},"data":{payload}}}'


_INSERT_EVENTS = insert(EventRow).returning(EventRow.id, sort_by_parameter_order=True)


async def publish_on_commit(tx: Tx, publisher: Publisher, event: Event, now: datetime) -> int:
    """Append ``event`` to the log in ``tx``; publish it once ``tx`` commits. Returns its id."""
    return (await publish_many_on_commit(tx, publisher, [event], now))[0]


async def publish_many_on_commit(
    tx: Tx, publisher: Publisher, events: list[Event], now: datetime
) -> list[int]:
    """``publish_on_commit`` for several events with one INSERT; published in this order."""
    await tx.ordered()
    payloads = [encode(event.data) for event in events]
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
