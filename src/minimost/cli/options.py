"""The options several commands share, and how every command loads its settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .exits import fail

if TYPE_CHECKING:
    from minimost.config import Settings

Host = Annotated[
    str | None,
    typer.Option("--host", help="Address to bind (default 127.0.0.1; 0.0.0.0 for the LAN)."),
]
Port = Annotated[int | None, typer.Option("--port", help="TCP port (default 5000).")]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database, uploads and keys live.")
]
SettingsPath = Annotated[Path | None, typer.Option("--settings", help="settings.json to read.")]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="e.g. postgresql+asyncpg://user@host/db")
]
BusUrl = Annotated[
    str | None, typer.Option("--bus-url", help="memory:// (default) or redis://host:6379/0")
]
Workers = Annotated[
    int | None, typer.Option("--workers", help="Worker processes (needs a redis:// bus when > 1).")
]
NoTls = Annotated[
    bool,
    typer.Option("--no-tls", help="Serve plain HTTP (behind a TLS-terminating reverse proxy)."),
]


def settings_from(
    *, settings_path: Path | None, creates_data_dir: bool = False, **overrides: object
) -> Settings:
    """Load settings or exit 2 with the one-line reason (never a traceback). Unless the
    command ``creates_data_dir``, a data directory that is not there is refused (exit 7)."""
    from minimost.config import SettingsError, load_settings

    from .preflight import require_data_dir

    try:
        settings, warnings = load_settings(settings_path=settings_path, overrides=overrides)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    for warning in warnings:
        typer.echo(f"minimost: warning: {warning}", err=True)
    if not creates_data_dir:
        require_data_dir(settings)
    return settings
