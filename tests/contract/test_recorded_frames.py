"""Frames recorded from a real server are what the models say, and what the browser tests eat.

A real uvicorn server (``serve_app``) runs a scenario that produces every event type and
every ephemeral frame; real websockets collect what alice's and bob's browsers would get.
Every frame must validate against ``minimost.wire.frames.FRAME`` and survive a round trip
unchanged (no key the models do not know, no value they would coerce), every stored payload
against its spec's model, and the recording must have the shape of the committed fixture
``tests/js/fixtures/frames.json``, which ``tests/js/recorded.test.mjs`` replays through the
real reducers. So a wire change that the JS was not updated for fails here (the fixture is
stale) or there (once the fixture is regenerated, the reducers' expectations break).

Regenerate after a deliberate change: ``scripts/gen-contract`` (sets ``MINIMOST_RECORD=1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from minimost.config import Settings
from minimost.db.models import Event
from minimost.wire.events import SPECS, EventType
from minimost.wire.frames import EPHEMERAL_FRAMES, FRAME
from tests.contract.shapes import differences, normalized, shape
from tests.factories import PASSWORD
from tests.live import TIMEOUT, InProcessServer, LiveUser, LiveUsers, serve_app, wait_until

API = "/api/v1"
FIXTURE = Path(__file__).parents[1] / "js" / "fixtures" / "frames.json"
RECORD = os.environ.get("MINIMOST_RECORD") == "1"
THUMBS, PARTY = "%F0%9F%91%8D", "%F0%9F%8E%89"  # 👍 🎉, URL-encoded
EPHEMERAL_TYPES = {get_args(model.model_fields["type"].annotation)[0] for model in EPHEMERAL_FRAMES}


class Listener:
    """Everything one socket receives, in order, read by a background task."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.frames.append(json.loads(raw))

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> None:
        await wait_until(lambda: any(predicate(f) for f in self.frames), TIMEOUT, what)

    async def close(self) -> None:
        await self.ws.close()
        await self.task


def of_type(type_: str, **data: Any) -> Callable[[dict[str, Any]], bool]:
    def match(frame: dict[str, Any]) -> bool:
        got = frame.get("data") or {}
        return frame.get("type") == type_ and all(got.get(k) == v for k, v in data.items())

    return match


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


@pytest.fixture
async def live(settings_factory: Callable[..., Settings]) -> AsyncIterator[InProcessServer]:
    async with serve_app(settings_factory(channels=["general"])) as server:
        yield server


async def boot_of(user: LiveUser, general: int) -> dict[str, Any]:
    """What the browser loads before its socket opens (``main.js`` ``boot``)."""
    me = await ok(await user.get(f"{API}/me"))
    me["csrf_token"] = "csrf"  # a secret, and different every run
    return {
        "me": me,
        "conversations": (await ok(await user.get(f"{API}/conversations")))["conversations"],
        "history": {
            str(general): await ok(await user.get(f"{API}/conversations/{general}/messages"))
        },
    }


async def scenario(live: InProcessServer) -> dict[str, Any]:
    people = LiveUsers(live.url)
    try:
        return await _scenario(live, people)
    finally:
        await people.aclose()


async def _scenario(live: InProcessServer, people: LiveUsers) -> dict[str, Any]:
    alice, bob, carol = [await people(name) for name in ("alice", "bob", "carol")]
    general = alice.channel("general")
    await alice.send("general", "welcome, everyone", "rec-0")
    boot = {"alice": await boot_of(alice, general), "bob": await boot_of(bob, general)}

    b = Listener(await bob.connect().__aenter__())
    await b.wait_for(of_type("hello"), "bob's hello")
    a = Listener(await alice.connect().__aenter__())
    await a.wait_for(of_type("hello"), "alice's hello")

    # Ephemeral first: bob types in general.
    await b.ws.send(json.dumps({"type": "typing", "conversation": general}))
    await a.wait_for(of_type("typing"), "bob typing")

    url = f"{API}/conversations/{general}/messages"
    first = await ok(
        await alice.post(url, json={"text": "hello **world** @bob", "client_id": "rec-1"}), 201
    )
    m1 = first["message"]["id"]
    await ok(await alice.patch(f"{API}/messages/{m1}", json={"text": "hello edited @bob"}))
    m2 = (await alice.send("general", "delete me", "rec-2"))["id"]
    for emoji in (THUMBS, PARTY):
        await ok(await bob.put(f"{API}/messages/{m1}/reactions/{emoji}"))
    await ok(await bob.delete(f"{API}/messages/{m1}/reactions/{PARTY}"))
    await ok(await bob.put(f"{API}/messages/{m1}/pin"))
    await ok(await bob.put(f"{API}/messages/{m2}/pin"))
    await ok(await bob.delete(f"{API}/messages/{m2}/pin"))
    await ok(await bob.post(f"{API}/conversations/{general}/read", json={"message_id": m2}))
    await ok(await alice.delete(f"{API}/messages/{m2}"), 204)

    plans = await alice.create_private("plans", bob, topic="where to go")
    await ok(await alice.patch(f"{API}/conversations/{plans}", json={"name": "plans-2025"}))
    await ok(await alice.put(f"{API}/conversations/{plans}/members/{carol.id}"), 204)
    await ok(await alice.delete(f"{API}/conversations/{plans}/members/{carol.id}"), 204)
    await ok(await bob.patch(f"{API}/conversations/{plans}", json={"muted": True}))
    await ok(await bob.patch(f"{API}/me", json={"display_name": "Bobby", "color": "#336699"}))
    await bob.dm(alice)
    await end_another_session(live, bob)

    await b.ws.send(json.dumps({"type": "presence", "status": "idle"}))
    await a.wait_for(lambda f: _away(f, bob.id), "bob away")
    await a.ws.send(json.dumps({"type": "ping"}))
    await a.ws.send("not json")
    await a.wait_for(of_type("error"), "the error frame")

    end = (await alice.send("general", "the end", "rec-end"))["id"]
    for listener, who in ((a, "alice"), (b, "bob")):
        await listener.wait_for(of_type("message.created", id=end), f"{who}: the end")

    # A cursor from the future (a restored database): hello, then resync.
    async with alice.connect(since=10**9) as ws:
        resync = [json.loads(await ws.recv()) for _ in range(2)]
    await a.close()
    await b.close()

    return {
        "users": {"alice": alice.id, "bob": bob.id, "carol": carol.id},
        "conversations": {"general": general, "plans": plans},
        "messages": {"edited": m1, "deleted": m2, "end": end},
        "boot": boot,
        "sockets": {
            # alice keeps one typing and one presence frame (at the point they were
            # asked for); others arrive whenever the flush runs, so they are left out.
            "alice": _steady(a.frames, keep=_first_of(a.frames, bob.id)),
            "bob": _steady(b.frames, keep=[]),
            "resync": resync,
        },
    }


async def end_another_session(live: InProcessServer, user: LiveUser) -> None:
    async with httpx.AsyncClient(base_url=live.url, trust_env=False) as browser:
        await ok(
            await browser.post(
                f"{API}/auth/login", json={"username": user.username, "password": PASSWORD}
            )
        )
    newest = (await ok(await user.get(f"{API}/me/sessions")))["sessions"][0]
    await ok(await user.delete(f"{API}/me/sessions/{newest['id']}"), 204)


def _away(frame: dict[str, Any], user_id: int) -> bool:
    users = (frame.get("data") or {}).get("users") or {}
    return frame.get("type") == "presence" and users.get(str(user_id)) == "away"


def _first_of(frames: list[dict[str, Any]], bob: int) -> list[dict[str, Any]]:
    typing = next(f for f in frames if f["type"] == "typing")
    away = next(f for f in frames if _away(f, bob))
    return [typing, away]


def _steady(frames: list[dict[str, Any]], keep: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f for f in frames if f["type"] not in ("typing", "presence") or any(f is k for k in keep)
    ]


def validate(frame: dict[str, Any]) -> None:
    """``frame`` is a valid frame, and nothing in it is unknown to the models."""
    model = FRAME.validate_python(frame)
    back = model.model_dump(mode="json", exclude_unset=True)
    assert back == frame, f"the models do not round-trip {frame['type']}:\n{frame}\n{back}"


async def test_recorded_frames_match_the_models_and_the_fixture(live: InProcessServer) -> None:
    recording = await scenario(live)
    frames = [f for stream in recording["sockets"].values() for f in stream]
    for frame in frames:
        validate(frame)
    seen = {f["type"] for f in frames}
    missing = sorted({t.value for t in EventType} - seen) + sorted(EPHEMERAL_TYPES - seen)
    assert not missing, f"the scenario in {__name__} produces no {missing}: add a step"

    # What the replay log stores (rewritten by redaction) is a valid payload too.
    async with live.app.state.minimost.ctx.db.read() as conn:
        rows = (await conn.execute(select(Event.type, Event.payload))).all()
    for row in rows:
        payload = json.loads(row.payload)
        model = SPECS[EventType(row.type)].model.model_validate(payload)
        assert model.model_dump(mode="json", exclude_unset=True) == payload, row.type

    fresh = normalized(recording, {})
    if RECORD:
        FIXTURE.write_text(json.dumps(fresh, indent=1, ensure_ascii=False) + "\n")
    committed = json.loads(FIXTURE.read_text())
    for name, stream in fresh["sockets"].items():
        old = committed["sockets"][name]
        assert [f["type"] for f in stream] == [f["type"] for f in old], (
            f"{name}'s frames changed: run scripts/gen-contract and update the JS"
        )
    problems = differences(shape(committed["boot"]), shape(fresh["boot"]), "$.boot")
    for name, stream in fresh["sockets"].items():
        for i, (old, new) in enumerate(zip(committed["sockets"][name], stream, strict=True)):
            problems += differences(shape(old), shape(new), f"$.{name}[{i}] {new['type']}")
    assert not problems, (
        "the wire changed shape since tests/js/fixtures/frames.json was recorded; "
        "update the JS reducers and their tests, then run scripts/gen-contract:\n"
        + "\n".join(problems)
    )
