"""Connection-level guards in front of uvicorn's HTTP parsers, before any authentication.

* **Bounded request heads.** Bytes are scanned *before* the parser sees them: a line (the
  request line or one header) longer than ``max_line`` or a head longer than ``max_head``
  is answered 414 / 431 and the connection closed. Neither parser bounds this itself:
  httptools accepts any size (and joins a long header's pieces by repeated concatenation,
  so a 100 MiB header costs seconds of CPU); h11 only bounds a head that arrives in pieces.
* **Slowloris.** A connection that has not sent a complete request head ``head_timeout``
  seconds after it opened (or after the first byte of a later request on it) gets 408
  and is closed; one that sent nothing at all is just closed (an idle pre-connect).
* **Connections per client address** (IPv6 per /64) while they speak HTTP (a WebSocket, once upgraded, is
  authenticated and capped per user instead). Loopback is exempt by default: a reverse proxy
  and the benchmarks connect from there. The excess gets 429 and is closed.
* **Our error shape** for every answer given here, including uvicorn's own 400 for a
  request it cannot parse: ``{"error": {"code", "message"}}`` like web/errors.py.

The parser only ever receives whole heads that passed the checks, then exactly the body the
head announced (``Content-Length``). A body of unknown length (``Transfer-Encoding``) is
passed through as it comes and the connection is closed after that response, so no later
head on it goes unscanned.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from minimost.ratelimit import ip_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    max_line: int = 16 * 1024  # the request line or one header line, with its line end
    max_head: int = 64 * 1024  # request line + headers
    head_timeout: float = 10.0  # seconds to send a complete request head
    max_per_ip: int = 256  # concurrent HTTP connections per client address; 0: no cap
    exempt: tuple[str, ...] = ("127.0.0.1", "::1")  # addresses or networks without a cap

    def is_exempt(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in self.exempt)


class HeadTooLarge(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    414: b"URI Too Long",
    429: b"Too Many Requests",
    431: b"Request Header Fields Too Large",
}


def error_bytes(status: int, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response with our JSON error body; the connection closes after."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        b"HTTP/1.1 %d %s\r\n"
        b"content-type: application/json\r\n"
        b"content-length: %d\r\n"
        b"cache-control: no-store\r\n"
        b"x-content-type-options: nosniff\r\n"
        b"connection: close\r\n\r\n"
    ) % (status, REASONS[status], len(body))
    return head + body


@dataclass
class HeadScanner:
    """Finds the end of one request head across reads and enforces the limits."""

    limits: ConnectionLimits
    head: bytearray = field(default_factory=bytearray)
    line_start: int = 0  # offset in ``head`` of the line being read
    lines: int = 0  # non-empty lines seen

    @property
    def started(self) -> bool:
        return bool(self.head)

    def feed(self, data: bytes) -> int | None:
        """How many bytes of ``data`` complete the head, or None if all of it belongs to
        a head that continues. Raises ``HeadTooLarge``."""
        pos = 0
        while pos < len(data):
            newline = data.find(b"\n", pos)
            end = len(data) if newline == -1 else newline + 1
            self._check(len(self.head) - self.line_start + end - pos, len(self.head) + end - pos)
            self.head += data[pos:end]
            pos = end
            if newline == -1:
                return None
            line = self.head[self.line_start :]
            self.line_start = len(self.head)
            if line.rstrip(b"\r\n"):
                self.lines += 1
            elif self.lines:
                return pos  # the empty line after the headers
        return None

    def _check(self, line: int, total: int) -> None:
        if line > self.limits.max_line:
            if self.lines == 0:
                raise HeadTooLarge(414, "uri_too_long", "the request line is too long")
            raise HeadTooLarge(431, "header_too_large", "a request header is too large")
        if total > self.limits.max_head:
            raise HeadTooLarge(431, "headers_too_large", "the request headers are too large")

    def body_length(self) -> int | None:
        """The body size the head announces (0 without one); None when only the parser
        can tell (``Transfer-Encoding``, or a ``Content-Length`` that is not one number)."""
        lengths: list[bytes] = []
        for raw in bytes(self.head).split(b"\n")[1:]:
            name, colon, value = raw.partition(b":")
            name = name.strip().lower()
            if not colon:
                continue
            if name == b"transfer-encoding":
                return None
            if name == b"content-length":
                lengths.append(value.strip())
        if not lengths:
            return 0
        if len(lengths) > 1 or not lengths[0].isdigit():
            return None
        return int(lengths[0])


class _PerIp:
    def __init__(self) -> None:
        self.open: Counter[str] = Counter()
        self.warned: set[str] = set()


# One tally per server (uvicorn's ServerState), shared by all its connections.
_TALLIES: weakref.WeakKeyDictionary[ServerState, _PerIp] = weakref.WeakKeyDictionary()

HEAD, BODY, OPAQUE, DONE = "head", "body", "opaque", "done"


class GuardMixin:
    """The guards, for uvicorn's HttpToolsProtocol and H11Protocol (see the module doc).

    Relies on their attributes: ``config``, ``server_state``, ``transport``, ``client``,
    ``cycle``, ``loop``; and on their ``data_received``/``connection_made``/..."""

    config: Any
    server_state: ServerState
    transport: asyncio.Transport
    client: tuple[str, int] | None
    cycle: Any
    loop: asyncio.AbstractEventLoop

    def _guard_init(self) -> None:
        self._limits: ConnectionLimits = getattr(self.config, "limits", ConnectionLimits())
        self._scanner = HeadScanner(self._limits)
        self._state = HEAD
        self._body_left = 0
        self._counted_ip: str | None = None
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._pending: tuple[int, str, str] | None = None  # an answer after earlier ones

    # --- connection ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._guard_init()
        super().connection_made(transport)  # type: ignore[misc]
        ip = self.client[0] if self.client else None
        limits = self._limits
        if ip is not None and limits.max_per_ip > 0 and not limits.is_exempt(ip):
            key = ip_key(ip)  # IPv6 per /64, like the rate limits
            tally = _TALLIES.setdefault(self.server_state, _PerIp())
            if tally.open[key] >= limits.max_per_ip:
                if key not in tally.warned:
                    tally.warned.add(key)
                    log.warning("%s has %d connections open: refusing more", key, tally.open[key])
                self._refused = True
                self._answer(429, "too_many_connections", "too many connections from your address")
                return
            tally.open[key] += 1
            self._counted_ip = key
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        super().connection_lost(exc)  # type: ignore[misc]

    def _release(self) -> None:
        self._cancel_head_timer()
        ip, self._counted_ip = self._counted_ip, None
        tally = _TALLIES.get(self.server_state)
        if ip is None or tally is None:
            return
        tally.open[ip] -= 1
        if tally.open[ip] <= 0:
            del tally.open[ip]
        if tally.open[ip] < self._limits.max_per_ip:
            tally.warned.discard(ip)

    def handle_websocket_upgrade(self, *args: Any) -> None:
        # From here the socket belongs to the WebSocket protocol (and the per-user cap).
        self._release()
        super().handle_websocket_upgrade(*args)  # type: ignore[misc]

    # --- data -----------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        while data and not self._refused and not self._left():
            if self._state == HEAD:
                data = self._head_bytes(data)
            elif self._state == BODY:
                piece, data = data[: self._body_left], data[self._body_left :]
                self._body_left -= len(piece)
                if self._body_left == 0:
                    self._state = HEAD
                super().data_received(piece)  # type: ignore[misc]
            elif self._state == OPAQUE:
                super().data_received(data)  # type: ignore[misc]
                data = b""
                if self.cycle is not None and not self.cycle.more_body:
                    self._state = DONE  # closes after this response; nothing more is read
            else:
                return

    def _head_bytes(self, data: bytes) -> bytes:
        if not self._scanner.started and self._head_timer is None:
            self._arm_head_timer()  # the first byte of a later request on this connection
        try:
            end = self._scanner.feed(data)
        except HeadTooLarge as exc:
            self._fail(exc.status, exc.code, exc.message)
            return b""
        if end is None:
            super().data_received(data)  # type: ignore[misc]
            return b""
        self._cancel_head_timer()
        length = self._scanner.body_length()
        self._scanner = HeadScanner(self._limits)
        if length is None:
            self._state = OPAQUE
        elif length:
            self._state, self._body_left = BODY, length
        super().data_received(data[:end])  # type: ignore[misc]
        if length is None and self.cycle is not None and not self._left():
            self.cycle.keep_alive = False
        return data[end:]

    def _left(self) -> bool:
        """The connection is closing, or upgraded (the transport has another protocol)."""
        transport = self.transport
        protocol: object = transport.get_protocol()
        return transport.is_closing() or protocol is not self

    # --- answers ------------------------------------------------------------------------
    def _fail(self, status: int, code: str, message: str) -> None:
        """Answer with an error and close, after any responses still owed to earlier
        (pipelined) requests on this connection; nothing more is read."""
        self._state = DONE
        self._cancel_head_timer()
        if self._busy():
            self._pending = (status, code, message)
        else:
            self._answer(status, code, message)

    def _busy(self) -> bool:
        # ``cycle`` is the newest request's; it finishes after any queued before it.
        return self.cycle is not None and not self.cycle.response_complete

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self._pending is not None and not self._busy():
            pending, self._pending = self._pending, None
            self._answer(*pending)

    def _answer(self, status: int, code: str, message: str) -> None:
        self._cancel_head_timer()
        if not self.transport.is_closing():
            self.transport.write(error_bytes(status, code, message))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._answer(400, "bad_request", "the request is not valid HTTP")

    # --- slowloris ----------------------------------------------------------------------
    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self._limits.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self._state != HEAD:
            return
        if self._scanner.started:
            self._fail(408, "request_timeout", "the request head took too long to arrive")
        else:
            self.transport.close()  # an idle connection that never asked for anything


class GuardedH11(GuardMixin, H11Protocol):
    """h11 (uvicorn's fallback) behind the guards."""


PROTOCOLS: dict[str, type[asyncio.Protocol]] = {"h11": GuardedH11}
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpTools(GuardMixin, HttpToolsProtocol):
        """httptools (uvicorn's default when installed) behind the guards."""

    PROTOCOLS["httptools"] = GuardedHttpTools
except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
    pass


def protocol_class(parser: str) -> type[asyncio.Protocol]:
    """``auto`` is uvicorn's choice: httptools when it is installed, else h11."""
    if parser == "auto":
        return PROTOCOLS.get("httptools", GuardedH11)
    if parser not in PROTOCOLS:
        raise ValueError(f"the {parser} HTTP parser is not installed")
    return PROTOCOLS[parser]


class GuardedConfig(uvicorn.Config):
    """uvicorn's Config carrying our ``ConnectionLimits`` to the protocols (and, pickled,
    to ``--workers`` children)."""

    def __init__(self, app: Any, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        self.limits = limits
        super().__init__(app, **kwargs)
