"""Migration 0007: existing messages are indexed (backfill) and the SQLite triggers that keep
the index in step exist at head (a later migration that rebuilds ``messages`` with
``batch_alter_table`` drops them silently: this test is the tripwire)."""

from __future__ import annotations

from sqlalchemy import text

from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from tests.db.test_migrations import _populate, empty_database_url  # noqa: F401

TRIGGERS = {"messages_fts_insert", "messages_fts_update", "messages_fts_delete"}


async def _matches(db: Database, word: str) -> list[int]:
    async with db.read() as conn:
        if db.dialect == "sqlite":
            sql = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :w ORDER BY rowid"
        else:
            sql = (
                "SELECT id FROM messages WHERE search_vector @@ to_tsquery('simple', :w)"
                " ORDER BY id"
            )
        return [int(r[0]) for r in (await conn.execute(text(sql), {"w": word})).all()]


async def test_backfill_triggers_and_cascades(empty_database_url: str) -> None:  # noqa: F811
    db = Database(empty_database_url)
    try:
        await upgrade(db, "0006")
        await _populate(db)  # message 3: "hi", in conversation 7
        await upgrade(db)
        assert await _matches(db, "hi") == [3]
        if db.dialect == "sqlite":
            async with db.read() as conn:
                names = set(
                    (
                        await conn.execute(
                            text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                        )
                    ).scalars()
                )
            assert names >= TRIGGERS
        # A conversation's cascade takes its messages out of the index too.
        async with db.write() as tx:
            await tx.conn.execute(text("DELETE FROM conversations WHERE id = 7"))
        assert await _matches(db, "hi") == []
        if db.dialect == "sqlite":
            async with db.write() as tx:
                await tx.conn.execute(
                    text(
                        "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
                    )
                )
    finally:
        await db.dispose()
