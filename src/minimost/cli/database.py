"""``minimost db …``: database maintenance."""

from __future__ import annotations

import asyncio

import typer

from .options import DatabaseUrl, DataDir, SettingsPath, settings_from

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


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
