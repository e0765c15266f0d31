"""``python -m bench [--quick]``: run the benchmark suite and print the table.

Starts the bare baseline server and a real MiniMost server (TLS on) one after the
other, drives both with the same client workers, then a MiniMost server on a seeded
database for the sidebar scenario, then the history/search scenario (in process, on a
seeded database), prints a table and writes
``bench/results/latest.json``.  See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import psutil

from bench import report
from bench.harness import WorkerPool
from bench.scenarios import FULL, QUICK, Profile, Runner, log_to_stderr
from bench.search import run_search
from bench.server import MiniMostTarget, minimost_version
from bench.sidebar import SidebarTarget, run_sidebar
from bench.targets import BaselineTarget, Target
from bench.util import install_fast_loop, raise_nofile_limit, tree_cpu_seconds

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run (~1 min)")
    ap.add_argument(
        "--only",
        choices=("all", "both", "minimost", "baseline", "sidebar", "search"),
        default="all",
        help="run only the baseline, only MiniMost's realtime plan, only the sidebar "
        "or only the history/search scenario (default: all of them; 'both' is the same "
        "as 'all')",
    )
    ap.add_argument("--workers", type=int, help="client worker processes (default 2)")
    ap.add_argument("--messages", type=int, help="fan-out messages per size")
    ap.add_argument(
        "--wait-for-minimost",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="poll this long for `python -m minimost --version` to work before giving up",
    )
    ap.add_argument(
        "--output",
        type=Path,
        default=RESULTS_DIR / "latest.json",
        help="where to write the JSON results (default bench/results/latest.json)",
    )
    ap.add_argument("--keep-temp", action="store_true", help="keep the temp dir (data, logs)")
    ap.add_argument(
        "--trace-gc",
        action="store_true",
        help="log the servers' garbage-collector pauses (bench/results/logs/<server>-gc.log)",
    )
    return ap.parse_args(argv)


def make_profile(args: argparse.Namespace) -> Profile:
    profile = QUICK if args.quick else FULL
    changes: dict[str, Any] = {}
    if args.workers:
        changes["workers"] = args.workers
    if args.messages:
        changes["messages"] = args.messages
    return dataclasses.replace(profile, **changes) if changes else profile


async def run_target(
    target: Target, pool: WorkerPool, profile: Profile, trace_gc: bool
) -> dict[str, Any]:
    if trace_gc:
        target.gc_log = RESULTS_DIR / "logs" / f"{target.name}-gc.log"
    log_to_stderr(f"{target.name}: starting server")
    runner = Runner(pool, target, profile, log_to_stderr)
    run: dict[str, Any] = runner.result
    try:
        await target.start()
        run["info"] = dict(target.info)
        log_to_stderr(f"{target.name}: up on port {target.port} ({target.info})")
        await asyncio.wait_for(runner.run_plan(), timeout=_plan_budget(profile))
    except Exception as exc:
        run["error"] = f"{type(exc).__name__}: {exc}"
        log_to_stderr(f"{target.name}: FAILED: {run['error']}")
        traceback.print_exc(file=sys.stderr)
        if target.proc is not None:
            log_to_stderr(f"{target.name} log tail:\n{target.log_tail()}")
    finally:
        interrupted = _interrupted()
        if not interrupted:  # graceful closes; on Ctrl-C/SIGTERM just stop the server
            await target.close_publisher()
            with contextlib.suppress(Exception):
                await pool.call_all("close", 120, [{"role": "recv"} for _ in range(pool.size)])
                await pool.call_all("close", 120, [{"role": "idle"} for _ in range(pool.size)])
        if target.proc is not None:
            run["server_cpu_seconds"] = round(tree_cpu_seconds(target.pid), 2)
        target.stop()
        if problems := target.log_problems():
            run["server_log_problems"] = problems
        log_to_stderr(f"{target.name}: stopped")
    run.setdefault("info", dict(target.info))
    return run


async def run_sidebar_target(target: SidebarTarget) -> dict[str, Any]:
    """Scenario 5 on its own seeded server; stopped (and its log checked) whatever happens."""
    run: dict[str, Any] = {}
    try:
        run = await asyncio.wait_for(run_sidebar(target, log_to_stderr), timeout=900)
    except Exception as exc:
        run["error"] = f"{type(exc).__name__}: {exc}"
        log_to_stderr(f"{target.name}: FAILED: {run['error']}")
        traceback.print_exc(file=sys.stderr)
        if target.proc is not None:
            log_to_stderr(f"{target.name} log tail:\n{target.log_tail()}")
    finally:
        if target.proc is not None:
            run["server_cpu_seconds"] = round(tree_cpu_seconds(target.pid), 2)
        target.stop()
        if problems := target.log_problems():
            run["server_log_problems"] = problems
        log_to_stderr(f"{target.name}: stopped")
    run.setdefault("info", dict(target.info))
    return run


async def run_search_scenario(workdir: Path, profile: Profile) -> dict[str, Any]:
    """Scenario 6 (in this process, no server); a failure is reported, not raised."""
    try:
        return await asyncio.wait_for(run_search(workdir, profile, log_to_stderr), 900)
    except Exception as exc:
        log_to_stderr(f"search: FAILED: {type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}", "info": {"in_process": True}}


def _plan_budget(p: Profile) -> float:
    """An upper bound on one target's plan, so a wedged server cannot hang the bench."""
    sockets = max(p.fanout_sizes) + p.mixed_open
    fanouts = (len(p.fanout_sizes) + 1) * p.messages * (p.deadline + p.gap)
    return 300 + sockets * 0.05 + fanouts + p.idle_settle + p.idle_seconds + 90 * len(p.senders)


async def amain(args: argparse.Namespace, loop_name: str) -> int:
    profile = make_profile(args)
    results: dict[str, Any] = {
        "meta": {
            "profile": profile.as_dict(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "websockets": dist_version("websockets"),
            "loop": loop_name,
        },
        "runs": {},
        "notes": [],
    }
    want_mm = args.only in ("all", "both", "minimost")
    want_base = args.only in ("all", "both", "baseline")
    want_sidebar = args.only in ("all", "both", "sidebar")
    want_search = args.only in ("all", "both", "search")
    tmp = Path(tempfile.mkdtemp(prefix="minimost-bench-"))
    busy0, wall0 = _busy_cpu_seconds(), time.monotonic()
    results["meta"]["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    # The sidebar is one HTTPS client in this process: no socket workers for it alone.
    pool = WorkerPool(profile.workers if want_mm or want_base else 0)
    client_cpu = 0.0
    try:
        pool.attach()
        await pool.call_all("stats", 60)  # workers are up
        if want_base:
            base = BaselineTarget(tmp / "baseline", RESULTS_DIR / "logs" / "baseline.log")
            (tmp / "baseline").mkdir()
            results["runs"]["baseline"] = await run_target(base, pool, profile, args.trace_gc)
        version = None
        if want_mm or want_sidebar or want_search:
            version = await _wait_for_minimost(args.wait_for_minimost)
            if version is None:
                note = "MiniMost skipped: `python -m minimost --version` does not work yet"
                results["notes"].append(note)
                log_to_stderr(note)
        if want_mm and version is not None:
            mm = MiniMostTarget(
                tmp / "minimost", RESULTS_DIR / "logs" / "minimost.log", max(profile.senders)
            )
            (tmp / "minimost").mkdir()
            results["runs"]["minimost"] = await run_target(mm, pool, profile, args.trace_gc)
        if want_sidebar and version is not None:
            side = SidebarTarget(tmp / "sidebar", RESULTS_DIR / "logs" / "sidebar.log", profile)
            (tmp / "sidebar").mkdir()
            results["runs"]["sidebar"] = await run_sidebar_target(side)
        if want_search and version is not None:
            (tmp / "search").mkdir()
            results["runs"]["search"] = await run_search_scenario(tmp / "search", profile)
    finally:
        client_cpu = sum(tree_cpu_seconds(pid) for pid in pool.pids)
        if _interrupted():
            await asyncio.to_thread(pool.kill, 0.0)
        else:
            await pool.shutdown()
        if args.keep_temp:
            log_to_stderr(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    ours = (
        client_cpu
        + tree_cpu_seconds(os.getpid())
        + sum(run.get("server_cpu_seconds", 0.0) for run in results["runs"].values())
    )
    wall = time.monotonic() - wall0
    other = max(0.0, (_busy_cpu_seconds() - busy0 - ours) / wall) if wall > 0 else 0.0
    results["meta"]["other_processes_cores"] = round(other, 2)
    if other > 0.15:
        results["notes"].append(
            f"the machine was busy: other processes used {other:.2f} of {os.cpu_count()} cores "
            "on average during the run, so these numbers are noisy"
        )
    report.write_json(results, args.output)
    print(report.render(results))
    print(f"\nJSON: {args.output}   server logs: {RESULTS_DIR / 'logs'}")
    failed = [name for name, run in results["runs"].items() if run.get("error")]
    return 1 if failed or not results["runs"] else 0


def _interrupted() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _cancel_on_signals(task: asyncio.Task[int]) -> None:
    """SIGINT/SIGTERM/SIGHUP cancel the run, so every ``finally`` stops what it started."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, task.cancel)


async def _guarded(args: argparse.Namespace, loop_name: str) -> int:
    task = asyncio.create_task(amain(args, loop_name))
    _cancel_on_signals(task)
    try:
        return await task
    except asyncio.CancelledError:
        log_to_stderr("interrupted: servers and client workers stopped")
        return 130


def _busy_cpu_seconds() -> float:
    """Machine-wide non-idle CPU seconds since boot."""
    t = psutil.cpu_times()
    return float(sum(t)) - t.idle - getattr(t, "iowait", 0.0)


async def _wait_for_minimost(seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while True:
        version = await asyncio.to_thread(minimost_version)
        if version is not None or time.monotonic() >= deadline:
            return version
        await asyncio.sleep(min(15.0, max(0.0, deadline - time.monotonic())))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_nofile_limit()
    loop_name = install_fast_loop()
    try:
        return asyncio.run(_guarded(args, loop_name))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
