"""``minimost users``: against the running app's database (SQLite and PostgreSQL); every
change is audited as ``cli`` and takes effect for signed-in users."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner, Result

from minimost.cli import app as cli
from minimost.db.models import AuditRecord, Message
from minimost.domain.clock import SystemClock
from tests.factories import PASSWORD
from tests.web.helpers import anonymous

runner = CliRunner()


async def invoke(settings: Any, *args: str, input: str | None = None) -> Result:
    """Run the CLI in a thread (it runs its own event loop) against the app's database."""
    flags = ["--data-dir", str(settings.data_dir)]
    if settings.database_url:
        flags += ["--database-url", settings.database_url]
    return await asyncio.to_thread(
        runner.invoke, cli, [*args, *flags], input=input, env={"COLUMNS": "200"}
    )


async def audit_rows(app: Any, action: str) -> list[Any]:
    async with app.state.minimost.ctx.db.read() as conn:
        rows = await conn.execute(select(AuditRecord).where(AuditRecord.action == action))
        return list(rows.all())


async def test_list_and_show(app: Any, users: Any, settings: Any) -> None:
    alice = await users("alice")  # the first account: admin
    await users("bob")
    await alice.send("general", "hi")
    table = await invoke(settings, "users", "list")
    assert table.exit_code == 0, table.output
    assert "alice" in table.stdout and "bob" in table.stdout and "admin" in table.stdout
    lines = (await invoke(settings, "users", "list", "--json")).stdout.splitlines()
    rows = {r["username"]: r for r in map(json.loads, lines)}
    assert rows["alice"]["admin"] is True and rows["bob"]["admin"] is False
    assert rows["bob"]["status"] == "active"
    shown = await invoke(settings, "users", "show", "ALICE")
    assert shown.exit_code == 0 and "messages" in shown.stdout
    missing = await invoke(settings, "users", "show", "nobody")
    assert missing.exit_code == 1 and "no such user" in missing.stderr


async def test_promote_demote_and_the_last_admin(app: Any, users: Any, settings: Any) -> None:
    alice, bob = await users("alice"), await users("bob")
    refused = await invoke(settings, "users", "demote", "alice")
    assert refused.exit_code == 1 and "last active admin" in refused.stderr
    assert (await invoke(settings, "users", "disable", "alice")).exit_code == 1
    promoted = await invoke(settings, "users", "promote", "bob")
    assert promoted.exit_code == 0 and "now an admin" in promoted.stdout
    again = await invoke(settings, "users", "promote", "bob")
    assert again.exit_code == 0 and "already" in again.stdout
    assert (await invoke(settings, "users", "demote", "alice")).exit_code == 0
    assert (await invoke(settings, "users", "demote", "bob")).exit_code == 1
    app.state.minimost.ctx.clock.advance(6)  # past the 5 s actor cache
    me = (await bob.get("/api/v1/me")).json()
    assert me.get("is_admin", me.get("user", {}).get("is_admin")) is True
    records = await audit_rows(app, "demote")
    assert [(r.actor_name, r.outcome) for r in records] == [
        ("cli", "refused"),
        ("cli", "success"),
        ("cli", "refused"),
    ]
    assert records[1].target == "user:alice"
    assert (await invoke(settings, "users", "promote", "nobody")).exit_code == 1
    del alice


async def test_disable_ends_sessions_and_blocks_login(app: Any, users: Any, settings: Any) -> None:
    await users("alice")
    bob = await users("bob")
    token = await bob.token()
    result = await invoke(settings, "users", "disable", "bob")
    assert result.exit_code == 0, result.output
    app.state.minimost.ctx.clock.advance(6)  # past the 5 s actor cache
    assert (await bob.get("/api/v1/me")).status_code == 401
    bearer = await bob.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401
    login = await bob.client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}
    )
    assert login.status_code == 403 and login.json()["error"]["code"] == "account_disabled"
    wrong = await bob.client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": "Not-the-password-1"}
    )
    assert wrong.json()["error"]["code"] == "invalid_credentials"  # nothing revealed
    listed = await invoke(settings, "users", "list", "--json")
    assert {"username": "bob", "status": "disabled"}.items() <= {
        k: v
        for r in map(json.loads, listed.stdout.splitlines())
        if r["username"] == "bob"
        for k, v in r.items()
    }.items()
    assert (await invoke(settings, "users", "enable", "bob")).exit_code == 0
    again = await bob.client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}
    )
    assert again.status_code == 200
    assert [r.outcome for r in await audit_rows(app, "disable")] == ["success"]


async def test_unlock_lifts_a_lockout(
    app: Any, users: Any, settings: Any, monkeypatch: Any
) -> None:
    clock = app.state.minimost.ctx.clock
    # The CLI runs on the system clock: let it share the test's injected time.
    monkeypatch.setattr(SystemClock, "now", lambda self: clock.now())
    await users("alice")
    wrong = {"username": "alice", "password": "Not-the-password-1"}
    right = {"username": "alice", "password": PASSWORD}
    async with anonymous(app, "198.51.100.1") as stranger:
        for _ in range(5):  # max_login_attempts
            assert (await stranger.post("/api/v1/auth/login", json=wrong)).status_code == 401
        locked = await stranger.post("/api/v1/auth/login", json=right)
        assert locked.json()["error"]["code"] == "account_locked"
        listed = await invoke(settings, "users", "list", "--json")
        statuses = {r["username"]: r["status"] for r in map(json.loads, listed.stdout.splitlines())}
        assert statuses["alice"] == "locked"
        result = await invoke(settings, "users", "unlock", "alice")
        assert result.exit_code == 0 and "alice is unlocked" in result.stdout, result.output
        assert (await stranger.post("/api/v1/auth/login", json=right)).status_code == 200
    again = await invoke(settings, "users", "unlock", "alice")
    assert again.exit_code == 0 and "alice is not locked" in again.stdout
    missing = await invoke(settings, "users", "unlock", "nobody")
    assert missing.exit_code == 1 and "no such user" in missing.stderr
    records = await audit_rows(app, "unlock")
    assert [(r.actor_name, r.outcome, r.target) for r in records] == [
        ("cli", "success", "user:alice"),
        ("cli", "refused", "user:nobody"),
    ]


async def test_delete_soft_and_hard(app: Any, users: Any, settings: Any) -> None:
    await users("alice")
    bob, carol = await users("bob"), await users("carol")
    await bob.send("general", "bob stays")
    for i in range(3):
        await carol.send("general", f"carol {i}")
    declined = await invoke(settings, "users", "delete", "bob", input="n\n")
    assert declined.exit_code == 1
    soft = await invoke(settings, "users", "delete", "bob", "--yes")
    assert soft.exit_code == 0, soft.output
    hard = await invoke(settings, "users", "delete", "carol", "--hard", "--yes")
    assert hard.exit_code == 0 and "3 message(s) deleted" in hard.stdout
    async with app.state.minimost.ctx.db.read() as conn:
        bodies = set((await conn.execute(select(Message.body_md))).scalars())
    assert "bob stays" in bodies and not any(b.startswith("carol") for b in bodies)
    assert (await invoke(settings, "users", "show", "carol")).exit_code == 1
    assert (await invoke(settings, "users", "delete", "alice", "--yes")).exit_code == 1


async def test_bad_settings_exit_2(tmp_path: Any) -> None:
    bad = tmp_path / "settings.json"
    bad.write_text('{"max_login_attempts": -1}')
    result = await asyncio.to_thread(
        runner.invoke, cli, ["users", "list", "--settings", str(bad), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "max_login_attempts" in result.stderr
