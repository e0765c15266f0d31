"""Shared API shapes: errors, users, messages, conversations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

# Ids are 64-bit in the database; anything larger is a client error, never an overflow.
MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


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


class MeUser(UserOut):
    is_admin: bool


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
