"""Shared fixtures: settings, a fresh database per test (SQLite or PostgreSQL), the app with
its lifespan running, and an HTTPS-addressed client (cookies are Secure)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minimost.app import create_app
from minimost.config import Settings
from minimost.db.engine import Database
from minimost.db.migrate import upgrade
from minimost.domain.clock import FakeClock
from tests import pg
from tests.factories import FAST_HASH, UserFactory
from tests.live import InProcessServer, LiveUsers


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "channels": ["general", "random"],
        **FAST_HASH,
        # No test reaches out for a link preview unless it asks to (and never off-box).
        "link_previews": False,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database, created once per test session (per xdist worker)."""

    async def create() -> str:
        name = await pg.create_database()
        db = Database(pg.sqlalchemy_url(name))
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        return name

    name = pg.run_sync(create())
    yield name
    pg.run_sync(pg.drop_database(name))


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.scaleout)],
)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Every test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    template = request.getfixturevalue("pg_template")
    name = pg.run_sync(pg.create_database(template))
    try:
        yield pg.sqlalchemy_url(name)
    finally:
        pg.run_sync(pg.drop_database(name))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings_factory(tmp_path: Path, database_url: str | None) -> Callable[..., Settings]:
    def factory(**overrides: Any) -> Settings:
        if database_url is not None:
            overrides.setdefault("database_url", database_url)
        return make_settings(tmp_path / "data", **overrides)

    return factory


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
        base_url="https://testserver",
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest.fixture
def users(app: FastAPI) -> UserFactory:
    return UserFactory(app)


@pytest.fixture
async def people(live: InProcessServer) -> AsyncIterator[LiveUsers]:
    """Users signed up over real HTTP on the module's ``live`` server, closed afterwards."""
    made = LiveUsers(live.url)
    yield made
    await made.aclose()
