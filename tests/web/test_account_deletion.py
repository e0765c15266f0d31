"""DELETE /api/v1/me: soft keeps the messages as "Deleted User", hard deletes them; either way
the username is freed, every session and token ends, channels are left and everyone hears
``user.updated``. A wrong password is 403 and counts toward the lockout."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import func, select

from minimost.config import Settings
from minimost.db.models import Conversation, Message, Reaction, StoredFile
from minimost.domain.actions import account_deletion
from minimost.domain.actions.files import blob_store
from tests.factories import PASSWORD
from tests.live import InProcessServer, LiveUsers, closed, hello, recv_until, serve_app as serve
from tests.media import png
from tests.web.account_helpers import audit_rows, login_status, sign_in, signed_in
from tests.web.helpers import API, EventLog, anonymous, assert_error, bearer_client

ME = f"{API}/me"


async def delete_me(user, mode: str, password: str = PASSWORD):
    return await user.request("DELETE", ME, json={"password": password, "mode": mode})


async def count(app, *where) -> int:
    async with app.state.minimost.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Message).where(*where)) or 0)


async def test_soft_deletion_keeps_messages_as_deleted_user_and_frees_the_name(app, users):
    alice = await users("alice", display_name="Alice A.")
    bob = await users("bob")
    other = await sign_in(app, "alice")
    token = await alice.token()
    said = await alice.send("general", "hello from alice")
    dm = await bob.dm(alice)
    await alice.post_to(dm, "psst")
    log = await EventLog.begin(app)

    response = await delete_me(alice, "soft")
    assert response.status_code == 200, response.text
    assert response.json() == {"username": f"deleted-{alice.id}", "purged_messages": 0}
    assert "minimost_session" in response.headers.get("set-cookie", "")  # cleared

    # Everything that let alice in is gone.
    assert not await signed_in(alice)
    assert not await signed_in(other)
    async with bearer_client(app, token) as script:
        assert_error(await script.get(ME), 401, "not_authenticated")
    assert await login_status(app, "alice", PASSWORD) == (401, "invalid_credentials")

    # Her messages stay, same author id, shown as Deleted User.
    history = (await bob.history("general"))["messages"]
    (kept,) = [m for m in history if m["id"] == said["id"]]
    assert kept["text"] == "hello from alice"
    assert kept["author"]["id"] == alice.id
    assert kept["author"]["display_name"] == "Deleted User"
    assert kept["author"]["username"] == f"deleted-{alice.id}"
    # The DM stays for bob, with the deleted account in it.
    dm_view = (await bob.listing())[dm]
    assert {m["display_name"] for m in dm_view["members"]} >= {"Deleted User"}
    # She left the channels; the directory no longer lists her.
    members = (await bob.get(f"{API}/conversations/{bob.channel('general')}/members")).json()
    assert alice.id not in {m["id"] for m in members["members"]}
    listed = (await bob.get(f"{API}/users", params={"q": "alice"})).json()["users"]
    assert listed == []

    events = await log.new()
    updated = [e for e in events if e.type == "user.updated"]
    assert len(updated) == 1
    assert updated[0].conversation_id is None and updated[0].user_id is None  # everyone
    assert updated[0].data["user"]["display_name"] == "Deleted User"
    assert updated[0].data["deleted"] is True
    removed = {e.conversation_id for e in events if e.type == "member.removed"}
    assert removed == {bob.channel("general"), bob.channel("random")}
    (ended,) = [e for e in events if e.type == "session.ended"]
    assert ended.user_id == alice.id and ended.data["all"] is True
    (record,) = await audit_rows(app, "account_delete")
    assert record.outcome == "success" and "mode=soft" in record.detail

    # The name is free again: a newcomer gets a new id and inherits nothing.
    newcomer = await users("alice")
    assert newcomer.id != alice.id
    assert dm not in await newcomer.listing()
    assert_error(await newcomer.get(f"{API}/conversations/{dm}"), 404, "not_found")
    # The replacement name itself can never be registered.
    async with anonymous(app) as browser:
        taken = await browser.post(
            f"{API}/auth/signup", json={"username": f"deleted-{alice.id + 1}", "password": PASSWORD}
        )
    assert_error(taken, 422, "validation_error")


async def test_hard_deletion_removes_every_message_in_chunks(app, users, monkeypatch):
    monkeypatch.setattr(account_deletion, "PURGE_CHUNK", 2)
    alice = await users("alice")
    bob = await users("bob")
    bobs = await bob.send("general", "bob's message")
    mine = [await alice.send("general", f"alice {i}") for i in range(5)]
    dm = await alice.dm(bob)
    mine.append(await alice.post_to(dm, "secret"))
    upload = await alice.upload("notes.txt", b"alice's file bytes")
    mine.append(await alice.send_files(alice.channel("general"), [upload["id"]], "with a file"))
    store = blob_store(app.state.minimost.ctx)
    sha = hashlib.sha256(b"alice's file bytes").hexdigest()
    assert store.exists(sha), "the upload is on disk"
    # Her reaction on bob's message, and bob's on hers.
    assert (await alice.put(f"{API}/messages/{bobs['id']}/reactions/👍")).status_code == 200
    assert (await bob.put(f"{API}/messages/{mine[0]['id']}/reactions/👍")).status_code == 200
    log = await EventLog.begin(app)

    response = await delete_me(alice, "hard")
    assert response.status_code == 200, response.text
    assert response.json()["purged_messages"] == len(mine)

    assert await count(app, Message.author_id == alice.id) == 0
    history = (await bob.history("general"))["messages"]
    assert [m["id"] for m in history] == [bobs["id"]]
    assert history[0]["reactions"] == []
    async with app.state.minimost.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Reaction)) == 0
        assert await conn.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert not store.exists(sha)
    deleted = [e for e in await log.new() if e.type == "message.deleted"]
    assert sorted(e.data["id"] for e in deleted) == sorted(m["id"] for m in mine)
    assert all(e.data["purged"] is True for e in deleted)
    assert {e.conversation_id for e in deleted} == {alice.channel("general"), dm}


async def test_a_private_channel_she_was_last_in_is_archived(app, users):
    alice = await users("alice")
    bob = await users("bob")
    alone = await alice.create_private("alone")
    shared = await alice.create_private("shared", bob)
    assert (await delete_me(alice, "soft")).status_code == 200
    async with app.state.minimost.ctx.db.read() as conn:
        archived = dict(
            (await conn.execute(select(Conversation.id, Conversation.archived_at))).all()
        )
    assert archived[alone] is not None
    assert archived[shared] is None
    assert (await bob.get(f"{API}/conversations/{shared}")).status_code == 200


@pytest.mark.settings(max_login_attempts=2)
async def test_wrong_password_is_403_and_counts_toward_the_lockout(app, users):
    alice = await users("alice")
    await alice.send("general", "still here")
    for _ in range(2):
        assert_error(await delete_me(alice, "hard", "Wrong-password-1"), 403, "wrong_password")
    assert_error(await delete_me(alice, "hard"), 403, "account_locked")
    # The session's own budget: signing in elsewhere is not locked (docs/accounts.md).
    assert await login_status(app, "alice", PASSWORD) == (200, None)
    assert await signed_in(alice)
    assert await count(app, Message.author_id == alice.id) == 1
    assert [r.outcome for r in await audit_rows(app, "account_delete")] == ["failure", "failure"]


async def test_mode_is_required(app, users):
    alice = await users("alice")
    response = await alice.request("DELETE", ME, json={"password": PASSWORD, "mode": "nuke"})
    assert_error(response, 422, "validation_error")
    assert await signed_in(alice)


# --- live: her tabs go to the sign-in page, everyone else sees the new name ------------------


@pytest.fixture
async def live(settings_factory: Callable[..., Settings]) -> AsyncIterator[InProcessServer]:
    async with serve(settings_factory()) as server:
        yield server


async def test_open_tabs_update_live(live: InProcessServer) -> None:
    people = LiveUsers(live.url)
    try:
        alice = await people("alice")
        bob = await people("bob")
        said = await alice.send("general", "bye")
        async with alice.connect() as hers, bob.connect() as his:
            await hello(hers)
            await hello(his)
            response = await alice.request(
                "DELETE", ME, json={"password": PASSWORD, "mode": "hard"}
            )
            assert response.status_code == 200, response.text
            assert (await closed(hers)).code == 4401
            frames = await recv_until(his, lambda f: f["type"] == "user.updated")
            assert "member.removed" in {f["type"] for f in frames}
            update = frames[-1]["data"]
            assert update["user"]["id"] == alice.id and update["deleted"] is True
            deleted = await recv_until(
                his, lambda f: f["type"] == "message.deleted" and f["data"]["id"] == said["id"]
            )
            assert deleted[-1]["data"]["purged"] is True
    finally:
        await people.aclose()


async def test_the_avatar_goes_with_the_account(app, users):
    alice = await users("alice")
    bob = await users("bob")
    uploaded = await alice.put(f"{API}/me/avatar", files={"file": ("me.png", png())})
    avatar_url = uploaded.json()["user"]["avatar_url"]
    store = blob_store(app.state.minimost.ctx)
    on_disk = [p for p in store.root.glob("??/*") if p.parent.name != "tmp"]
    assert len(on_disk) == 1
    assert (await delete_me(alice, "soft")).status_code == 200
    assert not on_disk[0].exists()
    assert_error(await bob.get(avatar_url), 404, "not_found")
