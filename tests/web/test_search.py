"""GET /api/v1/search on SQLite and PostgreSQL: every operator, the index kept in step with
send/edit/delete/retention, access (the one readable rule), paging and snippet escaping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, insert, text

from minimost.db.models import Message, StoredFile
from minimost.domain.clock import FakeClock
from tests.factories import TestUser, UserFactory
from tests.web.helpers import API, anonymous, assert_error

URL = f"{API}/search"


async def search(user: TestUser, q: str, **params: Any) -> dict[str, Any]:
    response = await user.get(URL, params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def found(user: TestUser, q: str) -> list[int]:
    return [r["message"]["id"] for r in (await search(user, q))["results"]]


async def test_words_prefixes_phrases_and_exclusions(users: UserFactory) -> None:
    alice = await users("alice")
    deploy = await alice.send("general", "Deploying the new release notes tonight")
    notes = await alice.send("general", "notes about the release, not a deploy")
    other = await alice.send("general", "lunch plans")
    cafe = await alice.send("general", "Meet at the Café du Monde")

    assert await found(alice, "release") == [notes["id"], deploy["id"]]
    assert await found(alice, "RELEASE deploy") == [notes["id"], deploy["id"]]  # AND, any case
    assert await found(alice, "depl") == [notes["id"], deploy["id"]]  # prefix as you type
    assert await found(alice, "lunch") == [other["id"]]
    assert await found(alice, '"release notes"') == [deploy["id"]]  # exact phrase, in order
    assert await found(alice, '"notes release"') == []
    assert await found(alice, '"releas notes"') == []  # phrases are whole words
    assert await found(alice, "release -tonight") == [notes["id"]]
    assert await found(alice, 'release -"release notes"') == [notes["id"]]
    assert await found(alice, "-release -lunch") == [cafe["id"]]  # exclusions alone
    assert await found(alice, "café") == [cafe["id"]]
    assert await found(alice, "nothingmatcheshere") == []


async def test_words_split_like_the_index(users: UserFactory) -> None:
    alice = await users("alice")
    url = await alice.send("general", "see https://example.com/docs and foo-bar_baz")
    assert await found(alice, "example") == [url["id"]]
    assert await found(alice, "example.com") == [url["id"]]  # the words example, com in order
    assert await found(alice, "bar") == [url["id"]]
    assert await found(alice, "foo-bar") == [url["id"]]


async def test_operators(app: FastAPI, users: UserFactory, clock: FakeClock) -> None:
    alice = await users("alice")
    bob = await users("bob")
    await bob.put(f"{API}/conversations/{alice.channel('general')}/members/{bob.id}")
    jan1 = await alice.send("general", "status report one")  # 2026-01-01 12:00 UTC
    clock.advance(86_400)
    jan2 = await bob.send("random", "status report two")
    clock.advance(86_400)
    ops = await alice.create_private("Ops Room", bob)
    jan3 = await bob.post_to(ops, "status report three, see http://intranet/x")
    dm = await alice.dm(bob)
    in_dm = await bob.post_to(dm, "status in private")

    assert await found(alice, "status") == [in_dm["id"], jan3["id"], jan2["id"], jan1["id"]]
    assert await found(alice, "status from:bob") == [in_dm["id"], jan3["id"], jan2["id"]]
    assert await found(alice, "from:@alice") == [jan1["id"]]  # operators alone list
    assert await found(alice, "status from:alice from:bob") == await found(alice, "status")
    assert await found(alice, "from:nobody") == []
    assert await found(alice, "in:general") == [jan1["id"]]
    assert await found(alice, "in:#Random status") == [jan2["id"]]
    assert await found(alice, 'in:"ops room"') == [jan3["id"]]
    assert await found(alice, "in:@bob") == [in_dm["id"]]
    assert await found(alice, "in:general in:random") == [jan2["id"], jan1["id"]]
    assert await found(alice, "status before:2026-01-02") == [jan1["id"]]
    assert await found(alice, "status on:2026-01-02") == [jan2["id"]]
    assert await found(alice, "status after:2026-01-02") == [in_dm["id"], jan3["id"]]
    assert await found(alice, "after:2026-01-01 before:2026-01-03") == [jan2["id"]]
    assert await found(alice, "after:2026-01-02 before:2026-01-02") == []
    assert await found(alice, "has:link") == [jan3["id"]]
    assert await found(alice, "has:file") == []
    # Attachments (the upload flow belongs to files; the search only reads the rows).
    db = app.state.minimost.ctx.db
    async with db.write() as tx:
        for message, is_image in ((jan1, True), (jan2, False)):
            await tx.conn.execute(
                insert(StoredFile).values(
                    uploader_id=alice.id,
                    message_id=message["id"],
                    sha256="0" * 64,
                    name="a.png" if is_image else "a.txt",
                    size=1,
                    content_type="image/png" if is_image else "text/plain",
                    is_image=is_image,
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
    assert await found(alice, "has:file") == [jan2["id"], jan1["id"]]
    assert await found(alice, "has:image status") == [jan1["id"]]
    result = (await search(alice, "has:image"))["results"][0]
    assert result["message"]["files"][0]["is_image"] is True  # enriched like history


async def test_bad_queries_are_clear_422s(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    assert_error(await alice.get(URL, params={"q": "x" * 5000}), 422, "query_too_long")
    assert_error(await alice.get(URL, params={"q": "a " * 30}), 422, "query_too_long")
    assert_error(await alice.get(URL, params={"q": "before:2026-13-01"}), 422, "invalid_query")
    assert_error(await alice.get(URL, params={"q": "on:yesterday"}), 422, "invalid_query")
    assert_error(await alice.get(URL, params={"q": "has:cat"}), 422, "invalid_query")
    assert_error(await alice.get(URL, params={"cursor": "nope"}), 422, "invalid_cursor")
    assert_error(await alice.get(URL, params={"limit": 51}), 422)
    async with anonymous(app) as client:
        assert_error(await client.get(URL, params={"q": "x"}), 401, "not_authenticated")


HOSTILE = [
    '"',
    '""',
    '"""',
    "*",
    "a*",
    "NEAR(a b)",
    "NEAR(",
    "AND OR NOT",
    "a AND",
    "NOT a",
    "(a OR b)",
    ")(",
    "body_md:a",
    "messages_fts:a",
    "^a",
    "a + b",
    "{a b}: c",
    "-",
    "--a",
    '-"',
    "'; DROP TABLE messages; --",
    "a:* & !b | c <-> d",
    "\\'",
    "日本語 текст ελληνικά 👍🏽",
    # (Control characters are refused before search: tests/web/test_unstorable_text.py.)
    "\t\r\n",
    "from: in: before: has:",
    "x" * 500,
]


@pytest.mark.parametrize("q", HOSTILE)
async def test_hostile_input_is_only_ever_text(users: UserFactory, q: str) -> None:
    alice = await users("alice")
    msg = await alice.send("general", "AND OR NOT NEAR body_md a b c d 日本語 text")
    response = await alice.get(URL, params={"q": q})
    assert response.status_code == 200, response.text
    ids = [r["message"]["id"] for r in response.json()["results"]]
    assert ids in ([], [msg["id"]])


async def test_edit_reindexes_delete_and_retention_remove(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    message = await alice.send("general", "original wording")
    other = await alice.send("general", "original too")
    edited = await alice.patch(f"{API}/messages/{message['id']}", json={"text": "revised text"})
    assert edited.status_code == 200, edited.text
    assert await found(alice, "original") == [other["id"]]
    assert await found(alice, "revised") == [message["id"]]
    deleted = await alice.delete(f"{API}/messages/{message['id']}")
    assert deleted.status_code == 204, deleted.text
    assert await found(alice, "revised") == []
    # Retention removes rows outright; the index must forget them in the same statement.
    db = app.state.minimost.ctx.db
    async with db.write() as tx:
        await tx.conn.execute(text("DELETE FROM messages WHERE id = :id"), {"id": other["id"]})
    assert await found(alice, "original") == []
    if db.dialect == "sqlite":
        async with db.read() as conn:
            # The index itself (not just the join to messages) no longer has them, and it
            # agrees with its content table.
            stale = await conn.execute(
                text(
                    "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'original OR revised'"
                )
            )
            assert stale.all() == []
            await conn.execute(
                text("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
            )


async def test_only_readable_conversations_and_live_messages(users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    carol = await users("carol")
    secret = await bob.create_private("hush", carol)
    hidden = await bob.post_to(secret, "needle in private")
    dm = await bob.dm(carol)
    in_dm = await bob.post_to(dm, "needle in dm")
    public = await bob.send("random", "needle in public")  # alice is not in random: readable
    gone = await bob.send("random", "needle deleted")
    await bob.delete(f"{API}/messages/{gone['id']}")
    assert await found(alice, "needle") == [public["id"]]
    assert await found(alice, "in:hush") == []
    assert await found(alice, "in:@bob") == []
    assert await found(alice, "from:bob") == [public["id"]]
    assert await found(carol, "needle") == [public["id"], in_dm["id"], hidden["id"]]
    # Once removed, carol no longer finds what she could read before.
    removed = await bob.delete(f"{API}/conversations/{secret}/members/{carol.id}")
    assert removed.status_code == 204, removed.text
    assert await found(carol, "needle") == [public["id"], in_dm["id"]]
    result = (await search(carol, "needle"))["results"][0]
    assert result["conversation"] == {
        "id": public["conversation_id"],
        "kind": "public",
        "name": "random",
    }
    assert result["conversation_id"] == public["conversation_id"]


async def test_pages_are_stable_newest_first(users: UserFactory) -> None:
    alice = await users("alice")
    sent = [(await alice.send("general", f"page item {i}"))["id"] for i in range(45)]
    await alice.send("general", "unrelated")
    first = await search(alice, "item")
    assert len(first["results"]) == 20 and first["next_cursor"]
    # New matches arriving between pages do not shift the following pages.
    newer = await alice.send("general", "item arrives late")
    second = await search(alice, "item", cursor=first["next_cursor"])
    third = await search(alice, "item", cursor=second["next_cursor"], limit=50)
    assert third["next_cursor"] is None
    seen = [r["message"]["id"] for page in (first, second, third) for r in page["results"]]
    assert seen == sorted(sent, reverse=True)
    assert newer["id"] not in seen
    assert await found(alice, "item") == [newer["id"], *sorted(sent, reverse=True)[:19]]
    # Operators alone page the same way.
    ops = await search(alice, "from:alice", limit=50)
    assert len(ops["results"]) == 47


async def test_snippets_are_escaped_with_marks_only(users: UserFactory) -> None:
    alice = await users("alice")
    await alice.send(
        "general", 'before <script>alert("x")</script> & the Needle\'s <b>eye</b> after'
    )
    (result,) = (await search(alice, "needle script"))["results"]
    snippet = result["snippet_html"]
    assert snippet == (
        "before &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt;"
        " &amp; the <mark>Needle</mark>&#x27;s &lt;b&gt;eye&lt;/b&gt; after"
    )
    long = "word " * 100 + "target " + "tail " * 100
    await alice.send("general", long.strip())
    (result,) = (await search(alice, "targ"))["results"]
    assert "<mark>target</mark>" in result["snippet_html"]
    assert result["snippet_html"].startswith("…") and result["snippet_html"].endswith("…")
    assert len(result["snippet_html"]) < 260


async def test_date_operators_are_exact_across_days_and_id_gaps(
    app: FastAPI, users: UserFactory, clock: FakeClock
) -> None:
    """The results are exactly what the dates say (UTC days; before/after exclusive), with
    ids missing (retention deleted rows) and messages on both sides of every boundary."""
    alice = await users("alice")
    sent: list[tuple[int, datetime]] = []
    for _ in range(30):  # 15 days, two messages a day (12:00 and 00:00 UTC)
        message = await alice.send("general", "tick")
        sent.append((message["id"], datetime.fromisoformat(message["created_at"])))
        clock.advance(12 * 3600)
    gone = {sent[i][0] for i in (0, 5, 6, 7, 19, 29)}
    async with app.state.minimost.ctx.db.write() as tx:  # as retention does: rows vanish
        await tx.conn.execute(delete(Message).where(Message.id.in_(gone)))
    kept = [(i, at) for i, at in sent if i not in gone]

    def expect(test: Any) -> list[int]:
        return [i for i, at in reversed(kept) if test(at.date().isoformat())]

    for day in ("2025-12-31", "2026-01-01", "2026-01-04", "2026-01-08", "2026-01-15", "2026-02-01"):
        for op, test in (
            ("before", lambda d, day=day: d < day),
            ("after", lambda d, day=day: d > day),
            ("on", lambda d, day=day: d == day),
        ):
            got = [
                r["message"]["id"]
                for r in (await search(alice, f"tick {op}:{day}", limit=50))["results"]
            ]
            assert got == expect(test), (op, day)
            alone = [
                r["message"]["id"]
                for r in (await search(alice, f"{op}:{day}", limit=50))["results"]
            ]
            assert alone == expect(test), (op, day)
