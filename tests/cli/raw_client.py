"""Blocking raw-socket clients for the connection-level tests: they speak exactly the bytes a
test wants (a huge header, half a request head, a WebSocket that never finishes closing),
which no well-behaved client library will. Run them in a thread (``asyncio.to_thread``).

Every socket has a timeout: a server that fails to answer fails the test instead of
hanging it.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import struct
from dataclasses import dataclass
from typing import Any

TIMEOUT = 30.0  # a hang guard only: every wait below ends on a server action


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server closed the connection after the response

    def json(self) -> Any:
        return json.loads(self.body)


def open_socket(port: int, *, tls: bool = False) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context.wrap_socket(sock, server_hostname="127.0.0.1")
    return sock


def send_all_tolerant(sock: socket.socket, data: bytes) -> int:
    """Send as much as the server accepts; a server that answers early and closes stops it."""
    sent = 0
    view = memoryview(data)
    try:
        while sent < len(data):
            sent += sock.send(view[sent : sent + 65536])
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def read_until_closed(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


class ResponseReader:
    """Reads HTTP/1.1 responses (Content-Length bodies) off one socket, in order; bytes of
    a later (pipelined) response stay buffered for the next call."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _more(self) -> bytes:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return chunk

    def response(self) -> RawResponse:
        while b"\r\n\r\n" not in self.buffer:
            if not self._more():
                raise ConnectionError(f"closed before a complete response: {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length and self._more():
            pass
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        closed = headers.get("connection", "").lower() == "close"
        if closed:
            rest = self.buffer + read_until_closed(self.sock)
            assert rest == b"", f"bytes after a closing response: {rest[:200]!r}"
        return RawResponse(status, headers, body, closed)


def read_response(sock: socket.socket) -> RawResponse:
    """The one response expected on ``sock`` (see ``ResponseReader`` for several)."""
    return ResponseReader(sock).response()


def exchange(port: int, request: bytes) -> RawResponse:
    """Send ``request`` (as far as the server reads it) and read the one response."""
    with open_socket(port) as sock:
        send_all_tolerant(sock, request)
        return read_response(sock)


# --- a WebSocket that answers the server's close frame and then goes silent ------------


def _client_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed mid-frame")
        data += chunk
    return data


def _server_frame(sock: socket.socket) -> tuple[int, bytes]:
    first, second = _recv_exact(sock, 2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _recv_exact(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _recv_exact(sock, 8))
    return first & 0x0F, _recv_exact(sock, length)


class SilentWebSocket:
    """Like a browser: answers the server's close frame, then neither reads nor closes
    (so it never answers a TLS close_notify and never sends FIN)."""

    def __init__(self, port: int, cookie: str, *, tls: bool) -> None:
        self.sock = open_socket(port, tls=tls)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                "GET /api/v1/ws HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def first_frame_type(self) -> str:
        opcode, payload = _server_frame(self.sock)
        assert opcode == 1, opcode
        kind: str = json.loads(payload)["type"]
        return kind

    def close_code(self) -> int:
        """Wait for the server's close frame, answer it, and return its code."""
        while True:
            opcode, payload = _server_frame(self.sock)
            if opcode == 8:
                (code,) = struct.unpack("!H", payload[:2])
                self.sock.sendall(_client_frame(8, payload[:2]))
                return int(code)

    def close(self) -> None:
        self.sock.close()
