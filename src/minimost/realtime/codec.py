"""How a committed event travels on the bus: a routing header line, then the client frame."""

from __future__ import annotations

from minimost.domain.events import Published


def _opt(value: int | None) -> str:
    return "-" if value is None else str(value)


def encode(event: Published) -> bytes:
    header = f"{event.id} {event.type} {_opt(event.conversation_id)} {_opt(event.user_id)}\n"
    return (header + event.frame).encode()


def decode(message: bytes) -> Published:
    header, _, frame = message.decode().partition("\n")
    event_id, type_, conversation, user = header.split(" ")
    return Published(
        id=int(event_id),
        type=type_,
        conversation_id=None if conversation == "-" else int(conversation),
        user_id=None if user == "-" else int(user),
        frame=frame,
    )
