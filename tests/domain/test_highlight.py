"""Code blocks: highlighted by the fence's language only, bounded in time and size, and the
other markdown elements of a chat message."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from minimost.domain import highlight
from minimost.domain.highlight import ALLOWED_LEXERS, TOKEN_CLASSES, lexer_for
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


@pytest.mark.parametrize(
    ("lang", "body"),
    [
        # Each took 2.5-3.6 s on this machine before the clock bounded it.
        ("java", "\n" * 9_980),
        ("cpp", "\n" * 9_980),
        ("make", "-" * 9_980),
        ("terraform", "_" * 9_980),
        ("js", '\\"' * 4_990),
    ],
)
def test_hostile_code_is_bounded_in_time(lang: str, body: str) -> None:
    started = time.perf_counter()
    html = render_markdown(f"```{lang}\n{body}\n```")
    elapsed = time.perf_counter() - started
    # Budget 0.05 s plus one token and markdown-it's own pass; generous for a loaded CI box.
    assert elapsed < 0.5, f"{lang}: {elapsed:.3f}s"
    assert html.startswith(f'<pre><code class="language-{lang}">')


def test_a_full_size_real_block_is_highlighted() -> None:
    source = Path(highlight.__file__).read_text()[:9_900]
    html = render_markdown(f"```python\n{source}\n```")
    assert '<span class="k">' in html


def test_budget_in_characters_covers_the_whole_message() -> None:
    block = "```py\n" + "x = 1\n" * 10 + "```\n\n"
    many = render_markdown(block * 400)  # 400 blocks of 60 chars: 24,000 > budget
    highlighted = many.count('<span class="n">x</span>')
    assert 0 < highlighted < 400 * 10


def test_clock_budget_stops_highlighting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highlight, "TIME_BUDGET_S", -1.0)  # already out of time
    assert "<span" not in render_markdown("```python\nimport os\n```")


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
