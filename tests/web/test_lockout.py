"""The lockout (docs/accounts.md, "Lockout"): race-free, no weapon, no oracle.

* At most ``max_login_attempts`` passwords are checked per lockout window, however many
  guesses arrive at once and however many processes answer them (the slot is taken in the
  database before argon2 runs).
* A locked name answers the same whether or not an account has it.
* A browser that signed in before (its device cookie) keeps its own budget, so strangers
  cannot lock its owner out; the admin CLI unlocks (tests/cli/test_users_cli.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minimost.app import create_app
from minimost.config import Settings
from minimost.domain.clock import FakeClock
from tests.factories import PASSWORD
from tests.web.account_helpers import audit_rows
from tests.web.helpers import API, anonymous, assert_error

LOGIN = f"{API}/auth/login"
WRONG = "Wrong-password-1"
DEVICE_COOKIE = "minimost_device"
# Rate limits out of the way: these tests are about the lockout alone.
NO_RATE_LIMIT = {"login": [10_000, 60], "signup": [10_000, 60]}


class VerifyCounter:
    """Counts the argon2 verifications an app runs (wraps the real ``verify``)."""

    def __init__(self) -> None:
        self.calls = 0

    def wrap(self, monkeypatch: pytest.MonkeyPatch, app: FastAPI) -> None:
        passwords = app.state.minimost.ctx.passwords
        real: Callable[[str | None, str], Awaitable[bool]] = passwords.verify

        async def counting(password_hash: str | None, password: str) -> bool:
            self.calls += 1
            return await real(password_hash, password)

        monkeypatch.setattr(passwords, "verify", counting)


async def attempt(app: FastAPI, username: str, password: str, ip: str) -> httpx.Response:
    async with anonymous(app, ip) as client:
        return await client.post(LOGIN, json={"username": username, "password": password})


@asynccontextmanager
async def second_process(settings: Settings, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """Another app on the same database, as another worker process would be."""
    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        yield other


@pytest.mark.settings(max_login_attempts=5, rate_limits=NO_RATE_LIMIT)
async def test_forty_concurrent_guesses_check_at_most_max_passwords(
    app: FastAPI, users: Any, settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await users("alice")
    counter = VerifyCounter()
    async with second_process(settings, clock) as other:
        for each in (app, other):
            counter.wrap(monkeypatch, each)
        # From forty addresses, half through each "process".
        responses = await asyncio.gather(
            *(
                attempt(app if i % 2 else other, "alice", WRONG, f"198.51.100.{i + 1}")
                for i in range(40)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert counter.calls <= 5, f"{counter.calls} passwords checked"
        assert statuses == [401] * 5 + [403] * 35, statuses
        # The right password from a browser that never signed in: refused, unchecked.
        right = await attempt(other, "alice", PASSWORD, "198.51.100.99")
        assert_error(right, 403, "account_locked")
        assert "set-cookie" not in right.headers
    assert counter.calls == 5


@pytest.mark.settings(max_login_attempts=3, lockout_duration_minutes=15, rate_limits=NO_RATE_LIMIT)
async def test_a_locked_unknown_name_answers_like_a_locked_account(
    app: FastAPI, users: Any
) -> None:
    await users("alice")
    for name in ("alice", "ghost"):
        for _ in range(3):
            assert_error(
                await attempt(app, name, WRONG, "198.51.100.1"), 401, "invalid_credentials"
            )
    known = await attempt(app, "alice", PASSWORD, "198.51.100.2")
    unknown = await attempt(app, "ghost", PASSWORD, "198.51.100.2")
    assert_error(known, 403, "account_locked")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert unknown.headers["retry-after"] == known.headers["retry-after"] == str(15 * 60)
    # Both are audited as lockouts (the operator sees which name exists; a stranger not).
    lockouts = {r.actor_name: r for r in await audit_rows(app, "lockout")}
    assert set(lockouts) == {"alice", "ghost"}
    assert lockouts["alice"].actor_id is not None and lockouts["ghost"].actor_id is None


@pytest.mark.settings(max_login_attempts=3, lockout_duration_minutes=15, rate_limits=NO_RATE_LIMIT)
async def test_a_known_device_signs_in_while_strangers_are_locked_out(
    app: FastAPI, users: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await users("alice")
    async with anonymous(app, "192.0.2.10") as laptop:
        first = await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert first.status_code == 200, first.text
        assert DEVICE_COOKIE in laptop.cookies
        cookie = next(c for c in first.headers.get_list("set-cookie") if DEVICE_COOKIE in c)
        assert all(a in cookie.lower() for a in ("httponly", "secure", "samesite=strict"))
        # A stranger locks the account for every browser that has not signed in before.
        for _ in range(3):
            await attempt(app, "alice", WRONG, "198.51.100.1")
        assert_error(await attempt(app, "alice", PASSWORD, "198.51.100.1"), 403, "account_locked")
        # The laptop still gets in with the right password.
        again = await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert again.status_code == 200, again.text
        # Its own wrong guesses lock only itself, for the same duration.
        counter = VerifyCounter()
        counter.wrap(monkeypatch, app)
        for _ in range(3):
            wrong = await laptop.post(LOGIN, json={"username": "alice", "password": WRONG})
            assert_error(wrong, 401, "invalid_credentials")
        locked = await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert_error(locked, 403, "account_locked")
        assert counter.calls == 3
        clock.advance(15 * 60)
        assert (
            await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        ).is_success
    # The stranger's lock has expired too.
    assert (await attempt(app, "alice", PASSWORD, "198.51.100.1")).status_code == 200


@pytest.mark.settings(max_login_attempts=2, rate_limits=NO_RATE_LIMIT)
async def test_a_device_cookie_vouches_only_for_its_own_account(app: FastAPI, users: Any) -> None:
    await users("alice")
    await users("bob")
    async with anonymous(app, "192.0.2.10") as laptop:
        assert (
            await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        ).is_success
        for _ in range(2):
            await attempt(app, "bob", WRONG, "198.51.100.1")
        bob = await laptop.post(LOGIN, json={"username": "bob", "password": PASSWORD})
        assert_error(bob, 403, "account_locked")
        real = laptop.cookies[DEVICE_COOKIE]
    # A tampered cookie (its date moved) is simply not a known device.
    device, issued, mac = real.split(".")
    for _ in range(2):
        await attempt(app, "alice", WRONG, "198.51.100.1")
    for value in (f"{device}.{int(issued) + 1}.{mac}", "forged.0.deadbeef", real):
        async with anonymous(app, "192.0.2.11") as other:
            other.cookies.set(DEVICE_COOKIE, value, domain="testserver.local", path="/api/v1/auth")
            response = await other.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        if value == real:  # the untouched cookie still vouches
            assert response.status_code == 200, response.text
        else:
            assert_error(response, 403, "account_locked")


@pytest.mark.settings(max_login_attempts=3, lockout_duration_minutes=15, rate_limits=NO_RATE_LIMIT)
async def test_the_failure_count_is_forgotten_after_the_window(
    app: FastAPI, users: Any, clock: FakeClock
) -> None:
    await users("alice")
    for _ in range(2):
        await attempt(app, "alice", WRONG, "198.51.100.1")
    clock.advance(15 * 60)
    # A fresh window: two more wrong passwords do not lock.
    for _ in range(2):
        assert_error(await attempt(app, "alice", WRONG, "198.51.100.1"), 401)
    assert (await attempt(app, "alice", PASSWORD, "198.51.100.1")).status_code == 200


@pytest.mark.settings(max_login_attempts=0, rate_limits=NO_RATE_LIMIT)
async def test_zero_attempts_disables_the_lockout(app: FastAPI, users: Any) -> None:
    await users("alice")
    for _ in range(10):
        assert_error(await attempt(app, "alice", WRONG, "198.51.100.1"), 401)
    assert (await attempt(app, "alice", PASSWORD, "198.51.100.1")).status_code == 200


@pytest.mark.settings(rate_limits={"login": [3, 60]})
async def test_flooding_a_name_does_not_rate_limit_its_known_devices(
    app: FastAPI, users: Any
) -> None:
    await users("alice")
    async with anonymous(app, "192.0.2.10") as laptop:
        assert (
            await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        ).is_success
        # Strangers from many addresses use up the name's rate limit...
        for i in range(3):
            await attempt(app, "alice", WRONG, f"198.51.100.{i + 1}")
        assert_error(await attempt(app, "alice", PASSWORD, "198.51.100.9"), 429, "rate_limited")
        # ...the laptop, counted on its own, still signs in.
        again = await laptop.post(LOGIN, json={"username": "alice", "password": PASSWORD})
        assert again.status_code == 200, again.text
