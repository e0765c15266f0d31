"""Measure garbage-collector pauses in a process (``gc.callbacks``).

Used in-process by the client workers (so a client-side GC pause can be told apart
from server latency), and in the MiniMost server when the bench runs with
``--trace-gc`` (through ``bench/gctrace/sitecustomize.py``, which logs every pause
to a file that :func:`summarize_log` reads back).
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Pause:
    at: float  # wall clock (time.time()) when the collection ended
    generation: int
    ms: float
    collected: int
    cpu_ms: float = -1.0  # CPU time of the collection; much less than ms = preempted


@dataclass
class GcPauses:
    """Collects pauses in memory; ``install()`` hooks it into ``gc.callbacks``."""

    pauses: list[Pause] = field(default_factory=list)
    _start: float = 0.0
    _start_cpu: float = 0.0
    limit: int = 100_000

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            self._start_cpu = time.thread_time()
        elif len(self.pauses) < self.limit:
            ms = (time.perf_counter() - self._start) * 1000.0
            cpu_ms = (time.thread_time() - self._start_cpu) * 1000.0
            self.pauses.append(
                Pause(time.time(), info["generation"], ms, info["collected"], cpu_ms)
            )

    def take(self) -> list[Pause]:
        out, self.pauses = self.pauses, []
        return out


def summarize(
    pauses: list[Pause], since: float = 0.0, until: float = float("inf")
) -> dict[str, Any]:
    """Count, total and max pause per generation within a wall-clock window."""
    chosen = [p for p in pauses if since <= p.at <= until]
    out: dict[str, Any] = {
        "collections": len(chosen),
        "total_ms": round(sum(p.ms for p in chosen), 1),
        "max_ms": round(max((p.ms for p in chosen), default=0.0), 1),
        "max_cpu_ms": round(max((p.cpu_ms for p in chosen), default=0.0), 1),
        "over_50ms": sum(1 for p in chosen if p.ms > 50),
    }
    for gen in (0, 1, 2):
        g = [p.ms for p in chosen if p.generation == gen]
        if g:
            out[f"gen{gen}"] = {
                "n": len(g),
                "total_ms": round(sum(g), 1),
                "max_ms": round(max(g), 1),
            }
    return out


def read_log(path: Path) -> list[Pause]:
    """Parse the lines written by ``bench/gctrace/sitecustomize.py``."""
    pauses: list[Pause] = []
    try:
        text = path.read_text()
    except OSError:
        return pauses
    for line in text.splitlines():
        parts = line.split()
        if len(parts) not in (4, 5):
            continue
        try:
            cpu = float(parts[4]) if len(parts) == 5 else -1.0
            pauses.append(
                Pause(float(parts[0]), int(parts[1]), float(parts[2]), int(parts[3]), cpu)
            )
        except ValueError:
            continue
    return pauses


def gc_freeze() -> None:
    """Collect once, then move every surviving object out of the GC's reach.

    Called by the client workers after connecting: thousands of long-lived
    connections would otherwise be re-traversed by every full collection, which
    pauses the receiver loop for hundreds of milliseconds and shows up as latency.
    """
    gc.collect()
    gc.freeze()
