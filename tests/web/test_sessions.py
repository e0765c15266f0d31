"""Settings → sessions and tokens: list your own, end one (its sockets close with 4401 at
once), and ``last_seen_at`` refreshed at most every few minutes without a write per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import select

from minimost.config import Settings
from minimost.db.models import Session
from tests.factories import PASSWORD
from tests.live import (
    COOKIE,
    InProcessServer,
    LiveUser,
    LiveUsers,
    closed,
    hello,
    recv_until,
    serve_app as serve,
    session_cookie,
)
from tests.web.account_helpers import audit_rows, sign_in, signed_in
from tests.web.helpers import API, assert_error, bearer_client


async def test_lists_your_sessions_newest_first_with_the_current_one_marked(app, users):
    alice = await users("alice")
    other = await sign_in(app, "alice", ip="192.0.2.10")
    await users("bob")
    body = (await alice.get(f"{API}/me/sessions")).json()
    sessions = body["sessions"]
    assert len(sessions) == 2  # bob's are not hers
    assert [s["current"] for s in sessions] == [False, True]
    newest = sessions[0]
    assert set(newest) == {"id", "created_at", "last_seen_at", "ip", "user_agent", "current"}
    assert newest["ip"] == "192.0.2.10"
    assert newest["user_agent"].startswith("python-httpx")
    mine = (await other.get(f"{API}/me/sessions")).json()["sessions"]
    assert [s["current"] for s in mine] == [True, False]


async def test_ending_a_session_signs_it_out_and_only_your_own(app, users):
    alice = await users("alice")
    other = await sign_in(app, "alice")
    bob = await users("bob")
    sessions = (await alice.get(f"{API}/me/sessions")).json()["sessions"]
    other_id = next(s["id"] for s in sessions if not s["current"])
    bobs = (await bob.get(f"{API}/me/sessions")).json()["sessions"][0]["id"]

    assert_error(await alice.delete(f"{API}/me/sessions/{bobs}"), 404, "not_found")
    assert_error(await alice.delete(f"{API}/me/sessions/999999"), 404, "not_found")
    assert await signed_in(bob)

    assert (await alice.delete(f"{API}/me/sessions/{other_id}")).status_code == 204
    assert not await signed_in(other)
    assert await signed_in(alice)
    assert_error(await alice.delete(f"{API}/me/sessions/{other_id}"), 404, "not_found")
    (record,) = await audit_rows(app, "session_revoke")
    assert record.target == f"session:{other_id}"


async def test_last_seen_is_refreshed_every_few_minutes_not_every_request(app, users, clock):
    alice = await users("alice")
    db = app.state.minimost.ctx.db

    async def last_seen() -> object:
        async with db.read() as conn:
            return await conn.scalar(
                select(Session.last_seen_at).where(Session.user_id == alice.id)
            )

    signed_up = await last_seen()
    assert signed_up == clock.now()
    clock.advance(60)  # past the auth cache, not the refresh interval: no write
    assert await signed_in(alice)
    assert await last_seen() == signed_up
    clock.advance(5 * 60)
    assert await signed_in(alice)
    assert await last_seen() == clock.now()
    listed = (await alice.get(f"{API}/me/sessions")).json()["sessions"][0]
    assert listed["last_seen_at"].startswith(clock.now().strftime("%Y-%m-%dT%H:%M"))


async def test_tokens_list_and_revoke(app, users):
    alice = await users("alice")
    bob = await users("bob")
    token = await alice.token("deploy")
    bobs_token = await bob.token("bots")
    listed = (await alice.get(f"{API}/me/tokens")).json()["tokens"]
    assert [t["name"] for t in listed] == ["deploy"]
    assert set(listed[0]) == {"id", "name", "created_at"}  # never the secret
    bob_token_id = (await bob.get(f"{API}/me/tokens")).json()["tokens"][0]["id"]
    assert_error(await alice.delete(f"{API}/me/tokens/{bob_token_id}"), 404, "not_found")

    async with bearer_client(app, token) as script:
        assert (await script.get(f"{API}/me")).status_code == 200
        assert (await alice.delete(f"{API}/me/tokens/{listed[0]['id']}")).status_code == 204
        assert_error(await script.get(f"{API}/me"), 401, "not_authenticated")
    async with bearer_client(app, bobs_token) as bots:
        assert (await bots.get(f"{API}/me")).status_code == 200
    assert (await alice.get(f"{API}/me/tokens")).json()["tokens"] == []
    assert [r.action for r in await audit_rows(app, "token_revoke")] == ["token_revoke"]


# --- sockets of an ended session close at once -------------------------------------------


@pytest.fixture
async def live(settings_factory: Callable[..., Settings]) -> AsyncIterator[InProcessServer]:
    async with serve(settings_factory()) as server:
        yield server


async def second_session(live: InProcessServer, user: LiveUser) -> LiveUser:
    async with httpx.AsyncClient(base_url=live.url, trust_env=False) as anon:
        response = await anon.post(
            f"{API}/auth/login", json={"username": user.username, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    session = session_cookie(response)
    client = httpx.AsyncClient(
        base_url=live.url, headers={"Cookie": f"{COOKIE}={session}"}, trust_env=False
    )
    return LiveUser(
        client, user.id, user.username, response.json()["csrf_token"],
        base_url=live.url, session=session,
    )  # fmt: skip


async def test_ending_a_session_closes_its_sockets_with_4401(live: InProcessServer) -> None:
    people = LiveUsers(live.url)
    try:
        alice = await people("alice")
        laptop = await second_session(live, alice)
        async with alice.connect() as here, laptop.connect() as there:
            await hello(here)
            await hello(there)
            sessions = (await alice.get(f"{API}/me/sessions")).json()["sessions"]
            laptop_id = next(s["id"] for s in sessions if not s["current"])
            assert (await alice.delete(f"{API}/me/sessions/{laptop_id}")).status_code == 204
            gone = await closed(there)
            assert gone.code == 4401
            # This tab stays, and hears which session ended (e.g. to refresh its list).
            frames = await recv_until(here, lambda f: f["type"] == "session.ended")
            assert frames[-1]["data"] == {"session_ids": [laptop_id], "all": False}
            assert alice.id in {c.user_id for c in live.hub.by_user.get(alice.id, ())}
        await laptop.aclose()
    finally:
        await people.aclose()
