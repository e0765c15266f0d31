"""Write audit records inside the caller's transaction. Never pass secrets or message text.

Optionally every record is also appended, once its transaction has committed, as one JSON
line to the ``audit_log_file`` setting (for shipping to a log collector). The file path
rides on the write engine's execution options (``attach_file``) rather than on a global:
each app (and each test) has its own engine, so its own sink.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy import insert

from minimost.db.engine import Database, Tx
from minimost.db.models import AuditRecord

FILE_OPTION = "minimost_audit_file"
log = logging.getLogger(__name__)


def attach_file(db: Database, path: str | Path) -> None:
    """Append every committed audit record written through ``db`` to ``path`` as JSON."""
    if str(path):
        db.write_engine.update_execution_options(**{FILE_OPTION: str(path)})


def _append(path: str, line: bytes) -> None:
    # O_APPEND: one write() per record, so lines from several workers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


async def record(
    tx: Tx,
    *,
    at: datetime,
    action: str,
    outcome: str,
    actor_id: int | None = None,
    actor_name: str = "",
    ip: str = "",
    target: str = "",
    detail: str = "",
) -> None:
    values = {
        "at": at,
        "action": action,
        "outcome": outcome,
        "actor_id": actor_id,
        "actor_name": actor_name[:64],
        "ip": ip[:64],
        "target": target[:255],
        "detail": detail[:1000],
    }
    await tx.conn.execute(insert(AuditRecord).values(**values))
    path = tx.conn.engine.sync_engine.get_execution_options().get(FILE_OPTION)
    if path:
        line = orjson.dumps({**values, "at": at.isoformat()}) + b"\n"

        async def write_line() -> None:
            try:
                _append(path, line)
            except OSError:
                # The database row is the record of truth; a full disk must not fail logins.
                log.warning("cannot append to audit log file %s", path)

        tx.after_commit(write_line)
