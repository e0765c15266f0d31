"""Syntax highlighting of fenced code blocks, server-side, with pygments.

Bounded on purpose, because every send pays for it on the event loop's CPU:

- The lexer comes only from the fence's language name (```` ```python ````), looked up in
  an allow-list of common languages. Content is never guessed (``guess_lexer`` runs every
  lexer over the text).
- Pygments lexers are regex state machines, and many go quadratic on hostile input: on
  10,000 newlines the Java and C lexers take 2.5-3.6 s, JavaScript on ``\\"`` repeated
  0.5 s (measured on this 2-core machine). So highlighting runs against a clock: tokens
  are pulled one by one and a block that is not done within the message's ``TIME_BUDGET_S``
  is shown escaped but plain. A token step costs at most about a millisecond on the
  allowed lexers; lexers that produce their first token only after the whole input
  (shell and console sessions) are left out. ``tests/domain/test_highlight.py`` times every
  allowed lexer on adversarial 10,000-character inputs.
- At most ``BUDGET`` characters per message are highlighted; the rest of the code blocks
  are shown plain too, so a message of a thousand tiny fences stays cheap.

The same message can thus render plain on a busy server and highlighted on an idle one;
that only changes colours, never the text.

The output is pygments' ``HtmlFormatter(nowrap=True)``: ``<span class="k">`` tokens (short
CSS class names, no inline styles, which the CSP would block anyway), coloured by
``static/css/code.css``.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from functools import cache

from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

# Characters highlighted per message, across all its code blocks (a message holds at most
# 10,000 characters, so one full-size block is always highlighted).
BUDGET = 10_000
# Wall-clock seconds of highlighting per message, across all its code blocks.
TIME_BUDGET_S = 0.05

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


class _TooSlow(Exception):
    pass


def _until(
    tokens: Iterator[tuple[_TokenType, str]], deadline: float
) -> Iterator[tuple[_TokenType, str]]:
    for token in tokens:
        if time.perf_counter() > deadline:  # ~50 ns a token: cheap next to lexing it
            raise _TooSlow
        yield token


class Budget:
    """What one message may still spend on highlighting (kept in markdown-it's ``env``)."""

    __slots__ = ("chars", "deadline")

    def __init__(self) -> None:
        self.chars = BUDGET
        self.deadline: float | None = None  # set by the first block actually lexed


def highlight(code: str, lang: str, budget: Budget) -> str | None:
    """Highlighted HTML (escaped, spans only) for one block, or None when the language is
    not allowed or the message's budget would be exceeded (then the caller escapes)."""
    if not lang or len(code) > budget.chars:
        return None
    lexer = lexer_for(lang)
    if lexer is None:
        return None
    budget.chars -= len(code)
    if budget.deadline is None:
        # After the lexer lookup: its first use imports a module, a one-time cost.
        budget.deadline = time.perf_counter() + TIME_BUDGET_S
    out = io.StringIO()
    try:
        _FORMATTER.format(_until(lexer.get_tokens(code), budget.deadline), out)
    except _TooSlow:
        budget.chars = 0  # the clock ran out: the rest of the message stays plain too
        return None
    return out.getvalue()
