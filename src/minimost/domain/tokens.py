"""Random bearer secrets, and the hash under which they are stored."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
