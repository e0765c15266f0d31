from __future__ import annotations

from pydantic import BaseModel

from .common import ReactionOut


class ReactionsOut(BaseModel):
    """The message's reactions after the change: emoji in first-use order."""

    reactions: list[ReactionOut]
