"""``minimost reset-password USER`` and the link it prints: one use, until it expires; using it
ends every session, clears a lockout and is audited; the person is told in the app."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from minimost.cli import app as cli
from minimost.cli.reset_password import default_base_url
from minimost.config import Settings
from minimost.db.models import PasswordReset
from minimost.domain.actions.credentials import create_password_reset
from minimost.domain.clock import FakeClock
from minimost.domain.tokens import token_hash
from tests.factories import PASSWORD
from tests.web.account_helpers import (
    NEW_PASSWORD,
    all_audit_text,
    audit_rows,
    login_status,
    sign_in,
    signed_in,
)
from tests.web.helpers import API, anonymous, assert_error

RESET = f"{API}/auth/reset-password"
runner = CliRunner()


@pytest.fixture
def clock() -> FakeClock:
    # The CLI runs on the real clock: the app's must not be far from it.
    return FakeClock(datetime.now(UTC))


def cli_args(settings: Settings, *args: str) -> list[str]:
    extra = ["--database-url", settings.database_url] if settings.database_url else []
    return ["reset-password", *args, "--data-dir", str(settings.data_dir), *extra]


async def run_cli(settings: Settings, *args: str) -> Any:
    # The command runs its own event loop (asyncio.run): give it a thread.
    return await asyncio.to_thread(runner.invoke, cli, cli_args(settings, *args))


async def reset(
    app: Any, token: str, password: str = NEW_PASSWORD, ip: str = "198.51.100.9"
) -> Any:
    async with anonymous(app, ip) as client:
        return await client.post(RESET, json={"token": token, "new_password": password})


async def test_cli_prints_a_one_time_link_and_notifies_the_user(app, users, settings):
    alice = await users("alice")
    result = await run_cli(settings, "alice", "--expires", "30")
    assert result.exit_code == 0, (result.output, result.stderr)
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("https://127.0.0.1:5000/reset-password/"), url
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 43
    assert "alice" in result.stdout and "30 minute" in result.stdout
    # Only the hash is stored.
    async with app.state.minimost.ctx.db.read() as conn:
        rows = (await conn.execute(select(PasswordReset))).all()
    assert [r.token_hash for r in rows] == [token_hash(token)]
    assert token not in await all_audit_text(app)
    (requested,) = await audit_rows(app, "password_reset_request")
    assert requested.target == f"user:{alice.id}" and requested.actor_name == "cli"
    # The notice: a DM from the "minimost" account.
    listing = await alice.listing()
    (dm,) = [c for c in listing.values() if c["kind"] == "dm"]
    assert [m["username"] for m in dm["members"] if m["id"] != alice.id] == ["minimost"]
    history = (await alice.get(f"{API}/conversations/{dm['id']}/messages")).json()["messages"]
    assert len(history) == 1
    assert "password reset" in history[0]["text"] and "30 minute" in history[0]["text"]
    assert token not in history[0]["text"]

    # The link works, once.
    response = await reset(app, token)
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "alice"}
    assert (await login_status(app, "alice", NEW_PASSWORD))[0] == 200
    assert_error(await reset(app, token, "Another-pass-9!"), 400, "reset_link_invalid")
    assert (await login_status(app, "alice", "Another-pass-9!"))[0] == 401


async def test_cli_exit_codes_and_base_url(app, users, settings):
    await users("alice")
    unknown = await run_cli(settings, "nobody")
    assert unknown.exit_code == 1
    assert "no such user: nobody" in unknown.stderr and unknown.stdout == ""
    for bad in (["alice", "--expires", "0"], ["alice", "--expires", "soon"], []):
        result = await run_cli(settings, *bad)
        assert result.exit_code == 2, (bad, result.output)
    bad_base = await run_cli(settings, "alice", "--base-url", "chat.example.com")
    assert bad_base.exit_code == 2 and "--base-url" in bad_base.stderr
    custom = await run_cli(settings, "alice", "--base-url", "https://chat.example.com/")
    assert custom.exit_code == 0, custom.output
    assert (
        custom.stdout.strip()
        .splitlines()[-1]
        .startswith("https://chat.example.com/reset-password/")
    )
    assert "--settings" in runner.invoke(cli, ["reset-password", "--help"]).stdout


def test_default_base_url_is_the_servers_address(tmp_path, monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "chatbox")

    def make(**kw: object) -> Settings:
        return Settings.model_validate({"data_dir": tmp_path, **kw})

    assert default_base_url(make()) == "https://127.0.0.1:5000"
    assert default_base_url(make(host="0.0.0.0", port=6767)) == "https://chatbox:6767"
    assert default_base_url(make(host="::1", tls=False)) == "http://[::1]:5000"


async def test_using_the_link_ends_every_session_and_clears_the_lockout(app, users, clock):
    alice = await users("alice")
    other = await sign_in(app, "alice")
    bob = await users("bob")
    for _ in range(app.state.minimost.settings.max_login_attempts):
        await login_status(app, "alice", "Wrong-password-1")
    assert await login_status(app, "alice", PASSWORD) == (403, "account_locked")

    link = await create_password_reset(app.state.minimost.ctx, "alice", expires_minutes=60)
    response = await reset(app, link.token)
    assert response.status_code == 200, response.text
    assert not await signed_in(alice)
    assert not await signed_in(other)
    assert await signed_in(bob)
    assert (await login_status(app, "alice", NEW_PASSWORD))[0] == 200  # no longer locked
    (used,) = [r for r in await audit_rows(app, "password_reset") if r.outcome == "success"]
    assert used.actor_id == alice.id and used.ip == "198.51.100.9"
    assert link.token not in await all_audit_text(app)


async def test_the_link_dies_at_expiry(app, users, clock):
    await users("alice")
    link = await create_password_reset(app.state.minimost.ctx, "alice", expires_minutes=10)
    clock.advance(10 * 60 + 1)
    assert_error(await reset(app, link.token), 400, "reset_link_invalid")
    assert (await login_status(app, "alice", PASSWORD))[0] == 200


async def test_unknown_used_and_expired_links_look_the_same(app, users, clock):
    await users("alice")
    ctx = app.state.minimost.ctx
    used = await create_password_reset(ctx, "alice", expires_minutes=10)
    assert (await reset(app, used.token)).status_code == 200
    expired = await create_password_reset(ctx, "alice", expires_minutes=1)
    clock.advance(61)
    answers = [
        (await reset(app, token, "Yet-another-pass-3")).json()
        for token in (used.token, expired.token, "x" * 43)
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["error"]["code"] == "reset_link_invalid"


async def test_a_new_link_replaces_the_old_one(app, users):
    await users("alice")
    ctx = app.state.minimost.ctx
    first = await create_password_reset(ctx, "alice", expires_minutes=60)
    second = await create_password_reset(ctx, "alice", expires_minutes=60)
    assert_error(await reset(app, first.token), 400, "reset_link_invalid")
    assert (await reset(app, second.token)).status_code == 200


async def test_the_new_password_must_follow_the_rule(app, users):
    await users("alice")
    link = await create_password_reset(app.state.minimost.ctx, "alice", expires_minutes=60)
    error = assert_error(await reset(app, link.token, "weak"), 422, "validation_error")
    assert "new_password" in error["fields"]
    assert (await reset(app, link.token)).status_code == 200  # still usable after that


@pytest.mark.settings(rate_limits={"password_reset": [3, 3600]})
async def test_guessing_links_is_rate_limited_per_address(app, users):
    await users("alice")
    for _ in range(3):
        assert_error(await reset(app, "guess" * 9), 400, "reset_link_invalid")
    assert_error(await reset(app, "guess" * 9), 429, "rate_limited")
    assert_error(await reset(app, "guess" * 9, ip="192.0.2.44"), 400, "reset_link_invalid")


async def test_reset_and_forgot_pages(client):
    page = await client.get("/reset-password/some-token")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert '<script type="module" src="/static/js/reset-password.js">' in page.text
    assert "some-token" not in page.text
    forgot = await client.get("/forgot-password")
    assert forgot.status_code == 200 and "minimost reset-password" in forgot.text
    login = await client.get("/login")
    assert 'href="/forgot-password"' in login.text
