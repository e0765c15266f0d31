"""Pure-ASGI middleware (cheap on the hot path): security headers and request body limits."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from ipaddress import ip_address

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minimost.config import Settings

from .errors import error_response

# No inline script or style anywhere. ``data:``/``blob:`` images and ``blob:`` media are for
# avatars, thumbnails and local call previews. ``connect-src 'self'`` covers our own wss://
# socket (CSP Level 3 matches ws/wss against 'self'); WebRTC peer connections are not governed
# by connect-src, so calls need nothing broader (a bare ``wss:`` would allow any host).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Calls need camera, microphone and screen sharing from our own origin only; the rest is off.
# (No ``interest-cohort``: FLoC is gone and Chrome logs the unknown name as an error.)
PERMISSIONS = (
    "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"
)


@lru_cache(maxsize=256)
def is_loopback_host(host: bytes) -> bool:
    """``Host`` names this machine only: ``localhost`` (and ``*.localhost``, RFC 6761),
    127.0.0.0/8 or ::1, with or without a port."""
    name = host.decode("latin-1").strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


class SecurityHeaders:
    """The security headers on every response. HSTS (with our own TLS) is left out for
    loopback hosts: browsers remember it per host name for every port, so sent for
    ``localhost`` it would turn every other development server there into an error page."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", PERMISSIONS.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]
        self.headers = headers
        self.headers_hsts = [*headers, (b"strict-transport-security", b"max-age=31536000")]
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        headers = self.headers
        if self.hsts:
            host = next((value for name, value in scope["headers"] if name == b"host"), b"")
            headers = self.headers if is_loopback_host(host) else self.headers_hsts

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in headers if h[0] not in existing]
                if static and b"cache-control" not in existing:
                    # Revalidate with the ETag every time: a no-build front end has no
                    # content-hashed names, and a stale module after an upgrade breaks the app.
                    extra.append((b"cache-control", b"no-cache"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Multipart framing (boundaries, part headers, the other form fields) on top of the file.
MULTIPART_OVERHEAD = 64 * 1024
MIB = 1024 * 1024


def upload_allowances(settings: Settings) -> dict[tuple[str, str], int]:
    """The two upload routes may carry a whole file: ``max_upload_size_mb`` for
    ``POST /api/v1/files`` and ``max_avatar_size_mb`` for ``PUT /api/v1/me/avatar``, plus
    multipart overhead. This is only the outer bound that keeps a stranger from streaming
    gigabytes at us; the upload route itself enforces the exact per-file limit."""
    return {
        ("POST", "/api/v1/files"): settings.max_upload_size_mb * MIB + MULTIPART_OVERHEAD,
        ("PUT", "/api/v1/me/avatar"): settings.max_avatar_size_mb * MIB + MULTIPART_OVERHEAD,
    }


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, by Content-Length or while streaming.

    ``allowances`` raises the limit for exact ``(method, path)`` pairs (see
    ``upload_allowances``); every other request keeps ``max_bytes``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        allowances: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = dict(allowances or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.allowances.get((scope["method"], scope["path"]), self.max_bytes)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(scope, receive, send, limit)
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit, self._code(scope))
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send, limit)

    def _code(self, scope: Scope) -> str:
        # On the upload routes the body is the file: the same code as the route's own
        # per-file check, so a client handles "file too big" one way whoever caught it.
        upload = (scope["method"], scope["path"]) in self.allowances
        return "file_too_large" if upload else "payload_too_large"

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(413, self._code(scope), _too_large_message(limit))
        await response(scope, receive, send)


def _too_large_message(limit: int) -> str:
    return f"request body over {limit // 1024} KiB"


class _TooLarge(StarletteHTTPException):
    # An HTTPException so FastAPI's body parsing re-raises it as is (it turns other
    # exceptions into 400) and the normal handler renders the 413.
    def __init__(self, limit: int, code: str) -> None:
        super().__init__(413, _too_large_message(limit))
        self.code = code
