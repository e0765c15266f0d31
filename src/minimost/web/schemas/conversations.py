"""Conversation management: create, change, members, read position."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .common import MAX_ID, ConversationOut, Text, UserOut

UserId = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
Topic = Annotated[Text, StringConstraints(max_length=250)]


class CreateConversationIn(BaseModel):
    """``private``: a named invite-only channel. ``dm``: the conversation of you and
    ``members`` (the same set of people always gets the same one)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["private", "dm"]
    name: Name | None = None
    topic: Topic = ""
    members: Annotated[list[UserId], Field(max_length=500)] = []


class UpdateConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    topic: Topic | None = None
    hidden: bool | None = None
    muted: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateConversationIn:
        if not self.model_fields_set:
            raise ValueError("give at least one of name, topic, hidden, muted")
        return self


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: UserId


class ReadOut(BaseModel):
    conversation_id: int
    last_read_message_id: int | None
    unread_count: int
    mention_count: int


class MemberOut(UserOut):
    role: str
    last_read_message_id: int | None
    presence: str


class MemberList(BaseModel):
    members: list[MemberOut]


class BrowseItem(ConversationOut):
    member_count: int


class BrowseList(BaseModel):
    conversations: list[BrowseItem]
