"""Alembic environment. Runs on a connection handed in by ``minimost.db.migrate``."""

from __future__ import annotations

from alembic import context

from minimost.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we always pass one (see migrate.py)
    raise RuntimeError("run migrations through `minimost db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
