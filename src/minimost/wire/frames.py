"""Every frame a socket sends, as models: one per event type (built from ``SPECS``) and the
ephemeral ones (hello, resync, pong, typing, presence, error).

The ephemeral frames are encoded by hand where they are sent (``web/ws.py``,
``realtime/typing_relay.py``, ``realtime/presence.py``: hot paths that splice pre-encoded
parts); these models are their contract, and ``tests/contract`` validates frames recorded
from a real server against them. ``FRAME`` is the union the JSON Schema is generated from.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, TypeAdapter, create_model

from .events import SPECS, EventType
from .models import WireModel

PresenceStatus = Literal["online", "away", "dnd", "offline"]


class EventFrame(WireModel):
    """A committed event: ``id`` orders and resumes (``?since=``), ``conversation`` is the
    conversation the audience is, or null."""

    id: int
    type: str
    conversation: int | None
    data: WireModel


def _frame_name(event_type: EventType) -> str:
    return "".join(part.capitalize() for part in event_type.value.split(".")) + "Frame"


EVENT_FRAMES: dict[EventType, type[EventFrame]] = {
    spec.type: create_model(
        _frame_name(spec.type),
        __base__=EventFrame,
        type=(Literal[spec.type.value], ...),
        data=(spec.model, ...),
    )
    for spec in SPECS.values()
}


class HelloData(WireModel):
    last_event_id: int
    user_id: int
    # Status of every user who is not offline, by user id (JSON object keys are strings).
    presence: dict[str, PresenceStatus]


class HelloFrame(WireModel):
    type: Literal["hello"]
    data: HelloData


class ResyncFrame(WireModel):
    """The server cannot replay from ``since``: refetch what you show."""

    type: Literal["resync"]


class PongFrame(WireModel):
    type: Literal["pong"]


class TypingData(WireModel):
    user_ids: list[int]


class TypingFrame(WireModel):
    type: Literal["typing"]
    conversation: int
    data: TypingData


class PresenceData(WireModel):
    users: dict[str, PresenceStatus]


class PresenceFrame(WireModel):
    type: Literal["presence"]
    data: PresenceData


class ErrorData(WireModel):
    code: str
    message: str


class ErrorFrame(WireModel):
    type: Literal["error"]
    data: ErrorData


EPHEMERAL_FRAMES: tuple[type[WireModel], ...] = (
    HelloFrame,
    ResyncFrame,
    PongFrame,
    TypingFrame,
    PresenceFrame,
    ErrorFrame,
)

_ALL = (*EVENT_FRAMES.values(), *EPHEMERAL_FRAMES)
FRAME: TypeAdapter[WireModel] = TypeAdapter(
    Annotated[Union[_ALL], Field(discriminator="type")]  # noqa: UP007
)


def frame_json_schema() -> dict[str, object]:
    """The JSON Schema of every frame (what ``tests/js/fixtures/schema.json`` holds)."""
    return FRAME.json_schema(mode="serialization")
