"""A short-lived cache of token → actor, so the hot path (sends, history) skips one
database round trip per request.

Entries live ``ttl`` seconds. A log-out in this process forgets the token at once; in other
worker processes a revoked token can keep working for at most ``ttl`` seconds (documented).
Ended sessions (password change or reset, revoke, account deletion) publish
``session.ended``, and every process's hub then calls ``forget_user`` at once.
"""

from __future__ import annotations

from collections import OrderedDict

from minimost.domain.context import Actor
from minimost.domain.tokens import token_hash


class ActorCache:
    def __init__(self, *, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Actor]] = OrderedDict()

    def get(self, token: str, now: float) -> Actor | None:
        key = token_hash(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, actor = entry
        if expires < now:
            del self._entries[key]
            return None
        return actor

    def put(self, token: str, actor: Actor, now: float) -> None:
        key = token_hash(token)
        self._entries[key] = (now + self.ttl, actor)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, token: str) -> None:
        self._entries.pop(token_hash(token), None)

    def forget_user(self, user_id: int) -> None:
        """Drop every cached credential of ``user_id`` (its sessions ended, it was deleted):
        the next request re-reads the database. Rare, so a scan is fine."""
        for key in [k for k, (_, actor) in self._entries.items() if actor.id == user_id]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
