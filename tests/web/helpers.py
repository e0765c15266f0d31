"""Assertions and probes shared by the web tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import func, select

from minimost.db.models import Event, Message

API = "/api/v1"


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is our JSON error shape with ``status`` (and ``code`` when given)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error = response.json()["error"]
    assert isinstance(error["code"], str), error
    assert isinstance(error["message"], str), error
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


def anonymous(app: FastAPI, ip: str = "203.0.113.7") -> httpx.AsyncClient:
    """A client without credentials, from ``ip``."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 50000)),
        base_url="https://testserver",
    )


def bearer_client(app: FastAPI, token: str) -> httpx.AsyncClient:
    client = anonymous(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@dataclass(frozen=True)
class LoggedEvent:
    type: str
    conversation_id: int | None
    user_id: int | None
    data: dict[str, Any]


class EventLog:
    """The ``events`` rows written since ``begin()``: ``log = await EventLog.begin(app)``."""

    def __init__(self, app: FastAPI, mark: int) -> None:
        self.db = app.state.minimost.ctx.db
        self.mark = mark

    @classmethod
    async def begin(cls, app: FastAPI) -> EventLog:
        db = app.state.minimost.ctx.db
        async with db.read() as conn:
            mark = int(await conn.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)
        return cls(app, mark)

    async def new(self) -> list[LoggedEvent]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(Event.type, Event.conversation_id, Event.user_id, Event.payload)
                    .where(Event.id > self.mark)
                    .order_by(Event.id)
                )
            ).all()
        return [
            LoggedEvent(r.type, r.conversation_id, r.user_id, orjson.loads(r.payload)) for r in rows
        ]

    async def types(self) -> list[str]:
        return [e.type for e in await self.new()]


async def message_count(app: FastAPI) -> int:
    async with app.state.minimost.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Message)) or 0)
