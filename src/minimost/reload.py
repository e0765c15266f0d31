"""Settings reload without a restart, for the keys the spec marks "No restart needed".

Every process watches ``settings.json`` (mtime and size, every 10 s: it works the same for
every worker and node, and needs no signal plumbing through uvicorn's supervisor). On a
change the file is loaded and validated exactly as at start (file < environment); on any
error the old settings stay and one line is logged. Only ``RELOADABLE`` keys are taken over;
a changed key outside that set is logged as needing a restart.

Design: ``Settings`` stays immutable. A reload builds a new ``Settings`` (the running one
with the reloadable keys replaced) and swaps it into the process's one ``SettingsRef`` in a
single assignment; the domain context, the app state and the rate limiter all read through
that ref, so each reader sees the old settings or the new ones, never a mix. Readers pick
the new ones up at their next use; nothing caches a derived value of these keys. The
periodic look at the file is the ``settings`` service (``minimost.services``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from minimost.config import Settings, SettingsError, SettingsRef, load_settings

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

# Told the keys a reload changed, after the swap (the janitor runs soon on a retention key).
Changed = Callable[[frozenset[str]], None]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class SettingsWatcher:
    def __init__(self, path: Path, settings: SettingsRef, changed: Changed | None = None) -> None:
        self.path = path
        self.settings = settings
        self.changed = changed
        self._stamp = _stamp(path)
        self.reloads = 0
        self.errors = 0

    def check(self) -> frozenset[str] | None:
        """Look at the file once. Returns the keys applied (None: unchanged or invalid)."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        running = self.settings.current
        try:
            loaded, _warnings = load_settings(
                settings_path=self.path if stamp is not None else None,
                overrides={"data_dir": running.data_dir},
            )
        except SettingsError as exc:
            self.errors += 1
            log.warning("settings not reloaded, keeping the running ones: %s", exc)
            return None
        changed = frozenset(
            key for key in Settings.model_fields if getattr(loaded, key) != getattr(running, key)
        )
        applied = changed & RELOADABLE
        ignored = sorted(changed - RELOADABLE - _QUIET)
        if ignored:
            log.warning("settings: %s changed; restart MiniMost to apply", ", ".join(ignored))
        if not applied:
            return frozenset()
        # Built whole, then swapped in one assignment: no reader sees half of it.
        self.settings.swap(running.model_copy(update={k: getattr(loaded, k) for k in applied}))
        self.reloads += 1
        if self.changed is not None:
            self.changed(applied)
        log.info("settings reloaded: %s", ", ".join(sorted(applied)))
        return applied

    def tick(self) -> None:
        """One periodic look (the ``settings`` service): an unexpected error is logged and
        the next look tries again."""
        try:
            self.check()
        except Exception:
            log.exception("settings watcher failed")
