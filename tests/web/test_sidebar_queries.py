"""The sidebar (``GET /api/v1/conversations``) costs the same few SQL statements for a user in
5 conversations as for one in 500 (no N+1), and its per-user counts stay right at that size.

The 500 conversations are written straight into the tables with SQLAlchemy Core (500 API
calls would make the test slow and prove nothing more); the expected counts are computed
here in Python from the rows as generated, independently of the query under test.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from minimost.db.models import Conversation, Membership, Mention, Message, User
from minimost.domain.clock import FakeClock
from tests.factories import TestUser, UserFactory
from tests.web.helpers import API

# The whole request: the token -> user lookup, the conversations with their counts, the
# members of the DMs. The number must not grow with the number of conversations.
SIDEBAR_STATEMENTS = 3
# Always one kind per slot, so every size gets public channels, private channels and DMs.
KINDS = ("public", "private", "dm", "public", "dm")
PEERS = 12  # other people: enough distinct sets for 200 DMs (12 + 66 + 220)


@contextmanager
def counting_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement sent to the database (either engine) inside the block."""
    db = app.state.minimost.ctx.db
    engines = {id(e): e.sync_engine for e in (db.write_engine, db.read_engine)}.values()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@dataclass
class Seeded:
    """What the seeded conversations must look like in ``me``'s sidebar."""

    counts: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> unread, mentions
    dm_members: dict[int, list[int]] = field(default_factory=dict)  # id -> user ids by username
    archived: int = 0


async def insert_peers(conn: AsyncConnection, prefix: str, now: Any) -> list[tuple[int, str]]:
    names = [f"{prefix}peer{i:02d}" for i in range(PEERS)]
    ids = (
        await conn.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [{"username": n, "password_hash": "!", "created_at": now} for n in names],
        )
    ).all()
    return list(zip(ids, names, strict=True))


async def seed_sidebar(app: FastAPI, me: tuple[int, str], count: int, rng: random.Random) -> Seeded:
    """Put ``me`` in ``count`` new conversations (plus one archived one), with messages from
    several people (some deleted), read positions, and mentions of ``me`` and of others."""
    ctx = app.state.minimost.ctx
    now = ctx.clock.now()
    my_id, my_name = me
    seeded = Seeded()
    async with ctx.db.write() as tx:
        conn = tx.conn
        peers = await insert_peers(conn, my_name, now)
        dm_sets = itertools.chain.from_iterable(
            itertools.combinations(peers, k) for k in range(1, 4)
        )
        kinds = [KINDS[i % len(KINDS)] for i in range(count)] + ["private"]
        rows: list[dict[str, Any]] = []
        members: list[list[tuple[int, str]]] = []
        for i, kind in enumerate(kinds):
            # Every row has every key: an executemany takes its columns from the first row.
            row: dict[str, Any] = {
                "kind": kind,
                "name": None,
                "topic": "",
                "created_at": now,
                "dm_key": None,
                "archived_at": now if i == count else None,  # left out of the sidebar
            }
            if kind == "dm":
                people = [*next(dm_sets), me]
                row["dm_key"] = ",".join(str(p[0]) for p in sorted(people))
            else:
                people = [me, *rng.sample(peers, rng.randint(0, 3))]
                row["name"] = f"{my_name}-{kind}-{i:03d}"
            rows.append(row)
            members.append(people)
        ids = (
            await conn.scalars(
                insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True),
                rows,
            )
        ).all()
        seeded.archived = ids[-1]

        # Messages, unevenly spread: most conversations are quiet, a few are busy.
        messages: list[dict[str, Any]] = []
        for cid, people in zip(ids, members, strict=True):
            for _ in range(rng.choice((0, 1, 2, 3, 5, 8, 30))):
                author = rng.random()
                messages.append(
                    {
                        "conversation_id": cid,
                        "author_id": None if author < 0.05 else rng.choice(people)[0],
                        "body_md": "x",
                        "body_html": "<p>x</p>",
                        "created_at": now,
                        "deleted_at": now if rng.random() < 0.1 else None,
                    }
                )
        message_ids = (
            await conn.scalars(
                insert(Message).returning(Message.id, sort_by_parameter_order=True), messages
            )
        ).all()
        by_conversation: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for mid, message in zip(message_ids, messages, strict=True):
            by_conversation.setdefault(message["conversation_id"], []).append((mid, message))

        mentions: list[dict[str, Any]] = []
        memberships: list[dict[str, Any]] = []
        for cid, row, people in zip(ids, rows, members, strict=True):
            history = by_conversation.get(cid, [])
            # Nothing read, or read up to some message (possibly the newest).
            read = None
            if history and rng.random() < 0.8:
                read = history[rng.randrange(len(history))][0]
            mentioned = []
            for mid, message in history:
                if message["author_id"] != my_id and rng.random() < 0.2:
                    mentions.append({"message_id": mid, "user_id": my_id, "conversation_id": cid})
                    mentioned.append((mid, message))
                other = next((p for p in people if p[0] != my_id), None)
                if other is not None and rng.random() < 0.2:  # someone else's mention
                    mentions.append(
                        {"message_id": mid, "user_id": other[0], "conversation_id": cid}
                    )

            def counts(items: list[tuple[int, dict[str, Any]]], read: int | None = read) -> int:
                return sum(1 for mid, m in items if mid > (read or 0) and m["deleted_at"] is None)

            unread = counts([(mid, m) for mid, m in history if m["author_id"] != my_id])
            seeded.counts[cid] = (unread, counts(mentioned))
            kind = row["kind"]
            if kind == "dm":
                seeded.dm_members[cid] = [p[0] for p in sorted(people, key=lambda p: p[1])]
            for person_id, _ in people:
                memberships.append(
                    {
                        "conversation_id": cid,
                        "user_id": person_id,
                        "role": "member",
                        "joined_at": now - timedelta(days=1),
                        "last_read_message_id": read if person_id == my_id else None,
                        "hidden": kind == "dm" and rng.random() < 0.1,
                        "muted": rng.random() < 0.1,
                    }
                )
        await conn.execute(insert(Membership), memberships)
        if mentions:
            await conn.execute(insert(Mention), mentions)
    del seeded.counts[seeded.archived]
    return seeded


async def sidebar_statements(
    app: FastAPI, clock: FakeClock, user: TestUser
) -> tuple[list[str], list[dict[str, Any]]]:
    clock.advance(60)  # past the 5 s token cache: the auth lookup is part of the count
    with counting_statements(app) as statements:
        response = await user.get(f"{API}/conversations")
    assert response.status_code == 200, response.text
    return statements, response.json()["conversations"]


def check_listing(listing: list[dict[str, Any]], seeded: Seeded, total: int) -> None:
    by_id = {c["id"]: c for c in listing}
    assert len(listing) == len(by_id) == total
    assert seeded.archived not in by_id
    got = {cid: (by_id[cid]["unread_count"], by_id[cid]["mention_count"]) for cid in seeded.counts}
    assert got == seeded.counts
    for cid, member_ids in seeded.dm_members.items():
        assert [m["id"] for m in by_id[cid]["members"]] == member_ids
    # Channels first (public, then private), then DMs; settings channels have nothing unread.
    assert [c["kind"] for c in listing] == sorted(
        (c["kind"] for c in listing), key=("public", "private", "dm").index
    )
    assert by_id[min(by_id)]["unread_count"] == 0


async def test_sidebar_is_a_fixed_number_of_queries_however_many_conversations(
    users: UserFactory, app: FastAPI, clock: FakeClock
) -> None:
    small, big = await users("small"), await users("big")
    # Both start in the two settings channels (general, random).
    few = await seed_sidebar(app, (small.id, small.username), 3, random.Random(5))
    many = await seed_sidebar(app, (big.id, big.username), 498, random.Random(500))
    assert sum(1 for u, _ in many.counts.values() if u) > 100  # the counts are exercised
    assert sum(1 for _, m in many.counts.values() if m) > 50

    small_statements, small_listing = await sidebar_statements(app, clock, small)
    big_statements, big_listing = await sidebar_statements(app, clock, big)

    check_listing(small_listing, few, 5)
    check_listing(big_listing, many, 500)
    assert len(small_statements) == SIDEBAR_STATEMENTS, small_statements
    assert len(big_statements) == SIDEBAR_STATEMENTS, big_statements
    # Without the token lookup (cached for 5 s), the listing alone is two statements.
    with counting_statements(app) as cached:
        assert (await big.get(f"{API}/conversations")).status_code == 200
    assert len(cached) == SIDEBAR_STATEMENTS - 1, cached
