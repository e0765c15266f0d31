"""Several nodes starting at once on one fresh PostgreSQL database.

Regression: ensure_public_channels takes the ordering advisory lock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from minimost.app import build_ctx
from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from minimost.db.models import Conversation
from minimost.domain.actions.conversations import ensure_public_channels
from minimost.domain.events import Published
from tests import pg
from tests.conftest import make_settings

pytestmark = pytest.mark.scaleout


class Discard:
    async def publish(self, event: Published) -> None:
        return None


async def test_nodes_bootstrapping_together_create_each_channel_once(
    tmp_path: Path,
) -> None:
    name = await pg.create_database()
    url = pg.sqlalchemy_url(name)
    dbs = [Database(url) for _ in range(4)]  # four nodes: the race is near certain
    try:
        await upgrade(dbs[0])
        settings = make_settings(tmp_path, database_url=url)
        ctxs = [build_ctx(settings, db, Discard()) for db in dbs]
        results = await asyncio.gather(
            *(ensure_public_channels(ctx, ["general", "random"]) for ctx in ctxs),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        assert failures == [], failures
        created = [n for r in results if isinstance(r, list) for n in r]
        assert sorted(created) == ["general", "random"]  # each created by exactly one node
        async with dbs[0].read() as conn:
            count = await conn.scalar(select(func.count()).select_from(Conversation))
        assert count == 2
    finally:
        for db in dbs:
            await db.dispose()
        await pg.drop_database(name)
