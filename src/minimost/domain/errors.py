"""Domain errors: the class is the meaning, ``code`` the stable name clients see.

The domain speaks no HTTP: which status each kind of error answers is ``web/errors.py``'s
business (its ``STATUSES`` table). A new kind of error (a direct subclass of
``DomainError``) needs a row there; a test walks every subclass to make sure."""

from __future__ import annotations


class DomainError(Exception):
    """The request cannot be done as asked; ``code`` may name the reason more precisely."""

    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Invalid(DomainError):
    code = "validation_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class Unauthenticated(DomainError):
    code = "not_authenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    """Also what a caller gets for something it may not see: never reveal existence."""

    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooLarge(DomainError):
    code = "payload_too_large"


class StorageFull(DomainError):
    """A write found no space left: the disk of the data directory or of the database is
    full (the web answers "insufficient storage" and ``/readyz`` turns not-ready until
    writes work)."""

    code = "insufficient_storage"

    def __init__(
        self, message: str = "the server has no storage space left; try again later"
    ) -> None:
        super().__init__(message)


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class AccountLocked(DomainError):
    code = "account_locked"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
