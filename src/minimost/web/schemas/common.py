"""Shared API shapes: errors, users, messages, conversations."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from minimost.domain.text import CODE, describe, forbidden_character

# Ids are 64-bit in the database; anything larger is a client error, never an overflow.
MAX_ID = 2**63 - 1
CANONICAL_ID = re.compile(r"[1-9][0-9]{0,18}")


def _canonical_id(value: object) -> object:
    """An id in a path has one spelling: ``1``, never ``1.0``, ``01``, ``+1``, ``1_0`` or
    `` 1`` (all of which pydantic's lax int would read as 1), so that caches, logs and
    anything else keyed on the URL never see two names for one thing."""
    if isinstance(value, str) and not CANONICAL_ID.fullmatch(value):
        raise ValueError("must be a positive integer id, digits only")
    return value


IdPath = Annotated[
    int,
    Path(ge=1, le=MAX_ID, json_schema_extra={"format": "int64"}),
    BeforeValidator(_canonical_id),
]


def storable(value: object) -> object:
    """Refuse text with characters we never accept (``domain.text``: NUL, other controls,
    lone surrogates) before any other check, so the answer is always ``invalid_characters``."""
    if isinstance(value, str) and (char := forbidden_character(value)) is not None:
        raise PydanticCustomError(CODE, "{reason}", {"reason": describe(char)})
    return value


# Every string a request carries (body field, query or path value) is ``Text``, constrained
# further where needed: ``Annotated[Text, StringConstraints(max_length=64)]``.
# tests/web/test_unstorable_text.py fails for any API input that is not.
Text = Annotated[str, BeforeValidator(storable)]


class ErrorBody(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str
    fields: dict[str, str] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    color: str | None = None
    avatar_url: str | None = None


class MeUser(UserOut):
    is_admin: bool


class ReplyOut(BaseModel):
    """The quoted original: author and first line, or ``deleted``."""

    id: int
    author: UserOut | None = None
    excerpt: str = ""
    deleted: bool = False


class ReactionOut(BaseModel):
    emoji: str
    count: int
    users: list[int]


class FileOut(BaseModel):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool = False
    url: str
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None


class PreviewOut(BaseModel):
    url: str
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    site_name: str | None = None


class MessageOut(BaseModel):
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


class ConversationOut(BaseModel):
    id: int
    kind: str
    name: str | None
    topic: str
    created_at: str | None
    archived: bool
    is_member: bool | None = None
    created_by: int | None = None
    members: list[UserOut] = []
    unread_count: int = 0
    mention_count: int = 0
    last_read_message_id: int | None = None
    last_message_id: int | None = None
    hidden: bool = False
    muted: bool = False


ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
