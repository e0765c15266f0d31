"""redactable replay log: ``events.message_id``, ``ix_messages_reply_to_id``

A stored ``message.created`` / ``message.updated`` carries the whole message (text, HTML,
file names, preview, the quote of the message it replies to). An edit, a delete, a purge or
retention now rewrites those rows in its own transaction (``actions.redaction``), finding
them by ``events.message_id`` and the replies quoting a message by ``messages.reply_to_id``
(partial index: only replies are in it, so plain sends cost it nothing).

Rows written before this revision have no ``message_id`` and may still hold text deleted or
edited since, which no query can tell apart reliably (quotes, previews, attachment names).
So the replay log is emptied once. Ids are not reused (SQLite AUTOINCREMENT keeps its
counter, PostgreSQL its sequence): a client resuming at the newest old id replays what
follows, any older ``since`` is older than the retained log and gets ``resync`` (it
refetches state, as after any pruning), so nothing is missed or shown twice.

``op.add_column`` and ``op.create_index`` only: no table rebuild (the FTS triggers of 0007
on ``messages`` stay in place).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_REPLIES = sa.text("reply_to_id IS NOT NULL")


def upgrade() -> None:
    op.add_column("events", sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_events_message_id"), "events", ["message_id"])
    op.create_index(
        "ix_messages_reply_to_id",
        "messages",
        ["reply_to_id"],
        sqlite_where=_REPLIES,
        postgresql_where=_REPLIES,
    )
    op.execute("DELETE FROM events")


def downgrade() -> None:
    op.drop_index("ix_messages_reply_to_id", table_name="messages")
    op.drop_index(op.f("ix_events_message_id"), table_name="events")
    # SQLite >= 3.35 drops a column in place (no rebuild).
    op.drop_column("events", "message_id")
