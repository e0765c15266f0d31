"""The realtime socket end to end: a real uvicorn on a free port, the ``websockets`` client,
users signed up over HTTP, on SQLite and on PostgreSQL (the ``database_url`` fixture).

Absence is never proven by waiting: a later event the user *may* see is the barrier
(frames arrive in id order, so anything earlier would have arrived first)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Callable
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
import websockets
from sqlalchemy import delete, func, select

from minimost.app import create_app
from minimost.config import Settings
from minimost.db.models import Event
from tests.live import (
    TIMEOUT,
    InProcessServer,
    LiveUser,
    LiveUsers,
    closed,
    event_frames,
    hello,
    recv,
    recv_until,
    serve_app,
    wait_until,
    ws_connect,
)


async def last_event_id(user: LiveUser) -> int:
    response = await user.get("/api/v1/me")
    assert response.status_code == 200, response.text
    value: int = response.json()["last_event_id"]
    return value


async def max_event_id(live: InProcessServer) -> int:
    async with live.app.state.minimost.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)


def created(text: str) -> Callable[[dict[str, Any]], bool]:
    """Predicate: the message.created frame for ``text``."""
    return lambda f: f.get("type") == "message.created" and f["data"]["text"] == text


async def edit(user: LiveUser, message_id: int, text: str) -> dict[str, Any]:
    response = await user.patch(f"/api/v1/messages/{message_id}", json={"text": text})
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


async def delete_message(user: LiveUser, message_id: int) -> None:
    response = await user.delete(f"/api/v1/messages/{message_id}")
    assert response.status_code == 204, response.text


async def leave(user: LiveUser, channel: str) -> None:
    response = await user.delete(f"/api/v1/conversations/{user.channel(channel)}/members/{user.id}")
    assert response.status_code == 204, response.text


async def join(user: LiveUser, channel: str) -> None:
    response = await user.put(f"/api/v1/conversations/{user.channel(channel)}/members/{user.id}")
    assert response.status_code == 204, response.text


def assert_increasing(frames: list[dict[str, Any]]) -> None:
    ids = [f["id"] for f in frames]
    assert ids == sorted(set(ids)), ids


# --- hello and live delivery -------------------------------------------------------------


async def test_hello_comes_first_with_the_newest_event_id(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    newest = await last_event_id(alice)
    assert newest == await max_event_id(live) > 0
    async with alice.connect() as ws:
        assert await hello(ws) == {"last_event_id": newest, "user_id": alice.id, "presence": ANY}
    async with alice.connect(since=newest) as ws:
        assert await hello(ws) == {"last_event_id": newest, "user_id": alice.id, "presence": ANY}
        await ws.send('{"type":"ping"}')
        assert await recv(ws) == {"type": "pong"}  # nothing to replay


async def test_messages_edits_and_deletes_arrive_live(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    general = alice.channel("general")
    async with bob.connect() as bob_ws, alice.connect() as alice_ws:
        start = (await hello(bob_ws))["last_event_id"]
        await hello(alice_ws)

        message = await alice.send("general", "hello **bob**")
        frame = await recv(bob_ws)
        assert frame == {
            "id": frame["id"],
            "type": "message.created",
            "conversation": general,
            "data": message,
        }
        assert frame["id"] > start
        assert message["html"] == "<p>hello <strong>bob</strong></p>"

        edited = await edit(alice, message["id"], "hello *bob*")
        frame2 = await recv(bob_ws)
        assert frame2["type"] == "message.updated"
        assert frame2["conversation"] == general
        assert frame2["data"] == edited
        assert edited["edited_at"] is not None and edited["text"] == "hello *bob*"

        await delete_message(alice, message["id"])
        frame3 = await recv(bob_ws)
        assert frame3["type"] == "message.deleted"
        assert frame3["conversation"] == general
        assert frame3["data"] == {"id": message["id"], "conversation_id": general}

        assert frame["id"] < frame2["id"] < frame3["id"]
        assert frame3["id"] == await max_event_id(live)
        # The author's own socket gets the same three frames.
        assert [await recv(alice_ws) for _ in range(3)] == [frame, frame2, frame3]


async def test_concurrent_sends_arrive_once_each_in_id_order(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    async with bob.connect() as ws:
        await hello(ws)
        texts = [f"{who.username} {i}" for i in range(10) for who in (alice, bob)]
        senders = {t: (alice if t.startswith("alice") else bob) for t in texts}
        sent = await asyncio.gather(*(senders[t].send("general", t) for t in texts))
        frames = [await recv(ws) for _ in texts]
        marker = await alice.send("general", "marker")
        assert (await recv(ws))["data"] == marker  # nothing extra before it
    assert [f["type"] for f in frames] == ["message.created"] * len(texts)
    assert_increasing(frames)
    assert sorted(f["data"]["id"] for f in frames) == sorted(m["id"] for m in sent)
    # Message ids follow commit order too, so they rise with the event ids.
    message_ids = [f["data"]["id"] for f in frames]
    assert message_ids == sorted(message_ids)
    by_id = {m["id"]: m for m in sent}
    assert all(f["data"] == by_id[f["data"]["id"]] for f in frames)


# --- who sees what -------------------------------------------------------------------------


async def test_a_non_member_gets_nothing_from_a_conversation(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    random_id = alice.channel("random")
    async with bob.connect() as ws:
        await hello(ws)
        await leave(bob, "random")
        removed = await recv(ws)
        assert removed["type"] == "member.removed"
        assert removed["conversation"] == random_id
        assert removed["data"]["user"]["id"] == bob.id

        await alice.send("random", "secret plans")
        marker = await alice.send("general", "marker 1")
        frame = await recv(ws)  # the marker is later: the secret would have come first
        assert frame["type"] == "message.created"
        assert frame["data"] == marker

        # A socket opened after leaving is not subscribed to the channel either.
        async with bob.connect() as ws2:
            await hello(ws2)
            await alice.send("random", "more secrets")
            marker2 = await alice.send("general", "marker 2")
            assert (await recv(ws2))["data"] == marker2
            assert (await recv(ws))["data"] == marker2

            # Joining again subscribes every open socket at once.
            await join(bob, "random")
            for sock in (ws, ws2):
                added = await recv(sock)
                assert added["type"] == "member.added"
                assert added["conversation"] == random_id
                assert added["data"]["user"]["id"] == bob.id
            back = await alice.send("random", "welcome back")
            assert (await recv(ws))["data"] == back
            assert (await recv(ws2))["data"] == back


async def test_since_replays_exactly_the_visible_events_then_streams_live(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    general, random_id = alice.channel("general"), alice.channel("random")
    since = await last_event_id(bob)

    async with alice.connect(since=since) as alice_ws:  # sees everything below
        await hello(alice_ws)
        await leave(bob, "random")
        await alice.send("random", "bob cannot see this")
        visible = await alice.send("general", "bob sees this")
        await edit(alice, visible["id"], "bob sees this, edited")
        carol = await people("carol")  # member.added in general (visible) and random (not)
        everything = [await recv(alice_ws) for _ in range(6)]
    assert [f["type"] for f in everything[-2:]] == ["member.added"] * 2
    assert {f["data"]["user"]["id"] for f in everything[-2:]} == {carol.id}
    by_id = {f["id"]: f for f in everything}
    assert len(everything) == 6
    expected = [
        f for f in everything if f["conversation"] == general or (f["type"] == "member.removed")
    ]
    assert [(f["type"], f["conversation"]) for f in expected] == [
        ("member.removed", random_id),
        ("message.created", general),
        ("message.updated", general),
        ("member.added", general),
    ]

    # The stored message.created now carries the message as edited: replay never serves
    # text that history no longer shows (actions.redaction).
    expected[1] = {**expected[1], "data": expected[2]["data"]}

    async with bob.connect(since=since) as ws:
        data = await hello(ws)
        assert data["last_event_id"] == max(by_id) == await max_event_id(live)
        replayed = [await recv(ws) for _ in expected]
        assert replayed == expected  # same frames, byte for byte after JSON, same order

        live_message = await alice.send("general", "and now live")
        frame = await recv(ws)  # not a duplicate of anything replayed
        assert frame["type"] == "message.created"
        assert frame["data"] == live_message
        assert frame["id"] > max(by_id)


async def test_reconnect_with_since_gets_exactly_the_missed_messages(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    async with bob.connect() as ws:
        await hello(ws)
        first = await alice.send("general", "before the drop")
        frame = await recv(ws)
        assert frame["data"] == first
        last_seen = frame["id"]

    missed = [await alice.send("general", f"missed {i}") for i in range(5)]

    async with bob.connect(since=last_seen) as ws:
        data = await hello(ws)
        frames = [await recv(ws) for _ in range(5)]
        assert [f["type"] for f in frames] == ["message.created"] * 5
        assert [f["data"] for f in frames] == missed
        assert_increasing(frames)
        assert frames[0]["id"] > last_seen
        assert data["last_event_id"] == frames[-1]["id"]
        # Then live, with nothing in between.
        after = await alice.send("general", "after the reconnect")
        assert (await recv(ws))["data"] == after


async def test_replay_and_live_meet_without_gaps_or_duplicates(
    live: InProcessServer, people: LiveUsers
) -> None:
    """Sends keep committing while the socket registers and replays: every message arrives
    exactly once, in order, whether it came through the replay or live."""
    alice = await people("alice")
    bob = await people("bob")
    since = await last_event_id(bob)
    halfway = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def sender() -> None:
        for i in range(40):
            sent.append(await alice.send("general", f"burst {i}"))
            if i == 10:
                halfway.set()

    task = asyncio.create_task(sender())
    try:
        await asyncio.wait_for(halfway.wait(), 20)
        async with bob.connect(since=since) as ws:
            await hello(ws)
            await asyncio.wait_for(task, 30)
            marker = await alice.send("general", "the end")
            frames = await recv_until(ws, created("the end"))
    finally:
        if not task.done():
            task.cancel()
    messages = [f for f in frames if f["type"] == "message.created"]
    assert [f["data"]["id"] for f in messages] == [m["id"] for m in sent] + [marker["id"]]
    assert_increasing(event_frames(frames))


# --- resync ----------------------------------------------------------------------------


async def test_since_newer_than_the_newest_event_asks_for_resync(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    newest = await last_event_id(alice)
    async with alice.connect(since=newest + 1000) as ws:
        assert (await hello(ws))["last_event_id"] == newest
        assert await recv(ws) == {"type": "resync"}
        message = await alice.send("general", "still live after a resync")
        frame = await recv(ws)
        assert frame["data"] == message


async def test_since_older_than_the_retained_log_asks_for_resync(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    async with alice.connect() as ws:
        await hello(ws)
        sent = [await alice.send("general", f"m{i}") for i in range(3)]
        frames = [await recv(ws) for _ in sent]
    ids = [f["id"] for f in frames]
    # The janitor pruned everything up to the second message's event.
    async with live.app.state.minimost.ctx.db.write() as tx:
        await tx.conn.execute(delete(Event).where(Event.id <= ids[1]))

    for stale in (1, ids[1] - 1):
        async with alice.connect(since=stale) as ws:
            assert (await hello(ws))["last_event_id"] == ids[2]
            assert await recv(ws) == {"type": "resync"}
    # Right at the edge of what is retained, replay still works.
    async with alice.connect(since=ids[1]) as ws:
        await hello(ws)
        assert await recv(ws) == frames[2]
    # since=0 means "everything retained".
    async with alice.connect(since=0) as ws:
        await hello(ws)
        assert await recv(ws) == frames[2]


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "99999999999999999999"])
async def test_a_bad_since_closes_with_4400(
    live: InProcessServer, people: LiveUsers, since: str
) -> None:
    alice = await people("alice")
    async with alice.connect(since=since) as ws:
        result = await closed(ws)
    assert result.code == 4400
    assert result.frames == []


async def test_an_empty_since_means_live_from_now(live: InProcessServer, people: LiveUsers) -> None:
    alice = await people("alice")
    async with ws_connect(
        alice.ws_base + "?since=", headers={"Cookie": f"minimost_session={alice.session}"}
    ) as ws:
        assert (await hello(ws))["user_id"] == alice.id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Cookie": "minimost_session=not-a-session"},
        {"Authorization": "Bearer not-a-token"},
    ],
    ids=["none", "bad-cookie", "bad-bearer"],
)
async def test_no_valid_credentials_closes_with_4401(
    live: InProcessServer, headers: dict[str, str]
) -> None:
    async with ws_connect(live.url.replace("http", "ws") + "/api/v1/ws", headers=headers) as ws:
        result = await closed(ws)
    assert result.code == 4401
    assert result.frames == []


async def test_a_foreign_origin_closes_with_4403(live: InProcessServer, people: LiveUsers) -> None:
    alice = await people("alice")
    for origin in ("https://evil.example", "http://127.0.0.1:1", "null"):
        async with alice.connect(origin=origin) as ws:
            result = await closed(ws)
        assert result.code == 4403, origin
        assert result.frames == []
    # The page's own origin (same host and port) is fine.
    async with alice.connect(origin=live.url) as ws:
        assert (await hello(ws))["user_id"] == alice.id


async def test_too_many_streams_closes_with_4429(
    settings_factory: Callable[..., Settings],
) -> None:
    async with serve_app(settings_factory(max_event_streams_per_user=2)) as server:
        people = LiveUsers(server.url)
        try:
            alice = await people("alice")
            bob = await people("bob")
            async with alice.connect() as one, alice.connect() as two:
                await hello(one)
                await hello(two)
                async with alice.connect() as three:
                    result = await closed(three)
                assert result.code == 4429
                # The cap is per user, and the two open streams still work.
                async with bob.connect() as bobs:
                    await hello(bobs)
                message = await bob.send("general", "still there?")
                assert (await recv(one))["data"] == message
                assert (await recv(two))["data"] == message
                await two.close()
                await wait_until(lambda: server.hub.streams_of(alice.id) == 1)
                async with alice.connect() as again:
                    await hello(again)
        finally:
            await people.aclose()


# --- client frames -----------------------------------------------------------------------


async def test_ping_pong_and_bad_frames_keep_the_socket_open(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    async with alice.connect() as ws:
        await hello(ws)
        await ws.send(json.dumps({"type": "ping"}))
        assert await recv(ws) == {"type": "pong"}
        # Frames carry no free text (only ids and fixed words): a NUL or a lone surrogate
        # is just another unknown or malformed frame, never stored or echoed.
        odd = ('{"type":"ping\\u0000"}', '{"type":"presence","status":"\\ud800"}')
        for garbage in ("not json at all", "[1,2,3]", '{"type":"launch-missiles"}', "{", *odd):
            await ws.send(garbage)
            frame = await recv(ws)
            assert frame["type"] == "error", garbage
            assert frame["data"]["code"] == "bad_frame"
        await ws.send(b"\x00\x01binary")
        frame = await recv(ws)
        assert frame["type"] == "error"
        await ws.send('{"type":"ping"}')
        assert await recv(ws) == {"type": "pong"}
        message = await alice.send("general", "the socket survived")
        frame = await recv(ws)
        assert frame["data"] == message


# --- authentication --------------------------------------------------------------------


async def test_bearer_token_and_cookie_both_authenticate(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    token = await bob.token("bot")
    async with bob.connect(auth="bearer", token=token) as by_token, bob.connect() as by_cookie:
        assert (await hello(by_token))["user_id"] == bob.id
        assert (await hello(by_cookie))["user_id"] == bob.id
        message = await alice.send("general", f"hi {uuid.uuid4().hex}")
        assert (await recv(by_token))["data"] == message
        assert (await recv(by_cookie))["data"] == message


# --- shutdown ----------------------------------------------------------------------------


async def test_server_shutdown_closes_sockets_with_1001(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    async with alice.connect() as a, bob.connect() as b:
        await hello(a)
        await hello(b)
        stopping = asyncio.create_task(live.stop())
        results = await asyncio.gather(closed(a, 10), closed(b, 10))
        await asyncio.wait_for(stopping, 20)
    assert [r.code for r in results] == [1001, 1001]
    assert all(r.frames == [] for r in results)
    assert live.hub.connection_count == 0


# --- the log repairs what the bus lost -----------------------------------------------------


async def test_an_event_lost_on_the_bus_is_loaded_from_the_log(
    settings_factory: Callable[..., Settings],
) -> None:
    """A second node on the same database whose bus reaches nobody (its Redis link is down):
    what it commits never reaches node 1's hub. The next event node 1 sees reveals the gap,
    and the hub loads the missing event from the log, delivering both in order.

    Regression: ``load_range`` used to raise (see test_log_queries.py), and the hub then
    held every later event forever.
    """
    settings = settings_factory()
    async with serve_app(settings) as node1:
        node2 = create_app(settings)  # own MemoryBus: publishes to nobody else
        async with node2.router.lifespan_context(node2):
            people = LiveUsers(node1.url)
            try:
                alice = await people("alice")
                bob = await people("bob")
                async with (
                    bob.connect() as ws,
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=node2),
                        base_url="https://testserver",
                        headers={
                            "Cookie": f"minimost_session={alice.session}",
                            "X-CSRF-Token": alice.csrf,  # same data dir: same secret
                        },
                    ) as via_node2,
                ):
                    await hello(ws)
                    response = await via_node2.post(
                        f"/api/v1/conversations/{alice.channel('general')}/messages",
                        json={"text": "committed on node 2, never published to node 1"},
                    )
                    assert response.status_code == 201, response.text
                    lost = response.json()["message"]
                    later = await alice.send("general", "through node 1")
                    frames = [await recv(ws), await recv(ws)]
                    assert [f["data"] for f in frames] == [lost, later]
                    assert frames[0]["id"] + 1 == frames[1]["id"]
            finally:
                await people.aclose()


# --- races -----------------------------------------------------------------------------------


async def test_leaving_while_a_socket_connects_does_not_leave_it_subscribed(
    live: InProcessServer, people: LiveUsers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket reads the user's memberships after registering with the hub. If the user
    leaves a conversation between that read and ``hub.subscribe``, the hub's member.removed
    handling finds nothing to unsubscribe, and the stale read then subscribes the socket to
    a conversation the user is no longer in - for good. The window is widened here by
    holding the real read's result until the removal has gone through the hub.

    Regression: fixed by ``Connection.left`` in realtime/hub.py.
    """
    from minimost.domain.access import readable_conversation_ids as real
    from minimost.web import ws as ws_module

    alice = await people("alice")
    bob = await people("bob")
    read_done = asyncio.Event()
    proceed = asyncio.Event()

    async def held(conn: Any, user_id: int) -> set[int]:
        result: set[int] = await real(conn, user_id)
        if user_id == bob.id:
            read_done.set()
            await proceed.wait()
        return result

    monkeypatch.setattr(ws_module, "readable_conversation_ids", held)
    async with bob.connect() as ws:
        await asyncio.wait_for(read_done.wait(), TIMEOUT)
        await leave(bob, "random")
        after_leave = await last_event_id(alice)
        await wait_until(lambda: live.hub.last_id >= after_leave, what="the hub to see it")
        proceed.set()
        await hello(ws)
        await alice.send("random", "bob left, he must not get this")
        marker = await alice.send("general", "marker")
        frame = await recv(ws)
        assert frame["data"] == marker, frame


# --- back-pressure ---------------------------------------------------------------------------


async def test_a_client_too_slow_to_drain_is_closed_with_4408_and_resumes(
    settings_factory: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket that stops reading: TCP buffers fill, the server's writer blocks, its bounded
    queue fills (5 frames here instead of 1,000, to keep the test short) and the hub closes
    it with 4408. Everyone else keeps receiving; the slow client resumes with ``since``."""
    from minimost.web import ws as ws_module

    monkeypatch.setattr(ws_module, "MAX_QUEUE", 5)
    async with serve_app(settings_factory(rate_limit_enabled=False)) as live:
        people = LiveUsers(live.url)
        try:
            alice = await people("alice")
            bob = await people("bob")  # the slow one
            carol = await people("carol")  # a healthy reader
            # Bob's socket: a tiny receive buffer, and the client stops reading after hello.
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.setblocking(False)
            await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", live.port))
            slow = websockets.connect(
                bob.ws_url(),
                additional_headers={"Cookie": f"minimost_session={bob.session}"},
                sock=raw,
                compression=None,
                proxy=None,
                ping_interval=None,
                max_queue=1,  # the client library stops reading from TCP too
            )
            async with slow as bob_ws, carol.connect() as carol_ws:
                await hello(bob_ws)
                await hello(carol_ws)
                big = "<" * 9000  # ~45 KB per frame once rendered and escaped

                def bob_closed() -> bool:
                    return all(c.closed for c in live.hub.by_user.get(bob.id, ()))

                sent: list[dict[str, Any]] = []
                carol_got: list[dict[str, Any]] = []
                while not bob_closed():
                    assert len(sent) < 1000, "the slow socket was never closed"
                    sent.append(await alice.send("general", f"{len(sent)} {big}"))
                    carol_got.append(await recv(carol_ws))  # carol keeps up throughout
                assert [f["data"] for f in carol_got] == sent

                result = await closed(bob_ws, 20)  # now drain what was buffered
            assert result.code == 4408
            assert "since" in result.reason
            got = result.frames
            assert 0 < len(got) < len(sent)
            assert [f["data"] for f in got] == sent[: len(got)]  # a clean prefix, in order
            await wait_until(lambda: live.hub.streams_of(bob.id) == 0)

            async with bob.connect(since=got[-1]["id"]) as ws:
                await hello(ws)
                rest = [await recv(ws) for _ in sent[len(got) :]]
                assert [f["data"] for f in rest] == sent[len(got) :]
                after = await alice.send("general", "and live again")
                assert (await recv(ws))["data"] == after
        finally:
            await people.aclose()
