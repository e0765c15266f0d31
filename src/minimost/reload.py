"""Settings reload without a restart, for the keys the spec marks "No restart needed".

Every process watches ``settings.json`` (mtime and size, every 10 s: it works the same for
every worker and node, and needs no signal plumbing through uvicorn's supervisor). On a
change the file is loaded and validated exactly as at start (file < environment); on any
error the old settings stay and one line is logged. Only ``RELOADABLE`` keys are taken over;
a changed key outside that set is logged as needing a restart.

Design: ``Settings`` stays immutable. A reload builds a new ``Settings`` (the running one
with the reloadable keys replaced) and swaps the reference in the few places that hold it:
the app state, the domain context and the rate limiter. Readers pick it up at their next
use; nothing caches a derived value of these keys.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from minimost.config import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)

RELOADABLE = frozenset(
    {
        "image_retention_days",
        "file_retention_days",
        "message_retention_days",
        "max_message_db_size_mb",
        "max_upload_dir_size_mb",
        "max_login_attempts",
        "lockout_duration_minutes",
        "max_event_streams_per_user",
        "rate_limits",
    }
)
RETENTION_KEYS = frozenset(
    {
        "image_retention_days",
        "file_retention_days",
        "message_retention_days",
        "max_message_db_size_mb",
        "max_upload_dir_size_mb",
    }
)
# Server options the file cannot change at run time anyway (flags win); not worth a warning.
_QUIET = frozenset({"host", "port", "data_dir", "database_url", "bus_url", "workers", "tls"})
INTERVAL = 10.0

Apply = Callable[[Settings, frozenset[str]], None]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class SettingsWatcher:
    def __init__(self, path: Path, current: Settings, apply: Apply) -> None:
        self.path = path
        self.current = current
        self.apply = apply
        self._stamp = _stamp(path)
        self.reloads = 0
        self.errors = 0

    def check(self) -> frozenset[str] | None:
        """Look at the file once. Returns the keys applied (None: unchanged or invalid)."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            loaded, _warnings = load_settings(
                settings_path=self.path if stamp is not None else None,
                overrides={"data_dir": self.current.data_dir},
            )
        except SettingsError as exc:
            self.errors += 1
            log.warning("settings not reloaded, keeping the running ones: %s", exc)
            return None
        changed = frozenset(
            key
            for key in Settings.model_fields
            if getattr(loaded, key) != getattr(self.current, key)
        )
        applied = changed & RELOADABLE
        ignored = sorted(changed - RELOADABLE - _QUIET)
        if ignored:
            log.warning("settings: %s changed; restart MiniMost to apply", ", ".join(ignored))
        if not applied:
            return frozenset()
        updated = self.current.model_copy(update={k: getattr(loaded, k) for k in applied})
        self.current = updated
        self.reloads += 1
        self.apply(updated, applied)
        log.info("settings reloaded: %s", ", ".join(sorted(applied)))
        return applied

    async def run(self, interval: float = INTERVAL) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.check()
            except Exception:
                log.exception("settings watcher failed")


def swap_settings(state: Any, settings: Settings) -> None:
    """Point every holder of the running settings at ``settings``."""
    state.settings = settings
    # Ctx is a frozen dataclass so actions cannot change it by accident; this is the one
    # sanctioned replacement, done in place so every holder of the context sees it.
    object.__setattr__(state.ctx, "settings", settings)
    state.limiter.use(settings)
