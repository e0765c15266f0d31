"""Shared API shapes: errors, ids, text, and the wire shapes routes return."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from minimost.domain.text import CODE, describe, forbidden_character
from minimost.wire.models import (
    ConversationOut,
    FileOut,
    MessageOut,
    PreviewOut,
    ReactionOut,
    ReplyOut,
    UserOut,
)

# The shared shapes are defined once, in ``minimost.wire`` (the domain builds them, the
# socket carries them); routes keep importing them from here.
__all__ = [
    "ConversationOut",
    "FileOut",
    "MessageOut",
    "PreviewOut",
    "ReactionOut",
    "ReplyOut",
    "UserOut",
]

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


class MeUser(UserOut):
    is_admin: bool


ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
