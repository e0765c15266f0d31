"""The domain speaks no HTTP: its errors carry a stable ``code`` and a meaning (the class);
``web/errors.py`` holds the one table from class to status. These tests pin the answers
(status, code, message, headers) so moving the statuses out of the domain changed none."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

import minimost
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
from minimost.domain.search.parse import InvalidQuery, QueryTooLong
from minimost.domain.text import InvalidCharacters
from minimost.web import errors as web_errors
from tests.web.helpers import assert_error

# Where errors are defined: none of these layers may know about HTTP.
NO_HTTP = ("minimost.domain", "minimost.files", "minimost.linkpreview")


def _import_everything() -> None:
    """Import every module, so that every ``DomainError`` subclass exists."""
    for info in pkgutil.walk_packages(minimost.__path__, "minimost."):
        if info.name != "minimost.__main__":  # that one runs the command line
            importlib.import_module(info.name)


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def every_domain_error() -> list[type[DomainError]]:
    _import_everything()
    return [DomainError, *_subclasses(DomainError)]


def test_the_walk_finds_errors_defined_outside_errors_py() -> None:
    found = set(every_domain_error())
    assert {InvalidCharacters, InvalidQuery, QueryTooLong} <= found
    assert len(found) > 10


@pytest.mark.parametrize("cls", every_domain_error(), ids=lambda c: c.__qualname__)
def test_domain_errors_carry_no_http_status(cls: type[DomainError]) -> None:
    for klass in cls.__mro__:
        if klass.__module__.startswith(NO_HTTP):
            assert "status" not in vars(klass), f"{klass.__module__}.{klass.__qualname__}"


@pytest.mark.parametrize("cls", every_domain_error(), ids=lambda c: c.__qualname__)
def test_every_domain_error_has_a_status_of_its_kind(cls: type[DomainError]) -> None:
    """A new kind of error (a direct subclass of ``DomainError``) must be given its status:
    falling back to the base class's 400 would silently mean "bad request"."""
    kind = next(klass for klass in cls.__mro__ if klass in web_errors.STATUSES)
    assert kind is not DomainError or cls is DomainError, (
        f"{cls.__qualname__} has no status in web.errors.STATUSES"
    )
    assert (
        web_errors.status_of(cls("x") if cls is DomainError else _instance(cls))
        == (web_errors.STATUSES[kind])
    )


def _instance(cls: type[DomainError]) -> DomainError:
    if issubclass(cls, RateLimited | AccountLocked):
        return cls("x", retry_after=1)
    if cls is InvalidCharacters:
        return InvalidCharacters("text", "\x00")
    if cls is StorageFull:
        return StorageFull()
    return cls("x")


def test_the_most_specific_class_wins() -> None:
    class Gone(NotFound):
        pass

    web_errors.STATUSES[Gone] = 410
    try:
        assert web_errors.status_of(Gone("gone")) == 410
        assert web_errors.status_of(NotFound("missing")) == 404
    finally:
        del web_errors.STATUSES[Gone]


# What each error answered before the statuses left the domain (status, code, headers).
PINNED: list[tuple[DomainError, int, str, dict[str, str]]] = [
    (DomainError("plain"), 400, "bad_request", {}),
    (DomainError("own code", code="reset_link_invalid"), 400, "reset_link_invalid", {}),
    (Invalid("bad", fields={"name": "required"}), 422, "validation_error", {}),
    (InvalidCharacters("text", "\x00"), 422, "invalid_characters", {}),
    (QueryTooLong("long"), 422, "query_too_long", {}),
    (Unauthenticated("who"), 401, "not_authenticated", {}),
    (Forbidden("no"), 403, "forbidden", {}),
    (NotFound("none"), 404, "not_found", {}),
    (Conflict("taken"), 409, "conflict", {}),
    (TooLarge("big", code="file_too_large"), 413, "file_too_large", {}),
    (TooLarge("big"), 413, "payload_too_large", {}),
    (StorageFull(), 507, "insufficient_storage", {}),
    (RateLimited("slow", retry_after=7), 429, "rate_limited", {"retry-after": "7"}),
    (RateLimited("slow", retry_after=0, code="x_limited"), 429, "x_limited", {"retry-after": "1"}),
    (AccountLocked("locked", retry_after=30), 403, "account_locked", {"retry-after": "30"}),
]


def _raising_app(error: DomainError) -> FastAPI:
    app = FastAPI()
    web_errors.install(app)
    app.state.minimost = SimpleNamespace(storage_full=False)

    @app.get("/raise")
    async def _raise() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "status", "code", "headers"), PINNED, ids=lambda v: getattr(v, "message", "")
)
async def test_the_answers_are_unchanged(
    error: DomainError, status: int, code: str, headers: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=_raising_app(error))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.get("/raise")
    body = assert_error(response, status, code)
    assert body["message"] == error.message
    if isinstance(error, Invalid):
        assert body.get("fields", {}) == error.fields
    for name, value in headers.items():
        assert response.headers[name] == value
    assert "retry-after" in response.headers or not headers
