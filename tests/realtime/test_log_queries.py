"""The two reads of the event log the realtime path depends on: ``replay`` (a reconnecting
socket) and ``load_range`` (the hub filling a gap in event ids), on SQLite and PostgreSQL.

Regression (fixed in 70be29e): both ran ``select(Event)`` on a Core connection and took
``.scalars()``, i.e. the int ids, so ``_published`` raised AttributeError on the first row:
every resume with ``since`` dropped the socket before hello, and the hub's gap filler failed
on every retry, holding all later events forever.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from minimost.db.models import Event
from minimost.domain.events import encode_frame
from minimost.domain.queries.events import load_range, replay


async def all_events(db: Any) -> list[Any]:
    async with db.read() as conn:
        return list((await conn.execute(select(Event.__table__).order_by(Event.id))).all())


async def test_load_range_returns_the_published_events(app: Any, users: Any) -> None:
    alice = await users("alice")
    await alice.send("general", "one")
    db = app.state.minimost.ctx.db
    rows = await all_events(db)
    low, high = rows[0].id, rows[-1].id
    loaded = await load_range(db, low, high)
    assert [e.id for e in loaded] == [r.id for r in rows[1:]]
    for event, row in zip(loaded, rows[1:], strict=True):
        assert event.type == row.type
        assert event.conversation_id == row.conversation_id
        assert event.user_id == row.user_id
        assert event.frame == encode_frame(row.id, row.type, row.conversation_id, row.payload)
    assert await load_range(db, high, high + 10) == []


async def test_replay_returns_the_frames_the_user_may_see(app: Any, users: Any) -> None:
    alice = await users("alice")
    bob = await users("bob")
    db = app.state.minimost.ctx.db
    since = (await all_events(db))[-1].id
    leave = await bob.delete(f"/api/v1/conversations/{bob.channel('random')}/members/{bob.id}")
    assert leave.status_code == 204, leave.text
    await alice.send("random", "not for bob")
    visible = await alice.send("general", "for bob")

    result = await replay(db, bob.id, since)
    assert not result.resync
    assert [(e.type, e.conversation_id) for e in result.frames] == [
        ("member.removed", bob.channel("random")),
        ("message.created", bob.channel("general")),
    ]
    assert f'"id":{visible["id"]},' in result.frames[1].frame
    assert result.last_event_id == (await all_events(db))[-1].id
