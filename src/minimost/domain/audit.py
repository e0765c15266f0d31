"""Write audit records inside the caller's transaction. Never pass secrets or message text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from minimost.db.engine import Tx
from minimost.db.models import AuditRecord


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
    await tx.conn.execute(
        insert(AuditRecord).values(
            at=at,
            action=action,
            outcome=outcome,
            actor_id=actor_id,
            actor_name=actor_name[:64],
            ip=ip[:64],
            target=target[:255],
            detail=detail[:1000],
        )
    )
