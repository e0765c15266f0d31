"""Every failure becomes ``{"error": {"code", "message"}}`` with the right status; never a
stack trace. Unexpected exceptions are logged with a reference the user can quote."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from minimost.domain.errors import AccountLocked, DomainError, Invalid, RateLimited
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
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return json_response({"error": body}, status, headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _domain(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = None
    if isinstance(exc, RateLimited | AccountLocked):
        headers = {"Retry-After": str(exc.retry_after)}
    fields = exc.fields if isinstance(exc, Invalid) else None
    return error_response(exc.status, exc.code, exc.message, fields=fields, headers=headers)


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    fields: dict[str, str] = {}
    for err in errors:
        fields.setdefault(_field_name(tuple(err.get("loc", ()))), str(err.get("msg", "invalid")))
    return error_response(422, "validation_error", "invalid request", fields=fields)


async def _http(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's wrapper for bodies it could not decode at all (e.g. not UTF-8).
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    # An exception may name its own stable code (e.g. the body limit's ``file_too_large``).
    code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "error")
    message = str(exc.detail) or code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _unexpected(_: Request, exc: Exception) -> Response:
    ref = secrets.token_hex(4)
    log.error("unhandled error ref=%s", ref, exc_info=exc)
    return error_response(500, "internal_error", f"internal error (reference {ref})")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
