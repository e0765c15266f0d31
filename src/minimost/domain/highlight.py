"""Syntax highlighting of fenced code blocks, server-side, with pygments.

Bounded on purpose, because every send pays for it on the event loop's CPU, and bounded by
a rule on the input alone, never by a clock: the same message always renders to the same
HTML, however busy the server (a clock budget made the stored HTML depend on load).

- The lexer comes only from the fence's language name (```` ```python ````), looked up in
  an allow-list of common languages. Content is never guessed (``guess_lexer`` runs every
  lexer over the text).
- Pygments lexers are regex state machines, and many go quadratic on hostile input: at
  each token one rule's regex scans ahead to the end of the input before it fails (the Java
  lexer's ``(^\\s*)(…)(record)\\b`` over a run of newlines), so n characters can cost n
  scans of n. It is a cost *per token*: no single match was seen to take more than a few
  milliseconds, so what bounds the work is the block's length. On 10,000 hostile
  characters C# and Java take over 3 s, Python 1 s (``python -m bench.highlight``).
- So each lexer has a largest block it highlights (``MAX_CHARS``, default ``BUDGET``),
  chosen with that benchmark so that the worst hostile input found stays within about
  50 ms of CPU; longer blocks are shown escaped but plain. A message may spend that worst
  case once: a block of n characters costs ``(n / its cap)²`` of the message's ``WORK``
  (the cost grows with n²), and a block that no longer fits is plain.
- At most ``BUDGET`` characters per message are highlighted; the rest of the code blocks
  are shown plain too, so a message of a thousand tiny fences stays cheap.
- Lexers that produce their first token only after the whole input (shell and console
  sessions) or that are slow at any useful size (Perl) are left out.

The first use of a lexer imports its module and compiles its regexes (up to ~0.3 s for
Julia); that costs latency once per process, never a different result.

The output is pygments' ``HtmlFormatter(nowrap=True)``: ``<span class="k">`` tokens (short
CSS class names, no inline styles, which the CSP would block anyway), coloured by
``static/css/code.css``.
"""

from __future__ import annotations

import io
import re
from functools import cache

from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# Characters highlighted per message, across all its code blocks (a message holds at most
# 10,000 characters, so one full-size block is always highlighted).
BUDGET = 10_000
# Largest block highlighted per lexer name, for the lexers whose worst hostile input costs
# more than ~50 ms of CPU at ``BUDGET`` characters: the largest of 500, 750, 1,000, 1,500,
# 2,000, 2,500, 3,000, 4,000, 5,000, 6,000, 8,000 within 50 ms on this 2-core machine under
# load (``python -m bench.highlight --calibrate``). Every other allowed lexer: ``BUDGET``.
MAX_CHARS: dict[str, int] = {
    "C#": 500,
    "C": 1_000, "C++": 1_000, "Java": 1_000, "Makefile": 1_000, "Markdown": 1_000,
    "Objective-C": 1_000, "Terraform": 1_000,
    "Groovy": 1_500, "Protocol Buffer": 1_500, "TSX": 1_500, "TypeScript": 1_500,
    "Diff": 2_000, "Python": 2_000, "YAML": 2_000,
    "CSS": 2_500, "Dart": 2_500, "Go": 2_500, "HTTP": 2_500, "JSX": 2_500, "JavaScript": 2_500,
    "Kotlin": 2_500, "Rust": 2_500, "VB.net": 2_500,
    "Erlang": 3_000, "HTML": 3_000, "XML": 3_000, "Zig": 3_000,
    "Django/Jinja": 4_000, "PowerShell": 4_000,
    "Lua": 5_000,
    "Ruby": 6_000,
    "Docker": 8_000, "Elixir": 8_000, "Julia": 8_000, "Nginx configuration file": 8_000,
}  # fmt: skip
# The quadratic work one message may spend: a block at its lexer's cap spends all of it.
WORK = 1_000_000

# Pygments lexer *names* (``lexer.name``) we highlight; any alias of one works in a fence
# (``py``, ``js``, ``sh``, ``yml``, …). Each was timed on hostile input (see module doc).
ALLOWED_LEXERS = frozenset(
    {
        "Bash", "Batchfile", "C", "C#", "C++", "CMake", "CSS", "Clojure",
        "Dart", "Diff", "Django/Jinja", "Docker", "Elixir", "Erlang", "GraphQL", "Go",
        "Groovy", "HTML", "HTTP", "Haskell", "JSON", "JSX", "Java", "JavaScript",
        "Julia", "Kotlin", "Lua", "Makefile", "Markdown", "Nginx configuration file",
        "Objective-C", "PHP", "PowerShell", "Properties", "Protocol Buffer", "Python",
        "Ruby", "Rust", "SCSS", "SQL", "Swift",
        "TOML", "Terraform", "Text only", "TypeScript", "TSX", "VB.net", "XML", "YAML", "Zig",
    }
)  # fmt: skip

# Every class the formatter can emit: the sanitizer lets exactly these through on <span>.
TOKEN_CLASSES = frozenset(cls for cls in STANDARD_TYPES.values() if cls)

LANG_NAME = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_FORMATTER = HtmlFormatter(nowrap=True)


@cache
def lexer_for(lang: str) -> Lexer | None:
    """The allowed lexer for a fence's language name, or None (shown plain)."""
    if not LANG_NAME.fullmatch(lang):
        return None
    try:
        lexer = get_lexer_by_name(lang.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    return lexer if lexer.name in ALLOWED_LEXERS else None


def cost(chars: int, lexer: Lexer) -> int:
    """The share of ``WORK`` a block of ``chars`` characters costs with ``lexer``: the
    worst case grows with the square of the length, and a block at the cap costs ``WORK``."""
    cap = MAX_CHARS.get(lexer.name, BUDGET)
    return -(-chars * chars * WORK // (cap * cap))  # rounded up, in integers: exact


class Budget:
    """What one message may still spend on highlighting (kept in markdown-it's ``env``)."""

    __slots__ = ("chars", "work")

    def __init__(self) -> None:
        self.chars = BUDGET
        self.work = WORK


def highlight(code: str, lang: str, budget: Budget) -> str | None:
    """Highlighted HTML (escaped, spans only) for one block, or None when the language is
    not allowed or the block does not fit the message's budget (then the caller escapes).
    Depends on ``code``, ``lang`` and what the message's earlier blocks spent, nothing else."""
    if not lang or len(code) > budget.chars:
        return None
    lexer = lexer_for(lang)
    if lexer is None:
        return None
    work = cost(len(code), lexer)
    if work > budget.work:
        return None
    budget.chars -= len(code)
    budget.work -= work
    out = io.StringIO()
    _FORMATTER.format(lexer.get_tokens(code), out)
    return out.getvalue()
