"""Passwords and tokens never reach the logs, whatever the log level."""

from __future__ import annotations

import logging

import pytest

from minimost.web.deps import COOKIE
from tests.web.helpers import API, anonymous, bearer_client

PASSWORD = "Sekrit-Passw0rd!"
WRONG = "Wr0ng-Guess-xyz!"


def leaks(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> list[str]:
    """Every captured line (message, arguments, traceback) that contains a secret."""
    found = []
    for record in caplog.records:
        text = " ".join(
            [record.getMessage(), repr(record.args), str(record.exc_text or ""), record.name]
        )
        found += [f"{record.name}: {text[:200]}" for s in secrets if s in text]
    return found


async def test_passwords_and_tokens_never_appear_in_logs(app, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every library logs into caplog
    async with anonymous(app) as browser:
        signup = await browser.post(
            f"{API}/auth/signup", json={"username": "alice", "password": PASSWORD}
        )
        assert signup.status_code == 201, signup.text
        login = await browser.post(
            f"{API}/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        failed = await browser.post(
            f"{API}/auth/login", json={"username": "alice", "password": WRONG}
        )
        assert failed.status_code == 401, failed.text
        session = browser.cookies[COOKIE]
        csrf = login.json()["csrf_token"]
        created = await browser.post(
            f"{API}/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf}
        )
        assert created.status_code == 201, created.text
        token = created.json()["token"]
        async with bearer_client(app, token) as script:
            assert (await script.get(f"{API}/me")).status_code == 200
            # A revoked/unknown token is refused without echoing it.
            async with bearer_client(app, token + "x") as bad:
                assert (await bad.get(f"{API}/me")).status_code == 401
    assert len(caplog.records) > 0  # something was logged (capture works), but no secret
    secrets = [PASSWORD, WRONG, session, token, csrf]
    assert all(len(s) >= 16 for s in secrets)
    assert leaks(caplog, secrets) == []
