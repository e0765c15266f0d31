"""Everything a request handler may need, created once per app (no import-time globals)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry

from minimost.config import Settings
from minimost.domain.context import Ctx
from minimost.domain.janitor import Janitor
from minimost.ratelimit import RateLimiter
from minimost.realtime.bus.base import Bus
from minimost.realtime.hub import Hub
from minimost.realtime.presence import PresenceTracker
from minimost.realtime.typing_relay import TypingRelay
from minimost.reload import SettingsWatcher
from minimost.web.auth_cache import ActorCache


@dataclass
class AppState:
    settings: Settings
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
    # Background jobs started by the lifespan (retention janitor, settings reload).
    janitor: Janitor | None = None
    settings_watcher: SettingsWatcher | None = None
    # A write found no space left: /readyz is not ready until a probe write succeeds.
    storage_full: bool = False

    def csrf_for(self, session_token: str) -> str:
        """CSRF token bound to the session: derivable, so nothing extra is stored."""
        if not self.secret:
            raise RuntimeError("the app has not started (no server secret yet)")
        return hmac.new(self.secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()
