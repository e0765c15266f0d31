"""An unexpected exception, wherever it is raised, gives a 500 with the JSON error body and
one log line naming the error and where it happened; never a traceback on the console (the
traceback is logged at DEBUG only) and never a dropped connection without an answer.

Real uvicorn (in-process), since the traceback we must not print would be uvicorn's."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, WebSocket
from fastapi.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.conftest import make_settings
from tests.live import InProcessServer, closed, serve_app, ws_connect, ws_of


class Boom(RuntimeError):
    pass


class RaisingMiddleware:
    """A pure ASGI middleware that fails for one path, before the app sees the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/test/middleware-boom":
            raise Boom("middleware failed")
        await self.app(scope, receive, send)


def add_faulty_routes(app: FastAPI) -> None:
    @app.get("/test/boom")
    async def boom() -> None:
        raise Boom("route failed")

    @app.get("/test/stream-boom")
    async def stream_boom() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first chunk\n"
            raise Boom("stream failed")

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.websocket("/test/ws-boom")
    async def ws_boom(websocket: WebSocket) -> None:
        await websocket.accept()
        raise Boom("socket failed")

    app.add_middleware(RaisingMiddleware)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[InProcessServer]:
    async with serve_app(make_settings(tmp_path / "data", tls=False), add_faulty_routes) as live:
        yield live


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def console(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What a server at the default level (INFO) prints."""
    return [r for r in caplog.records if r.levelno >= logging.INFO]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    for record in console(caplog):
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage(), record.getMessage()


def assert_json_500(response: httpx.Response) -> str:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    match = re.fullmatch(r"internal error \(reference ([0-9a-f]+)\)", error["message"])
    assert match, error
    return match.group(1)


@pytest.mark.parametrize("path", ["/test/boom", "/test/middleware-boom"])
async def test_an_exception_gives_500_json_and_one_log_line(
    server: InProcessServer, logs: pytest.LogCaptureFixture, path: str
) -> None:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as client:
        ref = assert_json_500(await client.get(path))
        # The connection is still good for the next request.
        assert (await client.get("/healthz")).status_code == 200
    assert_no_traceback(logs)
    lines = [r.getMessage() for r in console(logs) if r.levelno >= logging.ERROR]
    assert len(lines) == 1, lines
    assert ref in lines[0] and "Boom" in lines[0] and "failed" in lines[0]
    assert "test_unexpected_errors.py" in lines[0]  # where it happened, without a traceback


async def test_a_stream_that_fails_midway_is_cut_off_not_completed(
    server: InProcessServer, logs: pytest.LogCaptureFixture
) -> None:
    # The status line is already out: the honest answer left is to end the connection
    # without a proper end of body, so the client cannot take a truncated body as whole.
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/test/stream-boom")
    assert_no_traceback(logs)
    errors = [r.getMessage() for r in console(logs) if r.levelno >= logging.ERROR]
    assert any("stream failed" in line for line in errors), errors


async def test_a_socket_handler_that_fails_closes_with_1011(
    server: InProcessServer, logs: pytest.LogCaptureFixture
) -> None:
    async with ws_connect(ws_of(server.url) + "/test/ws-boom") as ws:
        result = await closed(ws)
    assert result.code == 1011
    assert_no_traceback(logs)
