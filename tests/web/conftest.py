"""Web-test fixtures on top of the root conftest.

``@pytest.mark.settings(key=value, ...)`` gives one test its own settings, and so its own
``app``, ``client`` and ``users`` (still run on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from minimost.config import Settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**overrides): settings overrides for this test's app"
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings_factory: Callable[..., Settings]) -> Settings:
    marker = request.node.get_closest_marker("settings")
    overrides: dict[str, Any] = dict(marker.kwargs) if marker else {}
    return settings_factory(**overrides)
