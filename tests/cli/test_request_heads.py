"""Request heads are bounded before authentication, with either HTTP parser uvicorn runs.

Real sockets against a real ``minimost serve`` process. Reproducers (before the guard): one
request with a 64 MiB header was accepted (200), and four 100 MiB headers stalled /healthz
for 25 s on httptools; a connection that sent half a request head stayed open forever; a
request uvicorn could not parse got a text/plain 400.

No assertion is about time: a slow request head is shown to be answered with 408 (the
server's own timer fired) while /healthz keeps answering; every wait has a generous
deadline only so a broken server fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.raw_client import (
    RawResponse,
    ResponseReader,
    exchange,
    open_socket,
    read_response,
    read_until_closed,
    send_all_tolerant,
)
from tests.live import ServerProcess

pytestmark = pytest.mark.slow

PARSERS = ["httptools", "h11"]
KIB = 1024
MIB = 1024 * KIB


@pytest.fixture(scope="module", params=PARSERS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    parser = request.param
    live = ServerProcess(
        tmp_path_factory.mktemp(f"heads-{parser}"),
        settings={"http_parser": parser, "request_head_timeout_seconds": 1.0},
    )
    live.launch()
    try:
        live.wait_ready_sync()
        yield live
    finally:
        live.stop_sync()


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


def assert_error(response: RawResponse, status: int, code: str) -> None:
    assert response.status == status, response
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert response.closed


def healthz(server: ServerProcess) -> int:
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
        return client.get("/healthz").status_code


# --- sizes ------------------------------------------------------------------------------


def test_headers_below_the_limits_pass(server: ServerProcess) -> None:
    cookie = "Cookie: a=" + "x" * (15 * KIB)
    many = [f"X-Filler-{i}: " + "y" * (8 * KIB) for i in range(5)]
    response = exchange(server.port, get("/healthz", cookie, *many, "Connection: close"))
    assert response.status == 200, response


def test_a_64_mib_header_gets_431_and_the_connection_closes(server: ServerProcess) -> None:
    response = exchange(server.port, get("/healthz", "X-Big: " + "a" * (64 * MIB)))
    assert_error(response, 431, "header_too_large")


def test_many_headers_over_the_total_get_431(server: ServerProcess) -> None:
    many = [f"X-Filler-{i}: " + "y" * (10 * KIB) for i in range(8)]  # 80 KiB, each fine
    response = exchange(server.port, get("/healthz", *many))
    assert_error(response, 431, "headers_too_large")


def test_a_huge_request_line_gets_414(server: ServerProcess) -> None:
    response = exchange(server.port, get("/healthz?q=" + "a" * (1 * MIB)))
    assert_error(response, 414, "uri_too_long")


def test_a_header_arriving_in_small_pieces_is_bounded_too(server: ServerProcess) -> None:
    with open_socket(server.port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        for _ in range(64):
            sent = send_all_tolerant(sock, b"b" * 1024)
            if sent < 1024:
                break
        response = read_response(sock)
    assert_error(response, 431, "header_too_large")


async def test_healthz_answers_while_huge_headers_stream_in(server: ServerProcess) -> None:
    big = get("/healthz", "X-Big: " + "a" * (100 * MIB))
    senders = [asyncio.to_thread(exchange, server.port, big) for _ in range(4)]
    results = await asyncio.gather(*senders, asyncio.to_thread(healthz, server))
    for response in results[:4]:
        assert isinstance(response, RawResponse)
        assert_error(response, 431, "header_too_large")
    assert results[4] == 200


def test_pipelined_requests_are_each_checked(server: ServerProcess) -> None:
    body = b'{"username": "nobody", "password": "wrong"}'
    post = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with open_socket(server.port) as sock:
        sock.sendall(get("/healthz") + post + get("/healthz", "X-Big: " + "c" * (32 * KIB)))
        reader = ResponseReader(sock)
        first, second, third = (reader.response() for _ in range(3))
    assert first.status == 200
    assert second.status in (401, 403)  # the body was the POST's, not a head
    assert_error(third, 431, "header_too_large")


# --- malformed requests ---------------------------------------------------------------


def test_a_request_uvicorn_cannot_parse_gets_our_json_400(server: ServerProcess) -> None:
    response = exchange(server.port, b"THIS IS NOT HTTP\r\n\r\n")
    assert_error(response, 400, "bad_request")


# --- slowloris --------------------------------------------------------------------------


async def test_a_request_head_that_never_completes_gets_408(server: ServerProcess) -> None:
    def slow() -> RawResponse:
        with open_socket(server.port) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            return read_response(sock)  # the server's timer ends this, not ours

    loris = [asyncio.create_task(asyncio.to_thread(slow)) for _ in range(5)]
    assert await asyncio.to_thread(healthz, server) == 200  # answered meanwhile
    for response in await asyncio.gather(*loris):
        assert_error(response, 408, "request_timeout")


def test_trickling_bytes_do_not_keep_a_head_alive(server: ServerProcess) -> None:
    with open_socket(server.port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sock.settimeout(0.2)
        while True:  # one byte per 0.2 s: each one would reset a per-read timeout
            with contextlib.suppress(TimeoutError):
                if sock.recv(1, socket.MSG_PEEK):
                    break
            sock.sendall(b"z")
        sock.settimeout(30)
        response = read_response(sock)
    assert_error(response, 408, "request_timeout")


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    with open_socket(server.port) as sock:
        assert read_until_closed(sock) == b""


def test_a_keep_alive_connection_gets_the_head_timeout_per_request(server: ServerProcess) -> None:
    with open_socket(server.port) as sock:
        sock.sendall(get("/healthz"))
        assert read_response(sock).status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert_error(read_response(sock), 408, "request_timeout")


# --- connections per address ------------------------------------------------------------


@pytest.fixture(params=PARSERS)
def capped(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    live = ServerProcess(
        tmp_path,
        settings={
            "http_parser": request.param,
            "max_connections_per_ip": 3,
            "connection_cap_exempt": [],  # the test client is 127.0.0.1
        },
    )
    live.launch()
    try:
        live.wait_ready_sync()
        yield live
    finally:
        live.stop_sync()


def test_connections_over_the_per_address_cap_get_429(capped: ServerProcess) -> None:
    held = [open_socket(capped.port) for _ in range(3)]
    try:
        for sock in held:  # all three are served (and so are counted) first
            sock.sendall(get("/healthz"))
            assert read_response(sock).status == 200
        with open_socket(capped.port) as extra:
            assert_error(read_response(extra), 429, "too_many_connections")
        held.pop().close()
        # The server sees the close on its own time: poll (generous deadline) for a slot.
        for _ in range(300):
            with open_socket(capped.port) as again:
                again.sendall(get("/healthz", "Connection: close"))
                if read_response(again).status == 200:
                    break
        else:
            pytest.fail("a closed connection never freed its slot")
    finally:
        for sock in held:
            sock.close()


def test_loopback_is_exempt_by_default(server: ServerProcess) -> None:
    held = [open_socket(server.port) for _ in range(300)]  # over the default cap of 256
    try:
        held[-1].sendall(get("/healthz"))
        assert read_response(held[-1]).status == 200
    finally:
        for sock in held:
            sock.close()
