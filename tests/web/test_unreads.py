"""Read positions, unread and mention counts, mentions and the Mentions view."""

from __future__ import annotations

from tests.web.helpers import API, EventLog, assert_error


async def read(user, cid: int, message_id: int):
    return await user.post(f"{API}/conversations/{cid}/read", json={"message_id": message_id})


async def test_unread_counts_follow_messages_and_reads(users, app):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    await alice.send("general", "one")
    second = await alice.send("general", "two")
    await bob.send("general", "my own does not count")
    mine = (await alice.listing())[general]
    assert mine["unread_count"] == 1  # bob's; posting marked alice's own as read
    assert (await bob.listing())[general]["unread_count"] == 0
    assert (await bob.listing())[general]["last_read_message_id"] > second["id"]
    third = await alice.send("general", "three")
    assert (await bob.listing())[general]["unread_count"] == 1
    log = await EventLog.begin(app)
    response = await read(bob, general, third["id"])
    assert response.status_code == 200
    assert response.json() == {
        "conversation_id": general,
        "last_read_message_id": third["id"],
        "unread_count": 0,
        "mention_count": 0,
    }
    (event,) = await log.new()
    assert event.type == "read.updated"
    assert event.conversation_id == general
    assert event.data == {"conversation_id": general, "user_id": bob.id, "message_id": third["id"]}
    # Never backwards, and no event when nothing moved.
    back = await read(bob, general, second["id"])
    assert back.json()["last_read_message_id"] == third["id"]
    assert len(await log.new()) == 1


async def test_deleted_messages_are_not_unread(users):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("general", "oops")
    assert (await bob.listing())[bob.channel("general")]["unread_count"] == 1
    await alice.delete(f"{API}/messages/{message['id']}")
    assert (await bob.listing())[bob.channel("general")]["unread_count"] == 0


async def test_joining_starts_with_everything_read(users):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    await bob.delete(f"{API}/conversations/{general}/members/{bob.id}")
    for i in range(3):
        await alice.send("general", f"before bob {i}")
    await bob.put(f"{API}/conversations/{general}/members/{bob.id}")
    assert (await bob.listing())[general]["unread_count"] == 0


async def test_read_validation(users):
    alice, bob = await users("alice"), await users("bob")
    message = await alice.send("random", "elsewhere")
    general = alice.channel("general")
    assert_error(await read(bob, general, message["id"]), 404, "not_found")
    assert_error(await read(bob, general, 0), 422)
    dm = await alice.dm(bob)
    carol = await users("carol")
    assert_error(await read(carol, dm, message["id"]), 404, "not_found")


async def test_mentions_are_resolved_counted_and_listed(users, app):
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    general = alice.channel("general")
    secret = await alice.create_private("secret", bob)
    message = await alice.send("general", "hey @Bob and @nobody, see `@carol`")
    assert message["mentions"] == [bob.id]
    assert message["mention_all"] is None
    assert 'data-username="bob"' in message["html"]
    assert "<code>@carol</code>" in message["html"]
    # Carol is not in the private channel: mentioning her there notifies nobody.
    private = await alice.post_to(secret, "@carol @bob private")
    assert private["mentions"] == [bob.id]
    listing = await bob.listing()
    assert listing[general]["mention_count"] == 1
    assert listing[secret]["mention_count"] == 1
    assert (await carol.listing())[general]["mention_count"] == 0
    page = (await bob.get(f"{API}/mentions")).json()
    assert [m["id"] for m in page["messages"]] == [private["id"], message["id"]]
    assert page["has_more"] is False
    # Reading clears the count; leaving a private channel drops it from the view.
    await read(bob, general, message["id"])
    assert (await bob.listing())[general]["mention_count"] == 0
    await bob.delete(f"{API}/conversations/{secret}/members/{bob.id}")
    page = (await bob.get(f"{API}/mentions")).json()
    assert [m["id"] for m in page["messages"]] == [message["id"]]


async def test_everyone_mentions_every_member_but_the_author(users):
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    message = await alice.send("random", "@everyone standup in 5")
    assert message["mention_all"] == "everyone"
    assert message["mentions"] == []
    assert (await bob.listing())[bob.channel("random")]["mention_count"] == 1
    assert (await carol.listing())[carol.channel("random")]["mention_count"] == 1
    assert (await alice.listing())[alice.channel("random")]["mention_count"] == 0


async def test_mentions_paging(users):
    alice, bob = await users("alice"), await users("bob")
    sent = [await alice.send("general", f"@bob {i}") for i in range(5)]
    first = (await bob.get(f"{API}/mentions", params={"limit": 2})).json()
    assert [m["id"] for m in first["messages"]] == [sent[4]["id"], sent[3]["id"]]
    assert first["has_more"] is True
    rest = (await bob.get(f"{API}/mentions", params={"limit": 10, "before": sent[3]["id"]})).json()
    assert [m["id"] for m in rest["messages"]] == [m["id"] for m in reversed(sent[:3])]
    assert rest["has_more"] is False


async def test_muting_is_per_user(users, app):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    response = await bob.patch(f"{API}/conversations/{general}", json={"muted": True})
    assert response.json()["conversation"]["muted"] is True
    assert (await alice.listing())[general]["muted"] is False


async def test_members_show_read_positions(users):
    alice, bob = await users("alice"), await users("bob")
    cid = await alice.dm(bob)
    message = await alice.post_to(cid, "seen?")
    await read(bob, cid, message["id"])
    members = (await alice.get(f"{API}/conversations/{cid}/members")).json()["members"]
    assert {m["username"]: m["last_read_message_id"] for m in members} == {
        "alice": message["id"],
        "bob": message["id"],
    }
