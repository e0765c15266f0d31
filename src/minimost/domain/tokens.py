"""Random bearer secrets, and the hash under which they are stored."""

from __future__ import annotations

import hashlib
import secrets

# The longest a password reset link may work. Here, in a module with no dependencies, so
# that ``minimost reset-password --expires`` states the bound without loading the database.
MAX_RESET_MINUTES = 7 * 24 * 60


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
