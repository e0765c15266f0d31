"""How long one retention batch holds the SQLite write lock, and how long a send waits.

    python -m bench.retention_batches [messages]

Seeds ``messages`` rows (default 100,000, three authors, one a 10x flooder) straight into a
fresh SQLite database, makes them all older than ``message_retention_days`` except the
newest tenth, and runs the retention pass while a writer sends a message every 5 ms. Prints
the per-batch lock time from ``Report`` and the sender's worst wait.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from minimost.app import build_ctx
from minimost.config import Settings
from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from minimost.db.models import Conversation, Message, User
from minimost.domain.actions.retention import run_retention


class Discard:
    async def publish(self, event: object) -> None:
        return None


async def main(n: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="mm-retention-"))
    settings = Settings.model_validate({"data_dir": data, "message_retention_days": 30})
    db = Database(settings.db_url)
    await upgrade(db)
    now = datetime.now(UTC)
    async with db.write() as tx:
        for uid in (1, 2, 3):
            await tx.conn.execute(
                insert(User).values(id=uid, username=f"u{uid}", password_hash="!", created_at=now)
            )
        await tx.conn.execute(
            insert(Conversation).values(id=1, kind="public", name="g", created_at=now)
        )
        rows = []
        for i in range(n):
            author = 1 if i % 12 < 10 else (2 if i % 12 == 10 else 3)
            old = i < n * 9 // 10
            at = now - timedelta(days=40 if old else 1, seconds=n - i)
            text = f"message {i} " + "x" * 200
            rows.append(
                {
                    "conversation_id": 1,
                    "author_id": author,
                    "body_md": text,
                    "body_html": f"<p>{text}</p>",
                    "created_at": at,
                }
            )
        await tx.conn.execute(insert(Message), rows)
    ctx = build_ctx(settings, db, Discard())
    waits: list[float] = []
    stop = asyncio.Event()

    async def sender() -> None:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            async with db.write() as tx:
                await tx.conn.execute(
                    insert(Message).values(
                        conversation_id=1,
                        author_id=2,
                        body_md=f"live {i}",
                        body_html="",
                        created_at=datetime.now(UTC),
                    )
                )
            waits.append(time.perf_counter() - started)
            i += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(sender())
    started = time.perf_counter()
    report = await run_retention(ctx)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    await db.dispose()
    waits.sort()
    print(f"{n} messages, {report.messages_expired} expired in {elapsed:.1f} s")
    print(report.summary())
    print(
        f"concurrent sends: {len(waits)}, wait p50 {waits[len(waits) // 2] * 1000:.1f} ms, "
        f"p99 {waits[int(len(waits) * 0.99)] * 1000:.1f} ms, max {waits[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
