"""Result snippets: a short excerpt of the message text around the first match, with the
matched words in ``<mark>``. Built here from the raw text rather than by the engine
(FTS5 ``snippet()`` would splice its markers into unescaped user text): everything is
HTML-escaped first, and ``<mark>``/``</mark>`` are the only tags in the result.
"""

from __future__ import annotations

import html
import re
import unicodedata

from .parse import Term, fold

SNIPPET_CHARS = 180
LEAD_CHARS = 50  # context kept before the first match

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")


def _matches(word: str, terms: tuple[Term, ...]) -> bool:
    folded = fold(word)
    for term in terms:
        for index, token in enumerate(term.tokens):
            wanted = fold(token)
            last = index == len(term.tokens) - 1
            if folded == wanted or (term.prefix and last and folded.startswith(wanted)):
                return True
    return False


def snippet_html(text: str, terms: tuple[Term, ...]) -> str:
    """An escaped excerpt of ``text`` (whitespace collapsed) with matches in ``<mark>``."""
    flat = _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    hits = [m.span() for m in _WORD.finditer(flat) if terms and _matches(m.group(0), terms)]
    start = 0
    if hits and hits[0][0] > LEAD_CHARS and len(flat) > SNIPPET_CHARS:
        start = hits[0][0] - LEAD_CHARS
        space = flat.find(" ", start)
        if space != -1 and space < hits[0][0]:
            start = space + 1  # begin on a word boundary
        # Show a full window even when the match is near the end.
        start = min(start, max(0, len(flat) - SNIPPET_CHARS))
    end = min(len(flat), start + SNIPPET_CHARS)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        if space > start + SNIPPET_CHARS // 2:
            end = space
    out: list[str] = ["…"] if start > 0 else []
    cursor = start
    for hit_start, hit_end in hits:
        if hit_end <= start or hit_start >= end:
            continue
        hit_start, hit_end = max(hit_start, start), min(hit_end, end)
        out.append(html.escape(flat[cursor:hit_start]))
        out.append(f"<mark>{html.escape(flat[hit_start:hit_end])}</mark>")
        cursor = hit_end
    out.append(html.escape(flat[cursor:end]))
    if end < len(flat):
        out.append("…")
    return "".join(out)
