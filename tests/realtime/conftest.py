"""The realtime tests' default live server: ``create_app`` behind a real uvicorn, on the
test's database (SQLite and PostgreSQL). A module that needs other settings defines its own
``live``; ``people`` (tests/conftest.py) signs users up on whichever ``live`` is in scope."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from minimost.config import Settings
from tests.live import InProcessServer, serve_app


@pytest.fixture
async def live(settings_factory: Callable[..., Settings]) -> AsyncIterator[InProcessServer]:
    async with serve_app(settings_factory()) as server:
        yield server
