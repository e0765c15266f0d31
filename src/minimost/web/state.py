"""Everything a request handler may need, created once per app (no import-time globals)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry

from minimost.config import Settings, SettingsRef
from minimost.domain.context import Ctx
from minimost.domain.janitor import Janitor
from minimost.ratelimit import RateLimiter
from minimost.realtime.bus.base import Bus
from minimost.realtime.hub import Hub
from minimost.realtime.presence import PresenceTracker
from minimost.realtime.typing_relay import TypingRelay
from minimost.reload import SettingsWatcher
from minimost.supervisor import Supervisor
from minimost.web.auth_cache import ActorCache


@dataclass
class AppState:
    # The running settings (swapped whole on reload; the same ref as ``ctx.settings_ref``).
    settings_ref: SettingsRef
    ctx: Ctx
    bus: Bus
    hub: Hub
    limiter: RateLimiter
    ca_path: Path | None
    metrics: CollectorRegistry
    # Ephemeral realtime state of this process (typing batches, presence of the cluster).
    presence: PresenceTracker
    typing: TypingRelay
    actors: ActorCache = field(default_factory=ActorCache)
    # Read from the database at start-up (shared by every process and node).
    secret: bytes = b""
    # The background services (``minimost.services``), started and stopped by the lifespan;
    # the janitor and the settings watcher are among them (tests poke them directly).
    supervisor: Supervisor | None = None
    janitor: Janitor | None = None
    settings_watcher: SettingsWatcher | None = None
    # A write found no space left: /readyz is not ready until a probe write succeeds.
    storage_full: bool = False

    @property
    def settings(self) -> Settings:
        """A snapshot of the running settings (take it once when reading several keys)."""
        return self.settings_ref.current

    def csrf_for(self, session_token: str) -> str:
        """CSRF token bound to the session: derivable, so nothing extra is stored."""
        if not self.secret:
            raise RuntimeError("the app has not started (no server secret yet)")
        return hmac.new(self.secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()
