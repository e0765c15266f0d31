"""The app's background services under the supervisor: what runs, in which order and scope;
a crashing bus listener is reported and restarted; a service that fails the process stops
the real server (``MiniMostServer.run``) with exit code 8 and one error line.

Restart delays here are the production ones (half a second for a listener): the tests wait
for the restart to *happen* (an event, a count), never for a duration.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from prometheus_client import generate_latest

from minimost import app as app_module
from minimost.app import create_app
from minimost.cli import exits
from minimost.cli.server import MiniMostServer
from minimost.config import Settings
from minimost.domain.events import Published
from minimost.realtime.bus.base import EVENTS_CHANNEL
from minimost.realtime.bus.memory import MemoryBus
from minimost.realtime.codec import encode
from minimost.supervisor import FAIL, BaseService, ServiceFailed
from tests.conftest import client_for
from tests.live import wait_until

ORDER = [
    ("events", "process"),
    ("ephemeral", "process"),
    ("typing", "process"),
    ("presence", "process"),
    ("housekeeping", "process"),
    ("committed", "process"),
    ("janitor", "cluster"),
    ("settings", "process"),
    ("link-previews", "process"),
]


async def test_every_background_service_runs_in_dependency_order(app: Any) -> None:
    supervisor = app.state.minimost.supervisor
    assert [(s.name, s.scope) for s in supervisor.services] == ORDER
    assert set(supervisor.health().values()) == {"running"}
    # Retention is the one cluster-wide job: it takes the lease before any work.
    assert supervisor.services[6].janitor is app.state.minimost.janitor


class FlakyBus(MemoryBus):
    """The in-process bus, whose events subscription breaks once when told to."""

    def __init__(self) -> None:
        super().__init__()
        self.events_subscriptions = 0
        self.break_now = asyncio.Event()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        async with super().subscribe(channel) as messages:
            if channel != EVENTS_CHANNEL:
                yield messages
                return
            self.events_subscriptions += 1
            first = self.events_subscriptions == 1
            yield self._breaking(messages) if first else messages

    async def _breaking(self, messages: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        reader = asyncio.ensure_future(anext(messages))
        try:
            while True:
                breaker = asyncio.ensure_future(self.break_now.wait())
                done, _ = await asyncio.wait({reader, breaker}, return_when="FIRST_COMPLETED")
                if breaker in done:
                    raise ConnectionError("subscription lost")
                breaker.cancel()
                yield reader.result()
                reader = asyncio.ensure_future(anext(messages))
        finally:
            reader.cancel()


async def test_a_crashing_bus_listener_is_reported_and_restarted(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bus = FlakyBus()
    monkeypatch.setattr(app_module, "bus_from_url", lambda url: bus)
    application = create_app(settings)
    state = application.state.minimost
    async with application.router.lifespan_context(application):
        with caplog.at_level(logging.INFO, logger="minimost"):
            bus.break_now.set()
            await wait_until(lambda: bus.events_subscriptions == 2, what="a new subscription")
        crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(crashes) == 1, crashes
        assert crashes[0].getMessage() == (
            "background service events crashed (ConnectionError: subscription lost);"
            " restarting in 0.5s"
        )
        metrics = generate_latest(state.metrics).decode()
        assert 'minimost_service_crashes_total{service="events"} 1.0' in metrics
        await wait_until(lambda: state.supervisor.health()["events"] == "running")
        # Delivery goes on from where the hub was: a new event reaches it over the bus.
        before = state.hub.last_id
        await bus.publish(EVENTS_CHANNEL, _frame(before + 1))
        await wait_until(lambda: state.hub.last_id == before + 1, what="the next event")


def _frame(event_id: int) -> bytes:
    frame = '{"type":"user.updated"}'
    return encode(Published(event_id, "user.updated", None, None, frame))


class Doomed(BaseService):
    """Fails the process once the server has started (not during start-up, which is
    uvicorn's "start-up failed", exit 3)."""

    name = "stun"
    policy = FAIL

    def __init__(self, started: Callable[[], bool]) -> None:
        self.started = started

    async def run(self, ready: asyncio.Event) -> None:
        ready.set()
        while not self.started():
            await asyncio.sleep(0.01)  # polling the server's own flag
        raise OSError("the STUN socket is gone")


def test_a_service_that_fails_the_process_stops_the_server_with_exit_code_8(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    application = create_app(settings)
    config = uvicorn.Config(
        application, ws="websockets-sansio", lifespan="on", log_level="warning", log_config=None
    )
    server = MiniMostServer(config)
    application.state.minimost.supervisor.add(Doomed(lambda: server.started))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(SystemExit) as stopped:
            server.run(sockets=[sock])
    finally:
        sock.close()
    assert stopped.value.code == exits.SERVICE == 8
    assert server.failed_service == "stun"
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in problems] == [
        "background service stun crashed (OSError: the STUN socket is gone);"
        " failing the process (its policy)"
    ]
    # The other services were stopped in reverse order, each once.
    health = application.state.minimost.supervisor.health()
    assert health.pop("stun") == "failed"
    assert set(health.values()) == {"stopped"}


async def test_readyz_says_not_ready_once_a_service_failed_the_process(app: Any) -> None:
    async with client_for(app) as client:
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        app.state.minimost.supervisor.failed = ServiceFailed("stun", OSError("gone"))
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "service_failed"}
