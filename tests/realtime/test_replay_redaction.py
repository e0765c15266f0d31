"""Deleted and edited text is never replayed (issue 11, item 1).

The event log is what ``GET /api/v1/ws?since=`` serves, so a stored event must never carry
more than history shows now: a delete (author or admin), an edit, a hard account purge,
retention and size-cap eviction rewrite every stored event carrying the old text, file
names or link preview (a reply's quote of the message included) in their own transaction.
And a member replays a conversation only from their join on (what they would have
received live); everything before it is history, read over HTTP like any newcomer.

Each case plants a unique secret and then greps both the raw ``events`` rows and every
replayed frame for it. On SQLite and PostgreSQL (the ``app`` fixture).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from minimost.db.models import Event
from minimost.domain.actions import leases, retention
from minimost.domain.actions.files import delete_if_unreferenced
from minimost.domain.actions.previews import set_preview
from minimost.domain.context import Ctx
from minimost.domain.janitor import JOB
from minimost.domain.queries.events import replay
from minimost.linkpreview.parse import first_link
from tests.factories import PASSWORD
from tests.live import InProcessServer, LiveUsers, event_frames, hello, recv_until
from tests.media import png
from tests.web.helpers import API

DAY = 86400
VIEWS = ("message.created", "message.updated")


@pytest.fixture
def settings(settings_factory: Any) -> Any:
    return settings_factory(session_days=3650)  # the clock jumps months; stay signed in


@pytest.fixture
async def ctx(app: Any) -> Ctx:
    context: Ctx = app.state.minimost.ctx
    # Hold the janitor's lease so only this test's retention runs change anything.
    assert await leases.acquire(
        context, JOB, "test", ttl=timedelta(days=3650), due_before=context.clock.now()
    )
    return context


def secret() -> str:
    return f"secret-{uuid.uuid4().hex[:12]}"


def configure(app: Any, **values: Any) -> None:
    state = app.state.minimost
    state.settings_ref.swap(state.settings.model_copy(update=values))


async def raw_log(ctx: Ctx) -> str:
    """Every stored event row, as text (its type and payload)."""
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(Event.type, Event.payload).order_by(Event.id))).all()
    return "\n".join(f"{row.type} {row.payload}" for row in rows)


async def replayed(ctx: Ctx, user: Any, since: int = 0) -> list[dict[str, Any]]:
    result = await replay(ctx.db, user.id, since)
    assert not result.resync
    return [json.loads(event.frame) for event in result.frames]


async def assert_no_trace(ctx: Ctx, text: str, *readers: Any) -> None:
    log = await raw_log(ctx)
    assert text not in log, f"{text!r} is still in the events table"
    for reader in readers:
        frames = json.dumps(await replayed(ctx, reader))
        assert text not in frames, f"{text!r} is replayed to {reader.username}"


def about(frame: dict[str, Any]) -> int | None:
    """The message a message or reaction frame is about (None for any other frame)."""
    if not frame["type"].startswith(("message.", "reaction.")):
        return None
    data = frame["data"]
    found: int | None = data.get("message_id", data.get("id"))
    return found


def views_of(frames: list[dict[str, Any]], message_id: int) -> list[dict[str, Any]]:
    return [f["data"] for f in frames if f["type"] in VIEWS and f["data"]["id"] == message_id]


async def current(user: Any, message_id: int) -> dict[str, Any]:
    response = await user.get(f"{API}/messages/{message_id}")
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


async def reply(user: Any, channel: str, text: str, to: int) -> dict[str, Any]:
    response = await user.post(
        f"{API}/conversations/{user.channel(channel)}/messages",
        json={"text": text, "reply_to_id": to, "client_id": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


# --- delete and edit ------------------------------------------------------------------


@pytest.mark.parametrize("by", ["author", "admin"])
async def test_a_deleted_message_is_replayed_as_its_tombstone_only(
    app: Any, ctx: Ctx, users: Any, by: str
) -> None:
    admin = await users("root")  # the first account is the admin
    alice, bob = await users("alice"), await users("bob")
    text, name = secret(), secret()
    upload = await alice.upload(f"{name}.txt", b"attached bytes")
    sent = await alice.send_files(alice.channel("general"), [upload["id"]], f"the {text} plan")
    assert (await bob.put(f"{API}/messages/{sent['id']}/reactions/👍")).status_code == 200
    deleter = alice if by == "author" else admin
    assert (await deleter.delete(f"{API}/messages/{sent['id']}")).status_code == 204

    await assert_no_trace(ctx, text, alice, bob, admin)
    await assert_no_trace(ctx, name, alice, bob, admin)
    frames = await replayed(ctx, bob)
    tombstone = await current(bob, sent["id"])
    assert tombstone["deleted_at"] is not None and tombstone["text"] == ""
    # Replay serves what history shows: the tombstone, then the deletion.
    assert views_of(frames, sent["id"]) == [tombstone]
    types = [f["type"] for f in frames if about(f) == sent["id"]]
    assert types == ["message.created", "reaction.added", "message.deleted"]


async def test_an_edited_message_is_replayed_with_its_new_text_only(
    app: Any, ctx: Ctx, users: Any
) -> None:
    alice, bob = await users("alice"), await users("bob")
    old, title = secret(), secret()
    sent = await alice.send("general", f"see https://example.com/{old} about {old}")
    card = {"url": first_link(sent["html"]), "title": title, "description": title}
    assert await set_preview(ctx, sent["id"], card)  # the link preview names the old text too
    first = await alice.patch(f"{API}/messages/{sent['id']}", json={"text": f"draft {old}"})
    assert first.status_code == 200, first.text
    final = await alice.patch(f"{API}/messages/{sent['id']}", json={"text": "all new words"})
    assert final.status_code == 200, final.text

    await assert_no_trace(ctx, old, alice, bob)
    await assert_no_trace(ctx, title, alice, bob)
    now = await current(bob, sent["id"])
    assert now["text"] == "all new words" and now["preview"] is None
    # Every stored view of the message (created, preview, both edits) is what history shows.
    views = views_of(await replayed(ctx, bob), sent["id"])
    assert len(views) == 4 and all(view == now for view in views)


async def test_a_client_resuming_between_the_changes_ends_where_history_is(
    app: Any, ctx: Ctx, users: Any
) -> None:
    alice, bob = await users("alice"), await users("bob")
    text = secret()
    sent = await alice.send("general", f"first {text}")
    async with ctx.db.read() as conn:
        mark = int(await conn.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0)
    await alice.patch(f"{API}/messages/{sent['id']}", json={"text": "second"})
    other = await alice.send("general", f"other {text}")
    assert (await alice.delete(f"{API}/messages/{other['id']}")).status_code == 204

    frames = await replayed(ctx, bob, since=mark)
    assert text not in json.dumps(frames)
    assert [f["type"] for f in frames] == [
        "message.updated",
        "message.created",
        "message.deleted",
    ]
    assert frames[0]["data"] == await current(bob, sent["id"])
    assert frames[1]["data"] == await current(bob, other["id"])  # its tombstone


# --- replies quote the original ----------------------------------------------------------


@pytest.mark.parametrize("change", ["edit", "delete"])
async def test_a_reply_no_longer_quotes_the_changed_original(
    app: Any, ctx: Ctx, users: Any, change: str
) -> None:
    alice, bob = await users("alice"), await users("bob")
    text = secret()
    original = await alice.send("general", f"{text} is the code")
    answer = await reply(bob, "general", "noted", original["id"])
    assert text in answer["reply_to"]["excerpt"]
    if change == "edit":
        response = await alice.patch(f"{API}/messages/{original['id']}", json={"text": "nothing"})
        assert response.status_code == 200, response.text
    else:
        assert (await alice.delete(f"{API}/messages/{original['id']}")).status_code == 204

    await assert_no_trace(ctx, text, alice, bob)
    quote = (await current(bob, answer["id"]))["reply_to"]
    assert quote["deleted"] is (change == "delete")
    assert quote["excerpt"] == ("nothing" if change == "edit" else "")
    (view,) = views_of(await replayed(ctx, alice), answer["id"])
    assert view["reply_to"] == quote


# --- purge, retention, eviction -----------------------------------------------------------


async def test_a_hard_account_purge_leaves_no_trace(app: Any, ctx: Ctx, users: Any) -> None:
    alice, bob = await users("alice"), await users("bob")
    text, name = secret(), secret()
    said = await alice.send("general", f"public {text}")
    dm = await alice.dm(bob)
    await alice.post_to(dm, f"private {text}")
    upload = await alice.upload(f"{name}.txt", b"file bytes")
    await alice.send_files(alice.channel("general"), [upload["id"]], "")
    answer = await reply(bob, "general", "quoting alice", said["id"])
    response = await alice.request(
        "DELETE", f"{API}/me", json={"password": PASSWORD, "mode": "hard"}
    )
    assert response.status_code == 200, response.text

    await assert_no_trace(ctx, text, bob)
    await assert_no_trace(ctx, name, bob)
    (view,) = views_of(await replayed(ctx, bob), answer["id"])
    assert view["reply_to"] == {"id": said["id"], "author": None, "excerpt": "", "deleted": True}


async def test_retention_leaves_no_trace_of_expired_messages_or_files(
    app: Any, ctx: Ctx, users: Any, clock: Any
) -> None:
    configure(app, message_retention_days=90, image_retention_days=30)
    alice, bob = await users("alice"), await users("bob")
    text, name = secret(), secret()
    original = await alice.send("general", f"old {text}")
    clock.advance(60 * DAY)
    answer = await reply(bob, "general", "still here", original["id"])
    upload = await alice.upload(f"{name}.png", png(color=(3, 40, 90)), "image/png")
    pictured = await alice.send_files(alice.channel("general"), [upload["id"]], "a picture")
    clock.advance(31 * DAY)  # the original is 91 days old, the image 31

    report = await retention.run_retention(ctx)
    assert report.messages_expired == 1 and report.files_expired == 1

    await assert_no_trace(ctx, text, alice, bob)
    await assert_no_trace(ctx, name, alice, bob)
    frames = await replayed(ctx, bob)
    (quote,) = [v["reply_to"] for v in views_of(frames, answer["id"])]
    assert quote == {"id": original["id"], "author": None, "excerpt": "", "deleted": True}
    now = await current(bob, pictured["id"])
    assert now["files"] == [] and all(v == now for v in views_of(frames, pictured["id"]))
    # The expired message's own events now only say it is gone.
    gone = [f["type"] for f in frames if about(f) == original["id"]]
    assert gone and set(gone) == {"message.deleted"}


async def test_size_cap_eviction_leaves_no_trace(
    app: Any, ctx: Ctx, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "MIB", 1000)  # caps in KB
    alice, bob = await users("alice"), await users("bob")
    text = secret()
    flood = await alice.send("general", f"{text} " + "x" * 900)
    await alice.send("general", "y" * 900)
    await bob.send("general", "short")
    configure(app, max_message_db_size_mb=2)

    evicted = await retention.enforce_message_cap(ctx, retention.Report(), delete_if_unreferenced)
    assert evicted == 1

    await assert_no_trace(ctx, text, alice, bob)
    assert {f["type"] for f in await replayed(ctx, bob) if about(f) == flood["id"]} == {
        "message.deleted"
    }


# --- a late joiner of a private channel -----------------------------------------------


async def test_a_late_joiner_replays_nothing_from_before_the_join(
    live: InProcessServer, people: LiveUsers
) -> None:
    """Over a real socket (``?since=0``): carol, added to a private channel after a message
    was deleted there, replays nothing of the channel from before her join: not the
    deleted text, not the old topic, not who came and went. History (HTTP) shows her what
    any member sees, the tombstone included."""
    alice, bob, carol = await people("alice"), await people("bob"), await people("carol")
    text, topic = secret(), secret()
    ops = await alice.create_private("ops", bob, topic=topic)
    doomed = await alice.post_to(ops, f"the {text} numbers")
    assert (await alice.delete(f"{API}/messages/{doomed['id']}")).status_code == 204
    kept = await alice.post_to(ops, "before carol")
    renamed = await alice.patch(f"{API}/conversations/{ops}", json={"topic": "calm"})
    assert renamed.status_code == 200, renamed.text
    assert (await bob.delete(f"{API}/conversations/{ops}/members/{bob.id}")).status_code == 204
    added = await alice.put(f"{API}/conversations/{ops}/members/{carol.id}")
    assert added.status_code == 204, added.text
    after = await alice.post_to(ops, "after carol")

    async with carol.connect(since=0) as ws:
        await hello(ws)
        frames = event_frames(
            await recv_until(
                ws, lambda f: f.get("type") == "message.created" and f["data"]["id"] == after["id"]
            )
        )
    raw = json.dumps(frames)
    assert text not in raw and topic not in raw
    in_ops = [f for f in frames if f["conversation"] == ops]
    assert [f["type"] for f in in_ops] == ["member.added", "message.created"]
    assert in_ops[0]["data"]["user"]["id"] == carol.id
    # History is where the past lives, and it shows no more than the tombstone.
    page = await carol.get(f"{API}/conversations/{ops}/messages")
    assert page.status_code == 200, page.text
    history = page.json()["messages"]
    assert [m["id"] for m in history] == [doomed["id"], kept["id"], after["id"]]
    assert history[0]["deleted_at"] is not None and history[0]["text"] == ""
    assert text not in page.text
    # Alice, a member all along, still replays the channel from its start (the old topic
    # included: she saw it live), but never the deleted text.
    async with alice.connect(since=0) as ws:
        await hello(ws)
        mine = event_frames(
            await recv_until(
                ws, lambda f: f.get("type") == "message.created" and f["data"]["id"] == after["id"]
            )
        )
    assert text not in json.dumps(mine)
    assert any(f["type"] == "conversation.created" and f["conversation"] == ops for f in mine)
