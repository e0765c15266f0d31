"""Every event type, closed: its payload model, its audience and its replay rule, side by side.

Adding an event type is adding an ``EventType`` member and its ``EventSpec`` in ``SPECS``
(with a payload model here if no existing one fits). ``tests/contract`` fails until every
type has a spec whose model validates what the real actions publish, and the tests that walk
``EventType`` (access, recorded frames) pick the new type up by themselves.

Audience (who receives it live, and on replay: the hub and ``queries.events.replay`` both
route by the two columns the spec fills in, ``conversation_id`` and ``user_id``):

* ``CONVERSATION``: the members of the conversation;
* ``MEMBERS_AND_USER``: the members, and the user it is about on all of their sockets (the
  hub subscribes or unsubscribes those, see ``SocketEffect``);
* ``USER``: that user's sockets alone;
* ``EVERYONE``: every signed-in user (only for what everyone may know).

Replay: a conversation's events replay from the reader's latest join (``member.added``) on,
a user's own events and everyone's events always. ``CURRENT_VIEW`` events store a whole
message view that ``actions.redaction`` rewrites in place whenever history changes it (an
edit, a delete, a purge), so a replay never shows more than history does.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from enum import Enum, StrEnum

from .models import ConversationView, MessageOut, UserOut, WireModel


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
    SESSION_ENDED = "session.ended"
    USER_UPDATED = "user.updated"


class Audience(Enum):
    CONVERSATION = "conversation"
    MEMBERS_AND_USER = "members and user"
    USER = "user"
    EVERYONE = "everyone"


class Replay(Enum):
    AS_STORED = "as stored"
    # The stored payload is a message view kept equal to history (``actions.redaction``);
    # the event row remembers the message (``events.message_id``) for that.
    CURRENT_VIEW = "current view"


class SocketEffect(Enum):
    """What the hub does to the user's sockets besides delivering the frame."""

    NONE = "none"
    SUBSCRIBE = "subscribe"  # to the conversation (a new member)
    UNSUBSCRIBE = "unsubscribe"  # from the conversation (a member left)
    END_SESSIONS = "end sessions"  # close the sockets of the ended sessions (4401)


# --- payloads (besides MessageOut and ConversationView) ------------------------------------


class MessageDeleted(WireModel):
    """Whoever deleted it (author, admin, retention, an account purge)."""

    id: int
    conversation_id: int
    purged: bool = False  # present (true) when a hard account deletion took it


class MemberChange(WireModel):
    """``member.added`` also carries the ``conversation`` (so the added user's sidebar shows
    it at once) and whether it is ``hidden`` for them; a signup's joins carry neither."""

    conversation_id: int
    user: UserOut
    conversation: ConversationView | None = None
    hidden: bool = False


class ReadUpdated(WireModel):
    conversation_id: int
    user_id: int
    message_id: int


class MembershipUpdated(WireModel):
    """The reader's own flags for a conversation (to their other tabs)."""

    conversation_id: int
    hidden: bool
    muted: bool


class ReactionChange(WireModel):
    message_id: int
    conversation_id: int
    emoji: str
    user_id: int


class MessagePinned(WireModel):
    message_id: int
    conversation_id: int
    pinned_by: UserOut
    pinned_at: str


class MessageUnpinned(WireModel):
    message_id: int
    conversation_id: int
    unpinned_by: UserOut
    unpinned_at: str


class SessionEnded(WireModel):
    """``all``: every socket of the user closes, bearer-token ones included."""

    session_ids: list[int]
    all: bool


class UserUpdated(WireModel):
    """A changed name, colour or avatar; the flags are present only when they changed."""

    user: UserOut
    deleted: bool = False
    is_admin: bool = False
    disabled: bool = False


# --- the registry --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventSpec:
    type: EventType
    model: builtins.type[WireModel]
    audience: Audience
    replay: Replay = Replay.AS_STORED
    effect: SocketEffect = SocketEffect.NONE
    # Where the payload names the audience's conversation / user (attribute path; empty:
    # not in the payload, the action names it). ``test_wire_contract`` checks the paths.
    conversation_at: tuple[str, ...] = ()
    user_at: tuple[str, ...] = ()

    def route(self, payload: WireModel) -> tuple[int | None, int | None]:
        """``(conversation_id, user_id)`` of the event row, as far as the payload says."""
        return _follow(payload, self.conversation_at), _follow(payload, self.user_at)


def _follow(payload: object, path: tuple[str, ...]) -> int | None:
    if not path:
        return None
    value = payload
    for name in path:
        value = getattr(value, name)
    assert isinstance(value, int)
    return value


IN_CONVERSATION = ("conversation_id",)


def _spec_table(*specs: EventSpec) -> dict[EventType, EventSpec]:
    table = {spec.type: spec for spec in specs}
    assert len(table) == len(specs), "one spec per event type"
    return table


SPECS: dict[EventType, EventSpec] = _spec_table(
    EventSpec(
        EventType.MESSAGE_CREATED,
        MessageOut,
        Audience.CONVERSATION,
        Replay.CURRENT_VIEW,
        conversation_at=IN_CONVERSATION,
    ),
    # The whole message as it is now: an edit, a link preview, a lost attachment alike.
    EventSpec(
        EventType.MESSAGE_UPDATED,
        MessageOut,
        Audience.CONVERSATION,
        Replay.CURRENT_VIEW,
        conversation_at=IN_CONVERSATION,
    ),
    EventSpec(
        EventType.MESSAGE_DELETED,
        MessageDeleted,
        Audience.CONVERSATION,
        conversation_at=IN_CONVERSATION,
    ),
    EventSpec(
        EventType.MEMBER_ADDED,
        MemberChange,
        Audience.MEMBERS_AND_USER,
        effect=SocketEffect.SUBSCRIBE,
        conversation_at=IN_CONVERSATION,
        user_at=("user", "id"),
    ),
    EventSpec(
        EventType.MEMBER_REMOVED,
        MemberChange,
        Audience.MEMBERS_AND_USER,
        effect=SocketEffect.UNSUBSCRIBE,
        conversation_at=IN_CONVERSATION,
        user_at=("user", "id"),
    ),
    EventSpec(
        EventType.CONVERSATION_CREATED,
        ConversationView,
        Audience.CONVERSATION,
        conversation_at=("id",),
    ),
    EventSpec(
        EventType.CONVERSATION_UPDATED,
        ConversationView,
        Audience.CONVERSATION,
        conversation_at=("id",),
    ),
    EventSpec(
        EventType.READ_UPDATED, ReadUpdated, Audience.CONVERSATION, conversation_at=IN_CONVERSATION
    ),
    # To the reader alone (their other tabs): the action names the user.
    EventSpec(EventType.MEMBERSHIP_UPDATED, MembershipUpdated, Audience.USER),
    EventSpec(
        EventType.REACTION_ADDED,
        ReactionChange,
        Audience.CONVERSATION,
        conversation_at=IN_CONVERSATION,
    ),
    EventSpec(
        EventType.REACTION_REMOVED,
        ReactionChange,
        Audience.CONVERSATION,
        conversation_at=IN_CONVERSATION,
    ),
    EventSpec(
        EventType.MESSAGE_PINNED,
        MessagePinned,
        Audience.CONVERSATION,
        conversation_at=IN_CONVERSATION,
    ),
    EventSpec(
        EventType.MESSAGE_UNPINNED,
        MessageUnpinned,
        Audience.CONVERSATION,
        conversation_at=IN_CONVERSATION,
    ),
    # To the user alone: the hub closes the ended sessions' sockets (4401).
    EventSpec(
        EventType.SESSION_ENDED, SessionEnded, Audience.USER, effect=SocketEffect.END_SESSIONS
    ),
    # To every signed-in user (no conversation, no user): a changed name, colour or avatar.
    EventSpec(EventType.USER_UPDATED, UserUpdated, Audience.EVERYONE),
)

# What the hub looks up per delivered frame (by the type string it travels with).
SOCKET_EFFECTS: dict[str, SocketEffect] = {
    spec.type.value: spec.effect for spec in SPECS.values() if spec.effect is not SocketEffect.NONE
}
# The types whose stored payload is a message view (``actions.redaction`` rewrites them).
VIEW_TYPES: frozenset[EventType] = frozenset(
    spec.type for spec in SPECS.values() if spec.replay is Replay.CURRENT_VIEW
)
