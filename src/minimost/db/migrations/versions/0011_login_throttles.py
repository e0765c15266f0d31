"""race-free lockout: ``login_throttles`` replaces ``users.failed_logins`` / ``locked_until``

The lockout counted failures on the account row after the password check, so concurrent
guesses all read "not locked" and were all checked; and it could only count names that
exist, so a lock told a stranger which names do. A row per guessing budget (an attempted
name, a remembered device, a session) is taken atomically *before* a check
(``domain.actions.lockout``). Current lockouts are not carried over: they would last at
most ``lockout_duration_minutes`` anyway.

``op.drop_column`` is an in-place ``ALTER TABLE ... DROP COLUMN`` on SQLite >= 3.35 (no
table rebuild, so no cascade through the foreign keys to ``users``).

Revision ID: 0011
Revises: 0009 (the lead re-chains after 0010)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from minimost.db.models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("reset_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(op.f("ix_login_throttles_reset_at"), "login_throttles", ["reset_at"])
    op.drop_column("users", "failed_logins")
    op.drop_column("users", "locked_until")


def downgrade() -> None:
    op.add_column("users", sa.Column("locked_until", UTCDateTime(), nullable=True))
    op.add_column(
        "users",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.drop_index(op.f("ix_login_throttles_reset_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
