"""``minimost audit`` filters and formats; the optional JSON-lines file; membership records."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from minimost.cli import app as cli
from minimost.cli.audit import parse_since
from tests.conftest import client_for
from tests.factories import PASSWORD

runner = CliRunner()


async def invoke(settings: Any, *args: str) -> Result:
    flags = ["--data-dir", str(settings.data_dir)]
    if settings.database_url:
        flags += ["--database-url", settings.database_url]
    return await asyncio.to_thread(runner.invoke, cli, [*args, *flags], env={"COLUMNS": "200"})


def records(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def settings(settings_factory: Any, tmp_path: Path) -> Any:
    return settings_factory(audit_log_file=str(tmp_path / "audit.jsonl"))


async def test_filters_and_formats(app: Any, users: Any, settings: Any, clock: Any) -> None:
    alice = await users("alice")
    bob = await users("bob")
    async with client_for(app) as client:
        await client.post(
            "/api/v1/auth/login", json={"username": "bob", "password": "Wrong-pass-12"}
        )
        await client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    private = await alice.create_private("plans")
    assert (await alice.put(f"/api/v1/conversations/{private}/members/{bob.id}")).status_code < 300
    assert (await bob.delete(f"/api/v1/conversations/{private}/members/{bob.id}")).status_code < 300
    assert (await invoke(settings, "users", "disable", "bob")).exit_code == 0

    everything = records(await invoke(settings, "audit", "--json"))
    actions = [r["action"] for r in everything]
    assert actions[:2] == ["signup", "signup"]
    assert {"login", "member_add", "member_leave", "disable"} <= set(actions)
    logins = records(
        await invoke(settings, "audit", "--json", "--user", "bob", "--action", "login")
    )
    assert [(r["outcome"], r["detail"]) for r in logins] == [
        ("failure", "bad password"),
        ("success", ""),
    ]
    assert all(r["ip"] == "203.0.113.7" for r in logins)
    about_bob = records(await invoke(settings, "audit", "--json", "--user", "bob"))
    assert any(r["action"] == "disable" and r["actor"] == "cli" for r in about_bob)
    # The app's records carry its fake clock (2026-01-01); the CLI's carry the real time.
    later = (clock.now() + timedelta(days=1)).date().isoformat()
    recent = records(await invoke(settings, "audit", "--json", "--since", later))
    assert [r["action"] for r in recent] == ["disable"]
    assert [
        r["action"] for r in records(await invoke(settings, "audit", "--json", "--since", "1h"))
    ] == ["disable"]
    assert len(records(await invoke(settings, "audit", "--json", "--limit", "2"))) == 2
    table = await invoke(settings, "audit", "--action", "member_add")
    assert table.exit_code == 0 and "member_add" in table.stdout and "conversation:" in table.stdout
    bad = await invoke(settings, "audit", "--since", "yesterday-ish")
    assert bad.exit_code == 2 and "--since" in bad.stderr

    # The same records, appended as JSON lines after each commit, with no secrets.
    lines = Path(settings.audit_log_file).read_text().splitlines()
    logged = [json.loads(line) for line in lines]
    # (The CLI run above had no audit_log_file setting: its own record is only in the db.)
    assert [r["action"] for r in logged] == [a for a in actions if a != "disable"]
    assert {"at", "actor_name", "ip", "action", "target", "outcome"} <= set(logged[0])
    text = "\n".join(lines)
    assert PASSWORD not in text and "Wrong-pass-12" not in text


def test_parse_since() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2026-02-01", now) == datetime(2026, 2, 1, tzinfo=UTC)
    assert parse_since("2026-02-01T10:00+01:00", now).utcoffset() == timedelta(hours=1)
    with pytest.raises(ValueError, match="format"):
        parse_since("soon", now)
