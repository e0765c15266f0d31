"""Turn the results dict into the printed table (and the JSON file)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Run = dict[str, Any]


@dataclass
class Row:
    scenario: str
    metric: str
    minimost: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""

    def cells(self) -> list[str]:
        return [
            self.scenario,
            self.metric,
            self.minimost,
            self.baseline,
            self.ratio,
            self.target,
            self.met,
        ]


HEADERS = ["Scenario", "Metric", "MiniMost", "Baseline", "x base", "Target", "Met"]


def _num(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _ratio(a: Any, b: Any) -> str:
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return ""
    if math.isnan(a) or math.isnan(b) or b <= 0:
        return ""
    return f"{a / b:.1f}x"


def _get(run: Run | None, *path: str) -> Any:
    cur: Any = run
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _met(value: Any, check: Callable[[float], bool] | None, applicable: bool) -> str:
    if check is None:
        return ""
    if not applicable:
        return "n/a"
    if not isinstance(value, int | float) or math.isnan(value):
        return "-"
    return "yes" if check(value) else "NO"


def build_rows(results: dict[str, Any]) -> list[Row]:
    profile = results["meta"]["profile"]
    full_size = profile["mixed_open"] >= 10_000 and profile["mixed_recv"] >= 1000
    mm: Run | None = results["runs"].get("minimost")
    base: Run | None = results["runs"].get("baseline")
    rows: list[Row] = []
    sidebar = sidebar_rows(results["runs"].get("sidebar"))
    sidebar += search_rows(results["runs"].get("search"))
    if mm is None and base is None:
        return sidebar

    def add(
        scenario: str,
        metric: str,
        path: tuple[str, ...],
        *,
        digits: int = 1,
        target: str = "",
        check: Callable[[float], bool] | None = None,
        ratio: bool = True,
        fmt: Callable[[Run | None], str] | None = None,
    ) -> None:
        a, b = _get(mm, *path), _get(base, *path)
        rows.append(
            Row(
                scenario,
                metric,
                fmt(mm) if fmt else _num(a, digits),
                fmt(base) if fmt else _num(b, digits),
                _ratio(a, b) if ratio else "",
                target,
                _met(a, check, full_size),
            )
        )

    keys = [str(n) for n in profile["fanout_sizes"]] + ["mixed"]
    for key in keys:
        mixed = key == "mixed"
        if mixed:
            scen = f"2. fan-out {profile['mixed_recv']:,} of {profile['mixed_open']:,} open"
        else:
            scen = f"1. fan-out to {int(key):,}"

        def missed_fmt(run: Run | None, key: str = key) -> str:
            m, e = _get(run, "fanout", key, "missed"), _get(run, "fanout", key, "expected")
            return "-" if m is None else f"{m:,}/{e:,}"

        add(scen, "p50 ms", ("fanout", key, "p50_ms"), digits=1)
        add(
            "",
            "p99 ms",
            ("fanout", key, "p99_ms"),
            digits=1,
            target="< 100 ms" if mixed else "",
            check=(lambda v: v < 100) if mixed else None,
        )
        add("", "max ms", ("fanout", key, "max_ms"), digits=1)
        add(
            "",
            "missed",
            ("fanout", key, "missed"),
            ratio=False,
            target="0",
            check=lambda v: v == 0,
            fmt=missed_fmt,
        )

    add(
        "3. idle, all sockets open",
        "open sockets",
        ("idle", "open_sockets"),
        ratio=False,
        target="10,000",
        check=lambda v: v >= 10_000,
    )
    add(
        "",
        "server CPU % of a core",
        ("idle", "cpu_pct"),
        digits=2,
        target="< 10 %",
        check=lambda v: v < 10,
    )
    add("", "server RSS MB", ("idle", "rss_mb"))
    add("", "RSS KB per socket", ("idle", "kb_per_socket"))

    for n in profile["senders"]:
        add(
            f"4. acked sends, {n} sender{'s' if n > 1 else ''}",
            "sends/s",
            ("sends", str(n), "per_second"),
            ratio=False,
            target=">= 1,000/s" if n >= 16 else "",
            check=(lambda v: v >= 1000) if n >= 16 else None,
        )
        add("", "ack p99 ms", ("sends", str(n), "ack_p99_ms"), ratio=False)

    def connect_fmt(run: Run | None) -> str:
        phases = _get(run, "connects") or []
        ok = sum(c.get("ok", 0) for c in phases)
        failed = sum(c.get("failed", 0) for c in phases)
        return "-" if not phases else f"{ok:,} ok / {failed:,} failed"

    def rate_fmt(run: Run | None) -> str:
        phases = [c for c in (_get(run, "connects") or []) if c.get("seconds")]
        if not phases:
            return "-"
        biggest = max(phases, key=lambda c: c["requested"])
        ms = biggest.get("server_cpu_ms_per_conn")
        return f"{biggest['per_second']:,.0f}/s" + (f", {ms:.1f} ms CPU" if ms else "")

    add("connects (all phases)", "sockets", ("connects",), ratio=False, fmt=connect_fmt)
    add("", "rate, largest phase", ("connects",), ratio=False, fmt=rate_fmt)
    return rows + sidebar


def sidebar_rows(run: Run | None) -> list[Row]:
    """Scenario 5 (MiniMost only): the conversation list of a user in many conversations."""
    out = _get(run, "sidebar")
    if not isinstance(out, dict):
        return []
    seed = out["seed"]
    label = f"5. sidebar, {seed['conversations']:,} conv. / {seed['messages']:,} msgs"
    unread = f"{seed['unread_total']:,} / {seed['max_unread']:,}"
    cells = [
        ("p50 ms", _num(out["p50_ms"]), "", ""),
        ("p95 ms", _num(out["p95_ms"]), "", ""),
        ("p99 ms", _num(out["p99_ms"]), "", ""),
        ("max ms", _num(out["max_ms"]), "", ""),
        ("server CPU ms / request", _num(out["server_cpu_ms_per_request"]), "", ""),
        ("response KB", _num(out["response_bytes"] / 1024), "", ""),
        ("unread total / max", unread, "", ""),
        (
            "responses right",
            f"{out['right']:,}/{out['requests']:,}",
            "all",
            "yes" if out["right"] == out["requests"] else "NO",
        ),
    ]
    return [
        Row(label if i == 0 else "", metric, value, "", "", target, met)
        for i, (metric, value, target, met) in enumerate(cells)
    ]


def search_rows(run: Run | None) -> list[Row]:
    """Scenario 6 (MiniMost only, in process): history pages and search, one row per query
    with its p50 / p95 / p99 in ms (and, for text queries, how many messages it matches)."""
    out = _get(run, "search")
    if not isinstance(out, dict):
        return []
    seed = out["seed"]
    seeded = (
        f"seeded ({seed['insert_seconds']:.1f} s inserts + {seed['index_seconds']:.1f} s FTS, "
        f"{seed['db_mb']:,.0f} MB)"
    )
    rows = [
        Row(f"6. history + search, {seed['messages']:,} msgs", seeded, f"{seed['seconds']:.1f} s"),
        Row("", "latency ms, each query below", "p50 / p95 / p99"),
    ]
    for q in out["queries"].values():
        hits = q.get("matches")
        label = q["label"] + ("" if hits is None else f", {hits:,} hit{'' if hits == 1 else 's'}")
        ms = f"{_num(q['p50_ms'])} / {_num(q['p95_ms'])} / {_num(q['p99_ms'])}"
        rows.append(Row("", label, ms))
    right = out["right"] == len(out["queries"])
    rows.append(
        Row(
            "",
            "first pages right",
            f"{out['right']}/{len(out['queries'])}",
            "",
            "",
            "all",
            "yes" if right else "NO",
        )
    )
    return rows


def render_table(rows: list[Row]) -> str:
    table = [HEADERS, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    numeric = {2, 3, 4}

    def fmt(line: list[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ).rstrip()

    out = [fmt(HEADERS), "  ".join("-" * w for w in widths)]
    for r in rows:
        if r.scenario and len(out) > 2:
            out.append("")
        out.append(fmt(r.cells()))
    return "\n".join(out)


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"MiniMost bench ({meta['profile']['name']}) - {meta['started']} - "
        f"{meta['cpus']} cores, client workers: {meta['profile']['workers']}, loop: {meta['loop']}",
    ]
    for name, run in results["runs"].items():
        info = run.get("info", {})
        bits = ", ".join(f"{k}={v}" for k, v in info.items() if k != "url")
        lines.append(f"  {name}: {bits}" if bits else f"  {name}")
        if run.get("error"):
            lines.append(f"  {name} FAILED: {run['error'].splitlines()[0]}")
        problems = run.get("server_log_problems")
        if problems:
            counts = ", ".join(f"{v} {k}" for k, v in problems["counts"].items())
            lines.append(f"  {name} server log: {counts}; first: {problems['examples'][0]}")
    for note in results.get("notes", []):
        lines.append(f"  note: {note}")
    lines.append("")
    lines.append(render_table(build_rows(results)))
    lines.append("")
    lines.extend(gc_lines(results))
    lines.append(
        "x base = MiniMost / baseline (bare websockets TLS broadcast, same clients). "
        "Met = target check, full run only."
    )
    return "\n".join(lines)


def gc_lines(results: dict[str, Any]) -> list[str]:
    """Notes on garbage-collector pauses: the servers' (``--trace-gc``) and the clients'."""
    out: list[str] = []
    for name, run in results["runs"].items():
        gc = run.get("server_gc")
        if gc:
            out.append(
                f"{name} server GC after startup: {gc['collections']:,} collections, {gc['total_ms'] / 1000:.1f} s "
                f"paused in total, longest {gc['max_ms']:,.0f} ms ({gc['max_cpu_ms']:,.0f} ms CPU), "
                f"{gc['over_50ms']} over 50 ms"
            )
        worst = max(
            (
                (f.get("client_gc_max_ms") or 0.0, f.get("client_gc_max_cpu_ms") or 0.0, key)
                for key, f in (run.get("fanout") or {}).items()
            ),
            default=(0.0, 0.0, ""),
        )
        if worst[0] > 20:
            out.append(
                f"{name}: a client worker paused {worst[0]:.0f} ms ({worst[1]:.0f} ms CPU) for GC "
                f"during fan-out {worst[2]} (that latency is the clients', not the server's)"
            )
    return out


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)

    def clean(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    path.write_text(json.dumps(clean(results), indent=2, sort_keys=False) + "\n")
