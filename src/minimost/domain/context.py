"""What every action and query needs, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from minimost.config import Settings
from minimost.db.engine import Database

from .clock import Clock
from .events import Publisher
from .group_commit import GroupCommit
from .passwords import Passwords


class PresenceView(Protocol):
    """What the domain may ask the realtime layer: is this user around (for ``@here``)?"""

    def is_online(self, user_id: int) -> bool: ...


class _Nobody:
    def is_online(self, user_id: int) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Ctx:
    db: Database
    publisher: Publisher
    clock: Clock
    settings: Settings
    passwords: Passwords
    # Group commit for message sends (see actions.messages.write_sends).
    sends: GroupCommit[Any, Any]
    presence: PresenceView = field(default_factory=_Nobody)


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller, as resolved by the web layer."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    ip: str = ""
