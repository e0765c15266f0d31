"""The measured scenarios, run against one :class:`~bench.targets.Target` at a time.

One :class:`Runner` walks a target through the whole plan with one set of
client workers, reusing sockets between steps:

1. acked sends/s with 1 and 16 senders (MiniMost only, no sockets open yet);
2. fan-out to N receivers for each N in the profile (receivers are added as N grows);
3. fan-out to 1,000 receivers while 10,000 sockets are open (receivers closed down
   to 1,000, then 9,000 idle non-member sockets added);
4. idle CPU%/RSS of the server with those 10,000 sockets open.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.gcpause import read_log, summarize
from bench.harness import WorkerPool
from bench.targets import Target
from bench.util import (
    CpuWindow,
    percentile,
    split_evenly,
    tree_open_sockets,
    tree_rss_bytes,
)

MB = 1024 * 1024


@dataclass(frozen=True)
class Profile:
    name: str
    fanout_sizes: tuple[int, ...]
    mixed_recv: int  # scenario 2: receivers...
    mixed_open: int  # ...out of this many open sockets
    messages: int  # fan-out messages per size
    gap: float  # pause after each message is fully delivered (s)
    deadline: float  # a delivery later than this after the send counts as missed (s)
    idle_settle: float
    idle_seconds: float
    senders: tuple[int, ...]
    send_seconds: float
    workers: int = 2
    connect_concurrency: int = 48  # handshakes in flight per worker
    # Scenario 5 (bench/sidebar.py): one user's conversation list.
    sidebar_channels: int = 400
    sidebar_dms: int = 100
    sidebar_messages: int = 100_000
    sidebar_requests: int = 200
    # Scenario 6 (bench/search.py): history pages and search over this many messages;
    # each query runs up to search_runs times or until search_budget seconds are spent.
    search_messages: int = 1_000_000
    search_runs: int = 200
    search_budget: float = 10.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = Profile(
    name="full",
    fanout_sizes=(100, 1000, 5000),
    mixed_recv=1000,
    mixed_open=10_000,
    messages=30,
    gap=0.15,
    deadline=10.0,
    idle_settle=5.0,
    idle_seconds=15.0,
    senders=(1, 16),
    send_seconds=5.0,
)

QUICK = Profile(
    name="quick",
    fanout_sizes=(20, 100),
    mixed_recv=100,
    mixed_open=500,
    messages=10,
    gap=0.05,
    deadline=10.0,
    idle_settle=1.0,
    idle_seconds=3.0,
    senders=(1, 16),
    send_seconds=1.5,
    sidebar_messages=10_000,
    sidebar_requests=50,
    search_messages=100_000,
    search_runs=50,
    search_budget=1.5,
)


def _ms(us: float) -> float:
    return round(us / 1000.0, 2)


def latency_summary(lat_us: list[int]) -> dict[str, float]:
    s = sorted(lat_us)
    if not s:
        return {
            "p50_ms": float("nan"),
            "p90_ms": float("nan"),
            "p99_ms": float("nan"),
            "max_ms": float("nan"),
            "mean_ms": float("nan"),
        }
    return {
        "p50_ms": _ms(percentile(s, 50)),
        "p90_ms": _ms(percentile(s, 90)),
        "p99_ms": _ms(percentile(s, 99)),
        "max_ms": _ms(s[-1]),
        "mean_ms": _ms(statistics.fmean(s)),
    }


@dataclass
class Runner:
    pool: WorkerPool
    target: Target
    profile: Profile
    log: Callable[[str], None]
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    result: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ helpers

    def _client_cpu(self) -> list[CpuWindow]:
        return [CpuWindow(pid) for pid in self.pool.pids]

    def _server_gc(self, since: float, until: float = float("inf")) -> dict[str, Any] | None:
        """GC pauses of the server in a wall-clock window (only with ``--trace-gc``)."""
        if self.target.gc_log is None:
            return None
        return summarize(read_log(self.target.gc_log), since, until)

    async def open_counts(self) -> dict[str, int]:
        stats = await self.pool.call_all("stats", 30)
        return {role: sum(s["open"][role] for s in stats) for role in ("recv", "idle")}

    async def dropped(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in await self.pool.call_all("stats", 30):
            for k, v in s["dropped"].items():
                out[k] = out.get(k, 0) + v
        return out

    # ------------------------------------------------------------ connect

    async def connect(self, role: str, count: int) -> dict[str, Any]:
        if count <= 0:
            return {"role": role, "requested": 0, "ok": 0}
        self.target.check_alive()
        base = self.target.connect_spec(role)
        deadline = time.time() + 60 + count * 0.03
        args = [
            {
                "spec": {**base, "count": n, "concurrency": self.profile.connect_concurrency},
                "deadline": deadline,
            }
            for n in split_evenly(count, self.pool.size)
        ]
        cpu = CpuWindow(self.target.pid)
        clients = self._client_cpu()
        for w in [cpu, *clients]:
            w.start()
        t0 = time.monotonic()
        wall0 = time.time()
        replies = await self.pool.call_all("connect", deadline - time.time() + 30, args)
        wall = time.monotonic() - t0
        cpu_pct, _ = cpu.stop()
        client_cpu = sum(w.stop()[0] for w in clients)
        ok = sum(r["ok"] for r in replies)
        errors: dict[str, int] = {}
        for r in replies:
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        out = {
            "role": role,
            "requested": count,
            "ok": ok,
            "failed": count - ok,
            "seconds": round(wall, 2),
            "per_second": round(ok / wall, 1) if wall > 0 else 0.0,
            "server_cpu_pct": round(cpu_pct, 1),
            "server_cpu_ms_per_conn": round(cpu_pct / 100 * wall * 1000 / ok, 2) if ok else None,
            "client_cpu_pct": round(client_cpu, 1),
            "attempt_errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:8]),
        }
        if (gc := self._server_gc(wall0)) is not None:
            out["server_gc"] = gc
        self.log(
            f"  connect {count} {role}: {ok} ok in {wall:.1f}s ({out['per_second']}/s, "
            f"server CPU {cpu_pct:.0f}%)"
            + (f"; attempt errors: {out['attempt_errors']}" if errors else "")
        )
        self.result.setdefault("connects", []).append(out)
        return out

    async def close(self, role: str, keep: int) -> None:
        counts = [s["open"][role] for s in await self.pool.call_all("stats", 30)]
        targets = split_evenly(keep, self.pool.size)
        args = [
            {"role": role, "count": max(0, c - t)} for c, t in zip(counts, targets, strict=True)
        ]
        await self.pool.call_all("close", 60, args)

    async def ensure_receivers(self, n: int) -> None:
        have = (await self.open_counts())["recv"]
        if have > n:
            await self.close("recv", n)
        elif have < n:
            await self.connect("recv", n - have)

    # ------------------------------------------------------------ fan-out

    async def fanout(self, key: str, label: str) -> dict[str, Any]:
        p = self.profile
        self.target.check_alive()
        rounds = await self.pool.call_all("round", 30)
        per_worker = [r["recv"] for r in rounds]
        n_recv = sum(per_worker)
        n_idle = sum(r["idle"] for r in rounds)
        waiting_on = {i for i, c in enumerate(per_worker) if c > 0}
        sent: list[int] = []
        ack_us: list[int] = []
        publish_failures = 0
        incomplete = 0
        last_send_ns = 0
        cpu = CpuWindow(self.target.pid)
        clients = self._client_cpu()
        for w in [cpu, *clients]:
            w.start()
        wall0 = time.time()
        for _ in range(p.messages):
            self.target.check_alive()
            seq = next(self.seq)
            last_send_ns = sent_ns = time.time_ns()
            t0 = time.perf_counter_ns()
            try:
                ok = await asyncio.wait_for(
                    self.target.publish(f"bench {seq} {sent_ns}"), p.deadline
                )
            except TimeoutError:
                ok = False
            if not ok:
                publish_failures += 1
                continue
            ack_us.append((time.perf_counter_ns() - t0) // 1000)
            sent.append(seq)
            remaining = p.deadline - (time.time_ns() - sent_ns) / 1e9
            if not await self.pool.wait_done(seq, waiting_on, max(0.0, remaining)):
                incomplete += 1
            await asyncio.sleep(p.gap)
        server_cpu, wall = cpu.stop()
        client_cpu = sum(w.stop()[0] for w in clients)
        if incomplete and last_send_ns:
            # Give the last message its full deadline before counting misses.
            await asyncio.sleep(max(0.0, p.deadline - (time.time_ns() - last_send_ns) / 1e9))
        collected = await self.pool.call_all("collect", 120)
        self.pool.clear_done()
        deadline_us = int(p.deadline * 1_000_000)
        sent_set = set(sent)
        lat: list[int] = []
        late = 0
        per_message_max: dict[int, int] = {}
        for c in collected:
            for seq, values in c["latencies_us"].items():
                if seq not in sent_set:
                    continue
                ontime = [v for v in values if v <= deadline_us]
                late += len(values) - len(ontime)
                lat.extend(ontime)
                if ontime:
                    per_message_max[seq] = max(per_message_max.get(seq, 0), *ontime)
        expected = n_recv * len(sent)
        out: dict[str, Any] = {
            "label": label,
            "receivers": n_recv,
            "open_sockets": n_recv + n_idle,
            "messages_sent": len(sent),
            "publish_failures": publish_failures,
            "expected": expected,
            "received": len(lat),
            "missed": expected - len(lat),
            "late": late,
            "leaks_to_non_members": sum(c["leaks"] for c in collected),
            "duplicates": sum(c["duplicates"] for c in collected),
            **latency_summary(lat),
            "all_delivered_p50_ms": _ms(statistics.median(per_message_max.values()))
            if per_message_max
            else float("nan"),
            "publish_ack_p50_ms": _ms(statistics.median(ack_us)) if ack_us else float("nan"),
            "frame_bytes": max((c["frame_bytes"] for c in collected), default=0),
            "server_cpu_pct": round(server_cpu, 1),
            "client_cpu_pct": round(client_cpu, 1),
            "client_gc_max_ms": max(c["gc"]["max_ms"] for c in collected),
            "client_gc_max_cpu_ms": max(c["gc"]["max_cpu_ms"] for c in collected),
            "seconds": round(wall, 2),
        }
        if (gc := self._server_gc(wall0, wall0 + wall)) is not None:
            out["server_gc"] = gc
        self.log(
            f"  fan-out {label}: p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms, "
            f"missed {out['missed']}/{expected}, server CPU {server_cpu:.0f}%, "
            f"clients {client_cpu:.0f}%" + (f", server GC max {gc['max_ms']} ms" if gc else "")
        )
        self.result.setdefault("fanout", {})[key] = out
        return out

    # ---------------------------------------------------------------- idle

    async def idle(self) -> dict[str, Any]:
        p = self.profile
        counts = await self.open_counts()
        self.log(f"  idle: settling {p.idle_settle:.0f}s, measuring {p.idle_seconds:.0f}s")
        await asyncio.sleep(p.idle_settle)
        self.target.check_alive()
        dropped_before = sum((await self.dropped()).values())
        pid = self.target.pid
        cpu = CpuWindow(pid)
        clients = self._client_cpu()
        for w in [cpu, *clients]:
            w.start()
        wall0 = time.time()
        rss_samples: list[int] = []
        end = time.monotonic() + p.idle_seconds
        while (left := end - time.monotonic()) > 0:
            rss_samples.append(tree_rss_bytes(pid))
            await asyncio.sleep(min(1.0, left))
        cpu_pct, wall = cpu.stop()
        client_cpu = sum(w.stop()[0] for w in clients)
        rss = tree_rss_bytes(pid)
        server_sockets = await asyncio.to_thread(tree_open_sockets, pid)
        after = await self.open_counts()
        dropped_after = sum((await self.dropped()).values())
        open_total = after["recv"] + after["idle"]
        rss0 = self.result.get("rss_before_sockets_bytes", 0)
        out = {
            "open_sockets": open_total,
            "open_sockets_at_start": counts["recv"] + counts["idle"],
            "server_established_tcp": server_sockets,
            "dropped_during_window": dropped_after - dropped_before,
            "cpu_pct": round(cpu_pct, 2),
            "rss_mb": round(rss / MB, 1),
            "rss_max_mb": round(max([rss, *rss_samples]) / MB, 1),
            "rss_before_sockets_mb": round(rss0 / MB, 1),
            "kb_per_socket": round((rss - rss0) / 1024 / open_total, 1)
            if open_total and rss0
            else None,
            "client_cpu_pct": round(client_cpu, 2),
            "seconds": round(wall, 1),
        }
        if (gc := self._server_gc(wall0, wall0 + wall)) is not None:
            out["server_gc"] = gc
        self.log(
            f"  idle with {open_total} sockets: server CPU {cpu_pct:.2f}% of a core, "
            f"RSS {out['rss_mb']} MB"
        )
        self.result["idle"] = out
        return out

    # --------------------------------------------------------------- sends

    async def sends(self, senders: int) -> dict[str, Any]:
        p = self.profile
        spec = self.target.send_spec(senders)
        tokens: list[str] = spec.pop("tokens")
        per_worker = [tokens[i :: self.pool.size] for i in range(self.pool.size)]
        start_at = time.time() + 1.0
        stop_at = start_at + p.send_seconds
        calls = [
            self.pool.call(
                i,
                "sendload",
                p.send_seconds + 60,
                tokens=toks,
                start_at=start_at,
                stop_at=stop_at,
                **spec,
            )
            for i, toks in enumerate(per_worker)
            if toks
        ]
        tasks = asyncio.gather(*calls)
        cpu = CpuWindow(self.target.pid)
        try:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            cpu.start()
            replies = await tasks
        except BaseException:
            tasks.cancel()
            tasks.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved
            raise
        cpu_pct, _ = cpu.stop()
        ok = sum(r["ok"] for r in replies)
        lat = [v for r in replies for v in r["latencies_us"]]
        errors: dict[str, int] = {}
        for r in replies:
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        s = latency_summary(lat)
        out = {
            "senders": senders,
            "acked": ok,
            "seconds": p.send_seconds,
            "per_second": round(ok / p.send_seconds, 1),
            "ack_p50_ms": s["p50_ms"],
            "ack_p99_ms": s["p99_ms"],
            "errors": errors,
            "reconnects": sum(r["reconnects"] for r in replies),
            "server_cpu_pct": round(cpu_pct, 1),
        }
        self.log(
            f"  sends with {senders} sender(s): {out['per_second']}/s, ack p99 {s['p99_ms']} ms, "
            f"server CPU {cpu_pct:.0f}%" + (f", errors {errors}" if errors else "")
        )
        self.result.setdefault("sends", {})[str(senders)] = out
        return out

    # ---------------------------------------------------------------- plan

    async def run_plan(self) -> dict[str, Any]:
        p = self.profile
        plan_start = time.time()  # server GC totals leave out startup (imports, migrations)
        if self.target.supports_sends:
            for n in p.senders:
                await self.sends(n)
        self.result["rss_before_sockets_bytes"] = tree_rss_bytes(self.target.pid)
        for n in p.fanout_sizes:
            await self.ensure_receivers(n)
            await self.fanout(str(n), f"{n} receivers")
        await self.ensure_receivers(p.mixed_recv)
        have_idle = (await self.open_counts())["idle"]
        await self.connect("idle", p.mixed_open - p.mixed_recv - have_idle)
        await self.fanout("mixed", f"{p.mixed_recv} of {p.mixed_open} open")
        await self.idle()
        self.result["dropped"] = await self.dropped()
        if (gc := self._server_gc(plan_start)) is not None:
            self.result["server_gc"] = gc
        return self.result


def log_to_stderr(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
