"""Sign-up, log-in, lockout, log-out and sessions, through the HTTP API."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.web.helpers import API, EventLog, anonymous, assert_error

SIGNUP = f"{API}/auth/signup"
LOGIN = f"{API}/auth/login"


async def signup(client, username: str, password: str = PASSWORD, **extra):
    return await client.post(SIGNUP, json={"username": username, "password": password, **extra})


async def login(client, username: str, password: str = PASSWORD):
    return await client.post(LOGIN, json={"username": username, "password": password})


# --- sign-up: usernames ---------------------------------------------------------------------


VALID_USERNAMES = {
    "alice": "alice",
    "Alice.Smith": "alice.smith",
    "a": "a",
    "x" * 32: "x" * 32,
    "dev_ops-42.team": "dev_ops-42.team",
}
BAD_USERNAMES = ["", "x" * 33, "with space", "émile", "semi;colon", "at@sign", "slash/name"]
RESERVED_USERNAMES = ["admin", "System", "EVERYONE", "here", "channel", "minimost"]
WEAK_PASSWORDS = {
    "Sh0rt!x": "7 characters",
    "lowercase-only-9": "no uppercase letter",
    "No-Digits-Here": "no digit",
    "NoSpecial123": "no special character",
    "": "empty",
}


async def test_signup_accepts_and_lowercases_valid_usernames(client):
    for given, stored in VALID_USERNAMES.items():
        # "Abcdef1!" is the shortest password that meets every rule.
        response = await signup(client, given, "Abcdef1!")
        assert response.status_code == 201, (given, response.text)
        assert response.json()["user"]["username"] == stored


async def test_signup_rejects_usernames_outside_the_alphabet(client):
    for username in BAD_USERNAMES:
        error = assert_error(await signup(client, username), 422, "validation_error")
        assert "username" in error["fields"], username


async def test_signup_rejects_reserved_usernames_in_any_case(client):
    for username in RESERVED_USERNAMES:
        error = assert_error(await signup(client, username), 422, "validation_error")
        assert "username" in error["fields"], username


async def test_usernames_are_unique_regardless_of_case(client, users):
    await users("alice")
    assert_error(await signup(client, "ALICE"), 409, "username_taken")
    assert_error(await signup(client, "alice"), 409, "username_taken")


# --- sign-up: passwords ---------------------------------------------------------------------


async def test_signup_rejects_weak_passwords_with_a_field_error(client):
    for password, why in WEAK_PASSWORDS.items():
        error = assert_error(await signup(client, "alice", password), 422, "validation_error")
        assert "password" in error["fields"], why
    # Nothing was created: the name is still free.
    assert (await signup(client, "alice")).status_code == 201


# --- sign-up: result ------------------------------------------------------------------------


async def test_first_account_is_admin_and_later_ones_are_not(client, app):
    first = await signup(client, "alice")
    assert first.json()["user"]["is_admin"] is True
    async with anonymous(app) as other:
        second = await signup(other, "bob")
        assert second.json()["user"]["is_admin"] is False
        me = await other.get(f"{API}/me")
    assert me.json()["user"] == {
        "id": second.json()["user"]["id"],
        "username": "bob",
        "display_name": "",
        "is_admin": False,
        "color": None,
        "avatar_url": None,
    }


async def test_signup_signs_in_with_a_hardened_session_cookie(client):
    response = await signup(client, "alice", display_name="Alice A.")
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["display_name"] == "Alice A."
    assert isinstance(body["csrf_token"], str)
    assert len(body["csrf_token"]) >= 32
    (cookie,) = [
        c for c in response.headers.get_list("set-cookie") if c.startswith("minimost_session=")
    ]
    assert cookie.startswith("minimost_session=")
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "secure" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=lax"
    assert attributes["path"].strip() == "Path=/"
    # The cookie works straight away.
    assert (await client.get(f"{API}/me")).status_code == 200


async def test_signup_joins_the_settings_channels(client, app):
    log = await EventLog.begin(app)
    await signup(client, "alice")
    listing = (await client.get(f"{API}/conversations")).json()["conversations"]
    assert sorted(c["name"] for c in listing) == ["general", "random"]
    assert all(c["kind"] == "public" for c in listing)
    # One member.added event per channel joined, for this user.
    events = await log.new()
    user_id = (await client.get(f"{API}/me")).json()["user"]["id"]
    assert [e.type for e in events] == ["member.added", "member.added"]
    assert {e.conversation_id for e in events} == {c["id"] for c in listing}
    assert {e.user_id for e in events} == {user_id}


async def test_failed_signup_leaves_no_event(client, users, app):
    await users("alice")
    log = await EventLog.begin(app)
    assert_error(await signup(client, "alice"), 409)
    assert_error(await signup(client, "bob", "weak"), 422)
    assert await log.new() == []


# --- log-in ---------------------------------------------------------------------------------


async def test_login_opens_a_new_session(users, app):
    await users("alice")
    async with anonymous(app) as client:
        response = await login(client, "Alice")
        assert response.status_code == 200, response.text
        assert response.json()["user"]["username"] == "alice"
        assert response.json()["user"]["is_admin"] is True
        assert "minimost_session=" in response.headers["set-cookie"]
        me = await client.get(f"{API}/me")
    assert me.status_code == 200
    assert me.json()["csrf_token"] == response.json()["csrf_token"]


async def test_wrong_password_and_unknown_user_get_the_same_401(users, client):
    await users("alice")
    wrong = assert_error(
        await login(client, "alice", "Wrong-password-1"), 401, "invalid_credentials"
    )
    unknown = assert_error(await login(client, "nobody", PASSWORD), 401, "invalid_credentials")
    assert wrong["message"] == unknown["message"]
    assert "set-cookie" not in (await login(client, "nobody")).headers


async def test_login_logout_and_tokens_leave_no_event(users, app):
    alice = await users("alice")
    log = await EventLog.begin(app)
    async with anonymous(app) as client:
        assert (await login(client, "alice")).status_code == 200
    await alice.token()
    assert (await alice.post(f"{API}/auth/logout")).status_code == 204
    assert await log.new() == []


@pytest.mark.settings(max_login_attempts=3, lockout_duration_minutes=15)
async def test_account_locks_after_max_failures_even_for_the_right_password(users, client, clock):
    await users("alice")
    for _ in range(3):
        assert_error(await login(client, "alice", "Wrong-password-1"), 401, "invalid_credentials")
    locked = await login(client, "alice", PASSWORD)
    assert_error(locked, 403, "account_locked")
    assert locked.headers["retry-after"] == str(15 * 60)
    assert "set-cookie" not in locked.headers

    clock.advance(15 * 60 - 1)
    still = await login(client, "alice", PASSWORD)
    assert_error(still, 403, "account_locked")
    assert still.headers["retry-after"] == "1"

    clock.advance(1)
    assert (await login(client, "alice", PASSWORD)).status_code == 200


@pytest.mark.settings(max_login_attempts=3)
async def test_lockout_is_per_account(users, client):
    await users("alice")
    await users("bob")
    for _ in range(3):
        await login(client, "alice", "Wrong-password-1")
    assert_error(await login(client, "alice"), 403, "account_locked")
    assert (await login(client, "bob")).status_code == 200


@pytest.mark.settings(max_login_attempts=3)
async def test_a_successful_login_resets_the_failure_count(users, client):
    await users("alice")
    for _ in range(2):
        assert_error(await login(client, "alice", "Wrong-password-1"), 401)
    assert (await login(client, "alice")).status_code == 200
    for _ in range(2):
        assert_error(await login(client, "alice", "Wrong-password-1"), 401)
    assert (await login(client, "alice")).status_code == 200


@pytest.mark.settings(max_login_attempts=3)
async def test_unknown_names_lock_like_accounts_and_only_themselves(users, client):
    await users("alice")
    for _ in range(3):
        assert_error(await login(client, "ghost", "Wrong-password-1"), 401, "invalid_credentials")
    # Locked like an account would be (tests/web/test_lockout.py compares the two answers).
    assert_error(await login(client, "ghost", "Wrong-password-1"), 403, "account_locked")
    assert (await login(client, "alice")).status_code == 200


# --- log-out and session lifetime -----------------------------------------------------------


async def test_logout_invalidates_the_session_cookie(users, app):
    alice = await users("alice")
    old_cookie = alice.client.cookies["minimost_session"]
    response = await alice.post(f"{API}/auth/logout")
    assert response.status_code == 204
    # The browser is told to forget the cookie...
    assert 'minimost_session=""' in response.headers["set-cookie"] or (
        "max-age=0" in response.headers["set-cookie"].lower()
    )
    # ...and the server forgot it too: replaying the old value is refused.
    async with anonymous(app) as replay:
        replay.cookies.set("minimost_session", old_cookie, domain="testserver")
        assert_error(await replay.get(f"{API}/me"), 401, "not_authenticated")


async def test_logout_ends_only_this_session(users, app):
    alice = await users("alice")
    async with anonymous(app) as laptop:
        assert (await login(laptop, "alice")).status_code == 200
        assert (await alice.post(f"{API}/auth/logout")).status_code == 204
        assert (await laptop.get(f"{API}/me")).status_code == 200


async def test_sessions_expire_after_session_days(users, clock):
    alice = await users("alice")
    clock.advance(30 * 86400 - 60)
    assert (await alice.get(f"{API}/me")).status_code == 200
    clock.advance(120)
    assert_error(await alice.get(f"{API}/me"), 401, "not_authenticated")
