"""reactions, pins, files, link previews, avatars and name colours

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from minimost.db.models.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("preview", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("avatar_sha256", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("color", sa.String(length=7), nullable=True))
    op.create_table(
        "reactions",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("emoji", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_reactions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", "user_id", "emoji", name=op.f("pk_reactions")),
    )
    op.create_index("ix_reactions_user_id", "reactions", ["user_id"])
    op.create_table(
        "pins",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("pinned_by", sa.BigInteger(), nullable=True),
        sa.Column("pinned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_pins_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_pins_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pinned_by"], ["users.id"], name=op.f("fk_pins_pinned_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_pins")),
    )
    op.create_index("ix_pins_conversation_id_pinned_at", "pins", ["conversation_id", "pinned_at"])
    op.create_index(op.f("ix_pins_pinned_by"), "pins", ["pinned_by"])
    op.create_table(
        "files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uploader_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("is_image", sa.Boolean(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_files_uploader_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_files_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_files_uploader_id_created_at", "files", ["uploader_id", "created_at"])
    op.create_index(op.f("ix_files_message_id"), "files", ["message_id"])
    op.create_index(op.f("ix_files_sha256"), "files", ["sha256"])
    op.create_index(op.f("ix_files_thumbnail_sha256"), "files", ["thumbnail_sha256"])
    op.create_index(op.f("ix_files_created_at"), "files", ["created_at"])


def downgrade() -> None:
    op.drop_table("files")
    op.drop_table("pins")
    op.drop_table("reactions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("color")
        batch.drop_column("avatar_sha256")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("preview")
