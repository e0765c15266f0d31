"""Password rule (the spec's) and argon2id hashing, kept off the event loop."""

from __future__ import annotations

import asyncio
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SPECIALS = r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"""
MAX_LENGTH = 1024  # refuse before hashing: hashing megabytes is a cheap DoS


def password_problems(password: str) -> list[str]:
    """Human-readable unmet rules (empty when the password is acceptable)."""
    problems = []
    if len(password) < 8:
        problems.append("at least 8 characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    if not re.search(r"[A-Z]", password):
        problems.append("an uppercase letter")
    if not re.search(r"[0-9]", password):
        problems.append("a digit")
    if not any(ch in SPECIALS for ch in password):
        problems.append("a special character")
    return problems


class Passwords:
    def __init__(self, *, memory_kib: int = 65536, time_cost: int = 3) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=2)
        # Verified against when the username does not exist, so timing does not tell.
        self._dummy = self._hasher.hash("dummy-password-for-timing")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def _verify() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(_verify)
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
