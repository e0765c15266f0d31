"""Code blocks: highlighted by the fence's language only, bounded by a rule on the input
(never by a clock, so the same message always renders the same), and the other markdown
elements of a chat message."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimost.domain import highlight, render
from minimost.domain.highlight import (
    ALLOWED_LEXERS,
    BUDGET,
    MAX_CHARS,
    TOKEN_CLASSES,
    WORK,
    Budget,
    cost,
    lexer_for,
)
from minimost.domain.render import render_markdown

CODE_CSS = Path(__file__).resolve().parents[2] / "src/minimost/static/css/code.css"


def test_fenced_code_is_highlighted_with_classes_only() -> None:
    html = render_markdown("```python\ndef f(x):\n    return '<b>'  # hi\n```")
    assert html.startswith('<pre><code class="language-python"><span class="k">def</span>')
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "style=" not in html
    assert set(re.findall(r'<span class="([^"]+)"', html)) <= TOKEN_CLASSES


def test_aliases_work_and_unknown_or_odd_languages_stay_plain() -> None:
    assert 'class="kn"' in render_markdown("```py\nimport os\n```")
    assert 'class="kd"' in render_markdown("```js\nlet a = 1\n```")
    unknown = render_markdown("```nosuchlang\nlet a = 1\n```")
    assert unknown == '<pre><code class="language-nosuchlang">let a = 1\n</code></pre>'
    # Quadratic or whole-input lexers are not on the allow-list even though pygments has them.
    assert lexer_for("perl") is None and lexer_for("console") is None
    odd = render_markdown('```x"onload=y\ncode\n```')
    assert odd == "<pre><code>code\n</code></pre>"
    assert (
        render_markdown("```\n<i>plain</i>\n```")
        == "<pre><code>&lt;i&gt;plain&lt;/i&gt;\n</code></pre>"
    )


def test_content_is_never_guessed() -> None:
    # Unlabelled code that looks like Python is still shown plain.
    assert "<span" not in render_markdown("```\ndef f():\n    return 1\n```")


def test_every_allowed_lexer_exists() -> None:
    from pygments.lexers import get_all_lexers

    names = {name for name, aliases, _, _ in get_all_lexers() if aliases}
    assert names >= ALLOWED_LEXERS


# Hostile inputs the benchmark (``python -m bench.highlight``) found, with the lexer
# each one is hostile to: repeated, every one goes quadratic (seconds at 10,000 characters).
HOSTILE = [
    ("java", "\n"),
    ("cpp", "\n"),
    ("c", "\n"),
    ("objective-c", "\n"),
    ("csharp", "a\n"),
    ("groovy", "\na"),
    ("python", "\n "),
    ("markdown", "\n"),
    ("make", "_"),
    ("terraform", "_-"),
    ("typescript", "._"),
    ("tsx", "_?"),
    ("protobuf", "/"),
    ("js", '\\"'),
]


def cap_of(lang: str) -> int:
    lexer = lexer_for(lang)
    assert lexer is not None
    return MAX_CHARS.get(lexer.name, BUDGET)


@pytest.mark.parametrize(("lang", "pattern"), HOSTILE)
def test_hostile_code_is_bounded_by_its_lexers_cap(lang: str, pattern: str) -> None:
    """The rule, not a stopwatch: up to the lexer's cap a block is highlighted, one character
    more and it is plain. (The benchmark reports what the worst case costs at the cap.)"""
    cap = cap_of(lang)
    body = (pattern * cap)[:cap]
    assert highlight.highlight(body, lang, Budget()) is not None
    assert highlight.highlight(body + pattern[0], lang, Budget()) is None
    html = render_markdown(f"```{lang}\n{body}{pattern[0]}\n```")
    assert html.startswith(f'<pre><code class="language-{lang}">')
    assert "<span" not in html


def test_the_quadratic_lexers_are_capped_below_the_message_size() -> None:
    assert set(MAX_CHARS) <= ALLOWED_LEXERS
    assert all(0 < cap < BUDGET for cap in MAX_CHARS.values())
    for lang in ("java", "csharp", "c", "cpp", "terraform", "make"):
        assert cap_of(lang) < BUDGET, lang


def test_a_message_spends_the_worst_case_once() -> None:
    # A block at its cap costs the whole quadratic budget; half the cap costs a quarter.
    cap = cap_of("java")
    java = lexer_for("java")
    assert java is not None
    assert cost(cap, java) == WORK and cost(cap // 2, java) <= WORK // 4
    full = "```java\n" + "int a;\n" * (cap // 7) + "```\n\n"
    assert render_markdown(full * 2).count("<span") == render_markdown(full).count("<span")
    half = "```java\n" + "int a;\n" * (cap // 14) + "```\n\n"
    assert render_markdown(half * 4).count("<span") == 4 * render_markdown(half).count("<span")
    assert render_markdown(half * 5).count("<span") == 4 * render_markdown(half).count("<span")
    # Blocks of a lexer that is not capped are bounded by the characters alone.
    json_lexer = lexer_for("json")
    assert json_lexer is not None
    assert cap_of("json") == BUDGET and cost(BUDGET, json_lexer) == WORK


def test_a_real_block_at_the_cap_is_highlighted() -> None:
    cap = cap_of("python")
    source = Path(render.__file__).read_text()[: cap - 1]
    html = render_markdown(f"```python\n{source}\n```")
    assert '<span class="k">' in html


def test_budget_in_characters_covers_the_whole_message() -> None:
    block = "```py\n" + "x = 1\n" * 10 + "```\n\n"
    many = render_markdown(block * 400)  # 400 blocks of 60 chars: 24,000 > budget
    highlighted = many.count('<span class="n">x</span>')
    assert 0 < highlighted < 400 * 10


# --- the same message always renders the same -----------------------------------------

SAMPLES = [
    "```python\n" + Path(render.__file__).read_text()[:1_999] + "\n```",
    "```java\n" + "class A { int f(int x) { return x * 2; } }\n" * 20 + "```",
    "```js\nlet a = 1\n```\n\n```go\nfunc f() {}\n```\n\n```rust\nfn main() {}\n```",
    "```julia\nfunction f(x)\n    x^2\nend\n```",
    # Nearly a full message of lexers without a cap: ~15 ms of highlighting when idle.
    "```sql\n" + "SELECT id, name FROM users WHERE id = 1 AND name LIKE 'a%';\n" * 50 + "```\n\n"
    "```json\n" + '{"id": 1, "name": "alice", "tags": ["a", "b"], "ok": true},\n' * 50 + "```\n\n"
    "```swift\n" + "let total = items.map { $0.price * 2 }.reduce(0, +)\n" * 50 + "```",
]


def test_rendering_reads_no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock that jumps an hour at every reading (a very busy server) changes nothing."""
    expected = [render_markdown(sample) for sample in SAMPLES]
    hours = itertools.count(0.0, 3600.0)
    for name in ("perf_counter", "monotonic", "time", "process_time"):
        monkeypatch.setattr(time, name, lambda: next(hours))
    assert [render_markdown(sample) for sample in SAMPLES] == expected


@contextlib.contextmanager
def busy_cpu(threads: int = 4) -> Iterator[None]:
    """Threads that burn CPU, and so hold the GIL most of the time, while the test renders:
    the render runs several times slower by the wall clock."""
    stop = threading.Event()

    def burn() -> None:
        while not stop.is_set():
            sum(range(10_000))

    burners = [threading.Thread(target=burn, daemon=True) for _ in range(threads)]
    for burner in burners:
        burner.start()
    try:
        yield
    finally:
        stop.set()
        for burner in burners:
            burner.join()


def test_rendering_under_cpu_load_is_identical() -> None:
    expected = [render_markdown(sample) for sample in SAMPLES]
    with busy_cpu():
        for _ in range(3):
            assert [render_markdown(sample) for sample in SAMPLES] == expected


def test_the_first_blocks_after_a_start_render_the_same() -> None:
    """A fresh interpreter (every lexer imported and compiled on first use, as after a
    server start) renders exactly what a warm one does."""
    script = (
        "import json, sys\n"
        "from minimost.domain.render import render_markdown\n"
        "print(json.dumps([render_markdown(s) for s in json.load(sys.stdin)]))\n"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(SAMPLES), capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert json.loads(fresh.stdout) == [render_markdown(sample) for sample in SAMPLES]


def test_code_css_colours_every_class_without_inline_styles() -> None:
    css = CODE_CSS.read_text()
    for cls in ("k", "s", "c", "nf", "mi", "o"):
        assert f"pre code .{cls} " in css or f"pre code .{cls}{{" in css.replace(" {", "{")


def test_chat_markdown_elements() -> None:
    html = render_markdown(
        "> quoted **bold**\n\n- one\n- *two*\n\n3. three\n4. four\n\n"
        "`inline` __under__ ~~gone~~ <https://a.example/x> [b](https://b.example)"
    )
    assert "<blockquote>\n<p>quoted <strong>bold</strong></p>\n</blockquote>" in html
    assert "<ul>\n<li>one</li>\n<li><em>two</em></li>\n</ul>" in html
    assert '<ol start="3">' in html
    assert "<code>inline</code> <u>under</u> <s>gone</s>" in html
    assert '<a href="https://a.example/x" target="_blank" rel="noopener noreferrer">' in html
    assert '<a href="https://b.example" target="_blank" rel="noopener noreferrer">b</a>' in html


def test_span_classes_are_an_allow_list() -> None:
    # Mentions keep theirs; nothing can carry an app class such as "msg-actions".
    html = render_markdown("hi @bob and @here")
    assert '<span class="mention" data-username="bob">@bob</span>' in html
    assert '<span class="mention mention-all">@here</span>' in html
