"""private channels, DMs, mentions and presence overrides

Public channel names stay unique (a partial index); private ones need not be (a clash would
reveal that a private channel exists). DMs get a key of their sorted member ids.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PUBLIC = sa.text("kind = 'public'")


def upgrade() -> None:
    # SQLite rebuilds the table for this (see minimost.db.migrate: foreign keys are off
    # around migrations there, so the rebuild cannot cascade into memberships or messages).
    with op.batch_alter_table(
        "conversations", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_constraint("uq_conversations_kind_name", type_="unique")
        batch.add_column(sa.Column("dm_key", sa.String(length=200), nullable=True))
        batch.create_unique_constraint(op.f("uq_conversations_dm_key"), ["dm_key"])
    op.create_index(
        "uq_conversations_public_name",
        "conversations",
        ["name"],
        unique=True,
        sqlite_where=_PUBLIC,
        postgresql_where=_PUBLIC,
    )
    op.add_column(
        "users", sa.Column("is_system", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("users", sa.Column("presence_override", sa.String(length=8), nullable=True))
    op.add_column(
        "messages", sa.Column("mention_ids", sa.Text(), nullable=False, server_default="[]")
    )
    op.add_column("messages", sa.Column("mention_all", sa.String(length=8), nullable=True))
    op.create_table(
        "mentions",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_mentions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mentions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_mentions_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_mentions")),
    )
    op.create_index("ix_mentions_user_id_message_id", "mentions", ["user_id", "message_id"])
    op.create_index(op.f("ix_mentions_conversation_id"), "mentions", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("mentions")
    op.drop_column("messages", "mention_all")
    op.drop_column("messages", "mention_ids")
    op.drop_column("users", "presence_override")
    op.drop_column("users", "is_system")
    op.drop_index("uq_conversations_public_name", table_name="conversations")
    with op.batch_alter_table(
        "conversations", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_constraint(op.f("uq_conversations_dm_key"), type_="unique")
        batch.drop_column("dm_key")
        batch.create_unique_constraint("uq_conversations_kind_name", ["kind", "name"])
