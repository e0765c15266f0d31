"""Emoji reactions: PUT/DELETE /api/v1/messages/{id}/reactions/{emoji}.

Outsiders of private conversations (404) are walked in ``test_access_matrix``; bad ids in
``test_errors``."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from minimost.domain.actions.reactions import MAX_DISTINCT_EMOJI
from minimost.domain.emoji import data as emoji_data
from tests.web.helpers import API, EventLog, assert_error

THUMBS = "👍"
HEART = "❤️"  # text-presentation base + U+FE0F: the stored form


def url(message_id: int, emoji: str) -> str:
    return f"{API}/messages/{message_id}/reactions/{quote(emoji)}"


async def test_react_returns_the_state_and_shows_in_history(users, app):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "ship it?")
    log = await EventLog.begin(app)
    first = await alice.put(url(message["id"], THUMBS))
    assert first.status_code == 200, first.text
    assert first.json() == {"reactions": [{"emoji": THUMBS, "count": 1, "users": [alice.id]}]}
    second = await bob.put(url(message["id"], THUMBS))
    assert second.json()["reactions"] == [
        {"emoji": THUMBS, "count": 2, "users": [alice.id, bob.id]}
    ]
    (shown,) = (await bob.history("general"))["messages"]
    assert shown["reactions"] == second.json()["reactions"]
    events = await log.new()
    assert [(e.type, e.conversation_id) for e in events] == [
        ("reaction.added", alice.channel("general")),
        ("reaction.added", alice.channel("general")),
    ]
    assert events[1].data == {
        "message_id": message["id"],
        "conversation_id": alice.channel("general"),
        "emoji": THUMBS,
        "user_id": bob.id,
    }


async def test_adding_twice_and_removing_twice_are_idempotent_without_events(users, app):
    alice = await users("alice")
    message = await alice.send("general", "hi")
    await alice.put(url(message["id"], THUMBS))
    log = await EventLog.begin(app)
    again = await alice.put(url(message["id"], THUMBS))
    assert again.json()["reactions"] == [{"emoji": THUMBS, "count": 1, "users": [alice.id]}]
    assert await log.new() == []
    removed = await alice.delete(url(message["id"], THUMBS))
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"reactions": []}
    assert await log.types() == ["reaction.removed"]
    log = await EventLog.begin(app)
    twice = await alice.delete(url(message["id"], THUMBS))
    assert twice.json() == {"reactions": []}
    assert await log.new() == []


async def test_removing_takes_only_your_own_reaction(users):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "hi")
    await alice.put(url(message["id"], THUMBS))
    await bob.put(url(message["id"], THUMBS))
    await bob.put(url(message["id"], HEART))
    left = (await bob.delete(url(message["id"], THUMBS))).json()["reactions"]
    assert left == [
        {"emoji": THUMBS, "count": 1, "users": [alice.id]},
        {"emoji": HEART, "count": 1, "users": [bob.id]},
    ]


async def test_the_variation_selector_is_optional_and_normalised(users):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "love")
    await alice.put(url(message["id"], "❤"))  # without U+FE0F
    both = (await bob.put(url(message["id"], HEART))).json()["reactions"]
    assert both == [{"emoji": HEART, "count": 2, "users": [alice.id, bob.id]}]
    gone = (await alice.delete(url(message["id"], HEART))).json()["reactions"]
    assert gone == [{"emoji": HEART, "count": 1, "users": [bob.id]}]


@pytest.mark.parametrize(
    "bad",
    ["a", "hi", "👍👍", "👍 ", ":+1:", "\u200d", "\ufe0f", "🇦", "x" * 65, "🏻"],
)
async def test_anything_but_one_known_emoji_is_422_invalid_emoji(users, app, bad):
    alice = await users("alice")
    message = await alice.send("general", "hi")
    log = await EventLog.begin(app)
    assert_error(await alice.put(url(message["id"], bad)), 422, "invalid_emoji")
    assert_error(await alice.delete(url(message["id"], bad)), 422, "invalid_emoji")
    assert await log.new() == []


async def test_every_emoji_in_the_data_fits_the_column():
    chars = list(emoji_data().by_key.values())
    assert len(chars) > 1500
    assert max(len(c.encode()) for c in chars) <= 64


async def test_a_deleted_message_cannot_be_reacted_to_and_loses_its_reactions(users, app):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "soon gone")
    await bob.put(url(message["id"], THUMBS))
    deleted = await alice.delete(f"{API}/messages/{message['id']}")
    assert deleted.status_code == 204
    log = await EventLog.begin(app)
    assert_error(await bob.put(url(message["id"], HEART)), 404, "not_found")
    assert_error(await bob.delete(url(message["id"], THUMBS)), 404, "not_found")
    assert await log.new() == []
    (tombstone,) = (await alice.history("general"))["messages"]
    assert tombstone["reactions"] == []
    # Undeleted rows are gone too (not just hidden by the enrichment).
    from sqlalchemy import func, select

    from minimost.db.models import Reaction

    async with app.state.minimost.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Reaction)) == 0


async def test_public_channel_needs_membership_like_posting(users, app):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "members only")
    left = await bob.delete(f"{API}/conversations/{bob.channel('general')}/members/{bob.id}")
    assert left.status_code == 204
    log = await EventLog.begin(app)
    assert_error(await bob.put(url(message["id"], THUMBS)), 403, "not_a_member")
    assert await log.new() == []


async def test_private_conversation_outsider_gets_404_like_a_missing_message(users):
    alice, bob, oscar = await users("alice"), await users("bob"), await users("oscar")
    private = await alice.create_private("hush", bob)
    secret = await bob.post_to(private, "secret")
    hidden = await oscar.put(url(secret["id"], THUMBS))
    missing = await oscar.put(url(999_999, THUMBS))
    assert assert_error(hidden, 404, "not_found") == assert_error(missing, 404, "not_found")
    assert (await bob.put(url(secret["id"], THUMBS))).status_code == 200


async def test_distinct_emoji_per_message_are_capped(users, app):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "react away")
    chars = list(emoji_data().by_key.values())[: MAX_DISTINCT_EMOJI + 1]
    for char in chars[:MAX_DISTINCT_EMOJI]:
        response = await alice.put(url(message["id"], char))
        assert response.status_code == 200, (char, response.text)
    log = await EventLog.begin(app)
    assert_error(await bob.put(url(message["id"], chars[-1])), 409, "too_many_reactions")
    # An emoji already there may still be added by someone else.
    more = await bob.put(url(message["id"], chars[0]))
    assert more.status_code == 200
    assert len(more.json()["reactions"]) == MAX_DISTINCT_EMOJI
    assert await log.types() == ["reaction.added"]


async def test_edit_event_and_message_read_carry_the_reactions(users, app):
    alice = await users("alice")
    message = await alice.send("general", "typo")
    await alice.put(url(message["id"], THUMBS))
    log = await EventLog.begin(app)
    edited = await alice.patch(f"{API}/messages/{message['id']}", json={"text": "fixed"})
    assert edited.json()["message"]["reactions"] == [
        {"emoji": THUMBS, "count": 1, "users": [alice.id]}
    ]
    (event,) = await log.new()
    assert event.data["reactions"] == edited.json()["message"]["reactions"]
    single = (await alice.get(f"{API}/messages/{message['id']}")).json()["message"]
    assert single["reactions"] == edited.json()["message"]["reactions"]
