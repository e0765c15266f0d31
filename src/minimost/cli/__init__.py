"""``minimost`` command line. With no subcommand it serves (``minimost --host 0.0.0.0``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from minimost import __version__
from minimost.config import Settings, SettingsError, load_settings

from .exits import (
    STORAGE,
    fail as fail,  # re-exported: `from minimost.cli import fail`
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="MiniMost: self-hosted team chat. Run without a command to serve.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

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
    *, settings_path: Path | None, creates_data_dir: bool = False, **overrides: Any
) -> Settings:
    """Load settings or exit 2 with the one-line reason (never a traceback). Unless the
    command ``creates_data_dir``, a data directory that is not there is refused (exit 7)."""
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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"minimost {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    host: Host = None,
    port: Port = None,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
    workers: Workers = None,
    no_tls: NoTls = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        serve(host, port, data_dir, settings, database_url, bus_url, workers, no_tls)


@app.command()
def serve(
    host: Host = None,
    port: Port = None,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
    workers: Workers = None,
    no_tls: NoTls = False,
) -> None:
    """Serve MiniMost (HTTPS by default)."""
    from .server import run_server

    resolved = settings_from(
        settings_path=settings,
        creates_data_dir=True,
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        bus_url=bus_url,
        workers=workers,
        tls=False if no_tls else None,
    )
    if resolved.workers > 1 and resolved.bus_url.startswith("memory://"):
        raise fail("--workers > 1 needs a shared bus: add --bus-url redis://127.0.0.1:6379/0")
    try:
        run_server(resolved, settings_path=settings)
    except OSError as exc:
        # The port, database and bus are checked by name (cli.preflight); what is left is
        # a file: the data directory, TLS keys, a full disk.
        where = f": {exc.filename}" if exc.filename else ""
        raise fail(f"cannot start: {exc.strerror or exc}{where}", STORAGE) from None


@db_app.command("upgrade")
def db_upgrade(
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Apply database migrations (also done automatically at every start)."""
    from minimost.datadir import prepare_data_dir
    from minimost.db.engine import Database
    from minimost.db.migrate import upgrade

    from .preflight import check_database

    # Creating the schema of a new installation ahead of its first start is what it is for.
    resolved = settings_from(
        settings_path=settings, creates_data_dir=True, data_dir=data_dir, database_url=database_url
    )
    prepare_data_dir(resolved.data_dir)

    async def _run() -> None:
        await check_database(resolved.db_url)
        db = Database(resolved.db_url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(_run())
    typer.echo("database is up to date")


# Each module registers its commands on ``app`` when imported.
from . import (  # noqa: E402
    audit as _audit,  # noqa: F401  # minimost audit
    backup as _backup,  # noqa: F401  # minimost backup|restore
    reset_password as _reset_password,  # noqa: F401  # minimost reset-password
    users as _users,  # noqa: F401  # minimost users ...
)


def main() -> None:
    app(prog_name="minimost")


if __name__ == "__main__":  # pragma: no cover
    main()
