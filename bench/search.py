"""Scenario 6: history pages and message search over a large corpus (design.md §9).

No server: the latency measured is that of the functions the API routes call
(``domain.queries.messages.history`` and ``domain.queries.search.search_messages``), on
MiniMost's own ``Database`` (aiosqlite, the read pool, the pragmas of a real start), access
check and ``enrich`` included. HTTP and JSON encoding are left out on purpose: they are the
same for every query and scenario 5 already measures them; what differs between queries is
the SQL.

The corpus is written straight into a freshly migrated SQLite file with the stdlib driver
(``executemany`` of plain tuples, no ORM: a million rows through SQLAlchemy would take
minutes). The FTS5 index is filled by bulk-loading with the triggers dropped, then
``'rebuild'`` and re-creating the exact triggers the migration made (read back from
``sqlite_master``): measured 2.3x faster than letting the triggers index row by row
(1,000,000 messages: 20 s against 47 s). A rebuilt index is compact (fewer segments than one grown
row by row by the triggers), so reads see a best-case index.

The data is uneven like a real workspace: ~50 authors (Zipf: a few write most), a few dozen
conversations (Zipf: the busiest has about a quarter of all messages), the measured user in some of
the private ones and not in others (so the access clause has work to do), a Zipf vocabulary
of real and made-up words (so common and rare words exist), phrases, links, reactions,
deleted tombstones. Every first page is checked (each result must match the query and be
readable by the user), so a fast wrong answer cannot pass for a fast one.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bench.scenarios import Profile
from bench.util import percentile
from minimost.wire.models import MessageOut

USERNAME = "benchsearch"
AUTHORS = 50
PUBLIC, PRIVATE_MINE, PRIVATE_OTHERS, DMS = 24, 4, 4, 6
VOCABULARY = 30_000
CHUNK = 50_000  # messages generated and inserted per batch (bounds the seed's memory)
HISTORY_PAGE = 50  # the route's default limit
WARMUP_RUNS = 3
MIN_RUNS = 5
START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)  # the corpus covers a year

# The top of the vocabulary: real chat words, most frequent first ("deploy", rank 20, is
# the common word measured: ~0.4 % of all words, in ~4 % of messages).
_COMMON = [
    *("the", "to", "and", "a", "is", "it", "we", "i", "for", "on", "that", "this", "in"),
    *("you", "of", "be", "can", "at", "with", "deploy", "build", "ok", "thanks", "review"),
    *("fix", "release", "notes", "staging", "prod", "bug", "ticket", "meeting", "lunch"),
    *("tomorrow", "today", "logs", "dashboard", "coffee", "docs", "please", "merge"),
]
_RARE = "zanzibar"  # one rank near the tail: a few dozen messages
_PHRASE = "release notes"  # also written as a unit in 0.3 % of messages
_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class Probe:
    """One measured query, and what every result it returns must satisfy."""

    key: str
    label: str
    # Search pages are dicts holding a wire MessageOut; history pages are MessageOut lists.
    run: Callable[[], Awaitable[Sequence[object]]]
    check: Callable[[dict[str, Any]], bool]
    q: str = ""
    note: str = ""


@dataclass
class Seeded:
    """What was written (the JSON's ``seed``) and the names the probes need."""

    messages: int
    conversations: int
    authors: int
    vocabulary: int
    deleted: int
    reactions: int
    links: int
    phrases: int
    busiest: int  # messages in the busiest conversation the user can read (history's)
    unreadable: int  # messages in conversations the user cannot read (search skips them)
    db_mb: float
    fts: str
    seconds: float
    insert_seconds: float
    index_seconds: float
    user_id: int = 0
    busiest_id: int = 0
    deep_before: int = 0  # a message id 90 % back in the history conversation
    channel: str = ""  # a mid-sized public channel for in:
    author: str = ""  # a mid-activity author for from:
    before_date: str = ""  # 10 % into the history
    readable: set[int] = field(default_factory=set)
    conversation_names: dict[int, str | None] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("readable", "conversation_names", "user_id", "busiest_id", "deep_before"):
            out.pop(key)
        return out


def _made_up_words(rng: random.Random, n: int) -> list[str]:
    """Distinct pronounceable non-words (2 to 4 syllables), never one of the probes."""
    taken = set(_COMMON) | {_RARE}
    out: list[str] = []
    while len(out) < n:
        word = "".join(
            rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 4))
        )
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


def _ts(at: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME format (naive UTC), so the ORM reads and compares it.
    return at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _zipf(n: int, s: float = 1.0) -> list[float]:
    return [1 / (rank + 1) ** s for rank in range(n)]


def seed(db_path: Path, messages: int, rng_seed: int = 6, *, rebuild: bool = True) -> Seeded:
    """Write the corpus into an already migrated, empty SQLite file. ``rebuild=False``
    leaves the triggers on (the index is filled row by row, as live sends do)."""
    t0 = time.monotonic()
    rng = random.Random(rng_seed)
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")  # 256 MB while seeding only
    db.execute("BEGIN")
    triggers = [
        sql
        for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE type='trigger' AND name LIKE 'messages_fts_%'"
        )
    ]
    if len(triggers) != 3:
        raise RuntimeError(f"expected the 3 FTS triggers of migration 0007, found {triggers}")
    if rebuild:
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'messages_fts_%'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {name}")

    created = _ts(START)
    names = [USERNAME] + [f"author{i:02d}" for i in range(AUTHORS)]
    db.executemany(
        "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at)"
        " VALUES (?, ?, ?, '!', 0, ?)",
        [(i + 1, name, name.title(), created) for i, name in enumerate(names)],
    )
    me, authors = 1, list(range(2, AUTHORS + 2))
    author_weight = dict(zip(authors, _zipf(AUTHORS, 0.9), strict=True))

    # Conversations: public channels, private ones with and without the user, DMs with them.
    kinds = ["public"] * PUBLIC + ["private"] * (PRIVATE_MINE + PRIVATE_OTHERS) + ["dm"] * DMS
    convs: list[tuple[int, str, str | None, list[int]]] = []
    for i, kind in enumerate(kinds):
        cid = i + 1
        if kind == "dm":
            who = sorted([me, authors[i % AUTHORS]])
            convs.append((cid, kind, None, who))
        else:
            name = "general" if i == 0 else f"{kind[:4]}-{i:02d}"
            who = rng.sample(authors, rng.randint(5, 40))
            mine = kind == "public" and rng.random() < 0.6
            mine = mine or (kind == "private" and i < PUBLIC + PRIVATE_MINE)
            convs.append((cid, kind, name, sorted([me, *who] if mine else who)))
    db.executemany(
        "INSERT INTO conversations (id, kind, name, topic, created_at, dm_key)"
        " VALUES (?, ?, ?, '', ?, ?)",
        [
            (cid, kind, name, created, ",".join(map(str, who)) if kind == "dm" else None)
            for cid, kind, name, who in convs
        ],
    )
    db.executemany(
        "INSERT INTO memberships (conversation_id, user_id, role, joined_at,"
        " last_read_message_id, hidden, muted) VALUES (?, ?, 'member', ?, NULL, 0, 0)",
        [(cid, uid, created) for cid, _, _, who in convs for uid in who],
    )

    # Which conversation each message goes to (Zipf over a shuffled order), and, per
    # conversation, its authors in order (Zipf over its members), drawn in bulk.
    order = [c[0] for c in convs]
    rng.shuffle(order)
    targets = rng.choices(order, _zipf(len(order)), k=messages)
    counts: dict[int, int] = {}
    for cid in targets:
        counts[cid] = counts.get(cid, 0) + 1
    writers: dict[int, Iterator[int]] = {}
    for cid, _, _, who in convs:
        weights = [author_weight.get(uid, 0.3) for uid in who]
        writers[cid] = iter(rng.choices(who, weights, k=counts.get(cid, 0)))

    vocabulary = _COMMON + _made_up_words(rng, VOCABULARY - len(_COMMON) - 1)
    vocabulary.insert(VOCABULARY * 3 // 4, _RARE)
    cum = list(itertools.accumulate(_zipf(len(vocabulary))))
    step = SPAN / messages
    deleted = links = phrases = 0
    reactions: list[tuple[int, int, str, str]] = []
    by_conversation: dict[int, list[int]] = {}
    t_insert = time.monotonic()
    for lo in range(0, messages, CHUNK):
        hi = min(messages, lo + CHUNK)
        lengths = [min(40, 1 + int(rng.expovariate(1 / 10))) for _ in range(lo, hi)]
        words = rng.choices(vocabulary, cum_weights=cum, k=sum(lengths))
        rows = []
        pos = 0
        for n, length in zip(range(lo, hi), lengths, strict=True):
            mid, cid = n + 1, targets[n]
            text = " ".join(words[pos : pos + length])
            pos += length
            roll = rng.random()
            if roll < 0.003:
                text = f"{text} {_PHRASE}"
                phrases += 1
            elif roll < 0.033:
                text = f"{text} https://example.com/t/{n}"
                links += 1
            html = f"<p>{text}</p>"
            if "https://" in text:
                url = text.rsplit(" ", 1)[1]
                html = f'<p>{text[: -len(url)]}<a href="{url}" rel="nofollow">{url}</a></p>'
            at = _ts(START + step * n)
            gone = rng.random() < 0.01
            deleted += gone
            rows.append(
                (
                    mid,
                    cid,
                    next(writers[cid]),
                    "" if gone else text,
                    "" if gone else html,
                    at,
                    at if gone else None,
                )
            )
            by_conversation.setdefault(cid, []).append(mid)
            if not gone and rng.random() < 0.02:
                for emoji in rng.sample(("+1", "tada", "eyes", "heart"), rng.randint(1, 3)):
                    reactions.append((mid, rng.choice(authors), emoji, at))
        db.executemany(
            "INSERT INTO messages (id, conversation_id, author_id, body_md, body_html,"
            " created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.executemany(
        "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)",
        reactions,
    )
    t_index = time.monotonic()
    if rebuild:
        db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
        for sql in triggers:
            db.execute(sql)
    db.execute("COMMIT")
    index_seconds = time.monotonic() - t_index
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()

    readable = {cid for cid, kind, _, who in convs if kind == "public" or me in who}
    by_size = sorted(by_conversation, key=lambda c: len(by_conversation[c]), reverse=True)
    busiest = next(c for c in by_size if c in readable)
    history = by_conversation[busiest]
    public_by_size = [c for c in by_size if convs[c - 1][1] == "public" and c in readable]
    mid_author = sorted(authors, key=lambda a: -author_weight[a])[AUTHORS // 5]
    return Seeded(
        messages=messages,
        conversations=len(convs),
        authors=AUTHORS,
        vocabulary=len(vocabulary),
        deleted=deleted,
        reactions=len(reactions),
        links=links,
        phrases=phrases,
        busiest=len(history),
        unreadable=sum(len(v) for c, v in by_conversation.items() if c not in readable),
        db_mb=round(db_path.stat().st_size / 2**20, 1),
        fts="bulk load, then FTS5 'rebuild'" if rebuild else "triggers",
        seconds=round(time.monotonic() - t0, 1),
        insert_seconds=round(t_index - t_insert, 1),
        index_seconds=round(index_seconds, 1),
        user_id=me,
        busiest_id=busiest,
        deep_before=history[len(history) // 10],
        channel=str(convs[public_by_size[len(public_by_size) // 3] - 1][2]),
        author=names[mid_author - 1],
        before_date=(START + SPAN / 10).date().isoformat(),
        readable=readable,
        conversation_names={cid: name for cid, _, name, _ in convs},
    )


def fts_matches(db_path: Path, expression: str) -> int:
    """How many messages the index matches (context for the table; not timed)."""
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", (expression,)
        ).fetchone()
    return int(row[0])


def _words(result: dict[str, Any]) -> list[str]:
    return re.findall(r"[^\W_]+", result["message"]["text"].lower())


def probes(db: Any, seeded: Seeded) -> list[Probe]:
    from minimost.domain.context import Actor
    from minimost.domain.queries.messages import history
    from minimost.domain.queries.search import search_messages

    actor = Actor(id=seeded.user_id, username=USERNAME, display_name="Bench", is_admin=False)
    cid = seeded.busiest_id

    def find(q: str) -> Callable[[], Awaitable[Sequence[object]]]:
        async def run() -> list[dict[str, Any]]:
            return (await search_messages(db, actor, q))[0]

        return run

    async def newest() -> list[MessageOut]:
        return (await history(db, actor, cid, limit=HISTORY_PAGE))[0]

    async def deep() -> list[MessageOut]:
        page = await history(db, actor, cid, before=seeded.deep_before, limit=HISTORY_PAGE)
        return page[0]

    def has(word: str) -> Callable[[dict[str, Any]], bool]:
        return lambda r: word in _words(r)

    def prefixed(prefix: str) -> Callable[[dict[str, Any]], bool]:
        return lambda r: any(w.startswith(prefix) for w in _words(r))

    def by(r: dict[str, Any]) -> bool:
        return bool(r["message"]["author"]["username"] == seeded.author)

    def in_channel(r: dict[str, Any]) -> bool:
        return bool(r["conversation"]["name"] == seeded.channel)

    def early(r: dict[str, Any]) -> bool:
        return str(r["message"]["created_at"])[:10] < seeded.before_date

    def linked(r: dict[str, Any]) -> bool:
        return "https://" in r["message"]["text"]

    def in_history(r: dict[str, Any]) -> bool:
        return bool(r["conversation_id"] == cid)

    common, author, channel = "deploy", seeded.author, seeded.channel
    return [
        Probe("history_newest", "history, newest page", newest, in_history),
        Probe("history_deep", "history, page 90 % back", deep, in_history),
        Probe("rare", f"rare word ({_RARE})", find(_RARE), has(_RARE), _RARE),
        Probe("common", f"common word ({common})", find(common), has(common), common),
        Probe("prefix", "prefix (de)", find("de"), prefixed("de"), "de"),
        Probe(
            "phrase",
            f'phrase ("{_PHRASE}")',
            find(f'"{_PHRASE}"'),
            lambda r: _PHRASE in " ".join(_words(r)),
            f'"{_PHRASE}"',
        ),
        Probe(
            "from_word",
            "from:user word",
            find(f"from:{author} {common}"),
            lambda r: by(r) and has(common)(r),
            f"from:{author} {common}",
        ),
        Probe(
            "in_word",
            "in:channel word",
            find(f"in:{channel} {common}"),
            lambda r: in_channel(r) and has(common)(r),
            f"in:{channel} {common}",
        ),
        Probe(
            "before_word",
            "word before:date",
            find(f"{common} before:{seeded.before_date}"),
            lambda r: early(r) and has(common)(r),
            f"{common} before:{seeded.before_date}",
            note="walks every newer match",
        ),
        Probe("has_link", "has:link", find("has:link"), linked, "has:link"),
        Probe(
            "from_only", "from:user (operator only)", find(f"from:{author}"), by, f"from:{author}"
        ),
    ]


def _plain(result: object) -> dict[str, Any]:
    """A result as plain JSON-like data (wire models dumped), outside the measured time."""
    if isinstance(result, BaseModel):
        return result.model_dump()
    assert isinstance(result, dict)
    return {k: v.model_dump() if isinstance(v, BaseModel) else v for k, v in result.items()}


def _check(probe: Probe, results: Sequence[object], seeded: Seeded) -> str | None:
    """Why this first page is wrong, or None."""
    if not results:
        return "no results"
    for r in map(_plain, results):
        message = r.get("message", r)  # search results wrap the message; history is bare
        if message["conversation_id"] not in seeded.readable:
            return f"message {message['id']} is in a conversation the user cannot read"
        if not probe.check(r):
            return f"message {message['id']} does not match: {message['text'][:80]!r}"
    return None


async def measure(probe: Probe, runs: int, budget: float) -> tuple[list[int], Any]:
    for _ in range(WARMUP_RUNS):  # the read pool's connections, statement caches
        first = await probe.run()
    lat_us: list[int] = []
    spent = 0.0
    while len(lat_us) < runs and (spent < budget or len(lat_us) < MIN_RUNS):
        t0 = time.perf_counter_ns()
        await probe.run()
        took = time.perf_counter_ns() - t0
        lat_us.append(took // 1000)
        spent += took / 1e9
    return lat_us, first


async def run_search(workdir: Path, p: Profile, log: Callable[[str], None]) -> dict[str, Any]:
    """Seed, measure every probe, and return ``runs.search`` of the results."""
    from minimost.config import Settings
    from minimost.db.engine import Database
    from minimost.db.migrate import upgrade

    settings = Settings.model_validate({"data_dir": workdir})
    db_path = workdir / "minimost.db"
    db = Database(settings.db_url)
    try:
        await upgrade(db)
        await db.dispose()  # the seed writes with its own connection
        log(f"search: seeding {p.search_messages:,} messages")
        seeded = await asyncio.to_thread(seed, db_path, p.search_messages)
        log(
            f"search: seeded in {seeded.seconds}s (inserts {seeded.insert_seconds}s, "
            f"FTS rebuild {seeded.index_seconds}s), {seeded.db_mb} MB"
        )
        db = Database(settings.db_url)
        # Seeding garbage and module imports out of the way: no full collection mid-run.
        gc.collect()
        gc.freeze()
        queries: dict[str, Any] = {}
        problems: list[str] = []
        for probe in probes(db, seeded):
            lat_us, first = await measure(probe, p.search_runs, p.search_budget)
            s = sorted(lat_us)
            row: dict[str, Any] = {
                "label": probe.label,
                "q": probe.q,
                "runs": len(s),
                "results": len(first),
                "p50_ms": round(percentile(s, 50) / 1000, 2),
                "p95_ms": round(percentile(s, 95) / 1000, 2),
                "p99_ms": round(percentile(s, 99) / 1000, 2),
                "max_ms": round(s[-1] / 1000, 2),
            }
            if probe.note:
                row["note"] = probe.note
            if problem := _check(probe, first, seeded):
                problems.append(f"{probe.key}: {problem}")
            queries[probe.key] = row
            log(
                f"  search {probe.label}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
                f"p99 {row['p99_ms']} ms ({row['runs']} runs)"
            )
        for key, expression in (
            ("rare", f'"{_RARE}"'),
            ("common", '"deploy"*'),
            ("prefix", '"de"*'),
            ("phrase", '"release" + "notes"'),
        ):
            queries[key]["matches"] = await asyncio.to_thread(fts_matches, db_path, expression)
        gc.unfreeze()
        return {
            "info": {"db": "sqlite", "in_process": True, "seed_seconds": seeded.seconds},
            "search": {
                "seed": seeded.public(),
                "queries": queries,
                "right": len(queries) - len(problems),
                "problems": problems,
            },
        }
    finally:
        await db.dispose()
