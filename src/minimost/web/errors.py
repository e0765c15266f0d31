"""Every failure becomes ``{"error": {"code", "message"}}`` with the right status; never a
stack trace. Unexpected exceptions are logged with a reference the user can quote.

An unexpected exception is logged in ONE line (reference, type, message, and the file and
line it came from); its traceback only at DEBUG. Starlette's ``ServerErrorMiddleware``
answers it (through ``_unexpected``) and then re-raises it "so servers can log it", which
would make uvicorn print the traceback: ``_Contained``, wrapped around the whole stack,
stops it there. It also answers what nothing inside answered (a WebSocket handler that
failed: close 1011). A response that already started (a stream that broke midway) cannot
become a 500: the server then ends the connection, so the client sees a cut-off body and
not a complete-looking one.
"""

from __future__ import annotations

import logging
import secrets
import sysconfig
import traceback
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minimost.domain import text
from minimost.domain.errors import (
    AccountLocked,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    StorageFull,
    TooLarge,
    Unauthenticated,
)
from minimost.web.responses import json_response

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    507: "insufficient_storage",
}


# The one place a domain error becomes an HTTP status: the most specific class in an
# error's MRO that is listed here wins (``InvalidEmoji`` is an ``Invalid``: 422). A new kind
# of error gets its row here; ``tests/web/test_error_statuses.py`` finds one without.
STATUSES: dict[type[DomainError], int] = {
    DomainError: 400,
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    AccountLocked: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    StorageFull: 507,
}


def status_of(exc: DomainError) -> int:
    return next(STATUSES[cls] for cls in type(exc).__mro__ if cls in STATUSES)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, str | dict[str, str]] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return json_response({"error": body}, status, headers)


def _field_name(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _domain(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = None
    if isinstance(exc, RateLimited | AccountLocked):
        headers = {"Retry-After": str(exc.retry_after)}
    fields = exc.fields if isinstance(exc, Invalid) else None
    return error_response(status_of(exc), exc.code, exc.message, fields=fields, headers=headers)


async def _storage_full(request: Request, exc: Exception) -> Response:
    """507: the write found no space (the domain says so with ``StorageFull``). Marks the
    app not ready (``/readyz``) until a probe write succeeds; logged once per episode."""
    assert isinstance(exc, StorageFull)
    state = request.app.state.minimost
    if not state.storage_full:
        state.storage_full = True
        cause = exc.__cause__
        log.warning(
            "no storage space left (%s %s: %s); answering 507 and not ready until writes work",
            request.method, request.url.path, (str(cause).splitlines() or [""])[0][:300],
        )  # fmt: skip
    return error_response(status_of(exc), exc.code, exc.message)


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    fields: dict[str, str] = {}
    for err in errors:
        fields.setdefault(_field_name(tuple(err.get("loc", ()))), str(err.get("msg", "invalid")))
    if any(e.get("type") == text.CODE for e in errors):
        # Its own code: no rewording of the text makes such a request valid, only removing
        # the characters (``domain.text``); ``fields`` still says which input has them.
        return error_response(422, text.CODE, text.InvalidCharacters.MESSAGE, fields=fields)
    return error_response(422, "validation_error", "invalid request", fields=fields)


# In the order Allow lists them.
PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 names only the first
    matching route's methods, and FastAPI has one route per method, so ``DELETE
    /messages/1`` would be told ``Allow: GET``. (Mounts match any method: static files
    answer their own 405, whose Allow is kept.)"""
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = []
    for method in PROBED_METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's wrapper for bodies it could not decode at all (e.g. not UTF-8).
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    # An exception may name its own stable code (e.g. the body limit's ``file_too_large``).
    code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "error")
    message = str(exc.detail) or code.replace("_", " ")
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := allowed_methods(request)):
        headers["Allow"] = ", ".join(allowed)
    return error_response(exc.status_code, code, message, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    ref = log_unexpected(exc, f"{request.method} {request.url.path}")
    return error_response(500, "internal_error", f"internal error (reference {ref})")


def log_unexpected(exc: BaseException, where: str) -> str:
    """One ERROR line for an unexpected exception (its traceback at DEBUG); returns the
    reference quoted to the client."""
    ref = secrets.token_hex(4)
    frame = _our_innermost_frame(exc)
    origin = f" at {frame.filename}:{frame.lineno} in {frame.name}" if frame else ""
    # The first line of the message only: database errors append the SQL and its parameters.
    message = (str(exc).splitlines() or [""])[0][:300]
    log.error(
        "unhandled error ref=%s in %s: %s: %s%s", ref, where, type(exc).__name__, message, origin
    )
    log.debug("traceback of ref=%s", ref, exc_info=exc)
    return ref


# Where an error surfaces in installed code (the standard library, SQLAlchemy) is rarely
# where it was caused: name the deepest frame of ours (this package, wherever installed,
# or code outside the installed libraries, such as a test).
_PACKAGE = str(Path(__file__).resolve().parent.parent)
_LIBRARIES = tuple(
    {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _our_innermost_frame(exc: BaseException) -> traceback.FrameSummary | None:
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if frame.filename.startswith(_PACKAGE) or not frame.filename.startswith(_LIBRARIES):
            return frame
    return frames[-1] if frames else None


class _Contained:
    """The outermost layer: no exception reaches the server (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        answered = False

        async def watching_send(message: Message) -> None:
            nonlocal answered
            if message["type"] in ("http.response.start", "websocket.close"):
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as exc:
            if scope["type"] == "http":
                if not answered:  # ServerErrorMiddleware always answers; this is a backstop
                    ref = log_unexpected(exc, f"{scope['method']} {scope['path']}")
                    response = error_response(
                        500, "internal_error", f"internal error (reference {ref})"
                    )
                    await response(scope, receive, send)
                # else: answered and logged by ``_unexpected`` already.
                return
            log_unexpected(exc, f"WebSocket {scope['path']}")
            if not answered:
                # 1011: the server met an unexpected condition (before the accept, the
                # server turns the close into an HTTP 403 for the handshake).
                try:
                    await send({"type": "websocket.close", "code": 1011, "reason": ""})
                except Exception as close_error:  # the socket is already gone
                    log.debug("could not close the socket: %s", close_error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(StorageFull, _storage_full)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
    build = app.build_middleware_stack

    def contained() -> ASGIApp:
        return _Contained(build())

    app.build_middleware_stack = contained  # type: ignore[method-assign]
