"""The event log is written in the change's transaction: no commit, no event, no publish."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from minimost.db.models import Event, Message
from minimost.domain.context import Actor
from minimost.domain.errors import Forbidden
from minimost.domain.events import Published, message_deleted, publish_on_commit


class Recorder:
    def __init__(self) -> None:
        self.published: list[Published] = []

    async def publish(self, event: Published) -> None:
        self.published.append(event)


async def count(db, model) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


async def test_rollback_leaves_no_event_and_publishes_nothing(app) -> None:
    ctx = app.state.minimost.ctx
    recorder = Recorder()
    before = await count(ctx.db, Event)
    with pytest.raises(RuntimeError):
        async with ctx.db.write() as tx:
            await publish_on_commit(
                tx,
                recorder,
                message_deleted(1, 1),
                ctx.clock.now(),
            )
            raise RuntimeError("boom")
    assert await count(ctx.db, Event) == before
    assert recorder.published == []


async def test_commit_publishes_after_the_row_exists(app) -> None:
    ctx = app.state.minimost.ctx
    seen_rows: list[int] = []

    class Checking(Recorder):
        async def publish(self, event: Published) -> None:
            # By the time we publish, any reader can see the row (it has committed).
            async with ctx.db.read() as conn:
                seen_rows.append(
                    int(await conn.scalar(select(func.count()).where(Event.id == event.id)) or 0)
                )
            await super().publish(event)

    recorder = Checking()
    async with ctx.db.write() as tx:
        event_id = await publish_on_commit(
            tx,
            recorder,
            message_deleted(7, 3),
            ctx.clock.now(),
        )
        assert recorder.published == []  # nothing leaves before commit
    assert [e.id for e in recorder.published] == [event_id]
    assert seen_rows == [1]
    frame = recorder.published[0].frame
    assert (
        frame
        == f'{{"id":{event_id},"type":"message.deleted","conversation":3,"data":{{"id":7,"conversation_id":3}}}}'
    )


async def test_failed_action_writes_nothing(app, users) -> None:
    from minimost.domain.actions.messages import edit_message

    alice = await users("alice")
    bob = await users("bob")
    sent = await alice.send("general", "mine")
    ctx = app.state.minimost.ctx
    events_before = await count(ctx.db, Event)
    with pytest.raises(Forbidden):
        await edit_message(ctx, Actor(bob.id, "bob", "", False), sent["id"], "hijack")
    assert await count(ctx.db, Event) == events_before
    async with ctx.db.read() as conn:
        assert await conn.scalar(select(Message.body_md).where(Message.id == sent["id"])) == "mine"


async def test_event_ids_follow_commit_order_under_concurrency(app, users) -> None:
    import asyncio

    alice = await users("alice")
    await asyncio.gather(*(alice.send("general", f"m{i}") for i in range(20)))
    ctx = app.state.minimost.ctx
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(Event.id, Event.payload)
                .where(Event.type == "message.created")
                .order_by(Event.id)
            )
        ).all()
        message_ids = (await conn.execute(select(Message.id).order_by(Message.id))).scalars().all()
    import json

    assert [json.loads(p)["id"] for _, p in rows] == list(message_ids)
