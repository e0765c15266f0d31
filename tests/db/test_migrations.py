"""Migrations keep data: upgrading a populated database loses no row (SQLite rebuilds
tables to change constraints; with foreign keys on, that rebuild would cascade-delete)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from minimost.db.models import Conversation, Membership, Message
from tests import pg

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _populate(db: Database) -> None:
    async with db.write() as tx:
        await tx.conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, is_admin,"
                " failed_logins, created_at) VALUES (1, 'ann', '', 'x', true, 0, :now)"
            ),
            {"now": NOW},
        )
        await tx.conn.execute(
            text(
                "INSERT INTO conversations (id, kind, name, topic, created_at)"
                " VALUES (7, 'public', 'general', '', :now)"
            ),
            {"now": NOW},
        )
        await tx.conn.execute(
            text(
                "INSERT INTO memberships (conversation_id, user_id, role, joined_at, hidden,"
                " muted) VALUES (7, 1, 'member', :now, false, false)"
            ),
            {"now": NOW},
        )
        await tx.conn.execute(
            text(
                "INSERT INTO messages (id, conversation_id, author_id, body_md, body_html,"
                " created_at) VALUES (3, 7, 1, 'hi', '<p>hi</p>', :now)"
            ),
            {"now": NOW},
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.scaleout)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (the shared fixtures hand out migrated ones)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    name = pg.run_sync(pg.create_database())
    try:
        yield pg.sqlalchemy_url(name)
    finally:
        pg.run_sync(pg.drop_database(name))


async def test_upgrade_to_0003_keeps_conversations_members_and_messages(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        await upgrade(db, "0002")
        await _populate(db)
        await upgrade(db)
        async with db.read() as conn:
            assert await conn.scalar(select(func.count()).select_from(Membership)) == 1
            assert await conn.scalar(select(Message.body_md).where(Message.id == 3)) == "hi"
            assert await conn.scalar(select(Message.mention_ids).where(Message.id == 3)) == "[]"
            assert await conn.scalar(select(Conversation.name).where(Conversation.id == 7)) == (
                "general"
            )
        # Foreign keys are back on afterwards: a dangling membership is refused.
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            async with db.write() as tx:
                await tx.conn.execute(
                    text(
                        "INSERT INTO memberships (conversation_id, user_id, role, joined_at,"
                        " hidden, muted) VALUES (999, 1, 'member', :now, false, false)"
                    ),
                    {"now": NOW},
                )
    finally:
        await db.dispose()


def _schema_drift(sync_conn: Any) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from minimost.db.models import Base

    context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
    # The search index is backend-specific and lives outside the ORM models.
    return [
        diff
        for diff in compare_metadata(context, Base.metadata)
        if "search" not in repr(diff) and "fts" not in repr(diff)
    ]


async def test_migrations_build_exactly_the_models(empty_database_url: str) -> None:
    """A model change without its migration (or the reverse) fails here, not in production."""
    db = Database(empty_database_url)
    try:
        await upgrade(db)
        async with db.write_engine.connect() as conn:
            drift = await conn.run_sync(_schema_drift)
        assert drift == []
    finally:
        await db.dispose()


async def test_upgrade_to_0010_empties_the_replay_log_without_reusing_ids(
    empty_database_url: str,
) -> None:
    """Events stored before 0010 may hold text deleted or edited since (and have no
    ``message_id`` to find them by): the log is emptied once, and ids keep growing, so a
    client resuming from an old id gets ``resync``, never a reused id."""
    from minimost.db.models import Event
    from minimost.domain.queries.events import replay

    db = Database(empty_database_url)
    try:
        await upgrade(db, "0009")
        await _populate(db)
        async with db.write() as tx:
            for event_id in (1, 2, 3):
                await tx.conn.execute(
                    text(
                        "INSERT INTO events (id, conversation_id, type, payload, created_at)"
                        " VALUES (:id, 7, 'message.created', :payload, :now)"
                    ),
                    {"id": event_id, "payload": '{"id":3,"text":"deleted secret"}', "now": NOW},
                )
            if db.dialect == "postgresql":  # explicit ids: move the sequence like inserts do
                await tx.conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('events', 'id'), 3)")
                )
        await upgrade(db)
        async with db.read() as conn:
            assert await conn.scalar(select(func.count()).select_from(Event)) == 0
        async with db.write() as tx:
            new_id = (
                await tx.conn.execute(
                    text(
                        "INSERT INTO events (conversation_id, message_id, type, payload,"
                        " created_at) VALUES (7, 3, 'message.updated', '{}', :now)"
                        " RETURNING id"
                    ),
                    {"now": NOW},
                )
            ).scalar_one()
        assert new_id == 4
        assert (await replay(db, 1, 1)).resync  # older than the retained log
        resumed = await replay(db, 1, 3)
        assert not resumed.resync and [e.id for e in resumed.frames] == [4]
    finally:
        await db.dispose()
