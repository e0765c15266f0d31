"""Domain errors. ``web/`` maps each to an HTTP status and a stable JSON ``code``."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Invalid(DomainError):
    status = 422
    code = "validation_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class Unauthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Also what a caller gets for something it may not see: never reveal existence."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class StorageFull(DomainError):
    """A write found no space left: the disk of the data directory or of the database is
    full (``web.errors`` answers 507 and ``/readyz`` turns not-ready until writes work)."""

    code = "insufficient_storage"

    def __init__(
        self, message: str = "the server has no storage space left; try again later"
    ) -> None:
        super().__init__(message)


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class AccountLocked(DomainError):
    status = 403
    code = "account_locked"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
