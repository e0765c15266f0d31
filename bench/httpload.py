"""A deliberately tiny HTTPS/1.1 keep-alive client for the load loops.

httpx is used for setup; the hot loops (acked sends, fan-out publishes) use this
client instead because it costs far less CPU per request, and the client side
shares the machine's two cores with the server under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from dataclasses import dataclass, field

import orjson


class HttpError(Exception):
    """The connection broke or the response could not be parsed."""


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


@dataclass
class RawHttpsClient:
    host: str
    port: int
    ssl_context: ssl.SSLContext
    server_hostname: str | None = None
    default_headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    reconnects: int = 0

    async def _ensure_open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.host,
                    self.port,
                    ssl=self.ssl_context,
                    server_hostname=self.server_hostname or self.host,
                    limit=1 << 20,
                ),
                self.timeout,
            )
            self.reconnects += 1
        assert self._reader is not None
        assert self._writer is not None
        return self._reader, self._writer

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers), self.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        except TimeoutError as exc:
            await self.close()
            raise HttpError("timeout") from exc

    async def _request(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None
    ) -> Response:
        reader, writer = await self._ensure_open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        merged = {**self.default_headers, **(headers or {})}
        if body or method in ("POST", "PUT", "PATCH"):
            merged.setdefault("Content-Type", "application/json")
            merged["Content-Length"] = str(len(body))
        lines.extend(f"{k}: {v}" for k, v in merged.items())
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"bad status line {status_line[:80]!r}")
        status = int(parts[1])
        length: int | None = None
        chunked = False
        close_after = parts[0] == b"HTTP/1.0"
        for raw in header_block.split(b"\r\n"):
            name, _, value = raw.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value.strip())
            elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif lname == b"connection" and b"close" in value.lower():
                close_after = True
        if chunked:
            data = bytearray()
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                data += await reader.readexactly(size)
                await reader.readexactly(2)
            payload = bytes(data)
        elif length is not None:
            payload = await reader.readexactly(length) if length else b""
        else:
            payload = await reader.read()
            close_after = True
        if close_after:
            await self.close()
        return Response(status, payload)


def message_body(text: str) -> bytes:
    return orjson.dumps({"text": text, "client_id": str(uuid.uuid4())})


@dataclass
class SendLoadResult:
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies_us: list[int] = field(default_factory=list)
    reconnects: int = 0

    def error(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1


async def send_loop(
    client: RawHttpsClient,
    path: str,
    start_at: float,
    stop_at: float,
    label: str,
    result: SendLoadResult,
    max_requests: int = 1_000_000,
) -> None:
    """POST messages back to back (each waits for its 201) between two wall-clock times."""
    delay = start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    for i in range(max_requests):
        if time.time() >= stop_at:
            break
        t0 = time.perf_counter_ns()
        try:
            resp = await client.request("POST", path, message_body(f"load {label} {i}"))
        except HttpError as exc:
            result.error(str(exc)[:80])
            await asyncio.sleep(0.05)
            continue
        if resp.status == 201:
            result.ok += 1
            result.latencies_us.append((time.perf_counter_ns() - t0) // 1000)
        else:
            result.error(f"HTTP {resp.status}: {resp.body[:60]!r}")
    result.reconnects += max(0, client.reconnects - 1)
