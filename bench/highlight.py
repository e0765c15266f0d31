"""Worst-case cost of syntax highlighting on hostile input, per allowed lexer.

``python -m bench.highlight`` (from the repo root, ``src/`` on the path) times every lexer of
``minimost.domain.highlight.ALLOWED_LEXERS`` on hostile inputs and prints, per lexer, the
worst input found, its CPU time at the lexer's cap (``MAX_CHARS``) and at 10,000 characters.
``--calibrate`` also prints the largest cap per lexer whose worst case stays within
``--target-ms``, which is how ``MAX_CHARS`` was chosen. Nothing is asserted: the caps are
a deterministic rule (tests check the rule); this measures what the rule buys.

Hostile inputs are one or two characters repeated (``"\\n" * n``, ``"a\\n" * n``,
``'\\\\"' * n``, …). Pygments lexers are regex state machines; the slow ones are slow *per
token*: at each token some rule's regex scans ahead to the end of the input and fails (the
Java lexer's ``(^\\s*)(…)(record)\\b`` over a run of newlines), so n tokens cost n scans,
O(n²) in all, while no single match was seen to take more than a few milliseconds. Time is
CPU time (``time.process_time``), so other load on the machine inflates it only a little.
"""

from __future__ import annotations

import argparse
import string
import time

from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name

from minimost.domain.highlight import ALLOWED_LEXERS, BUDGET, MAX_CHARS

SPECIALS = "\"'`\\/*<>{}()[]#$@-_=:;. \n\t%&|!?,+~^0a"
GRID = (10_000, 8_000, 6_000, 5_000, 4_000, 3_000, 2_500, 2_000, 1_500, 1_000, 750, 500)
GIVE_UP_S = 3.0  # one input that slow is known to be far over any target


def patterns() -> list[str]:
    single = [c for c in string.printable if c not in "\r\x0b\x0c"]
    pairs = [a + b for a in SPECIALS for b in SPECIALS if a != b]
    return single + pairs


def hostile(pattern: str, length: int) -> str:
    return (pattern * (length // len(pattern) + 1))[:length]


def cpu_seconds(lexer: Lexer, text: str, give_up: float = GIVE_UP_S) -> float:
    started = time.process_time()
    for _ in lexer.get_tokens(text):
        if time.process_time() - started > give_up:
            return float("inf")
    return time.process_time() - started


def allowed_aliases() -> dict[str, str]:
    return {
        name: aliases[0]
        for name, aliases, _, _ in get_all_lexers()
        if name in ALLOWED_LEXERS and aliases
    }


def worst(
    lexer: Lexer, candidates: list[str], length: int, give_up: float = GIVE_UP_S
) -> tuple[float, str]:
    return max((cpu_seconds(lexer, hostile(p, length), give_up), p) for p in candidates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--survey-chars", type=int, default=1_000)
    parser.add_argument("--top", type=int, default=5, help="worst patterns kept per lexer")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--target-ms", type=float, default=50.0)
    parser.add_argument("--only", nargs="*", default=[], help="lexer names")
    args = parser.parse_args()
    every = patterns()
    print(f"{'lexer':26} {'cap':>6} {'worst input':>12} {'at cap':>9} {'at 10k':>9}", end="")
    print(f" {'fits':>6}" if args.calibrate else "")
    for name, alias in sorted(allowed_aliases().items()):
        if args.only and name not in args.only:
            continue
        lexer = get_lexer_by_name(alias, stripnl=False, ensurenl=False)
        cpu_seconds(lexer, "x")  # compile the lexer's regexes outside the timings
        timed = sorted(
            ((cpu_seconds(lexer, hostile(p, args.survey_chars)), p) for p in every),
            reverse=True,
        )
        top = [p for _, p in timed[: args.top]]
        cap = MAX_CHARS.get(name, BUDGET)
        at_cap, pattern = worst(lexer, top, cap)
        at_full = at_cap if cap == BUDGET else worst(lexer, top, BUDGET)[0]
        line = f"{name:26} {cap:>6} {pattern!r:>12} {at_cap * 1e3:>7.1f}ms {at_full * 1e3:>7.1f}ms"
        if args.calibrate:
            target = args.target_ms / 1e3
            fits = next((n for n in GRID if worst(lexer, top, n, target)[0] <= target), 0)
            line += f" {fits:>6}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
