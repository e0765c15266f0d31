"""Group commit: concurrent submissions share a batch; each caller gets its own outcome."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from minimost.domain.actions import messages
from minimost.domain.actions.messages import PendingSend, send_message
from minimost.domain.context import Actor
from minimost.domain.errors import Conflict, Forbidden, NotFound
from minimost.domain.group_commit import GroupCommit
from minimost.domain.render import Rendered
from minimost.domain.text import InvalidCharacters
from tests.web.helpers import EventLog


async def test_concurrent_submissions_share_batches_and_keep_their_results() -> None:
    seen: list[list[int]] = []
    gate = asyncio.Event()

    async def writer(batch: list[int]) -> list[int | BaseException]:
        seen.append(batch)
        await gate.wait()  # the first batch is "in the database" while others queue
        return [ValueError(n) if n == 3 else n * 10 for n in batch]

    commit: GroupCommit[int, int] = GroupCommit(writer)
    tasks = [asyncio.create_task(commit.submit(n)) for n in range(4)]
    while not seen:
        await asyncio.sleep(0)
    # Arrive while the first batch is being written: they form the next batch together.
    tasks += [asyncio.create_task(commit.submit(n)) for n in range(4, 6)]
    for _ in range(5):
        await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [r for r in results if not isinstance(r, BaseException)] == [0, 10, 20, 40, 50]
    assert isinstance(results[3], ValueError)
    assert seen == [[0, 1, 2, 3], [4, 5]]
    assert commit.batches == 2


async def test_a_failing_writer_fails_its_batch_only() -> None:
    calls = 0

    async def writer(batch: list[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return [*batch]

    commit: GroupCommit[int, int] = GroupCommit(writer)
    with pytest.raises(RuntimeError):
        await commit.submit(1)
    assert await commit.submit(2) == 2


async def test_batched_sends_validate_each_item(app, users) -> None:
    alice = await users("alice")
    bob = await users("bob")
    ctx = app.state.minimost.ctx
    general = alice.channel("general")
    # Bob leaves general: his sends there must fail while Alice's in the same batch pass.
    response = await bob.delete(f"/api/v1/conversations/{general}/members/{bob.id}")
    assert response.status_code == 204
    a = Actor(alice.id, "alice", "", True)
    b = Actor(bob.id, "bob", "", False)
    same = uuid.uuid4().hex
    results = await asyncio.gather(
        send_message(ctx, a, general, "one", None),
        send_message(ctx, b, general, "not a member", None),
        send_message(ctx, a, 999_999, "nowhere", None),
        send_message(ctx, a, general, "twice", same),
        send_message(ctx, a, general, "twice", same),
        send_message(ctx, a, alice.channel("random"), "reused id", same),
        return_exceptions=True,
    )
    assert isinstance(results[0], tuple) and results[0][1] is True
    assert isinstance(results[1], Forbidden)
    assert isinstance(results[2], NotFound)
    first, second = results[3], results[4]
    assert isinstance(first, tuple) and isinstance(second, tuple)
    assert first[0].id == second[0].id
    assert {first[1], second[1]} == {True, False}
    assert isinstance(results[5], Conflict)
    page = await alice.history("general")
    assert [m["text"] for m in page["messages"]] == ["one", "twice"]
    assert ctx.sends.batches >= 1


def three_actors(alice, bob, carol) -> tuple[Actor, Actor, Actor]:
    return (
        Actor(alice.id, "alice", "", True),
        Actor(bob.id, "bob", "", False),
        Actor(carol.id, "carol", "", False),
    )


async def test_send_refuses_unstorable_text_and_the_batch_goes_on(app, users) -> None:
    """Validation bypassed (the domain action called directly): a NUL or a lone surrogate
    is a clean ``InvalidCharacters`` on both databases, and the sends beside it commit.
    Before: a lone surrogate crashed rendering (UnicodeEncodeError, a 500), and a NUL was
    stored on SQLite but failed the whole batch on PostgreSQL."""
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    ctx = app.state.minimost.ctx
    general = alice.channel("general")
    a, b, c = three_actors(alice, bob, carol)
    batches = ctx.sends.batches
    results = await asyncio.gather(
        send_message(ctx, a, general, "alice is fine", uuid.uuid4().hex),
        send_message(ctx, b, general, "nul \x00 byte", uuid.uuid4().hex),
        send_message(ctx, b, general, "lone \ud800 surrogate", None),
        send_message(ctx, c, general, "carol is fine", None),
        return_exceptions=True,
    )
    assert ctx.sends.batches == batches + 1
    for culprit in results[1:3]:
        assert isinstance(culprit, InvalidCharacters), repr(culprit)
        assert set(culprit.fields) == {"text"}
    assert [r[1] for r in (results[0], results[3])] == [True, True]  # type: ignore[index]
    page = await alice.history("general")
    assert [m["text"] for m in page["messages"]] == ["alice is fine", "carol is fine"]


async def test_the_writer_isolates_a_row_the_database_refuses(app, users, database_url) -> None:
    """The batched writer itself, fed a row the database refuses (straight to the writer,
    past every check: a NUL on PostgreSQL, a lone surrogate on both), fails that send alone
    with a clean domain error; the other users' sends in the same batch commit and are
    answered, with one event each. Before: only an IntegrityError was isolated; any other
    error (asyncpg's ``invalid byte sequence for encoding "UTF8": 0x00``) failed everyone."""
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    ctx = app.state.minimost.ctx
    general = alice.channel("general")
    a, b, c = three_actors(alice, bob, carol)
    culprits = ["lone \ud800 surrogate"]
    if database_url is not None:  # SQLite stores a NUL; PostgreSQL cannot
        culprits.append("nul \x00 byte")
    log = await EventLog.begin(app)
    batches = ctx.sends.batches
    results = await asyncio.gather(
        send_message(ctx, a, general, "alice is fine", uuid.uuid4().hex),
        *(
            ctx.sends.submit(
                PendingSend(b, general, text, Rendered("<p>bad</p>"), uuid.uuid4().hex)
            )
            for text in culprits
        ),
        send_message(ctx, c, general, "carol is fine", None),
        return_exceptions=True,
    )
    assert ctx.sends.batches == batches + 1  # they really shared one batch
    good = [results[0], results[-1]]
    for result in good:
        assert isinstance(result, tuple), repr(result)
        assert result[1] is True
    for result in results[1:-1]:
        assert isinstance(result, InvalidCharacters), repr(result)
        assert set(result.fields) == {"text"}
    page = await alice.history("general")
    assert [m["text"] for m in page["messages"]] == ["alice is fine", "carol is fine"]
    assert [m["id"] for m in page["messages"]] == [r[0].id for r in good if isinstance(r, tuple)]
    assert await log.types() == ["message.created", "message.created"]


async def test_a_lost_client_id_race_still_answers_with_the_original(app, users, monkeypatch):
    """The other per-row failure the writer isolates: a retry whose ``client_id`` another
    node committed after this batch looked it up (IntegrityError). The retry gets the
    original message; the send beside it in the batch commits."""
    alice, bob = await users("alice"), await users("bob")
    ctx = app.state.minimost.ctx
    general = alice.channel("general")
    client_id = uuid.uuid4().hex
    original = await alice.send("general", "first", client_id)
    real, lookups = messages._existing, 0

    async def late(conn, keys):  # the batch's and the lone retry's lookups miss the row
        nonlocal lookups
        lookups += 1
        return {} if lookups <= 2 else await real(conn, keys)

    monkeypatch.setattr(messages, "_existing", late)
    a = Actor(alice.id, "alice", "", True)
    b = Actor(bob.id, "bob", "", False)
    retry, other = await asyncio.gather(
        send_message(ctx, a, general, "first", client_id),
        send_message(ctx, b, general, "bob is fine", None),
    )
    assert lookups >= 3  # the race path really ran
    assert (retry[0].id, retry[1]) == (original["id"], False)
    assert other[1] is True
    page = await alice.history("general")
    assert [m["text"] for m in page["messages"]] == ["first", "bob is fine"]
