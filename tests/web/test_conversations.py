"""Listing conversations; joining and leaving public channels.

Unknown ids (404) on every route are covered by the walk in ``test_errors.py``."""

from __future__ import annotations

from tests.web.helpers import API, EventLog, assert_error


def member_url(conversation_id: int, user_id: int) -> str:
    return f"{API}/conversations/{conversation_id}/members/{user_id}"


async def names(user) -> list[str]:
    response = await user.get(f"{API}/conversations")
    assert response.status_code == 200
    return [c["name"] for c in response.json()["conversations"]]


async def test_list_shows_my_conversations_with_their_shape(users):
    alice = await users("alice")
    listing = (await alice.get(f"{API}/conversations")).json()["conversations"]
    assert [c["name"] for c in listing] == ["general", "random"]
    for conversation in listing:
        assert set(conversation) == {
            "id", "kind", "name", "topic", "created_at", "archived", "is_member",
            "created_by", "members", "unread_count", "mention_count",
            "last_read_message_id", "last_message_id", "hidden", "muted",
        }  # fmt: skip
        assert conversation["kind"] == "public"
        assert conversation["is_member"] is True
        assert conversation["archived"] is False


async def test_get_conversation(users):
    alice = await users("alice")
    response = await alice.get(f"{API}/conversations/{alice.channel('general')}")
    assert response.status_code == 200
    conversation = response.json()["conversation"]
    assert conversation["id"] == alice.channel("general")
    assert conversation["name"] == "general"
    assert conversation["kind"] == "public"


async def test_get_conversation_says_whether_i_am_a_member(users):
    # A reader of a public channel it has left must see that it is not a member.
    alice = await users("alice")
    general = alice.channel("general")
    member = (await alice.get(f"{API}/conversations/{general}")).json()["conversation"]
    assert member.get("is_member") is True
    assert (await alice.delete(member_url(general, alice.id))).status_code == 204
    left = (await alice.get(f"{API}/conversations/{general}")).json()["conversation"]
    assert left.get("is_member") is False


async def test_leaving_a_public_channel(users, app):
    alice = await users("alice")
    bob = await users("bob")
    general = alice.channel("general")
    await bob.send("general", "before alice left")
    log = await EventLog.begin(app)

    response = await alice.delete(member_url(general, alice.id))
    assert response.status_code == 204
    events = await log.new()
    assert [(e.type, e.conversation_id, e.user_id) for e in events] == [
        ("member.removed", general, alice.id)
    ]
    assert events[0].data["user"]["id"] == alice.id

    # Gone from my list; I can no longer post...
    assert await names(alice) == ["random"]
    log = await EventLog.begin(app)
    response = await alice.post(f"{API}/conversations/{general}/messages", json={"text": "hi"})
    assert_error(response, 403, "not_a_member")
    assert await log.new() == []
    # ...but a public channel stays readable.
    assert (await alice.get(f"{API}/conversations/{general}")).status_code == 200
    await bob.send("general", "after alice left")
    history = await alice.history("general")
    assert [m["text"] for m in history["messages"]] == ["before alice left", "after alice left"]
    # Bob is unaffected.
    assert await names(bob) == ["general", "random"]


async def test_rejoining_a_public_channel(users, app):
    alice = await users("alice")
    general = alice.channel("general")
    assert (await alice.delete(member_url(general, alice.id))).status_code == 204
    log = await EventLog.begin(app)
    assert (await alice.put(member_url(general, alice.id))).status_code == 204
    assert [(e.type, e.conversation_id, e.user_id) for e in await log.new()] == [
        ("member.added", general, alice.id)
    ]
    assert await names(alice) == ["general", "random"]
    await alice.send("general", "back again")


async def test_joining_twice_is_a_no_op(users, app):
    alice = await users("alice")
    log = await EventLog.begin(app)
    assert (await alice.put(member_url(alice.channel("general"), alice.id))).status_code == 204
    assert await log.new() == []
    assert await names(alice) == ["general", "random"]


async def test_leaving_twice_is_404(users, app):
    alice = await users("alice")
    general = alice.channel("general")
    assert (await alice.delete(member_url(general, alice.id))).status_code == 204
    log = await EventLog.begin(app)
    assert_error(await alice.delete(member_url(general, alice.id)), 404, "not_found")
    assert await log.new() == []


async def test_nobody_adds_or_removes_someone_else(users, app):
    alice = await users("alice")  # admin
    bob = await users("bob")
    carol = await users("carol")
    general = alice.channel("general")
    assert (await carol.delete(member_url(general, carol.id))).status_code == 204
    log = await EventLog.begin(app)
    for actor, target in ((bob, alice), (alice, bob), (bob, carol), (alice, carol)):
        assert_error(await actor.delete(member_url(general, target.id)), 403, "forbidden")
        assert_error(await actor.put(member_url(general, target.id)), 403, "forbidden")
    assert await log.new() == []
    assert await names(alice) == ["general", "random"]
    assert await names(bob) == ["general", "random"]
    assert await names(carol) == ["random"]
