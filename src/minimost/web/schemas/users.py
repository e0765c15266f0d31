"""The user directory and the presence override."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .common import UserOut

Presence = Literal["online", "away", "dnd", "offline"]


class PresenceUserOut(UserOut):
    presence: Presence


class UserList(BaseModel):
    users: list[PresenceUserOut]


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["auto", "away", "dnd"]


class PresenceOut(BaseModel):
    presence: Presence
