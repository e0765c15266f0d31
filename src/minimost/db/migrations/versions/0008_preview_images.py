"""link preview images: ``messages.preview_image_sha256``

The blob of a preview's image (a thumbnail the server made of the page's ``og:image``) is
named in a column of its own, indexed, so the blob reaper can ask "is this blob still used?"
with an index lookup instead of searching every preview's JSON.

``op.add_column`` is a plain ``ALTER TABLE ... ADD COLUMN`` on SQLite too: the table is not
rebuilt, so the FTS triggers of 0007 stay in place (tests/db/test_search_index.py). Never
rebuild ``messages`` (``batch_alter_table``) without recreating them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "messages", sa.Column("preview_image_sha256", sa.String(length=64), nullable=True)
    )
    op.create_index(op.f("ix_messages_preview_image_sha256"), "messages", ["preview_image_sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_preview_image_sha256"), table_name="messages")
    # SQLite >= 3.35 drops a column in place (no rebuild), so the FTS triggers survive.
    op.drop_column("messages", "preview_image_sha256")
