"""Settings: the spec's ``settings.json`` keys, ``MINIMOST_<KEY>`` env overrides and CLI flags.

Precedence, lowest to highest: built-in defaults < ``settings.json`` < environment < CLI flags.
The object is built once (by the CLI or a test) and handed to ``create_app``; nothing imports
a global settings instance.

The defaults are the ones of the spec's shipped ``settings.json`` so an admin moving from the
original sees the same behaviour.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

ENV_PREFIX = "MINIMOST_"

ChannelName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, to_lower=True)
]
PositiveInt = Annotated[int, Field(gt=0)]
# A rate limit is ``[max_requests, window_seconds]``.
RateLimit = tuple[PositiveInt, PositiveInt]


class RateLimits(BaseModel):
    """Per-action limits; omitted actions keep their default (spec §Configuration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    login: RateLimit = (60, 60)
    signup: RateLimit = (20, 3600)
    password_reset: RateLimit = (30, 3600)
    send: RateLimit = (240, 60)
    avatar: RateLimit = (60, 3600)
    create_channel: RateLimit = (60, 3600)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("minimost", appauthor=False))


# The drivers MiniMost ships with (async SQLAlchemy dialects).
DATABASE_SCHEMES = ("postgresql+asyncpg://", "sqlite+aiosqlite://")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- the spec's settings.json keys -------------------------------------------------
    channels: list[ChannelName] = Field(
        default_factory=lambda: ["general", "software", "firmware", "systems", "off-topic"],
        min_length=1,
    )
    image_retention_days: Annotated[int, Field(ge=1)] = 30
    file_retention_days: Annotated[int, Field(ge=1)] = 30
    message_retention_days: Annotated[int, Field(ge=1)] = 770
    max_message_db_size_mb: Annotated[int, Field(ge=0)] = 1024
    max_upload_dir_size_mb: Annotated[int, Field(ge=0)] = 2048
    max_upload_size_mb: Annotated[int, Field(ge=1)] = 25
    max_avatar_size_mb: Annotated[int, Field(ge=1)] = 5
    stun_port: Annotated[int, Field(ge=1, le=65535)] = 3478
    max_login_attempts: Annotated[int, Field(ge=0)] = 5
    lockout_duration_minutes: Annotated[int, Field(ge=1)] = 15
    rate_limit_enabled: bool = True
    max_event_streams_per_user: Annotated[int, Field(ge=1)] = 12
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    # --- server options (CLI flags, env, or the same file) ------------------------------
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5000
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # None: SQLite file in data_dir
    bus_url: str = "memory://"
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    tls: bool = True
    # Peers whose X-Forwarded-* headers are trusted when running behind a reverse proxy.
    forwarded_allow_ips: str = "127.0.0.1"
    # Connection guards, before any authentication (docs/operations.md "Connection limits").
    max_header_line_kib: Annotated[int, Field(ge=1, le=1024)] = 16  # request line, each header
    max_request_head_kib: Annotated[int, Field(ge=1, le=4096)] = 64  # all of them
    request_head_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    max_connections_per_ip: Annotated[int, Field(ge=0)] = 256  # 0: no cap
    connection_cap_exempt: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # Which HTTP/1.1 parser uvicorn runs; "auto" is httptools when installed, else h11.
    http_parser: Literal["auto", "httptools", "h11"] = "auto"
    event_retention_days: Annotated[int, Field(ge=1)] = 7
    session_days: Annotated[int, Field(ge=1)] = 30
    # Argon2id cost; lowered only by the test suite to keep thousands of sign-ups fast.
    password_hash_memory_kib: Annotated[int, Field(ge=64)] = 65536
    password_hash_time_cost: Annotated[int, Field(ge=1)] = 3
    # Link previews: the server fetches the first link of a message (docs/link-previews.md).
    # Private addresses (10/8, 172.16/12, 192.168/16, fc00::/7) only when allowed: on a LAN
    # that lets any user make the server read internal pages.
    link_previews: bool = True
    link_preview_allow_private: bool = False
    # Also append every audit record as one JSON line to this file ("" = off). No secrets,
    # tokens or message text are ever in a record.
    audit_log_file: str = ""

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for name in value:
            if name not in seen:
                seen.append(name)
        return seen

    @field_validator("connection_cap_exempt")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://", "unix://")):
            raise ValueError("must start with memory://, redis:// or rediss://")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        # Checked here so a typo is one settings line (exit 2), not a driver import error.
        if value and not value.startswith(DATABASE_SCHEMES):
            scheme = value.split("://", 1)[0] if "://" in value else value
            raise ValueError(
                f"unsupported database scheme {scheme!r}: use postgresql+asyncpg://user@host/db "
                "(or leave it unset for SQLite in the data directory)"
            )
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'minimost.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    def public_dict(self) -> dict[str, Any]:
        """Everything but secrets-free internals, for ``minimost config`` style output."""
        return self.model_dump(mode="json")


class SettingsRef:
    """The running settings of a process, replaced whole on reload (``minimost.reload``).

    ``Settings`` is immutable; a reload builds a new one and ``swap`` points this holder at
    it in one assignment, so a reader sees either every old value or every new one, never a
    mix. Everything that must follow reloads (the domain context, the app state, the rate
    limiter) holds this ref, not a ``Settings``; a reader that uses several keys together
    takes ``current`` once and reads them from that snapshot.
    """

    __slots__ = ("_current",)

    def __init__(self, settings: Settings) -> None:
        self._current = settings

    @property
    def current(self) -> Settings:
        return self._current

    def swap(self, settings: Settings) -> Settings:
        """Make ``settings`` the running ones; returns the previous ones."""
        previous, self._current = self._current, settings
        return previous


class SettingsError(Exception):
    """A settings problem reported as one line (the CLI prints it and exits with code 2)."""


SPEC_KEYS = frozenset(Settings.model_fields)


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in Settings.model_fields:
        raw = environ.get(ENV_PREFIX + key.upper())
        if raw is None:
            continue
        # Lists and objects (channels, rate_limits) are given as JSON.
        if raw.strip().startswith(("[", "{")):
            try:
                values[key] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SettingsError(
                    f"{ENV_PREFIX}{key.upper()}: not valid JSON ({exc.msg})"
                ) from exc
        else:
            values[key] = raw
    return values


def _file_values(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: must contain a JSON object")
    return data


def _format_error(err: ValidationError, origin: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"]) or "settings"
    if first["type"] == "extra_forbidden":
        return f"{origin}: {loc}: unknown key"
    value = first.get("input")
    shown = json.dumps(value) if isinstance(value, str | int | float | bool) else None
    if loc in ("database_url", "bus_url"):
        shown = None  # a URL may carry a password
    suffix = f" (got {shown})" if shown is not None else ""
    message = first["msg"].removeprefix("Value error, ")  # pydantic's wrapper for ours
    return f"{origin}: {loc}: {message}{suffix}"


def load_settings(
    *,
    settings_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, list[str]]:
    """Build Settings; return them with warnings (unknown keys). Raise SettingsError."""
    env = os.environ if environ is None else environ
    warnings: list[str] = []
    merged: dict[str, Any] = {}
    origin = "settings"

    env_values = _env_values(env)
    cli_values = {k: v for k, v in (overrides or {}).items() if v is not None}
    data_dir = cli_values.get("data_dir") or env_values.get("data_dir")
    if settings_path is None:
        # Without --settings, an admin's file in the data directory is picked up.
        candidate = Path(data_dir) if data_dir else default_data_dir()
        if (candidate / "settings.json").is_file():
            settings_path = candidate / "settings.json"
    if settings_path is not None:
        origin = str(settings_path)
        file_values = _file_values(settings_path)
        for key in list(file_values):
            if key not in SPEC_KEYS:
                warnings.append(f"{settings_path}: unknown key {key!r} ignored")
                del file_values[key]
        limits = file_values.get("rate_limits")
        if isinstance(limits, dict):
            for action in list(limits):
                if action not in RateLimits.model_fields:
                    warnings.append(f"{settings_path}: unknown rate limit {action!r} ignored")
                    del limits[action]
        merged.update(file_values)
    merged.update(env_values)
    merged.update(cli_values)
    try:
        return Settings.model_validate(merged), warnings
    except ValidationError as exc:
        top = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        if top in cli_values:
            origin = "command line"
        elif top in env_values:
            origin = "environment " + ENV_PREFIX + top.upper()
        raise SettingsError(_format_error(exc, origin)) from None
