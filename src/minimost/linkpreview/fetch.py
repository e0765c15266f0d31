"""A guarded HTTP(S) GET for link previews: the SSRF defence lives here.

Why not a plain HTTP client: a client that resolves the host name itself lets an attacker's
DNS answer a public address when we check and ``127.0.0.1`` when it connects (DNS
rebinding). So this module resolves the name once (``loop.getaddrinfo``), checks *every*
address it got (``addresses.refusal``; one bad address refuses the whole name), and then
opens the TCP connection to an address it checked, by IP, with
``asyncio.open_connection(ip, port, ssl=..., server_hostname=host)``: the Host header, TLS
SNI and certificate verification still use the host name. HTTP/1.1 is spoken with h11
(already installed with uvicorn), which keeps the socket in our hands; httpx would need a
custom network backend to do the same.

Every redirect (at most ``max_redirects``) goes through the same checks again. The whole
fetch is capped in time and in bytes read; only the content types the caller ``Want``s are
accepted (``HTML``: ``text/html`` and XHTML, truncated at ``max_bytes``; ``IMAGE``: PNG, JPEG,
GIF and WebP, refused past ``max_image_bytes``), with no content encoding; only the ports in
``Policy.ports`` (80 and 443) may be contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import quote, urljoin, urlsplit

import h11

from .addresses import Address, refusal

USER_AGENT = "MiniMost-LinkPreview/1.0 (+https://github.com/SamuelDonovan/minimost)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Resolver = Callable[[str, int], Awaitable[list[str]]]
Opener = Callable[
    [str, int, ssl.SSLContext | None, str | None],
    Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
]


class Refused(Exception):
    """The fetch was refused or failed; ``str(exc)`` says why (for logs and tests)."""


@dataclass(frozen=True, slots=True)
class Policy:
    allow_private: bool = False
    ports: frozenset[int] = frozenset({80, 443})
    max_redirects: int = 3
    max_bytes: int = 512 * 1024
    # A preview's og:image: the original is re-encoded to a small thumbnail, so anything
    # bigger than a generous photo is not worth the bandwidth.
    max_image_bytes: int = 2 * 1024 * 1024
    timeout: float = 5.0
    # Test-only override hook: lets the tests fetch from a server on 127.0.0.1. No setting
    # maps to it, so a deployment cannot turn it on.
    unsafe_allow_loopback: bool = False


@dataclass(frozen=True, slots=True)
class Want:
    """What one fetch accepts, and what happens past its byte cap."""

    types: frozenset[str]
    accept: str  # the Accept header
    image: bool  # cap: Policy.max_image_bytes, refused when over; else max_bytes, truncated

    def cap(self, policy: Policy) -> int:
        return policy.max_image_bytes if self.image else policy.max_bytes


HTML = Want(HTML_TYPES, "text/html,application/xhtml+xml;q=0.9", image=False)
IMAGE = Want(IMAGE_TYPES, "image/webp,image/png,image/jpeg,image/gif;q=0.9", image=True)


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # after redirects
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


async def open_tcp(
    ip: str, port: int, tls: ssl.SSLContext | None, server_hostname: str | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(
        ip, port, ssl=tls, server_hostname=server_hostname if tls is not None else None
    )


@dataclass
class GuardedFetcher:
    policy: Policy = field(default_factory=Policy)
    resolver: Resolver = system_resolver
    opener: Opener = open_tcp
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    def check_address(self, address: Address) -> str | None:
        if self.policy.unsafe_allow_loopback and address.is_loopback:
            return None
        return refusal(address, allow_private=self.policy.allow_private)

    async def fetch(self, url: str, want: Want = HTML, *, budget: float | None = None) -> Page:
        """GET ``url`` (following safe redirects); raise ``Refused`` on any violation.

        ``budget`` (seconds, at most ``policy.timeout``) lets a caller spend what is left of
        the time shared by several fetches (a page, then its image)."""
        limit = self.policy.timeout if budget is None else min(budget, self.policy.timeout)
        if limit <= 0:
            raise Refused("no time left")
        try:
            async with asyncio.timeout(limit):
                for _ in range(self.policy.max_redirects + 1):
                    page_or_next = await self._fetch_once(url, want)
                    if isinstance(page_or_next, Page):
                        return page_or_next
                    url = page_or_next
                raise Refused("too many redirects")
        except TimeoutError:
            raise Refused(f"timed out after {limit:g}s") from None
        except (OSError, ssl.SSLError, h11.ProtocolError, UnicodeError) as exc:
            raise Refused(f"{type(exc).__name__}: {exc}") from None

    def _target(self, url: str) -> tuple[str, str, int, str]:
        """(scheme, idna host, port, request target), or Refused."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise Refused(f"scheme {parts.scheme!r} not allowed")
        if parts.username is not None or parts.password is not None:
            raise Refused("credentials in URL")
        host = parts.hostname
        if not host:
            raise Refused("no host")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Refused("bad port") from None
        if port not in self.policy.ports:
            raise Refused(f"port {port} not allowed")
        try:
            ip_address(host)
        except ValueError:
            host = host.encode("idna").decode("ascii")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # Non-ASCII and spaces percent-encoded; existing escapes kept. The fragment stays home.
        return parts.scheme, host, port, quote(target, safe="!$%&'()*+,/:;=?@[]~")

    async def _connect(
        self, scheme: str, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            literal: Address | None = ip_address(host)
        except ValueError:
            literal = None
        raw = [host] if literal is not None else await self.resolver(host, port)
        if not raw:
            raise Refused(f"{host} has no address")
        checked: list[str] = []
        for text in raw:
            address = ip_address(text)
            reason = self.check_address(address)
            if reason is not None:
                # One bad answer refuses the name: an attacker's DNS could pick either.
                raise Refused(f"{host} resolves to {address}: {reason}")
            checked.append(str(address))
        tls = self.tls if scheme == "https" else None
        last: OSError | None = None
        for ip in checked:  # only ever an address that passed the check above
            try:
                return await self.opener(ip, port, tls, host)
            except OSError as exc:
                last = exc
        raise Refused(f"could not connect to {host}: {last}")

    async def _fetch_once(self, url: str, want: Want) -> Page | str:
        """The page, or the next URL to follow."""
        scheme, host, port, target = self._target(url)
        default_port = 443 if scheme == "https" else 80
        host_header = host if ":" not in host else f"[{host}]"
        if port != default_port:
            host_header += f":{port}"
        reader, writer = await self._connect(scheme, host, port)
        try:
            conn = h11.Connection(h11.CLIENT)
            request = h11.Request(
                method="GET",
                target=target.encode("ascii"),
                headers=[
                    ("Host", host_header),
                    ("User-Agent", USER_AGENT),
                    ("Accept", want.accept),
                    ("Accept-Encoding", "identity"),
                    ("Connection", "close"),
                ],
            )
            writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
            await writer.drain()
            return await self._read(conn, reader, url, want)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    async def _next_event(self, conn: h11.Connection, reader: asyncio.StreamReader) -> object:
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            conn.receive_data(await reader.read(65536))

    async def _read(
        self, conn: h11.Connection, reader: asyncio.StreamReader, url: str, want: Want
    ) -> Page | str:
        response = await self._next_event(conn, reader)
        while isinstance(response, h11.InformationalResponse):
            response = await self._next_event(conn, reader)
        if not isinstance(response, h11.Response):
            raise Refused("no response")
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in response.headers
        }
        if response.status_code in _REDIRECTS:
            location = headers.get("location")
            if not location:
                raise Refused("redirect without a location")
            return urljoin(url, location.strip())
        if response.status_code != 200:
            raise Refused(f"status {response.status_code}")
        mime, _, params = headers.get("content-type", "").partition(";")
        mime = mime.strip().lower()
        if mime not in want.types:
            kind = "an image we show" if want.image else "HTML"
            raise Refused(f"content type {mime or 'missing'!r} is not {kind}")
        if headers.get("content-encoding", "identity").strip().lower() != "identity":
            raise Refused("compressed body")
        charset = None
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip("\"'")
        cap = want.cap(self.policy)
        declared = headers.get("content-length", "").strip()
        if want.image and declared.isdigit() and int(declared) > cap:
            raise Refused(f"image of {declared} bytes is over the {cap} byte cap")
        body = bytearray()
        truncated = False
        while True:
            event = await self._next_event(conn, reader)
            if isinstance(event, h11.Data):
                body += event.data
                if want.image:
                    if len(body) > cap:  # half an image is no image: refuse, never truncate
                        raise Refused(f"image over the {cap} byte cap")
                    continue
                if len(body) >= cap:
                    del body[cap:]
                    truncated = True
                    break
                if b"</head>" in body[-len(event.data) - 7 :].lower():
                    break  # the metadata we want is all in <head>
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        return Page(url, mime, charset, bytes(body), truncated)
