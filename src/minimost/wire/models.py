"""The shapes the API and the socket share: one class each, used by the domain's view
builders, by the routes' ``response_model``, by the event payloads and by the JSON Schema.

Pydantic, not dataclasses: FastAPI already renders these classes as OpenAPI and validates
responses with them, and pydantic's Rust serializer encodes an event payload once, on the
send path, about as fast as orjson encoded the old dicts. The domain builds them with
``model_construct`` (no validation: the values come from our own rows), the tests validate
what real runs produce against them.

Optional keys: a field with a default that the builder did not pass is *absent* from an
event payload (``encode`` drops unset fields), e.g. ``width``/``height`` of a file that is
no image. Over HTTP FastAPI fills the default in, as it always has.

Class names are the OpenAPI component names: renaming one changes the API document.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel

_set = object.__setattr__


class WireModel(BaseModel):
    """Base of every wire shape (a marker: the schema generator and ``encode`` take these)."""

    @classmethod
    def trusted(cls, **values: object) -> Self:
        """``model_construct`` for the send path: our own values, *every* field given (so
        there are no defaults to fill in), about four times faster. ``test_wire_contract``
        checks that the builders using it give every field."""
        model = cls.__new__(cls)
        _set(model, "__dict__", values)
        _set(model, "__pydantic_fields_set__", set(values))
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model


class UserOut(WireModel):
    id: int
    username: str
    display_name: str
    color: str | None = None
    avatar_url: str | None = None


class ReplyOut(WireModel):
    """The quoted original: author and first line, or ``deleted``."""

    id: int
    author: UserOut | None = None
    excerpt: str = ""
    deleted: bool = False


class ReactionOut(WireModel):
    emoji: str
    count: int
    users: list[int]


class FileOut(WireModel):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool = False
    url: str
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None


class PreviewOut(WireModel):
    url: str
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    site_name: str | None = None


# A message as history, search, pins and ``message.created``/``updated`` show it.
# ``reply_to``, ``reactions``, ``pinned`` and ``files`` are filled in by ``queries.enrich``.
# (Comments, not docstrings, on API classes: a docstring would become OpenAPI text.)
class MessageOut(WireModel):
    id: int
    conversation_id: int
    author: UserOut | None
    text: str
    html: str
    created_at: str
    edited_at: str | None
    deleted_at: str | None
    client_id: str | None
    mentions: list[int] = []
    mention_all: str | None = None
    reply_to: ReplyOut | None = None
    reactions: list[ReactionOut] = []
    pinned: bool = False
    files: list[FileOut] = []
    preview: PreviewOut | None = None


class ConversationView(WireModel):
    """A conversation as its events show it (``conversation.*``, ``member.added``).
    ``members``: only a new DM's ``conversation.created`` carries them (it is named after
    its people)."""

    id: int
    kind: str
    name: str | None
    topic: str
    created_at: str | None
    archived: bool
    created_by: int | None = None
    members: list[UserOut] = []


# A conversation as the API lists it: the event view plus the reader's own state.
class ConversationOut(ConversationView):
    is_member: bool | None = None
    unread_count: int = 0
    mention_count: int = 0
    last_read_message_id: int | None = None
    last_message_id: int | None = None
    hidden: bool = False
    muted: bool = False


def encode(payload: WireModel) -> str:
    """The JSON of an event payload: unset optional fields are left out (see module doc)."""
    return payload.model_dump_json(exclude_unset=True)
