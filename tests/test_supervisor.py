"""The supervisor of background services: dependency order, restart with backoff (an
injected sleeper and clock: nothing here waits for real), failing loudly, reverse-order stops
within the budget, health.

Every wait is on an event the code under test sets, with ``TIMEOUT`` only as a hang guard.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from minimost.domain.clock import FakeClock
from minimost.supervisor import (
    FAIL,
    BaseService,
    Policy,
    Restart,
    ServiceFailed,
    Supervisor,
    in_dependency_order,
)
from tests.live import TIMEOUT

LOGGER = "minimost.supervisor"
RESTART = Restart()


class Recorder:
    """What the services did, in order: ``start:a``, ``stop:a``, ``crash:a``..."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def of(self, kind: str) -> list[str]:
        return [entry.split(":", 1)[1] for entry in self.log if entry.startswith(kind + ":")]


class Fake(BaseService):
    """Records its start and stop; crashes ``crashes`` times (after being ready) before it
    runs for good; ``running`` is set once it runs for good."""

    def __init__(
        self,
        name: str,
        record: Recorder,
        *,
        after: tuple[str, ...] = (),
        policy: Policy = RESTART,
        crashes: int = 0,
        fail_start: bool = False,
        clock: FakeClock | None = None,
        runs_for: float = 0.0,
        crash_when: asyncio.Event | None = None,
    ) -> None:
        self.name, self.after, self.policy = name, after, policy
        self.record = record
        self.crashes_left = crashes
        self.fail_start = fail_start
        self.clock = clock
        self.runs_for = runs_for  # how long each crashing run lasts, on the fake clock
        self.crash_when = crash_when  # crash only once this is set
        self.running = asyncio.Event()
        self.runs = 0

    async def run(self, ready: asyncio.Event) -> None:
        self.runs += 1
        if self.fail_start:
            raise OSError("port 3478 is in use")
        self.record.log.append(f"start:{self.name}")
        ready.set()
        if self.crashes_left:
            if self.crash_when is not None:
                await self.crash_when.wait()
            self.crashes_left -= 1
            if self.clock is not None:
                self.clock.advance(self.runs_for)
            self.record.log.append(f"crash:{self.name}")
            raise RuntimeError(f"{self.name} broke")
        self.running.set()
        await asyncio.Event().wait()

    async def stop(self) -> None:
        self.record.log.append(f"stop:{self.name}")


class Sleeper:
    """An injected sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def crash_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]


async def test_services_start_in_dependency_order_and_stop_in_reverse() -> None:
    record = Recorder()
    services = [
        Fake("presence", record, after=("ephemeral",)),
        Fake("events", record),
        Fake("ephemeral", record, after=("events",)),
        Fake("janitor", record),
    ]
    supervisor = Supervisor(services)
    await supervisor.start()
    assert record.of("start") == ["events", "ephemeral", "presence", "janitor"]
    assert set(supervisor.health().values()) == {"running"}
    await supervisor.stop()
    assert record.of("stop") == ["janitor", "presence", "ephemeral", "events"]
    assert set(supervisor.health().values()) == {"stopped"}


def test_unknown_dependencies_and_cycles_are_refused() -> None:
    record = Recorder()
    with pytest.raises(ValueError, match="unknown"):
        in_dependency_order([Fake("a", record, after=("nope",))])
    with pytest.raises(ValueError, match="cycle"):
        in_dependency_order([Fake("a", record, after=("b",)), Fake("b", record, after=("a",))])
    with pytest.raises(ValueError, match="duplicate"):
        in_dependency_order([Fake("a", record), Fake("a", record)])


async def test_a_crashing_service_is_reported_and_restarted_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = Recorder()
    sleeper = Sleeper()
    clock = FakeClock()
    flaky = Fake("committed", record, crashes=4, policy=Restart(first=1.0, cap=5.0))
    steady = Fake("events", record)
    supervisor = Supervisor([steady, flaky], sleep=sleeper, monotonic=clock.monotonic)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await supervisor.start()
        await asyncio.wait_for(flaky.running.wait(), TIMEOUT)
    assert flaky.runs == 5 and steady.runs == 1
    assert supervisor.crashes["committed"] == 4 and supervisor.restarts["committed"] == 4
    assert sleeper.delays == [1.0, 2.0, 4.0, 5.0]  # doubling, capped
    lines = crash_records(caplog)
    assert len(lines) == 4  # one line per crash, naming the service and what happens next
    assert all("background service committed crashed (RuntimeError: committed broke)"
               in r.getMessage() for r in lines)  # fmt: skip
    assert lines[0].getMessage().endswith("restarting in 1s")
    assert supervisor.health() == {"events": "running", "committed": "running"}
    assert supervisor.failed is None
    await supervisor.stop()


async def test_a_run_that_lasted_ends_the_row_of_crashes() -> None:
    """Backoff (and the restart limit) count crashes in a row: a run that lasted the cap
    starts the count again."""
    record = Recorder()
    sleeper = Sleeper()
    clock = FakeClock()
    policy = Restart(first=1.0, cap=8.0, limit=1)
    flaky = Fake("janitor", record, crashes=3, policy=policy, clock=clock, runs_for=8.0)
    supervisor = Supervisor([flaky], sleep=sleeper, monotonic=clock.monotonic)
    await supervisor.start()
    await asyncio.wait_for(flaky.running.wait(), TIMEOUT)
    assert sleeper.delays == [1.0, 1.0, 1.0]
    assert supervisor.failed is None
    await supervisor.stop()


async def test_a_service_with_the_fail_policy_fails_loudly_and_stops_the_others_in_reverse(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = Recorder()
    failures: list[ServiceFailed] = []
    crash = asyncio.Event()
    stun = Fake("stun", record, crashes=1, policy=FAIL, crash_when=crash)
    services = [Fake("events", record), Fake("ephemeral", record), stun, Fake("janitor", record)]
    supervisor = Supervisor(services, sleep=Sleeper(), on_failure=failures.append)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await supervisor.start()
        crash.set()
        await asyncio.wait_for(_until(lambda: bool(failures)), TIMEOUT)
    assert stun.runs == 1  # not restarted
    assert record.of("stop") == ["janitor", "stun", "ephemeral", "events"]
    assert len(failures) == 1 and failures[0].service == "stun"
    assert supervisor.failed is failures[0]
    (line,) = crash_records(caplog)
    assert line.getMessage() == (
        "background service stun crashed (RuntimeError: stun broke);"
        " failing the process (its policy)"
    )
    assert supervisor.health()["stun"] == "failed"
    assert supervisor.crashes["stun"] == 1
    await supervisor.stop()  # the lifespan's stop afterwards: nothing left to do
    assert record.of("stop") == ["janitor", "stun", "ephemeral", "events"]


async def test_too_many_crashes_in_a_row_fail_the_process(caplog: pytest.LogCaptureFixture) -> None:
    record = Recorder()
    failures: list[ServiceFailed] = []
    sleeper = Sleeper()
    crash = asyncio.Event()
    policy = Restart(first=0.5, cap=5.0, limit=2)
    hub = Fake("events", record, crashes=10, policy=policy, crash_when=crash)
    supervisor = Supervisor([hub], sleep=sleeper, on_failure=failures.append)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await supervisor.start()
        crash.set()
        await asyncio.wait_for(_until(lambda: bool(failures)), TIMEOUT)
    assert hub.runs == 3 and sleeper.delays == [0.5, 1.0]
    assert (
        crash_records(caplog)[-1].getMessage().endswith("3 crashes in a row: failing the process")
    )
    await supervisor.stop()


async def test_a_crash_that_fails_the_process_during_start_up_starts_no_more_services() -> None:
    record = Recorder()
    services = [Fake("events", record), Fake("stun", record, crashes=1, policy=FAIL)]
    services.append(Fake("janitor", record))
    supervisor = Supervisor(services)
    with pytest.raises(ServiceFailed, match="'stun' failed: RuntimeError: stun broke"):
        await supervisor.start()
    assert record.of("start") == ["events", "stun"]
    assert record.of("stop") == ["stun", "events"]


async def test_a_service_failing_at_start_up_fails_the_start_and_stops_the_started_ones() -> None:
    record = Recorder()
    services = [
        Fake("events", record),
        Fake("ephemeral", record),
        Fake("stun", record, fail_start=True),
        Fake("janitor", record),
    ]
    supervisor = Supervisor(services)
    with pytest.raises(ServiceFailed, match="'stun' failed: OSError: port 3478 is in use"):
        await supervisor.start()
    assert record.of("start") == ["events", "ephemeral"]
    assert record.of("stop") == ["stun", "ephemeral", "events"]
    assert supervisor.failed is None  # a start-up failure is uvicorn's "start-up failed"


class HangingStop(Fake):
    async def stop(self) -> None:
        self.record.log.append(f"stop:{self.name}")
        await asyncio.Event().wait()  # never returns: only the budget ends it


async def test_a_stop_that_hangs_is_cancelled_at_its_budget_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = Recorder()
    hanging = HangingStop("presence", record)
    hanging.stop_timeout = 0.05
    supervisor = Supervisor([Fake("events", record), hanging, Fake("janitor", record)])
    await supervisor.start()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await asyncio.wait_for(supervisor.stop(), TIMEOUT)
    assert record.of("stop") == ["janitor", "presence", "events"]  # shutdown went on
    (line,) = [r for r in caplog.records if r.name == LOGGER]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == "background service presence did not stop within 0.05s; abandoned"


async def test_the_overall_budget_bounds_every_stop() -> None:
    """Once the budget is spent, later stops get no time at all (they are still called, so
    they may release what needs no waiting)."""
    record = Recorder()
    first, second = HangingStop("first", record), HangingStop("second", record)
    first.stop_timeout = second.stop_timeout = 3600.0
    supervisor = Supervisor([first, second], budget=0.05)
    await supervisor.start()
    await asyncio.wait_for(supervisor.stop(), TIMEOUT)
    assert record.of("stop") == ["second", "first"]


async def test_health_adds_a_running_service_s_own_complaint() -> None:
    record = Recorder()

    class Lagging(Fake):
        def health(self) -> str | None:
            return "3 events behind"

    supervisor = Supervisor([Lagging("events", record)])
    await supervisor.start()
    assert supervisor.health() == {"events": "running: 3 events behind"}
    await supervisor.stop()


async def _until(condition: object) -> None:
    assert callable(condition)
    while not condition():
        await asyncio.sleep(0)


class Stubborn(Fake):
    """Its ``run`` ignores cancellation once (a bug): only the budget ends the wait."""

    async def run(self, ready: asyncio.Event) -> None:
        ready.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.Event().wait()


async def test_a_run_that_ignores_cancellation_is_abandoned_at_the_budget(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = Recorder()
    stubborn = Stubborn("settings", record)
    stubborn.stop_timeout = 0.05
    supervisor = Supervisor([Fake("events", record), stubborn])
    await supervisor.start()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await asyncio.wait_for(supervisor.stop(), TIMEOUT)
    assert record.of("stop") == ["events"]  # the stubborn one never got to its stop()
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [
        "background service settings did not stop within 0.05s; abandoned"
    ]
    assert supervisor.health() == {"events": "stopped", "settings": "stopped"}
