"""``minimost audit``: read the audit log (who did what, from where, with what outcome).

``--since`` takes a date (``2025-01-31``), a time (``2025-01-31T14:00``, UTC unless an
offset is given) or a duration back from now (``30m``, ``12h``, ``7d``, ``2w``).
Exit codes: see ``cli.ops``.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from .exits import USAGE, fail
from .ops import console, operator_ctx
from .options import DatabaseUrl, DataDir, SettingsPath, settings_from

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime) -> datetime:
    """A date, a datetime or a duration back from ``now``; ValueError if none of these."""
    text = value.strip().lower()
    match = _DURATION.fullmatch(text)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def record_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor_name,
        "actor_id": row.actor_id,
        "ip": row.ip,
        "action": row.action,
        "target": row.target,
        "outcome": row.outcome,
        "detail": row.detail,
    }


def audit(
    since: Annotated[
        str | None, typer.Option("--since", help="DATE, DATETIME or a duration: 30m, 12h, 7d.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Records by or about this username.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="e.g. login, signup, disable, member_add.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest N records.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show audit records, oldest first (the newest --limit of those matching)."""
    from rich.table import Table

    from minimost.domain.queries.admin import audit_records

    cutoff = None
    if since is not None:
        try:
            cutoff = parse_since(since, datetime.now(UTC))
        except ValueError:
            raise fail(
                f"--since: expected a date, a datetime or a duration like 7d (got {since!r})",
                USAGE,
            ) from None
    resolved = settings_from(settings_path=settings, data_dir=data_dir, database_url=database_url)

    async def run() -> list[Any]:
        async with operator_ctx(resolved) as ctx, ctx.db.read() as conn:
            return await audit_records(conn, since=cutoff, user=user, action=action, limit=limit)

    rows = asyncio.run(run())
    if as_json:
        for row in rows:
            typer.echo(json.dumps(record_dict(row)))
        return
    table = Table(title=f"{len(rows)} audit record(s)")
    for column in ("time (UTC)", "actor", "ip", "action", "target", "outcome", "detail"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            row.actor_name or "-",
            row.ip or "-",
            row.action,
            row.target or "-",
            row.outcome,
            row.detail,
        )
    console().print(table)
