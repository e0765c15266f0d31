"""POST /api/v1/me/password: the current password is required, the spec's rule applies, every
other session ends (this one stays), and a wrong current password counts toward the lockout."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.web.account_helpers import (
    NEW_PASSWORD,
    all_audit_text,
    audit_rows,
    login_status,
    sign_in,
    signed_in,
)
from tests.web.helpers import API, EventLog, assert_error, bearer_client

URL = f"{API}/me/password"


async def test_change_ends_other_sessions_keeps_this_one(app, users):
    alice = await users("alice")
    laptop = await sign_in(app, "alice")
    phone = await sign_in(app, "alice")
    bob = await users("bob")
    token = await alice.token()
    log = await EventLog.begin(app)

    response = await alice.post(
        URL, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"ended_sessions": 2}

    assert await signed_in(alice)
    assert not await signed_in(laptop)
    assert not await signed_in(phone)
    assert await signed_in(bob)  # nobody else is touched
    async with bearer_client(app, token) as script:  # tokens are not sessions (documented)
        assert (await script.get(f"{API}/me")).status_code == 200
    assert await login_status(app, "alice", PASSWORD) == (401, "invalid_credentials")
    assert (await login_status(app, "alice", NEW_PASSWORD))[0] == 200
    # The ended sessions are announced to alice alone (her other tabs close, see test_sessions).
    ended = [e for e in await log.new() if e.type == "session.ended"]
    assert len(ended) == 1 and ended[0].user_id == alice.id and ended[0].conversation_id is None
    assert len(ended[0].data["session_ids"]) == 2 and ended[0].data["all"] is False
    (record,) = await audit_rows(app, "password_change")
    assert record.outcome == "success" and record.actor_id == alice.id
    text = await all_audit_text(app)
    assert PASSWORD not in text and NEW_PASSWORD not in text


async def test_wrong_current_password_is_403_and_changes_nothing(app, users):
    alice = await users("alice")
    other = await sign_in(app, "alice")
    response = await alice.post(
        URL, json={"current_password": "Not-the-password-1", "new_password": NEW_PASSWORD}
    )
    assert_error(response, 403, "wrong_password")
    assert await signed_in(other)
    assert (await login_status(app, "alice", PASSWORD))[0] == 200
    (failure,) = await audit_rows(app, "password_change")
    assert failure.outcome == "failure"


@pytest.mark.settings(max_login_attempts=3)
async def test_wrong_current_passwords_lock_this_session_like_failed_logins(app, users, clock):
    alice = await users("alice")
    wrong = {"current_password": "Not-the-password-1", "new_password": NEW_PASSWORD}
    for _ in range(3):
        assert_error(await alice.post(URL, json=wrong), 403, "wrong_password")
    # Locked: even the right password is refused in this session until it expires...
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_error(await alice.post(URL, json=right), 403, "account_locked")
    # ...but a stolen session cannot lock its owner out of signing in elsewhere.
    assert await login_status(app, "alice", PASSWORD) == (200, None)
    clock.advance(15 * 60 + 1)
    assert (await alice.post(URL, json=right)).status_code == 200


@pytest.mark.settings(max_login_attempts=3)
async def test_strangers_locking_the_name_do_not_stop_a_password_change(app, users):
    alice = await users("alice")
    for _ in range(3):
        await login_status(app, "alice", "Not-the-password-1")
    assert await login_status(app, "alice", PASSWORD) == (403, "account_locked")
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await alice.post(URL, json=right)).status_code == 200
    # The new password clears the lock (the guesses were against the old one).
    assert (await login_status(app, "alice", NEW_PASSWORD))[0] == 200


@pytest.mark.parametrize(
    ("new", "field"),
    [("short1!A", None), ("alllowercase-1", "new_password"), ("NoDigitsHere!", "new_password")],
)
async def test_the_password_rule_is_checked_on_the_server(app, users, new, field):
    alice = await users("alice")
    response = await alice.post(URL, json={"current_password": PASSWORD, "new_password": new})
    if field is None:  # 8 characters with every class: acceptable
        assert response.status_code == 200, response.text
        return
    error = assert_error(response, 422, "validation_error")
    assert "new_password" in error["fields"]
    assert (await login_status(app, "alice", PASSWORD))[0] == 200


async def test_the_same_password_again_is_refused(app, users):
    alice = await users("alice")
    response = await alice.post(URL, json={"current_password": PASSWORD, "new_password": PASSWORD})
    error = assert_error(response, 422, "validation_error")
    assert "new_password" in error["fields"]


@pytest.mark.settings(rate_limits={"password_reset": [2, 3600]})
async def test_changes_are_rate_limited_per_user(app, users):
    alice = await users("alice")
    wrong = {"current_password": "Not-the-password-1", "new_password": NEW_PASSWORD}
    for _ in range(2):
        assert_error(await alice.post(URL, json=wrong), 403, "wrong_password")
    assert_error(await alice.post(URL, json=wrong), 429, "rate_limited")
    bob = await users("bob")  # per user: bob has his own budget
    assert_error(await bob.post(URL, json=wrong), 403, "wrong_password")
