"""DMs and group DMs: one conversation per set of people; hiding; server notices."""

from __future__ import annotations

from minimost.domain.actions.dms import post_system_notice
from tests.web.helpers import API, EventLog, assert_error


async def test_same_people_same_dm(users):
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    first = await alice.post(f"{API}/conversations", json={"kind": "dm", "members": [bob.id]})
    assert first.status_code == 201
    again = await bob.post(
        f"{API}/conversations", json={"kind": "dm", "members": [alice.id, alice.id, bob.id]}
    )
    assert again.status_code == 200
    assert again.json()["conversation"]["id"] == first.json()["conversation"]["id"]
    group = await alice.dm(bob, carol)
    assert group != first.json()["conversation"]["id"]
    assert await carol.dm(bob, alice) == group
    conversation = (await carol.get(f"{API}/conversations/{group}")).json()["conversation"]
    assert conversation["kind"] == "dm"
    assert conversation["name"] is None
    assert [m["username"] for m in conversation["members"]] == ["alice", "bob", "carol"]


async def test_dm_created_event_names_its_people(users, app):
    alice, bob = await users("alice"), await users("bob")
    log = await EventLog.begin(app)
    cid = await alice.dm(bob)
    created = [e for e in await log.new() if e.type == "conversation.created"]
    assert [e.conversation_id for e in created] == [cid]
    assert [m["username"] for m in created[0].data["members"]] == ["alice", "bob"]


async def test_dm_is_private_to_its_people(users):
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    cid = await alice.dm(bob)
    await alice.post_to(cid, "just us")
    assert_error(await carol.get(f"{API}/conversations/{cid}/messages"), 404, "not_found")
    assert_error(await carol.get(f"{API}/conversations/{cid}/members"), 404, "not_found")
    assert_error(await carol.put(f"{API}/conversations/{cid}/members/{carol.id}"), 404)
    # Its people are fixed.
    assert_error(await alice.put(f"{API}/conversations/{cid}/members/{carol.id}"), 403,
                 "dm_members_fixed")  # fmt: skip
    assert_error(await alice.delete(f"{API}/conversations/{cid}/members/{alice.id}"), 403,
                 "dm_members_fixed")  # fmt: skip


async def test_new_dm_shows_for_the_others_once_something_is_said(users):
    alice, bob = await users("alice"), await users("bob")
    cid = await alice.dm(bob)
    assert (await alice.listing())[cid]["hidden"] is False
    assert (await bob.listing())[cid]["hidden"] is True
    await alice.post_to(cid, "hi bob")
    assert (await bob.listing())[cid]["hidden"] is False


async def test_hiding_a_dm_until_a_new_message(users, app):
    alice, bob = await users("alice"), await users("bob")
    cid = await alice.dm(bob)
    await alice.post_to(cid, "hello")
    log = await EventLog.begin(app)
    hide = await bob.patch(f"{API}/conversations/{cid}", json={"hidden": True})
    assert hide.status_code == 200
    assert hide.json()["conversation"]["hidden"] is True
    (event,) = await log.new()
    assert (event.type, event.user_id, event.conversation_id) == (
        "membership.updated",
        bob.id,
        None,
    )
    assert event.data == {"conversation_id": cid, "hidden": True, "muted": False}
    assert (await bob.listing())[cid]["hidden"] is True
    await alice.post_to(cid, "still there?")
    assert (await bob.listing())[cid]["hidden"] is False
    # Channels cannot be hidden (leave them instead).
    assert_error(
        await bob.patch(f"{API}/conversations/{bob.channel('general')}", json={"hidden": True}),
        403,
    )


async def test_reopening_a_hidden_dm_unhides_it(users):
    alice, bob = await users("alice"), await users("bob")
    cid = await alice.dm(bob)
    await bob.patch(f"{API}/conversations/{cid}", json={"hidden": True})
    assert await bob.dm(alice) == cid
    assert (await bob.listing())[cid]["hidden"] is False


async def test_too_many_people_for_a_dm(users):
    alice = await users("alice")
    others = [await users(f"u{i}") for i in range(9)]
    response = await alice.post(
        f"{API}/conversations", json={"kind": "dm", "members": [o.id for o in others]}
    )
    assert_error(response, 422, "validation_error")


async def test_note_to_self(users):
    alice = await users("alice")
    cid = await alice.dm()
    listing = await alice.listing()
    assert [m["id"] for m in listing[cid]["members"]] == [alice.id]


async def test_system_notice_lands_in_a_dm_from_the_system_account(users, app):
    alice = await users("alice")
    ctx = app.state.minimost.ctx
    message = await post_system_notice(ctx, alice.id, "Your password was reset.")
    cid = message.conversation_id
    conversation = (await alice.listing())[cid]
    assert conversation["kind"] == "dm"
    assert conversation["hidden"] is False
    assert conversation["unread_count"] == 1
    assert message.author is not None and message.author.username == "minimost"
    again = await post_system_notice(ctx, alice.id, "Second notice.")
    assert again.conversation_id == cid
    # The system account is nobody to sign in as.
    login = await alice.client.post(
        f"{API}/auth/login", json={"username": "minimost", "password": "!"}
    )
    assert login.status_code == 401
