"""Request and response shapes of ``routes/account`` (password, sessions, deletion)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .auth import Password
from .common import Text


class ChangePasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Password
    new_password: Password


class ChangePasswordOut(BaseModel):
    ended_sessions: int = Field(description="How many of your other sessions were ended.")


class ResetPasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[Text, StringConstraints(min_length=1, max_length=128)]
    new_password: Password


class ResetPasswordOut(BaseModel):
    username: str = Field(description="Sign in with this name and the new password.")


class DeleteAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Password
    mode: Literal["soft", "hard"] = Field(
        description="soft: your messages stay, shown as Deleted User; hard: they are deleted."
    )


class DeleteAccountOut(BaseModel):
    username: str = Field(description="The name the account now has (deleted-<id>).")
    purged_messages: int


class SessionOut(BaseModel):
    id: int
    created_at: str
    last_seen_at: str = Field(description="Refreshed at most every 5 minutes.")
    ip: str
    user_agent: str
    current: bool = Field(description="The session this request came with.")


class SessionList(BaseModel):
    sessions: list[SessionOut]


class TokenInfo(BaseModel):
    id: int
    name: str
    created_at: str


class TokenList(BaseModel):
    tokens: list[TokenInfo]
