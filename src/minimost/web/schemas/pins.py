from __future__ import annotations

from pydantic import BaseModel

from .common import MessageOut, UserOut


class PinOut(BaseModel):
    message: MessageOut
    pinned_by: UserOut | None
    pinned_at: str


class PinList(BaseModel):
    """Newest pin first."""

    pins: list[PinOut]
