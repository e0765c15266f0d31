"""What every action and query needs, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minimost.config import Settings
from minimost.db.engine import Database

from .clock import Clock
from .events import Publisher
from .group_commit import GroupCommit
from .passwords import Passwords


@dataclass(frozen=True, slots=True)
class Ctx:
    db: Database
    publisher: Publisher
    clock: Clock
    settings: Settings
    passwords: Passwords
    # Group commit for message sends (see actions.messages.write_sends).
    sends: GroupCommit[Any, Any]


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller, as resolved by the web layer."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    ip: str = ""
