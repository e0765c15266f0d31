"""What every action and query needs, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from minimost.config import Settings, SettingsRef
from minimost.db.engine import Database
from minimost.wire.models import MessageOut

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


class LinkPreviews(Protocol):
    """Told about each new message; may fetch a link preview in the background and store
    it through ``actions.previews`` (see ``minimost.linkpreview.service``)."""

    def message_sent(self, ctx: Ctx, actor: Actor, message: MessageOut) -> None: ...

    async def close(self) -> None: ...


class NoPreviews:
    def message_sent(self, ctx: Ctx, actor: Actor, message: MessageOut) -> None:
        return None

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Ctx:
    db: Database
    publisher: Publisher
    clock: Clock
    # The running settings; a reload swaps what the ref points at (the context never changes).
    settings_ref: SettingsRef
    passwords: Passwords
    # Group commit for message sends (see actions.messages.write_sends).
    sends: GroupCommit[Any, Any]
    presence: PresenceView = field(default_factory=_Nobody)
    previews: LinkPreviews = field(default_factory=NoPreviews)

    @property
    def settings(self) -> Settings:
        """A snapshot of the running settings (take it once when reading several keys)."""
        return self.settings_ref.current


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller, as resolved by the web layer."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    ip: str = ""
    # The browser session the request came with (None for a personal access token).
    session_id: int | None = None
    # Profile, for the author of what this actor posts (see ``views.user_view``).
    color: str | None = None
    avatar_sha256: str | None = None
