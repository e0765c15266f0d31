"""``minimost [serve]``: serve MiniMost; with no subcommand the root command serves too
(``minimost --host 0.0.0.0 --port 8080``). ``cli.server`` is the machinery it runs, imported
only when serving (it brings uvicorn and the web app)."""

from __future__ import annotations

from typing import Annotated

import typer

from minimost import __version__

from .exits import STORAGE, fail
from .options import (
    BusUrl,
    DatabaseUrl,
    DataDir,
    Host,
    NoTls,
    Port,
    SettingsPath,
    Workers,
    settings_from,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"minimost {__version__}")
        raise typer.Exit()


def serve_by_default(
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
    # The root command's callback (no docstring: it would replace the app's help text).
    if ctx.invoked_subcommand is None:
        serve(host, port, data_dir, settings, database_url, bus_url, workers, no_tls)


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
