"""Scenario 5: the sidebar, ``GET /api/v1/conversations``, of a user in 500 conversations.

The data is written straight into a fresh SQLite file before the server starts (100,000
messages through the API would take minutes and measure the send path, not the list):
``minimost db upgrade`` creates the schema exactly as a real start does, then one
transaction of ``executemany`` inserts (SQLAlchemy Core on MiniMost's own tables, so column
defaults stay MiniMost's) adds the user, their API token, the conversations, the messages,
the read positions and the mentions. Then the server is started as users run it (TLS on)
and one keep-alive HTTPS connection asks for the sidebar back to back, as a page load does.

The data is deliberately uneven, like a real workspace: messages follow a Zipf law over
the conversations (the busiest has ~15,000, the quietest a few dozen), most conversations
are read up to the end or nearly, some are far behind, and the busiest few were never
opened (thousands unread each). Every response's length and count totals are checked
against what was seeded, so a fast wrong answer cannot pass for a fast one.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.httpload import HttpError, RawHttpsClient
from bench.scenarios import Profile, latency_summary
from bench.server import MiniMostTarget, server_env
from bench.targets import REPO_ROOT, TargetError
from bench.util import HOST, CpuWindow, percentile

USERNAME = "benchsidebar"
PEERS = 60  # other people: 60 one-to-one DMs, then pairs for group DMs
WARMUP_REQUESTS = 10


@dataclass(frozen=True)
class Seeded:
    """What was written, and what every sidebar response must add up to."""

    user_id: int
    token: str
    conversations: int
    channels: int
    dms: int
    messages: int
    busiest: int  # messages in the busiest conversation
    unread_total: int
    mention_total: int
    max_unread: int
    over_1000_unread: int  # conversations with more than 1,000 unread
    seconds: float

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        del out["token"]
        return out


# Message text: the rows are as wide as real ones, so the page reads cost what they would.
_TEXT = (
    "deploy the build review ticket lunch meeting release bug fix yes no "
    "thanks tomorrow today staging prod logs dashboard coffee docs please merge ok"
)
_WORDS = _TEXT.split()


def _body(rng: random.Random, i: int) -> tuple[str, str]:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 30)))
    return f"{words} {i}", f"<p>{words} {i}</p>"


def seed(db_path: Path, p: Profile, rng_seed: int = 4) -> Seeded:
    """Write the sidebar workload into an already migrated SQLite file (fresh tables)."""
    from sqlalchemy import create_engine, func, insert, select

    from minimost.db.models import ApiToken, Conversation, Membership, Mention, Message, User
    from minimost.domain.tokens import token_hash

    t0 = time.monotonic()
    rng = random.Random(rng_seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        base = {
            t: int(conn.scalar(select(func.coalesce(func.max(c), 0))) or 0)
            for t, c in (("users", User.id), ("conversations", Conversation.id))
        }

        # People: the measured user first, then the peers.
        me = base["users"] + 1
        people = [(me, USERNAME)] + [(me + 1 + i, f"peer{i:02d}") for i in range(PEERS)]
        conn.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "username": name,
                    "display_name": name.title(),
                    "password_hash": "!",  # no password: the bench uses an API token
                    "created_at": start,
                }
                for uid, name in people
            ],
        )
        token = "mmb_" + secrets.token_urlsafe(32)
        conn.execute(
            insert(ApiToken),
            [
                {
                    "user_id": me,
                    "name": "bench",
                    "token_hash": token_hash(token),
                    "created_at": start,
                }
            ],
        )
        peers = [uid for uid, _ in people[1:]]

        # Conversations: 3/4 of the channels public ("general" among them, so the server
        # creates no settings channel of its own), 1/4 private; then the DMs.
        n_public = p.sidebar_channels * 3 // 4
        kinds = (
            ["public"] * n_public
            + ["private"] * (p.sidebar_channels - n_public)
            + ["dm"] * p.sidebar_dms
        )
        dm_sets = itertools.chain(((u,) for u in peers), itertools.combinations(peers, 2))
        conversations: list[dict[str, Any]] = []
        members: list[list[int]] = []
        for i, kind in enumerate(kinds):
            cid = base["conversations"] + 1 + i
            row: dict[str, Any] = {
                "id": cid,
                "kind": kind,
                "name": None,
                "topic": "",
                "created_by": None,
                "created_at": start,
                "dm_key": None,
            }
            if kind == "dm":
                who = sorted([me, *next(dm_sets)])
                row["dm_key"] = ",".join(map(str, who))
            else:
                row["name"] = "general" if i == 0 else f"{kind[:4]}-{i:03d}"
                who = [me, *rng.sample(peers, rng.randint(2, 12))]
            conversations.append(row)
            members.append(who)
        conn.execute(insert(Conversation), conversations)
        ids = [c["id"] for c in conversations]

        # Messages: Zipf over a shuffled order of the conversations, interleaved in time.
        order = ids[:]
        rng.shuffle(order)
        weights = [1 / (rank + 1) for rank in range(len(order))]
        targets = rng.choices(order, weights, k=p.sidebar_messages)
        who_by_id = dict(zip(ids, members, strict=True))
        first_message = int(conn.scalar(select(func.coalesce(func.max(Message.id), 0))) or 0) + 1
        step = timedelta(days=90) / max(1, p.sidebar_messages)
        messages: list[dict[str, Any]] = []
        by_conversation: dict[int, list[tuple[int, int, bool]]] = {}
        for n, cid in enumerate(targets):
            mid = first_message + n
            author = me if rng.random() < 0.1 else rng.choice(who_by_id[cid][1:] or [me])
            deleted = rng.random() < 0.02
            md, html = _body(rng, n)
            messages.append(
                {
                    "id": mid,
                    "conversation_id": cid,
                    "author_id": author,
                    "client_id": None,
                    "body_md": "" if deleted else md,
                    "body_html": "" if deleted else html,
                    "created_at": start + step * n,
                    "deleted_at": start + step * n if deleted else None,
                }
            )
            by_conversation.setdefault(cid, []).append((mid, author, deleted))
        conn.execute(insert(Message), messages)

        # Mentions of the measured user (3 % of the others' messages) and of others.
        mentions: list[dict[str, Any]] = []
        mentioned: set[int] = set()
        for cid, history in by_conversation.items():
            for mid, author, _ in history:
                if author != me and rng.random() < 0.03:
                    mentions.append({"message_id": mid, "user_id": me, "conversation_id": cid})
                    mentioned.add(mid)
                others = [u for u in who_by_id[cid] if u not in (me, author)]
                if others and rng.random() < 0.03:
                    mentions.append(
                        {"message_id": mid, "user_id": rng.choice(others), "conversation_id": cid}
                    )
        conn.execute(insert(Mention), mentions)

        # Read positions: the busiest three never opened; otherwise mostly read to the end
        # or nearly, some far behind, a few never opened.
        never = set(order[:3])
        memberships: list[dict[str, Any]] = []
        unread_total = mention_total = max_unread = over_1000 = 0
        for cid, kind in zip(ids, kinds, strict=True):
            history = by_conversation.get(cid, [])
            newest = history[-1][0] if history else None
            read: int | None = None
            roll = rng.random()
            if history and cid not in never and roll < 0.92:
                if roll < 0.45:
                    keep = 0
                elif roll < 0.8:
                    keep = rng.randint(1, 20)
                else:
                    keep = rng.randint(len(history) // 4, len(history) * 3 // 4)
                read = history[max(0, len(history) - 1 - keep)][0]
            after = [h for h in history if h[0] > (read or 0) and not h[2]]
            unread = sum(1 for _, author, _ in after if author != me)
            unread_total += unread
            mention_total += sum(1 for mid, _, _ in after if mid in mentioned)
            max_unread = max(max_unread, unread)
            over_1000 += unread > 1000
            for uid in who_by_id[cid]:
                memberships.append(
                    {
                        "conversation_id": cid,
                        "user_id": uid,
                        "role": "member",
                        "joined_at": start,
                        "last_read_message_id": read if uid == me else newest,
                        "hidden": kind == "dm" and uid == me and rng.random() < 0.1,
                        "muted": rng.random() < 0.05,
                    }
                )
        conn.execute(insert(Membership), memberships)
    engine.dispose()
    return Seeded(
        user_id=me,
        token=token,
        conversations=len(ids),
        channels=p.sidebar_channels,
        dms=p.sidebar_dms,
        messages=len(messages),
        busiest=max(len(h) for h in by_conversation.values()),
        unread_total=unread_total,
        mention_total=mention_total,
        max_unread=max_unread,
        over_1000_unread=over_1000,
        seconds=round(time.monotonic() - t0, 1),
    )


def upgrade_database(target: MiniMostTarget) -> None:
    """``minimost db upgrade``: the schema exactly as a server start would create it."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "minimost",
            "db",
            "upgrade",
            "--data-dir",
            str(target.data_dir),
            "--settings",
            str(target.settings_path),
        ],
        cwd=REPO_ROOT,
        env=server_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise TargetError(f"minimost db upgrade failed: {out.stderr.decode()[-500:]}")


class SidebarTarget(MiniMostTarget):
    """A MiniMost server started on a pre-seeded database (no bench accounts)."""

    name = "sidebar"
    supports_sends = False

    def __init__(self, workdir: Path, log_path: Path, profile: Profile) -> None:
        super().__init__(workdir, log_path)
        self.profile = profile
        self.seeded: Seeded | None = None

    async def start(self, ready_timeout: float = 90.0) -> None:
        self.write_settings()
        await asyncio.to_thread(upgrade_database, self)
        self.seeded = await asyncio.to_thread(seed, self.data_dir / "minimost.db", self.profile)
        self.info["seed_seconds"] = self.seeded.seconds
        await self.launch(ready_timeout)


def _check(body: bytes, s: Seeded) -> str | None:
    """Why this response is not the seeded sidebar, or None when it is."""
    listing = orjson.loads(body)["conversations"]
    got = (
        len(listing),
        sum(c["unread_count"] for c in listing),
        sum(c["mention_count"] for c in listing),
    )
    want = (s.conversations, s.unread_total, s.mention_total)
    if got != want:
        return f"(conversations, unread, mentions) = {got}, seeded {want}"
    return None


async def measure(target: SidebarTarget, requests: int) -> dict[str, Any]:
    seeded = target.seeded
    assert seeded is not None
    assert target._ssl is not None
    client = RawHttpsClient(
        HOST,
        target.port,
        target._ssl,
        server_hostname=target.server_hostname,
        default_headers={"Authorization": f"Bearer {seeded.token}"},
        timeout=30.0,
    )
    path = "/api/v1/conversations"
    try:
        for _ in range(WARMUP_REQUESTS):  # connection, token lookup, SQLite page cache
            r = await client.request("GET", path)
            if r.status != 200:
                raise TargetError(f"GET {path}: {r.status} {r.body[:200]!r}")
        lat_us: list[int] = []
        errors = right = 0
        wrong: list[str] = []
        cpu = CpuWindow(target.pid)
        cpu.start()
        for _ in range(requests):
            t0 = time.perf_counter_ns()
            try:
                r = await client.request("GET", path)
            except HttpError:
                errors += 1
                continue
            lat_us.append((time.perf_counter_ns() - t0) // 1000)
            # Checked outside the timed part; the server is idle meanwhile (one client).
            problem = _check(r.body, seeded) if r.status == 200 else f"HTTP {r.status}"
            if problem is None:
                right += 1
            elif len(wrong) < 3:
                wrong.append(problem)
        server_cpu, wall = cpu.stop()
    finally:
        await client.close()
    s = sorted(lat_us)
    return {
        "seed": seeded.public(),
        "requests": requests,
        "errors": errors,
        "right": right,
        "problems": wrong,
        **latency_summary(s),
        "p95_ms": round(percentile(s, 95) / 1000, 2),
        "server_cpu_ms_per_request": round(server_cpu / 100 * wall * 1000 / requests, 2),
        "response_bytes": len(r.body),
    }


async def run_sidebar(target: SidebarTarget, log: Any) -> dict[str, Any]:
    """Start the seeded server, measure, and return ``runs.sidebar`` of the results."""
    p = target.profile
    run: dict[str, Any] = {}
    log(
        f"sidebar: seeding {p.sidebar_channels + p.sidebar_dms} conversations, "
        f"{p.sidebar_messages:,} messages"
    )
    await target.start()
    assert target.seeded is not None
    run["info"] = dict(target.info)
    log(f"sidebar: seeded in {target.seeded.seconds}s; up on port {target.port}")
    out = await measure(target, p.sidebar_requests)
    run["sidebar"] = out
    log(
        f"  sidebar: p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms, p99 {out['p99_ms']} ms, "
        f"{out['response_bytes'] / 1024:.0f} KB, right {out['right']}/{out['requests']}"
    )
    return run
