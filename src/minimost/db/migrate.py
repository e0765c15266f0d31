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


def _pragma(sync_conn: Connection, statement: str) -> None:
    cursor = sync_conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (head). Safe to run on every start (no-op at head)."""

    def _run(sync_conn: Connection) -> None:
        sqlite = sync_conn.dialect.name == "sqlite"
        if sqlite:
            # Alembic rebuilds SQLite tables to alter constraints (copy, DROP, rename). With
            # foreign keys on, that DROP would cascade-delete every referencing row. The
            # pragma only works outside a transaction, so it goes straight to the driver.
            _pragma(sync_conn, "PRAGMA foreign_keys=OFF")
        try:
            command.upgrade(alembic_config(sync_conn), revision)
            if sqlite:
                broken = sync_conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
                sync_conn.commit()
        finally:
            if sqlite:
                _pragma(sync_conn, "PRAGMA foreign_keys=ON")

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
