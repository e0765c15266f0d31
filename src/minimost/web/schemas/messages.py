from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from .common import ConversationOut, MessageOut

MessageText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
ClientId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: MessageText
    client_id: ClientId | None = None


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
