"""Markdown → sanitized HTML, server-side.

markdown-it-py parses with raw HTML disabled; nh3 (ammonia) then enforces an allow-list, so
even a parser bug cannot emit a script, an event handler or a ``javascript:`` URL. The spec's
``__text__`` means underline (not bold). Fenced code blocks with a language are highlighted
by pygments (``highlight.py``); ``<span>`` keeps only the classes pygments and mentions use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from .emoji import emoji_plugin
from .highlight import LANG_NAME, TOKEN_CLASSES, Budget, highlight
from .mentions import Found, mentions_plugin

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},  # "language-<fence info>", one word: markdown-it escapes it
    "ol": {"start"},
    "span": {"data-username"},
}
# Span classes are an allow-list (not "any class"), so no markup path can borrow the app's
# own classes. A plugin that renders spans (e.g. emoji) adds its classes here.
SPAN_CLASSES = {"mention", "mention-all", *TOKEN_CLASSES}
URL_SCHEMES = {"http", "https", "mailto"}


def _underline(open_tag: str, close_tag: str) -> Any:
    def render(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        if token.markup == "__":
            return open_tag if token.nesting == 1 else close_tag
        return self.renderToken(tokens, idx, options, env)

    return render


_INFO_SPLIT = re.compile(r"[ \t\n\r\f\v]+")  # markdown-it's whitespace set, not str.split's


def _fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A fenced block: highlighted when its language is known (within the message's budget,
    kept in ``env``), otherwise escaped text; ``<pre><code class="language-x">``."""
    token = tokens[idx]
    info = unescapeAll(token.info).strip(" \t\n\r\f\v") if token.info else ""
    lang = _INFO_SPLIT.split(info, maxsplit=1)[0] if info else ""
    budget = env.get("highlight")
    if not isinstance(budget, Budget):
        budget = env["highlight"] = Budget()
    body = highlight(token.content, lang, budget)
    if body is None:
        body = escapeHtml(token.content)
    attrs = f' class="language-{lang}"' if LANG_NAME.fullmatch(lang) else ""
    return f"<pre><code{attrs}>{body}</code></pre>\n"


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    md.enable(["linkify", "strikethrough"])
    md.disable(["image", "heading", "lheading", "html_block", "html_inline"])
    md.add_render_rule("strong_open", _underline("<u>", "</u>"))
    md.add_render_rule("strong_close", _underline("<u>", "</u>"))
    md.add_render_rule("fence", _fence)
    md.use(mentions_plugin)
    md.use(emoji_plugin)  # :shortcode: -> emoji (domain/emoji.py)
    return md


_MD = _build_parser()

# Most chat lines are plain words. A single line drawn only from these characters cannot
# contain markup, an entity, a link or a list marker, so it renders to ``<p>text</p>``
# exactly as the full parser would (a property test holds the two paths equal); skipping
# the parser saves a fifth of a send's CPU.
_PLAIN = re.compile(r"[A-Za-z0-9,;'?! ]*[A-Za-z0-9,;'?!]")


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    usernames: frozenset[str] = frozenset()
    broadcast: str | None = None  # "everyone" | "here"


def render_message(source: str) -> Rendered:
    """HTML plus the mentions found outside code (``@name``, ``@everyone``, ``@here``)."""
    if _PLAIN.fullmatch(source) and not source.startswith(" "):
        return Rendered(f"<p>{source}</p>")
    found = Found()
    html = render_full(source, found)
    return Rendered(html, frozenset(found.usernames), found.broadcast)


def render_markdown(source: str) -> str:
    return render_message(source).html


def render_full(source: str, found: Found | None = None) -> str:
    html = _MD.render(source, {"mentions": found} if found is not None else {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"span": SPAN_CLASSES},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    ).strip()
