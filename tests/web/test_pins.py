"""Pins: PUT/DELETE /api/v1/messages/{id}/pin and GET /api/v1/conversations/{id}/pins.

Outsiders of private conversations (404) are walked in ``test_access_matrix``."""

from __future__ import annotations

from sqlalchemy import func, select

from minimost.db.models import Pin
from tests.web.helpers import API, EventLog, assert_error


def pin_url(message_id: int) -> str:
    return f"{API}/messages/{message_id}/pin"


def pins_url(conversation_id: int) -> str:
    return f"{API}/conversations/{conversation_id}/pins"


async def test_pin_returns_the_message_and_publishes_one_event(users, app, clock):
    alice, bob = await users("alice", display_name="Alice A."), await users("bob")
    message = await bob.send("general", "the plan")
    log = await EventLog.begin(app)
    response = await alice.put(pin_url(message["id"]))
    assert response.status_code == 200, response.text
    pinned = response.json()["message"]
    assert pinned == {**message, "pinned": True}
    (event,) = await log.new()
    assert (event.type, event.conversation_id) == ("message.pinned", alice.channel("general"))
    assert event.data == {
        "message_id": message["id"],
        "conversation_id": alice.channel("general"),
        "pinned_by": {
            "id": alice.id,
            "username": "alice",
            "display_name": "Alice A.",
            "color": None,
            "avatar_url": None,
        },
        "pinned_at": "2026-01-01T12:00:00.000Z",
    }
    assert (await bob.history("general"))["messages"] == [pinned]
    single = await bob.get(f"{API}/messages/{message['id']}")
    assert single.json()["message"]["pinned"] is True


async def test_pinning_twice_and_unpinning_twice_are_idempotent(users, app):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "keep")
    await alice.put(pin_url(message["id"]))
    log = await EventLog.begin(app)
    again = await bob.put(pin_url(message["id"]))
    assert again.status_code == 200 and again.json()["message"]["pinned"] is True
    assert await log.new() == []
    # Anyone in the conversation may unpin, not only who pinned it.
    unpinned = await bob.delete(pin_url(message["id"]))
    assert unpinned.status_code == 200, unpinned.text
    assert unpinned.json()["message"]["pinned"] is False
    (event,) = await log.new()
    assert event.type == "message.unpinned"
    assert event.data["message_id"] == message["id"]
    assert event.data["unpinned_by"]["id"] == bob.id
    log = await EventLog.begin(app)
    twice = await bob.delete(pin_url(message["id"]))
    assert twice.status_code == 200 and twice.json()["message"]["pinned"] is False
    assert await log.new() == []


async def test_the_pins_list_is_newest_pin_first_with_enriched_messages(users, app, clock):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    first = await alice.send("general", "first")
    second = await bob.send("general", "second")
    reply = await bob.post(
        f"{API}/conversations/{general}/messages",
        json={"text": "third, a reply", "reply_to_id": first["id"]},
    )
    third = reply.json()["message"]
    await bob.put(f"{API}/messages/{second['id']}/reactions/%F0%9F%91%8D")
    for message, who in ((second, alice), (first, bob), (third, alice)):
        clock.advance(60)
        assert (await who.put(pin_url(message["id"]))).status_code == 200
    listing = await bob.get(pins_url(general))
    assert listing.status_code == 200, listing.text
    pins = listing.json()["pins"]
    assert [p["message"]["id"] for p in pins] == [third["id"], first["id"], second["id"]]
    assert [p["pinned_by"]["id"] for p in pins] == [alice.id, bob.id, alice.id]
    assert pins[0]["pinned_at"] > pins[1]["pinned_at"] > pins[2]["pinned_at"]
    assert all(p["message"]["pinned"] for p in pins)
    assert pins[0]["message"]["reply_to"]["id"] == first["id"]
    assert pins[2]["message"]["reactions"] == [{"emoji": "👍", "count": 1, "users": [bob.id]}]
    # Other conversations' pins are not listed.
    assert (await alice.get(pins_url(alice.channel("random")))).json() == {"pins": []}


async def test_deleted_messages_cannot_be_pinned_and_deleting_unpins(users, app):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    gone = await alice.send("general", "gone")
    pinned = await alice.send("general", "pinned then gone")
    await alice.put(pin_url(pinned["id"]))
    for message in (gone, pinned):
        assert (await alice.delete(f"{API}/messages/{message['id']}")).status_code == 204
    log = await EventLog.begin(app)
    assert_error(await bob.put(pin_url(gone["id"])), 404, "not_found")
    assert_error(await bob.delete(pin_url(pinned["id"])), 404, "not_found")
    assert await log.new() == []
    assert (await bob.get(pins_url(general))).json() == {"pins": []}
    async with app.state.minimost.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Pin)) == 0


async def test_pinning_needs_membership_but_reading_pins_of_a_public_channel_does_not(users, app):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    message = await alice.send("general", "read me")
    await alice.put(pin_url(message["id"]))
    left = await bob.delete(f"{API}/conversations/{general}/members/{bob.id}")
    assert left.status_code == 204
    log = await EventLog.begin(app)
    assert_error(await bob.delete(pin_url(message["id"])), 403, "not_a_member")
    assert await log.new() == []
    listing = await bob.get(pins_url(general))
    assert [p["message"]["id"] for p in listing.json()["pins"]] == [message["id"]]


async def test_private_pins_are_404_for_outsiders_like_a_missing_conversation(users):
    alice, bob, oscar = await users("alice"), await users("bob"), await users("oscar")
    private = await alice.create_private("hush", bob)
    secret = await bob.post_to(private, "secret")
    assert (await bob.put(pin_url(secret["id"]))).status_code == 200
    hidden, missing = await oscar.get(pins_url(private)), await oscar.get(pins_url(999_999))
    assert assert_error(hidden, 404, "not_found") == assert_error(missing, 404, "not_found")
    assert_error(await oscar.delete(pin_url(secret["id"])), 404, "not_found")
    assert [p["message"]["id"] for p in (await alice.get(pins_url(private))).json()["pins"]] == [
        secret["id"]
    ]
