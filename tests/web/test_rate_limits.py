"""Rate limits under the spec's action names (the limiter keeps real time, so no waiting)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.web.helpers import API, EventLog, anonymous, assert_error, message_count

SIGNUP = f"{API}/auth/signup"
LOGIN = f"{API}/auth/login"


def signup_body(username: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD}


def assert_rate_limited(response, window: int) -> None:
    assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window


@pytest.mark.settings(rate_limits={"signup": [2, 3600]})
async def test_signup_is_limited_per_ip(app):
    async with anonymous(app, "198.51.100.1") as first, anonymous(app, "198.51.100.2") as other:
        assert (await first.post(SIGNUP, json=signup_body("one"))).status_code == 201
        assert (await first.post(SIGNUP, json=signup_body("two"))).status_code == 201
        assert_rate_limited(await first.post(SIGNUP, json=signup_body("three")), 3600)
        # Another address is not affected.
        assert (await other.post(SIGNUP, json=signup_body("three"))).status_code == 201


@pytest.mark.settings(rate_limits={"send": [3, 60]})
async def test_send_is_limited_per_user(users, app):
    alice = await users("alice")
    bob = await users("bob")  # same IP as alice: the limit is per user
    for i in range(3):
        await alice.send("general", f"message {i}")
    log = await EventLog.begin(app)
    before = await message_count(app)
    response = await alice.post(
        f"{API}/conversations/{alice.channel('general')}/messages", json={"text": "one too many"}
    )
    assert_rate_limited(response, 60)
    assert await message_count(app) == before
    assert await log.new() == []
    await bob.send("general", "bob is fine")


@pytest.mark.settings(rate_limits={"login": [3, 60]})
async def test_login_is_limited_per_ip(users, app):
    for name in ("alice", "bob", "carol", "dave"):
        await users(name)
    async with anonymous(app, "198.51.100.9") as client:
        for name in ("alice", "bob", "carol"):
            body = {"username": name, "password": PASSWORD}
            assert (await client.post(LOGIN, json=body)).status_code == 200
        body = {"username": "dave", "password": PASSWORD}
        assert_rate_limited(await client.post(LOGIN, json=body), 60)
    async with anonymous(app, "198.51.100.10") as elsewhere:
        assert (await elsewhere.post(LOGIN, json=body)).status_code == 200


@pytest.mark.settings(rate_limits={"login": [3, 60]})
async def test_login_is_limited_per_username_across_ips(users, app):
    await users("alice")
    await users("bob")
    for i in range(3):
        async with anonymous(app, f"198.51.100.{20 + i}") as client:
            body = {"username": "alice", "password": "Wrong-password-1"}
            assert_error(await client.post(LOGIN, json=body), 401, "invalid_credentials")
    async with anonymous(app, "198.51.100.30") as client:
        # The right password from a fresh address is still refused: the name is hot.
        body = {"username": "ALICE", "password": PASSWORD}
        assert_rate_limited(await client.post(LOGIN, json=body), 60)
        bob = {"username": "bob", "password": PASSWORD}
        assert (await client.post(LOGIN, json=bob)).status_code == 200


@pytest.mark.settings(rate_limit_enabled=False, rate_limits={"signup": [1, 3600], "send": [1, 60]})
async def test_rate_limit_enabled_false_disables_every_limit(users, client):
    for name in ("one", "two", "three"):
        assert (await client.post(SIGNUP, json=signup_body(name))).status_code == 201
    alice = await users("alice")
    for i in range(3):
        await alice.send("general", f"message {i}")
