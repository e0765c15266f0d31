"""One supervisor for every background service of a process.

A *service* is anything that runs beside the request handlers for the whole life of the
process: the bus listeners, presence, the typing batcher, periodic jobs, the retention
janitor, the settings watcher, the link-preview workers (and later a STUN server). Each one
says what it needs (``after``), where its work counts (``scope``) and what to do when it
crashes (``policy``); ``Supervisor`` does the rest, in one place:

* **start** in dependency order: a service's ``run(ready)`` is started, and the next one only
  once it called ``ready.set()`` (subscribed, bound, loaded). A service that fails before
  that fails the start-up: the ones already started are stopped and the error propagates,
  so a broken bus or a busy port surfaces at once, as uvicorn's "start-up failed".
* **crash** (``run`` raised or returned while it should run): one ERROR log record naming
  the service, ``crashes[name] += 1`` (exported as a metric), then the policy:
  ``Restart`` runs it again after a capped exponential backoff (the sleeper and the clock
  are injected, so tests do not wait); after ``Restart.limit`` crashes in a row, or with
  ``FAIL``, the supervisor stops every other service in reverse order and reports the
  process as failed (``failed``, ``on_failure``): the server then exits non-zero.
* **stop** in reverse order, each service's ``run`` cancelled and its ``stop()`` awaited for
  at most its ``stop_timeout``, all within one overall ``budget``: a stop that hangs is
  cancelled at its bound and reported (one WARNING line), and shutdown goes on.
* **health**: what each service is doing (``starting``, ``running``, ``restarting``,
  ``failed``, ``stopped``), plus whatever the service itself reports.

Why here, at the top of the package (next to ``app.py`` and ``reload.py``) and not in
``realtime/``: it supervises realtime, domain jobs and link previews alike, so it belongs to
none of them, and it imports nothing of MiniMost. The concrete services are wired in
``minimost.services``.

Why plain asyncio tasks and not one ``TaskGroup``: a task group cancels *everything* when
one child fails, in no particular order, and a task group cannot be held open across the
lifespan's ``yield`` without binding it to uvicorn's lifespan task. One task per service,
owned by the supervisor, gives restarts, ordered stops and per-service budgets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

log = logging.getLogger(__name__)

# "process": this process's own work, one instance per worker and node (its sockets, its
# subscriptions, its view of settings.json). "cluster": work done once for the whole
# cluster, so the service itself must take a lease (``domain/actions/leases.py``).
Scope = Literal["process", "cluster"]
State = Literal["idle", "starting", "running", "restarting", "failed", "stopped"]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Restart:
    """Run the service again after ``first`` seconds, doubling per crash in a row up to
    ``cap``; a run that lasted ``cap`` seconds or more ends the row. ``limit``: at most that
    many restarts in a row, the next crash fails the process (None: never give up)."""

    first: float = 1.0
    cap: float = 60.0
    limit: int | None = None

    def delay(self, in_a_row: int) -> float:
        return float(min(self.cap, self.first * 2 ** max(in_a_row - 1, 0)))


@dataclass(frozen=True, slots=True)
class Fail:
    """A crash fails the process: the others are stopped and the server exits non-zero."""


FAIL: Final = Fail()
Policy = Restart | Fail


class Service(Protocol):
    """A background service. ``BaseService`` gives the defaults."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> Scope: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def after(self) -> tuple[str, ...]:
        """The services that must be running before this one starts."""
        ...

    @property
    def stop_timeout(self) -> float:
        """How long ``stop()`` may take before it is cancelled (seconds)."""
        ...

    async def run(self, ready: asyncio.Event) -> None:
        """Set up, ``ready.set()``, then work until cancelled. Returning or raising is a
        crash (the policy applies). Called again on a restart."""
        ...

    async def stop(self) -> None:
        """Release what ``run`` left behind, after it was cancelled (say goodbye to the
        other nodes, cancel helper tasks). Bounded by ``stop_timeout``."""
        ...

    def health(self) -> str | None:
        """None when fine, else a short reason (shown by ``Supervisor.health``)."""
        ...


class BaseService:
    """Defaults for ``Service``: per-process, restarted with backoff, nothing to stop."""

    name: str = "service"
    scope: Scope = "process"
    policy: Policy = Restart()
    after: tuple[str, ...] = ()
    stop_timeout: float = 1.0

    async def run(self, ready: asyncio.Event) -> None:
        ready.set()
        await asyncio.Event().wait()  # nothing to do but be there until cancelled

    async def stop(self) -> None:
        return None

    def health(self) -> str | None:
        return None


class ServiceFailed(RuntimeError):
    """A service failed to start, or crashed under the ``FAIL`` policy."""

    def __init__(self, name: str, cause: BaseException | None) -> None:
        super().__init__(f"background service {name!r} failed: {_describe(cause)}")
        self.service = name


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "it returned while it should run"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def in_dependency_order(services: Iterable[Service]) -> list[Service]:
    """``services`` ordered so that each comes after what it needs, otherwise keeping the
    given order. Unknown names and cycles are programming errors (ValueError)."""
    pending = list(services)
    names = [s.name for s in pending]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate service names: {names}")
    for service in pending:
        unknown = set(service.after) - set(names)
        if unknown:
            raise ValueError(f"service {service.name!r} needs unknown {sorted(unknown)}")
    ordered: list[Service] = []
    placed: set[str] = set()
    while pending:
        for index, service in enumerate(pending):
            if placed.issuperset(service.after):
                ordered.append(pending.pop(index))
                placed.add(service.name)
                break
        else:
            raise ValueError(f"dependency cycle among {[s.name for s in pending]}")
    return ordered


class _Slot:
    """The supervisor's bookkeeping for one service."""

    __slots__ = ("in_a_row", "ready", "service", "state", "stopped", "task")

    def __init__(self, service: Service) -> None:
        self.service = service
        self.state: State = "idle"
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.in_a_row = 0  # crashes in a row (reset by a run lasting the policy's cap)
        self.stopped = False  # its stop() was called (a failed service keeps its state)


class Supervisor:
    def __init__(
        self,
        services: Sequence[Service],
        *,
        budget: float = 5.0,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_failure: Callable[[ServiceFailed], None] | None = None,
    ) -> None:
        self._slots = [_Slot(s) for s in in_dependency_order(services)]
        self.budget = budget  # seconds for stopping every service
        self._sleep = sleep
        self._monotonic = monotonic
        self.on_failure = on_failure
        self.crashes: Counter[str] = Counter()  # per service name (a metric)
        self.restarts: Counter[str] = Counter()
        self.failed: ServiceFailed | None = None
        self._stopping = False
        self._failing: asyncio.Task[None] | None = None

    @property
    def services(self) -> list[Service]:
        """In start order."""
        return [slot.service for slot in self._slots]

    def add(self, service: Service) -> None:
        """One more service, before ``start`` (tests add crashing ones this way)."""
        if any(slot.state not in ("idle", "stopped") for slot in self._slots):
            raise RuntimeError("services are added while the supervisor is not running")
        self._slots = [_Slot(s) for s in in_dependency_order([*self.services, service])]

    # --- start -------------------------------------------------------------------------
    async def start(self) -> None:
        """Start every service in dependency order, each once the previous is ready. If
        one fails before it is ready, the started ones are stopped and ServiceFailed is
        raised."""
        # Fresh bookkeeping: an app's lifespan may run more than once (tests do).
        self._slots = [_Slot(s) for s in self.services]
        self._stopping = False
        self.failed = None
        for slot in self._slots:
            slot.state = "starting"
            slot.task = asyncio.create_task(self._keep(slot), name=f"minimost-{slot.service.name}")
            waiter = asyncio.create_task(slot.ready.wait())
            await asyncio.wait({slot.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not slot.ready.is_set():
                waiter.cancel()
                error = _exception_of(slot.task)
                await self.stop()
                raise ServiceFailed(slot.service.name, error) from error
            failure = self._failure()
            if failure is not None:  # one already failed the process: start no more
                if self._failing is not None:
                    await self._failing
                raise failure

    def _failure(self) -> ServiceFailed | None:
        # A call, not the attribute: a crash sets it while ``start`` awaits.
        return self.failed

    async def _keep(self, slot: _Slot) -> None:
        """Run one service for the life of the process, applying its policy to crashes."""
        service = slot.service
        while True:
            started_at = self._monotonic()
            error: BaseException | None = None
            try:
                await service.run(_Ready(slot))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc
            if not slot.ready.is_set():
                # Not ready yet: a start-up failure, which ``start`` reports.
                if error is not None:
                    raise error
                return
            if self._stopping:
                return
            if not self._crashed(slot, error, self._monotonic() - started_at):
                return
            slot.state = "restarting"
            await self._sleep(_policy_delay(service.policy, slot.in_a_row))
            self.restarts[service.name] += 1
            slot.state = "starting"

    def _crashed(self, slot: _Slot, error: BaseException | None, ran_for: float) -> bool:
        """Count and report a crash; True to restart, False after failing the process."""
        service, policy = slot.service, slot.service.policy
        self.crashes[service.name] += 1
        if isinstance(policy, Restart) and ran_for >= policy.cap:
            slot.in_a_row = 0
        slot.in_a_row += 1
        restart = isinstance(policy, Restart) and (
            policy.limit is None or slot.in_a_row <= policy.limit
        )
        if restart and isinstance(policy, Restart):
            decision = f"restarting in {policy.delay(slot.in_a_row):g}s"
        elif isinstance(policy, Restart):
            decision = f"{slot.in_a_row} crashes in a row: failing the process"
        else:
            decision = "failing the process (its policy)"
        log.error(
            "background service %s crashed (%s); %s",
            service.name, _describe(error), decision,
            exc_info=(type(error), error, error.__traceback__) if error is not None else None,
        )  # fmt: skip
        if restart:
            return True
        slot.state = "failed"
        self.failed = ServiceFailed(service.name, error)
        # Stopping the others is done by another task: this one is among those stopped.
        self._failing = asyncio.create_task(self._fail(), name="minimost-supervisor-fail")
        return False

    async def _fail(self) -> None:
        await self.stop()
        if self.on_failure is not None and self.failed is not None:
            self.on_failure(self.failed)

    # --- stop --------------------------------------------------------------------------
    async def stop(self) -> None:
        """Stop every started service in reverse order within ``budget`` seconds. Safe to
        call twice (the second call has nothing left to stop)."""
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.budget
        for slot in reversed(self._slots):
            if slot.state == "idle" or slot.stopped:
                continue
            limit = max(0.0, min(slot.service.stop_timeout, deadline - loop.time()))
            await self._stop_one(slot, limit)

    async def _stop_one(self, slot: _Slot, limit: float) -> None:
        """Cancel the service's ``run`` and await its ``stop()``, both within ``limit``."""
        name = slot.service.name
        slot.stopped = True
        task, slot.task = slot.task, None
        try:
            async with asyncio.timeout(limit):
                if task is not None and task is not asyncio.current_task():
                    task.cancel()
                    if limit > 0:  # (budget spent: stop() still runs up to its first wait)
                        # ``wait``, not ``await task``: its crash was reported when it
                        # happened, and only the budget's cancellation may end this early.
                        await asyncio.wait({task})
                if slot.state != "failed":
                    slot.state = "stopped"
                await slot.service.stop()
        except TimeoutError:
            log.warning("background service %s did not stop within %.3gs; abandoned", name, limit)
        except Exception as exc:
            log.warning("background service %s failed to stop (%s)", name, _describe(exc))
        finally:
            if slot.state != "failed":
                slot.state = "stopped"
            if task is not None and task.done() and not task.cancelled():
                task.exception()  # retrieved: asyncio would log it as never retrieved

    # --- health ------------------------------------------------------------------------
    def health(self) -> dict[str, str]:
        """``{name: state}``; a running service's own complaint is added after a colon."""
        report: dict[str, str] = {}
        for slot in self._slots:
            note = slot.service.health() if slot.state == "running" else None
            report[slot.service.name] = f"{slot.state}: {note}" if note else slot.state
        return report


class _Ready(asyncio.Event):
    """The ``ready`` event handed to a service's ``run``: setting it marks the service
    running (and, the first time, lets ``start`` go on to the next service)."""

    def __init__(self, slot: _Slot) -> None:
        super().__init__()
        self._slot = slot

    def set(self) -> None:
        super().set()
        self._slot.state = "running"
        self._slot.ready.set()


def _policy_delay(policy: Policy, in_a_row: int) -> float:
    return policy.delay(in_a_row) if isinstance(policy, Restart) else 0.0


def _exception_of(task: asyncio.Task[None]) -> BaseException | None:
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception()
