"""Fresh PostgreSQL databases for tests, cloned from a migrated template (fast)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import asyncpg

PG_ADMIN_URL = os.environ.get("MINIMOST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MINIMOST_TEST_REDIS", "redis://127.0.0.1:6379/0")


T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run admin work on its own loop in a thread: fixtures may be set up while the
    test's event loop is already running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def sqlalchemy_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(PG_ADMIN_URL)


async def create_database(template: str | None = None) -> str:
    name = f"mm_test_{uuid.uuid4().hex[:12]}"
    conn = await _admin()
    try:
        # FILE_COPY clones a small template faster than the default WAL_LOG strategy.
        suffix = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    conn = await _admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
