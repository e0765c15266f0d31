"""Access control on the socket, for every event type: an event of a private channel or a DM
reaches its members' sockets and nobody else's (not a server admin's, not a removed
member's), live and on replay, and so do typing frames.

``TRIGGERS`` holds, for each ``EventType``, actions that produce one in a private channel or a
DM; the tests iterate the enum, so a new event type fails them until it has a trigger here.

Absence is never proven by waiting: after each trigger the admin posts a barrier message in a
public channel everyone is in, and a socket must receive nothing of the trigger before it
(frames arrive in event id order, so anything earlier would have come first).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection

from minimost.db.models import Event
from minimost.domain.events import EventType
from minimost.wire.events import SPECS, Audience
from tests.factories import PASSWORD
from tests.live import InProcessServer, LiveUser, LiveUsers, hello, recv, recv_until
from tests.media import png

API = "/api/v1"


@dataclass
class World:
    live: InProcessServer
    alice: LiveUser  # the first account: a server admin, in neither secret conversation
    bob: LiveUser  # the member: created the private channel, in the DM
    oscar: LiveUser  # an outsider
    carol: LiveUser  # bob's company in the private channel and the DM
    dave: LiveUser  # in the private channel until bob removes him
    erin: LiveUser  # comes and goes (the member.* triggers)
    private: int
    dm: int
    barriers: int = 0
    last_barrier: dict[str, Any] | None = None

    @property
    def public(self) -> set[int]:
        return set(self.alice.conversations.values())  # general, random

    def conversation(self, where: str) -> int:
        return self.private if where == "private" else self.dm

    async def barrier(self) -> dict[str, Any]:
        """A message every watcher receives, later than anything sent before it."""
        self.barriers += 1
        self.last_barrier = await self.alice.send("general", f"barrier {self.barriers}")
        return self.last_barrier


async def build_world(live: InProcessServer, people: LiveUsers) -> World:
    alice = await people("alice")
    bob, oscar, carol, dave, erin = [
        await people(name) for name in ("bob", "oscar", "carol", "dave", "erin")
    ]
    private = await bob.create_private("hush", carol, dave)
    dm = await bob.dm(carol)
    return World(live, alice, bob, oscar, carol, dave, erin, private, dm)


@dataclass(frozen=True)
class LoggedEvent:
    id: int
    type: str
    conversation_id: int | None
    user_id: int | None


async def events_after(live: InProcessServer, mark: int) -> list[LoggedEvent]:
    async with live.app.state.minimost.ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(Event.id, Event.type, Event.conversation_id, Event.user_id)
                .where(Event.id > mark)
                .order_by(Event.id)
            )
        ).all()
    return [LoggedEvent(r.id, r.type, r.conversation_id, r.user_id) for r in rows]


async def newest_event(live: InProcessServer) -> int:
    events = await events_after(live, 0)
    return events[-1].id if events else 0


def is_message(message: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("type") == "message.created" and f["data"]["id"] == message["id"]


async def before(ws: ClientConnection, barrier: dict[str, Any]) -> list[dict[str, Any]]:
    """The event frames that arrive on ``ws`` before the ``barrier`` message."""
    return (await recv_until(ws, is_message(barrier)))[:-1]


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


# --- the triggers: one or more per event type, all in the secret conversations --------------

Run = Callable[[World], Awaitable[None]]


@dataclass(frozen=True)
class Trigger:
    name: str
    run: Run


def in_each(name: str, action: Callable[[World, int], Awaitable[None]]) -> tuple[Trigger, ...]:
    """``action`` in the private channel, and in the DM."""

    def at(where: str) -> Trigger:
        async def run(w: World) -> None:
            await action(w, w.conversation(where))

        return Trigger(f"{name} in the {where}", run)

    return (at("private"), at("dm"))


async def post(w: World, conversation: int) -> None:
    await w.carol.post_to(conversation, "psst @bob")


async def edit(w: World, conversation: int) -> None:
    message = await w.carol.post_to(conversation, "typo")
    await ok(await w.carol.patch(f"{API}/messages/{message['id']}", json={"text": "fixed"}))


async def delete(w: World, conversation: int) -> None:
    message = await w.bob.post_to(conversation, "oops")
    await ok(await w.bob.delete(f"{API}/messages/{message['id']}"), 204)


async def read(w: World, conversation: int) -> None:
    message = await w.carol.post_to(conversation, "read me")
    url = f"{API}/conversations/{conversation}/read"
    await ok(await w.bob.post(url, json={"message_id": message["id"]}))


async def add_erin(w: World) -> None:
    await ok(await w.bob.put(f"{API}/conversations/{w.private}/members/{w.erin.id}"), 204)


async def remove_erin(w: World) -> None:
    await add_erin(w)
    await ok(await w.bob.delete(f"{API}/conversations/{w.private}/members/{w.erin.id}"), 204)


async def create_private(w: World) -> None:
    await w.bob.create_private("hush too", w.carol)


async def create_dm(w: World) -> None:
    await w.bob.dm(w.carol, w.erin)


async def rename(w: World) -> None:
    url = f"{API}/conversations/{w.private}"
    await ok(await w.bob.patch(url, json={"name": "hush renamed", "topic": "plans"}))


async def mute(w: World) -> None:
    await ok(await w.bob.patch(f"{API}/conversations/{w.private}", json={"muted": True}))


async def hide(w: World) -> None:
    await ok(await w.bob.patch(f"{API}/conversations/{w.dm}", json={"hidden": True}))


THUMBS = "%F0%9F%91%8D"  # 👍, URL-encoded


async def react(w: World, conversation: int) -> None:
    message = await w.carol.post_to(conversation, "react to me")
    await ok(await w.bob.put(f"{API}/messages/{message['id']}/reactions/{THUMBS}"))


async def unreact(w: World, conversation: int) -> None:
    message = await w.carol.post_to(conversation, "react, then not")
    await ok(await w.bob.put(f"{API}/messages/{message['id']}/reactions/{THUMBS}"))
    await ok(await w.bob.delete(f"{API}/messages/{message['id']}/reactions/{THUMBS}"))


async def pin(w: World, conversation: int) -> None:
    message = await w.carol.post_to(conversation, "pin me")
    await ok(await w.bob.put(f"{API}/messages/{message['id']}/pin"))


async def unpin(w: World, conversation: int) -> None:
    message = await w.carol.post_to(conversation, "pin, then not")
    await ok(await w.carol.put(f"{API}/messages/{message['id']}/pin"))
    await ok(await w.bob.delete(f"{API}/messages/{message['id']}/pin"))


async def rename_bob(w: World) -> None:
    await ok(await w.bob.patch(f"{API}/me", json={"display_name": "Bobby", "color": "#336699"}))


async def bob_avatar(w: World) -> None:
    response = await w.bob.put(f"{API}/me/avatar", files={"file": ("bob.png", png())})
    await ok(response)


async def bob_ends_a_session(w: World) -> None:
    """bob signs in elsewhere, then signs that session out from here (his socket stays)."""
    async with httpx.AsyncClient(base_url=w.live.url, trust_env=False) as browser:
        login = await browser.post(
            f"{API}/auth/login", json={"username": w.bob.username, "password": PASSWORD}
        )
    assert login.status_code == 200, login.text
    newest = (await ok(await w.bob.get(f"{API}/me/sessions")))["sessions"][0]
    assert not newest["current"]
    await ok(await w.bob.delete(f"{API}/me/sessions/{newest['id']}"), 204)


# To every signed-in user (no conversation, no user): not walked by the members-only test,
# proven by test_broadcast_events_reach_every_signed_in_user instead.
BROADCAST = frozenset(t for t, spec in SPECS.items() if spec.audience is Audience.EVERYONE)

TRIGGERS: dict[EventType, tuple[Trigger, ...]] = {
    EventType.USER_UPDATED: (
        Trigger("bob renames himself", rename_bob),
        Trigger("bob sets an avatar", bob_avatar),
    ),
    EventType.MESSAGE_CREATED: in_each("carol posts", post),
    EventType.MESSAGE_UPDATED: in_each("carol edits", edit),
    EventType.MESSAGE_DELETED: in_each("bob deletes", delete),
    EventType.MEMBER_ADDED: (Trigger("bob adds erin", add_erin),),
    EventType.MEMBER_REMOVED: (Trigger("bob removes erin", remove_erin),),
    EventType.CONVERSATION_CREATED: (
        Trigger("bob creates a private channel", create_private),
        Trigger("bob opens a group DM", create_dm),
    ),
    EventType.CONVERSATION_UPDATED: (Trigger("bob renames the channel", rename),),
    EventType.READ_UPDATED: in_each("bob reads", read),
    EventType.MEMBERSHIP_UPDATED: (
        Trigger("bob mutes the channel", mute),
        Trigger("bob hides the DM", hide),
    ),
    EventType.REACTION_ADDED: in_each("bob reacts", react),
    EventType.REACTION_REMOVED: in_each("bob takes a reaction back", unreact),
    EventType.MESSAGE_PINNED: in_each("bob pins", pin),
    EventType.MESSAGE_UNPINNED: in_each("bob unpins", unpin),
    EventType.SESSION_ENDED: (Trigger("bob ends another session of his", bob_ends_a_session),),
}


def test_every_event_type_has_a_trigger() -> None:
    missing = [t.value for t in EventType if not TRIGGERS.get(t)]
    assert not missing, f"add triggers for {missing} to TRIGGERS in {__name__}"


# --- live and replay ---------------------------------------------------------------------------


async def test_every_event_type_reaches_members_only_live_and_on_replay(
    live: InProcessServer, people: LiveUsers
) -> None:
    w = await build_world(live, people)
    async with (
        w.bob.connect() as bob_ws,
        w.oscar.connect() as oscar_ws,
        w.alice.connect() as alice_ws,
        w.dave.connect() as dave_ws,
    ):
        for ws in (bob_ws, oscar_ws, alice_ws, dave_ws):
            await hello(ws)
        others = {"oscar (outsider)": oscar_ws, "alice (admin)": alice_ws}

        # dave hears the channel while a member, and the removal is the last thing he hears.
        said = await w.carol.post_to(w.private, "dave is still here")
        assert (await recv(dave_ws))["data"] == said
        await ok(await w.bob.delete(f"{API}/conversations/{w.private}/members/{w.dave.id}"), 204)
        removed = await recv(dave_ws)
        assert removed["type"] == "member.removed" and removed["conversation"] == w.private
        assert removed["data"]["user"]["id"] == w.dave.id
        barrier = await w.barrier()
        bob_got = await before(bob_ws, barrier)
        assert [f["type"] for f in bob_got] == ["message.created", "member.removed"]
        assert bob_got[1] == removed
        assert await before(dave_ws, barrier) == []
        for name, ws in others.items():
            assert await before(ws, barrier) == [], name
        others["dave (removed)"] = dave_ws

        for event_type in EventType:
            if event_type in BROADCAST:
                continue
            for trigger in TRIGGERS[event_type]:
                mark = await newest_event(live)
                await trigger.run(w)
                events = await events_after(live, mark)
                assert event_type.value in [e.type for e in events], (trigger.name, events)
                # The trigger stays in the secret conversations (or is bob's alone).
                for e in events:
                    assert e.conversation_id not in w.public, (trigger.name, e)
                    assert e.conversation_id is not None or e.user_id == w.bob.id, e
                barrier = await w.barrier()
                got = await before(bob_ws, barrier)
                assert [f["id"] for f in got] == [e.id for e in events], trigger.name
                assert [f["type"] for f in got] == [e.type for e in events], trigger.name
                for name, ws in others.items():
                    leaked = await before(ws, barrier)
                    assert leaked == [], f"{trigger.name}: {name} received {leaked}"

    everything = {e.id: e for e in await events_after(live, 0)}
    # Events of the secret conversations, and those for one user alone.
    secret = {e.id for e in everything.values() if e.conversation_id not in w.public}
    barriers = {
        e.id for e in everything.values() if e.conversation_id == w.alice.channel("general")
    }

    # bob is in every secret conversation.
    bob_ids = {f["id"] for f in await replayed(w, w.bob)}
    mine = {i for i in secret if everything[i].conversation_id or everything[i].user_id == w.bob.id}
    assert mine <= bob_ids
    for user in (w.oscar, w.alice, w.dave):
        ids = {f["id"] for f in await replayed(w, user)}
        # A conversation replays from the user's join on (what their sockets got live).
        joined = min(
            e.id
            for e in everything.values()
            if e.type == "member.added"
            and e.user_id == user.id
            and e.conversation_id == w.alice.channel("general")
        )
        assert {i for i in barriers if i >= joined} <= ids
        assert {i for i in barriers if i < joined} & ids == set()
        own = {i for i in secret if everything[i].user_id == user.id}
        assert ids & secret == own, (user.username, sorted(ids & secret - own))
    # dave replays his own joining and removal (to drop the channel), nothing else of it.
    dave_own = [everything[i] for i in sorted(secret) if everything[i].user_id == w.dave.id]
    assert [(e.type, e.conversation_id) for e in dave_own] == [
        ("member.added", w.private),
        ("member.removed", w.private),
    ]


async def replayed(w: World, user: LiveUser) -> list[dict[str, Any]]:
    """What ``user`` replays from ``since=0`` up to the newest barrier; the socket then goes
    on live, where a later secret event reaches only a member either."""
    assert w.last_barrier is not None
    newest = w.last_barrier
    async with user.connect(since=0) as ws:
        await hello(ws)
        frames = await recv_until(ws, is_message(newest))
        await w.carol.post_to(w.private, f"after {user.username}'s replay")
        late = [f["data"]["text"] for f in await before(ws, await w.barrier())]
        assert late == ([f"after {user.username}'s replay"] if user is w.bob else []), late
        return frames


async def test_broadcast_events_reach_every_signed_in_user_live_and_on_replay(
    live: InProcessServer, people: LiveUsers
) -> None:
    w = await build_world(live, people)
    # zed shares no conversation with anyone: he left both public channels.
    zed = await people("zed")
    for name in ("general", "random"):
        url = f"{API}/conversations/{zed.channel(name)}/members/{zed.id}"
        await ok(await zed.delete(url), 204)
    assert await zed.listing() == {}
    start = await newest_event(live)
    sent: list[LoggedEvent] = []
    async with zed.connect() as zed_ws, w.oscar.connect() as oscar_ws:
        for ws in (zed_ws, oscar_ws):
            await hello(ws)
        for event_type in BROADCAST:
            for trigger in TRIGGERS[event_type]:
                mark = await newest_event(live)
                await trigger.run(w)
                events = await events_after(live, mark)
                assert [(e.type, e.conversation_id, e.user_id) for e in events] == [
                    (event_type.value, None, None)
                ], trigger.name
                sent += events
                for name, ws in (("zed", zed_ws), ("oscar", oscar_ws)):
                    frame = await recv(ws)
                    assert (frame["id"], frame["type"]) == (events[0].id, event_type.value), name
                    assert frame["conversation"] is None
                    assert frame["data"]["user"]["id"] == w.bob.id
    # On replay too, for someone who was not connected: zed from before the changes.
    async with zed.connect(since=start) as ws:
        await hello(ws)
        replayed = [await recv(ws) for _ in sent]
    assert [(f["id"], f["type"]) for f in replayed] == [(e.id, e.type) for e in sent]
    assert replayed[-1]["data"]["user"]["avatar_url"].startswith(f"{API}/users/{w.bob.id}/avatar")
    assert replayed[0]["data"]["user"]["display_name"] == "Bobby"


# --- typing ------------------------------------------------------------------------------------


def typing_in(conversation: int, *user_ids: int) -> Callable[[dict[str, Any]], bool]:
    def match(frame: dict[str, Any]) -> bool:
        return (
            frame["type"] == "typing"
            and frame["conversation"] == conversation
            and set(user_ids) <= set(frame["data"]["user_ids"])
        )

    return match


def typed_in(frames: list[dict[str, Any]], conversations: set[int]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "typing" and f["conversation"] in conversations]


async def typing_until(
    ws: ClientConnection, conversation: int, user_ids: set[int]
) -> list[dict[str, Any]]:
    """Every frame until ``user_ids`` have all been seen typing in ``conversation`` (they may
    be spread over several batches)."""
    frames: list[dict[str, Any]] = []
    pending = set(user_ids)
    while pending:
        frames += await recv_until(ws, typing_in(conversation), ephemeral=True)
        pending -= set(frames[-1]["data"]["user_ids"])
    return frames


async def send_typing(ws: ClientConnection, *conversations: int) -> None:
    for conversation in conversations:
        await ws.send(f'{{"type":"typing","conversation":{conversation}}}')


async def test_typing_in_a_private_conversation_reaches_members_only(
    live: InProcessServer, people: LiveUsers
) -> None:
    w = await build_world(live, people)
    general = w.alice.channel("general")
    secret = {w.private, w.dm}
    await ok(await w.bob.delete(f"{API}/conversations/{w.private}/members/{w.dave.id}"), 204)
    async with (
        w.bob.connect() as bob_ws,
        w.carol.connect() as carol_ws,
        w.oscar.connect() as oscar_ws,
        w.alice.connect() as alice_ws,
        w.dave.connect() as dave_ws,
    ):
        sockets = {"bob": bob_ws, "carol": carol_ws, "oscar": oscar_ws, "alice": alice_ws}
        sockets["dave (removed)"] = dave_ws
        for ws in sockets.values():
            await hello(ws)

        # A member types in both; general is the barrier (batched no earlier than they are).
        await send_typing(bob_ws, w.private, w.dm, general)
        frames = await typing_until(carol_ws, general, {w.bob.id})
        assert {f["conversation"] for f in typed_in(frames, secret)} == secret
        assert all(f["data"]["user_ids"] == [w.bob.id] for f in typed_in(frames, secret))
        for name in ("oscar", "alice", "dave (removed)"):
            frames = await typing_until(sockets[name], general, {w.bob.id})
            assert typed_in(frames, secret) == [], name
        await typing_until(bob_ws, general, {w.bob.id})  # his own tabs hear it too: drained

        # Non-members (an admin and a removed member included) cannot type into them.
        intruders = [w.oscar, w.alice, w.dave]
        for name in ("oscar", "alice", "dave (removed)"):
            await send_typing(sockets[name], w.private, w.dm, general)
        for name in ("bob", "carol"):
            frames = await typing_until(sockets[name], general, {u.id for u in intruders})
            assert typed_in(frames, secret) == [], name
