"""Apply Alembic migrations programmatically (at start and by ``minimost db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from .engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database) -> None:
    """Bring the schema to head. Safe to run on every start (no-op at head)."""

    def _run(sync_conn: Connection) -> None:
        command.upgrade(alembic_config(sync_conn), "head")

    # The writer connection: on SQLite it holds the write lock, so two processes starting
    # at once migrate one after the other.
    async with db.write_engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.exec_driver_sql("SELECT pg_advisory_lock(727001)")
        try:
            await conn.run_sync(_run)
            await conn.commit()
        finally:
            if db.dialect == "postgresql":
                await conn.exec_driver_sql("SELECT pg_advisory_unlock(727001)")
                await conn.commit()
