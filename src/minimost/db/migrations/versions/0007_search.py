"""full-text search index over message text

SQLite: an FTS5 external-content table ``messages_fts`` over ``messages.body_md`` (the text
lives once, in ``messages``), kept in step by triggers, so every writer (the group-committed
send, edit, the delete tombstone, retention's DELETE, a conversation's cascade) updates the
index in its own transaction without knowing the index exists.

PostgreSQL: a stored generated ``tsvector`` column with a GIN index: the database keeps it
current on every INSERT/UPDATE, and dropping a row drops its entry.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# unicode61 splits on anything that is not a letter or digit (as domain.search.parse does)
# and, with remove_diacritics 2, finds "café" for "cafe". The prefix indexes make
# as-you-type prefix queries ("dep*") index lookups instead of scans of the term list.
SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "body_md, content='messages', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
)
# An external-content index must be told the *old* text to forget a row, exactly as it was
# indexed: the triggers hand it over from OLD. A tombstone (body_md '') indexes nothing.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_fts(rowid, body_md) VALUES (new.id, new.body_md); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, body_md)"
    " VALUES ('delete', old.id, old.body_md); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body_md ON messages"
    " WHEN old.body_md IS NOT new.body_md BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, body_md)"
    " VALUES ('delete', old.id, old.body_md);"
    " INSERT INTO messages_fts(rowid, body_md) VALUES (new.id, new.body_md); END",
)

# 'simple' (lower-case, no stemming, no stop words): chat is multilingual, and an English
# stemmer would both miss words in other languages and surprise people ("news" finding
# "new"). Punctuation becomes spaces first so words split exactly as in SQLite's index and
# in the query parser ("example.com" is the words example and com on every backend; the
# default parser would keep it as one host token that "example" never finds).
PG_VECTOR = "to_tsvector('simple'::regconfig, regexp_replace(body_md, '[[:punct:]]+', ' ', 'g'))"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_TABLE)
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        # Backfill: index every existing message from the content table.
        op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        # Adding a stored generated column computes it for every existing row (the backfill).
        op.execute(
            f"ALTER TABLE messages ADD COLUMN search_vector tsvector"
            f" GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS messages_fts_{name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_search_vector")
        op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS search_vector")
