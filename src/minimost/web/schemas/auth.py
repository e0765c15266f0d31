from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from minimost.domain.actions.profile import MAX_DISPLAY_NAME

from .common import MeUser, Text

Username = Annotated[Text, StringConstraints(min_length=1, max_length=32)]
Password = Annotated[Text, StringConstraints(min_length=1, max_length=1024)]


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    password: Password
    display_name: Annotated[Text, StringConstraints(max_length=MAX_DISPLAY_NAME)] = ""


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    password: Password


class AuthOut(BaseModel):
    user: MeUser
    csrf_token: str


class UploadLimits(BaseModel):
    """So the browser can refuse an oversized file before sending it."""

    max_upload_bytes: int
    max_avatar_bytes: int


class MeOut(AuthOut):
    last_event_id: int
    limits: UploadLimits
    # Manual presence: "away" or "dnd"; null means automatic (PUT /api/v1/me/presence).
    presence_override: Literal["away", "dnd"] | None = None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class TokenOut(BaseModel):
    id: int
    name: str
    token: str = Field(description="Shown once. Send as `Authorization: Bearer <token>`.")
