"""JSON responses encoded with orjson (fast, and datetimes never need a custom encoder).

Wire models (``minimost.wire``) inside ``data`` are spliced in as their own JSON, exactly as
their event carries them (``wire.models.encode``): the answer to a send is byte for byte the
``message.created`` payload, as it always was."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from minimost.wire.models import WireModel, encode


def _wire(value: object) -> orjson.Fragment:
    if isinstance(value, WireModel):
        return orjson.Fragment(encode(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(
    data: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(data, default=_wire),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
