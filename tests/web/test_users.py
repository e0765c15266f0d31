"""The user directory (``GET /api/v1/users``) and the presence override
(``PUT /api/v1/me/presence``, ``presence_override`` in ``GET /api/v1/me``)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from minimost.db.models import User
from minimost.domain.actions.dms import system_actor
from minimost.realtime.hub import Connection
from tests.factories import TestUser, UserFactory
from tests.web.helpers import API, anonymous, assert_error


async def directory(user: TestUser, **params: Any) -> list[dict[str, Any]]:
    response = await user.get(f"{API}/users", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["users"]
    return found


def names(found: list[dict[str, Any]]) -> list[str]:
    return [u["username"] for u in found]


async def test_q_matches_the_start_of_username_or_display_name(users: UserFactory) -> None:
    alice = await users("alice", display_name="Alice Liddell")
    await users("alicia")
    await users("carl", display_name="Al Carlson")
    await users("bob", display_name="Zed Bobson")
    await users("a_b")

    assert names(await directory(alice, q="AL")) == ["alice", "alicia", "carl"]
    assert names(await directory(alice, q="zed")) == ["bob"]  # display name, any case
    assert names(await directory(alice, q="son")) == []  # a prefix, not a substring
    assert names(await directory(alice, q="a_")) == ["a_b"]  # "_" is no wildcard
    assert names(await directory(alice, q="%")) == []
    assert names(await directory(alice)) == ["a_b", "alice", "alicia", "bob", "carl"]
    assert names(await directory(alice, limit=2)) == ["a_b", "alice"]
    assert (await directory(alice, q="alice")) == [
        {
            "id": alice.id,
            "username": "alice",
            "display_name": "Alice Liddell",
            "color": None,
            "avatar_url": None,
            "presence": "offline",
        }
    ]


async def test_deleted_and_system_accounts_are_not_listed(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    gone = await users("gone")
    state = app.state.minimost
    system = await system_actor(state.ctx)
    # No action deletes accounts yet; mark one as a deletion would.
    async with state.ctx.db.write() as tx:
        await tx.conn.execute(
            update(User).where(User.id == gone.id).values(deleted_at=state.ctx.clock.now())
        )
    listed = names(await directory(alice))
    assert listed == ["alice"]
    assert system.username not in listed


async def test_limit_and_q_are_bounded(users: UserFactory) -> None:
    alice = await users("alice")
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"q": "a" * 65}):
        assert_error(await alice.get(f"{API}/users", params=params), 422, "validation_error")
    assert names(await directory(alice, limit=100)) == ["alice"]


async def test_the_directory_needs_a_signed_in_user(app: FastAPI) -> None:
    async with anonymous(app) as client:
        assert_error(await client.get(f"{API}/users"), 401, "not_authenticated")


async def test_presence_comes_from_the_tracker(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    presence = app.state.minimost.presence
    # A socket of bob's, as the websocket endpoint registers it.
    conn = Connection(bob.id, lambda code, reason: None, 10)
    presence.connected(conn, None, presence.connecting(conn))
    try:
        assert {u["username"]: u["presence"] for u in await directory(alice)} == {
            "alice": "offline",
            "bob": "online",
        }
        presence.set_idle(conn, True)
        assert (await directory(alice, q="bob"))[0]["presence"] == "away"
        response = await bob.put(f"{API}/me/presence", json={"status": "dnd"})
        assert response.status_code == 200, response.text
        assert response.json() == {"presence": "dnd"}
        assert (await directory(alice, q="bob"))[0]["presence"] == "dnd"
    finally:
        presence.disconnected(conn)
    assert (await directory(alice, q="bob"))[0]["presence"] == "offline"


@pytest.mark.parametrize(("status", "stored"), [("away", "away"), ("dnd", "dnd"), ("auto", None)])
async def test_the_override_is_stored_and_shown_in_me(
    users: UserFactory, status: str, stored: str | None
) -> None:
    alice = await users("alice")
    me = await alice.get(f"{API}/me")
    assert me.json()["presence_override"] is None
    if stored is None:  # "auto" clears a previous override
        await alice.put(f"{API}/me/presence", json={"status": "dnd"})
    response = await alice.put(f"{API}/me/presence", json={"status": status})
    assert response.status_code == 200, response.text
    assert response.json() == {"presence": "offline"}  # no socket open: nobody sees her
    me = await alice.get(f"{API}/me")
    assert me.json()["presence_override"] == stored


async def test_a_bad_override_is_refused(users: UserFactory) -> None:
    alice = await users("alice")
    for body in ({"status": "busy"}, {"status": None}, {}, {"status": "dnd", "extra": 1}):
        assert_error(await alice.put(f"{API}/me/presence", json=body), 422, "validation_error")
    assert (await alice.get(f"{API}/me")).json()["presence_override"] is None


async def test_the_override_needs_the_csrf_header(users: UserFactory) -> None:
    alice = await users("alice")
    response = await alice.client.put(f"{API}/me/presence", json={"status": "dnd"})
    assert_error(response, 403, "csrf_failed")
    assert (await alice.get(f"{API}/me")).json()["presence_override"] is None
