"""A PATCH that changes several things changes all of them in one transaction, or nothing.

Before: ``PATCH /conversations/{id}`` ran the name/topic action, committed it, and only then
ran the hidden/muted one, so ``{"topic": "x", "hidden": true}`` on a public channel set the
topic (and told everyone) before answering 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minimost.db.engine import Tx
from minimost.db.models import Conversation, Membership, User
from tests.factories import TestUser, UserFactory
from tests.web.helpers import API, EventLog, assert_error


class WriteCounter:
    """Counts the write transactions the database hands out (one per atomic change)."""

    def __init__(self, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
        db = app.state.minimost.ctx.db
        original = db.write
        self.count = 0

        @asynccontextmanager
        async def counting() -> AsyncIterator[Tx]:
            self.count += 1
            async with original() as tx:
                yield tx

        monkeypatch.setattr(db, "write", counting)


async def conversation_state(app: FastAPI, conversation_id: int) -> tuple[Any, ...]:
    """The conversation row and every membership row of it."""
    async with app.state.minimost.ctx.db.read() as conn:
        row = (
            await conn.execute(select(Conversation).where(Conversation.id == conversation_id))
        ).one()
        members = (
            await conn.execute(
                select(Membership)
                .where(Membership.conversation_id == conversation_id)
                .order_by(Membership.user_id)
            )
        ).all()
    return tuple(row), [tuple(m) for m in members]


@pytest.fixture
async def people(users: UserFactory) -> dict[str, TestUser]:
    return {"alice": await users("alice"), "bob": await users("bob")}  # alice: admin


async def _public(people: dict[str, TestUser]) -> tuple[TestUser, int]:
    return people["alice"], people["alice"].channel("general")


async def _public_left(people: dict[str, TestUser]) -> tuple[TestUser, int]:
    # An admin may set a public channel's topic without being in it, but mutes only as a member.
    alice = people["alice"]
    general = alice.channel("general")
    left = await alice.delete(f"{API}/conversations/{general}/members/{alice.id}")
    assert left.status_code == 204, left.text
    return alice, general


async def _private_as_member(people: dict[str, TestUser]) -> tuple[TestUser, int]:
    return people["bob"], await people["alice"].create_private("plans", people["bob"])


async def _dm(people: dict[str, TestUser]) -> tuple[TestUser, int]:
    return people["alice"], await people["alice"].dm(people["bob"])


Setup = Callable[[dict[str, TestUser]], Any]
REFUSED: dict[str, tuple[Setup, dict[str, Any], str | None]] = {
    "topic and hide a public channel": (_public, {"topic": "x", "hidden": True}, None),
    "topic and mute a channel one has left": (
        _public_left, {"topic": "x", "muted": True}, "not_a_member",
    ),
    "mute and rename a private channel one does not manage": (
        _private_as_member, {"muted": True, "name": "mine now"}, None,
    ),
    "hide and give a DM a topic": (_dm, {"hidden": True, "topic": "x"}, "dm_members_fixed"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_mixed_patch_that_is_refused_changes_nothing(
    app: FastAPI, people: dict[str, TestUser], case: str
) -> None:
    setup, body, code = REFUSED[case]
    user, conversation_id = await setup(people)
    before = await conversation_state(app, conversation_id)
    log = await EventLog.begin(app)
    response = await user.patch(f"{API}/conversations/{conversation_id}", json=body)
    assert_error(response, 403, code)
    assert await conversation_state(app, conversation_id) == before
    assert await log.new() == []


async def test_a_valid_mixed_patch_changes_everything_in_one_transaction(
    app: FastAPI, people: dict[str, TestUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = people["alice"]
    plans = await alice.create_private("plans", people["bob"])
    log = await EventLog.begin(app)
    writes = WriteCounter(app, monkeypatch)
    response = await alice.patch(
        f"{API}/conversations/{plans}", json={"name": "roadmap", "topic": "Q3", "muted": True}
    )
    assert response.status_code == 200, response.text
    assert writes.count == 1
    conversation = response.json()["conversation"]
    assert (conversation["name"], conversation["topic"], conversation["muted"]) == (
        "roadmap",
        "Q3",
        True,
    )
    events = await log.new()
    assert [(e.type, e.conversation_id, e.user_id) for e in events] == [
        ("conversation.updated", plans, None),
        ("membership.updated", None, alice.id),
    ]
    assert (events[0].data["name"], events[0].data["topic"]) == ("roadmap", "Q3")
    assert events[1].data == {"conversation_id": plans, "hidden": False, "muted": True}
    # Bob's own flags are his: untouched.
    assert (await people["bob"].listing())[plans]["muted"] is False


async def test_a_patch_of_only_flags_or_only_names_still_works(
    app: FastAPI, people: dict[str, TestUser]
) -> None:
    alice, bob = people["alice"], people["bob"]
    dm = await alice.dm(bob)
    log = await EventLog.begin(app)
    hidden = await bob.patch(f"{API}/conversations/{dm}", json={"hidden": True, "muted": True})
    assert hidden.status_code == 200, hidden.text
    topic = await alice.patch(
        f"{API}/conversations/{alice.channel('general')}", json={"topic": "News"}
    )
    assert topic.status_code == 200, topic.text
    assert await log.types() == ["membership.updated", "conversation.updated"]
    # Asking for what already is still answers with the conversation (and tells the tabs).
    again = await bob.patch(f"{API}/conversations/{dm}", json={"muted": True})
    assert again.status_code == 200 and again.json()["conversation"]["muted"] is True


async def test_profile_patch_is_one_change_or_none(
    app: FastAPI, people: dict[str, TestUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PATCH /me with a display name and a colour: both or neither."""
    alice = people["alice"]
    log = await EventLog.begin(app)
    refused = await alice.patch(f"{API}/me", json={"display_name": "A\u200bB", "color": "#123456"})
    assert_error(refused, 422, "validation_error")  # a format character in a display name
    async with app.state.minimost.ctx.db.read() as conn:
        row = (
            await conn.execute(select(User.display_name, User.color).where(User.id == alice.id))
        ).one()
    assert tuple(row) == ("", None)
    assert await log.new() == []
    writes = WriteCounter(app, monkeypatch)
    ok = await alice.patch(f"{API}/me", json={"display_name": "Alice", "color": "#123456"})
    assert ok.status_code == 200, ok.text
    assert writes.count == 1
    assert await log.types() == ["user.updated"]
