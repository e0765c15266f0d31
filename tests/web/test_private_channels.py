"""Private channels: invite-only, managed by their creator, archived when the last one leaves."""

from __future__ import annotations

from tests.web.helpers import API, EventLog, assert_error


def member_url(conversation_id: int, user_id: int) -> str:
    return f"{API}/conversations/{conversation_id}/members/{user_id}"


async def test_create_private_channel_with_members(users, app):
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    log = await EventLog.begin(app)
    response = await alice.post(
        f"{API}/conversations",
        json={"kind": "private", "name": "  Secret   plans ", "topic": "shh", "members": [bob.id]},
    )
    assert response.status_code == 201, response.text
    conversation = response.json()["conversation"]
    assert conversation["kind"] == "private"
    assert conversation["name"] == "Secret plans"
    assert conversation["topic"] == "shh"
    assert conversation["created_by"] == alice.id
    assert conversation["is_member"] is True
    cid = conversation["id"]
    assert cid in await bob.listing()
    assert cid not in await carol.listing()
    assert_error(await carol.get(f"{API}/conversations/{cid}"), 404, "not_found")
    added = [e for e in await log.new() if e.type == "member.added"]
    assert {e.user_id for e in added} == {alice.id, bob.id}
    assert all(e.data["conversation"]["name"] == "Secret plans" for e in added)
    assert (await log.types())[-1] == "conversation.created"


async def test_private_names_need_not_be_unique(users):
    alice, bob = await users("alice"), await users("bob")
    first = await alice.create_private("ops")
    second = await bob.create_private("ops")
    assert first != second


async def test_private_channel_validation(users):
    alice = await users("alice")
    missing_name = await alice.post(f"{API}/conversations", json={"kind": "private"})
    assert_error(missing_name, 422, "validation_error")
    unknown_member = await alice.post(
        f"{API}/conversations", json={"kind": "private", "name": "x", "members": [99999]}
    )
    assert_error(unknown_member, 422, "validation_error")
    blank = await alice.post(f"{API}/conversations", json={"kind": "private", "name": "   "})
    assert_error(blank, 422, "validation_error")
    bad_kind = await alice.post(f"{API}/conversations", json={"kind": "public", "name": "x"})
    assert_error(bad_kind, 422)


async def test_members_add_people_and_only_the_creator_removes_them(users):
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    cid = await alice.create_private("team", bob)
    # Any member invites.
    assert (await bob.put(member_url(cid, carol.id))).status_code == 204
    assert cid in await carol.listing()
    # A non-creator member cannot remove someone else.
    assert_error(await bob.delete(member_url(cid, carol.id)), 403, "forbidden")
    # The creator can.
    assert (await alice.delete(member_url(cid, carol.id))).status_code == 204
    assert cid not in await carol.listing()
    assert_error(await carol.get(f"{API}/conversations/{cid}/messages"), 404, "not_found")
    # An outsider cannot add themselves, and cannot tell the channel exists.
    assert_error(await carol.put(member_url(cid, carol.id)), 404, "not_found")


async def test_last_member_leaving_archives(users, app):
    alice, bob = await users("alice"), await users("bob")
    cid = await alice.create_private("short-lived", bob)
    assert (await bob.delete(member_url(cid, bob.id))).status_code == 204
    assert cid in await alice.listing()
    log = await EventLog.begin(app)
    assert (await alice.delete(member_url(cid, alice.id))).status_code == 204
    assert [e.type for e in await log.new()] == ["member.removed", "conversation.updated"]
    assert (await log.new())[-1].data["archived"] is True


async def test_rename_and_topic(users, app):
    alice, bob = await users("alice"), await users("bob")
    cid = await alice.create_private("old", bob)
    assert_error(await bob.patch(f"{API}/conversations/{cid}", json={"name": "x"}), 403)
    log = await EventLog.begin(app)
    response = await alice.patch(f"{API}/conversations/{cid}", json={"name": "new", "topic": "t"})
    assert response.status_code == 200, response.text
    assert response.json()["conversation"]["name"] == "new"
    assert response.json()["conversation"]["topic"] == "t"
    (event,) = await log.new()
    assert event.type == "conversation.updated"
    assert event.data["name"] == "new"


async def test_public_channel_topic_is_for_admins_and_names_for_settings(users):
    admin, bob = await users("admin1"), await users("bob")  # the first account is admin
    general = admin.channel("general")
    assert_error(await bob.patch(f"{API}/conversations/{general}", json={"topic": "x"}), 403)
    assert_error(await admin.patch(f"{API}/conversations/{general}", json={"name": "x"}), 403)
    ok = await admin.patch(f"{API}/conversations/{general}", json={"topic": "Company news"})
    assert ok.json()["conversation"]["topic"] == "Company news"


async def test_public_channels_are_joined_by_yourself_only(users):
    alice, bob = await users("alice"), await users("bob")
    general = alice.channel("general")
    assert (await bob.delete(member_url(general, bob.id))).status_code == 204
    assert_error(await alice.put(member_url(general, bob.id)), 403)
    assert_error(await alice.delete(member_url(general, alice.id + 999)), 403)


async def test_browse_lists_public_channels_with_member_counts(users):
    alice, bob = await users("alice"), await users("bob")
    await alice.create_private("hidden-one")
    general = alice.channel("general")
    assert (await bob.delete(member_url(general, bob.id))).status_code == 204
    listing = (await bob.get(f"{API}/channels")).json()["conversations"]
    by_name = {c["name"]: c for c in listing}
    assert set(by_name) == {"general", "random"}
    assert by_name["general"]["is_member"] is False
    assert by_name["general"]["member_count"] == 1
    assert by_name["random"]["member_count"] == 2
    filtered = (await bob.get(f"{API}/channels", params={"q": "RAN"})).json()
    assert [c["name"] for c in filtered["conversations"]] == ["random"]
