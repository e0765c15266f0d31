"""Request body limits: 1 MiB for everything, a file's worth for the two upload routes.

The upload routes are built elsewhere; here a stand-in app behind the real middleware reads
multipart bodies the way FastAPI does, so the limit is proven independently of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import httpx
import pytest
from fastapi import FastAPI, UploadFile

from minimost.app import MAX_JSON_BODY, create_app
from minimost.config import Settings
from minimost.web import errors
from minimost.web.middleware import MULTIPART_OVERHEAD, BodyLimit, upload_allowances
from tests.conftest import make_settings
from tests.web.helpers import assert_error

MIB = 1024 * 1024


def stand_in(settings: Settings) -> FastAPI:
    """Upload-shaped routes behind BodyLimit wired exactly as create_app wires it."""
    app = FastAPI()
    errors.install(app)

    async def receive_file(file: UploadFile) -> dict[str, int]:
        return {"size": len(await file.read())}

    app.add_api_route("/api/v1/files", receive_file, methods=["POST"])
    app.add_api_route("/api/v1/me/avatar", receive_file, methods=["PUT"])
    app.add_api_route("/api/v1/files/other", receive_file, methods=["POST"])
    app.add_middleware(BodyLimit, max_bytes=MAX_JSON_BODY, allowances=upload_allowances(settings))
    return app


@pytest.fixture
async def client(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path, max_upload_size_mb=3, max_avatar_size_mb=2)
    transport = httpx.ASGITransport(app=stand_in(settings))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        yield c


def upload(size: int) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("blob.bin", b"x" * size, "application/octet-stream")}


async def chunks(total: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A well-formed multipart start, then a file part that goes on past ``total`` bytes."""
    head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    yield head
    sent = len(head)
    while sent < total:
        yield b"x" * min(chunk, total - sent)
        sent += chunk


async def test_a_full_size_file_fits_through_the_upload_routes(client):
    response = await client.post("/api/v1/files", files=upload(3 * MIB))
    assert response.status_code == 200, response.text
    assert response.json() == {"size": 3 * MIB}
    response = await client.put("/api/v1/me/avatar", files=upload(2 * MIB))
    assert response.status_code == 200, response.text


async def test_over_the_allowance_is_413_by_content_length(client):
    response = await client.post("/api/v1/files", files=upload(3 * MIB + MULTIPART_OVERHEAD))
    error = assert_error(response, 413, "file_too_large")
    assert str((3 * MIB + MULTIPART_OVERHEAD) // 1024) in error["message"]
    response = await client.put("/api/v1/me/avatar", files=upload(2 * MIB + MULTIPART_OVERHEAD))
    assert_error(response, 413, "file_too_large")


async def test_over_the_allowance_is_413_while_streaming(client):
    # No Content-Length (chunked): the middleware counts what the app reads.
    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    response = await client.post(
        "/api/v1/files", content=chunks(3 * MIB + MULTIPART_OVERHEAD + 1), headers=headers
    )
    assert_error(response, 413, "file_too_large")


async def test_other_routes_and_methods_keep_the_json_limit(client):
    # Only the exact (method, path) pairs get the allowance.
    for method, url in (("POST", "/api/v1/files/other"), ("PUT", "/api/v1/files")):
        response = await client.request(method, url, files=upload(MAX_JSON_BODY))
        assert_error(response, 413, "payload_too_large")
    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    response = await client.post(
        "/api/v1/files/other", content=chunks(MAX_JSON_BODY + 1), headers=headers
    )
    assert_error(response, 413, "payload_too_large")


def test_create_app_wires_the_allowances_from_settings(tmp_path):
    settings = make_settings(tmp_path, max_upload_size_mb=7, max_avatar_size_mb=1)
    app = create_app(settings)
    (limit,) = [m for m in app.user_middleware if cast(object, m.cls) is BodyLimit]
    assert limit.kwargs["max_bytes"] == MAX_JSON_BODY
    assert limit.kwargs["allowances"] == {
        ("POST", "/api/v1/files"): 7 * MIB + MULTIPART_OVERHEAD,
        ("PUT", "/api/v1/me/avatar"): 1 * MIB + MULTIPART_OVERHEAD,
    }
