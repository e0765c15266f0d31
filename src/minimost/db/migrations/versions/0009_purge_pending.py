"""resumable hard purges: ``users.purge_requested_at``

A hard account deletion marks the account deleted first, then purges its messages in many
short transactions. This column records that a purge is still owed (set in the same
transaction as ``deleted_at``, cleared when the last message is gone), so the retention
janitor can finish a purge that a crash or restart interrupted.

``op.add_column`` only: a plain ``ALTER TABLE ... ADD COLUMN``, no table rebuild.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from minimost.db.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("purge_requested_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (no rebuild).
    op.drop_column("users", "purge_requested_at")
