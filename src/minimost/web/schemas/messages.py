from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .common import MAX_ID, ConversationOut, MessageOut, Text

MessageText = Annotated[Text, StringConstraints(min_length=1, max_length=10_000)]
ClientId = Annotated[
    Text, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # May be empty only when files are attached (the domain checks).
    text: Annotated[Text, StringConstraints(max_length=10_000)] = ""
    client_id: ClientId | None = None
    reply_to_id: Id | None = None
    file_ids: list[Id] = Field(default_factory=list, max_length=10)


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: MessageText


class MessageEnvelope(BaseModel):
    message: MessageOut


class MessagePage(BaseModel):
    messages: list[MessageOut]
    has_more: bool


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class ConversationEnvelope(BaseModel):
    conversation: ConversationOut
