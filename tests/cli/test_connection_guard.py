"""The request-head scanner and the limits, without a server (the live tests are in
test_request_heads.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from minimost.cli.connection_guard import ConnectionLimits, HeadScanner, HeadTooLarge, error_bytes
from minimost.config import Settings

LIMITS = ConnectionLimits(max_line=64, max_head=256)


def test_the_head_ends_at_the_empty_line_across_reads() -> None:
    scanner = HeadScanner(LIMITS)
    assert scanner.feed(b"GET / HTTP/1.1\r\nHost: a\r") is None
    assert scanner.feed(b"\n\r\nBODY") == 3


def test_bare_line_feeds_and_leading_empty_lines_are_tolerated() -> None:
    scanner = HeadScanner(LIMITS)
    assert scanner.feed(b"\r\nGET / HTTP/1.1\nHost: a\n\nnext") == 26


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"GET /" + b"a" * 80, 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 80, 431, "header_too_large"),
        (
            b"GET / HTTP/1.1\r\n" + b"X: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" * 8,
            431,
            "headers_too_large",
        ),
    ],
)
def test_limits(data: bytes, status: int, code: str) -> None:
    with pytest.raises(HeadTooLarge) as caught:
        HeadScanner(LIMITS).feed(data)
    assert (caught.value.status, caught.value.code) == (status, code)


@pytest.mark.parametrize(
    ("headers", "length"),
    [
        (b"", 0),
        (b"Content-Length: 12\r\n", 12),
        (b"content-length:7\r\n", 7),
        (b"Transfer-Encoding: chunked\r\n", None),
        (b"Content-Length: 5\r\nContent-Length: 5\r\n", None),
        (b"Content-Length: 5, 5\r\n", None),
        (b"Content-Length: -1\r\n", None),
    ],
)
def test_body_length_is_known_only_when_unambiguous(headers: bytes, length: int | None) -> None:
    scanner = HeadScanner(ConnectionLimits())
    assert scanner.feed(b"POST / HTTP/1.1\r\nHost: a\r\n" + headers + b"\r\n") is not None
    assert scanner.body_length() == length


def test_exemptions_take_addresses_and_networks() -> None:
    limits = ConnectionLimits(exempt=("127.0.0.1", "10.0.0.0/8", "::1"))
    assert limits.is_exempt("127.0.0.1")
    assert limits.is_exempt("10.1.2.3")
    assert limits.is_exempt("::1")
    assert not limits.is_exempt("127.0.0.2")
    assert not limits.is_exempt("not an address")


def test_settings_refuse_a_bad_exemption() -> None:
    with pytest.raises(ValidationError):
        Settings(connection_cap_exempt=["localhost"])


def test_error_bytes_are_a_complete_json_response() -> None:
    raw = error_bytes(431, "header_too_large", "a request header is too large")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"content-length: %d" % len(body) in head
    assert (
        body
        == b'{"error": {"code": "header_too_large", "message": "a request header is too large"}}'
    )
