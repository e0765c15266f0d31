"""A tiny real HTTP server on 127.0.0.1 for the link preview tests: routes by path, and
records each request's Host header and path (so a test can see where a fetch went)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'>"
    b"<title>Plain title</title>"
    b'<meta property="og:title" content="The &amp; Title">'
    b'<meta property="og:description" content="  What the   page is about.  ">'
    b'<meta property="og:site_name" content="Example Site">'
    b'<meta property="og:image" content="http://127.0.0.1/img.png">'
    b"</head><body><p>body</p></body></html>"
)

Handler = Callable[[str, asyncio.StreamWriter], Awaitable[None]]


def response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if "Content-Length" not in headers:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


@dataclass
class LocalServer:
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)  # (host header, path)
    routes: dict[str, bytes | Handler] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            host = next(
                (ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("host:")), ""
            )
            self.requests.append((host, path))
            route = self.routes.get(path)
            if route is None:
                writer.write(response("404 Not Found", {"Content-Type": "text/plain"}, b"no"))
            elif isinstance(route, bytes):
                writer.write(route)
            else:
                await route(path, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def local_server(routes: dict[str, bytes | Handler]) -> AsyncIterator[LocalServer]:
    state = LocalServer(routes=routes)
    server = await asyncio.start_server(state._handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
