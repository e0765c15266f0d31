"""The search query language, parsed into plain data (pure: no database, no I/O).

    deploy "release notes" -staging -"dry run" from:alice in:ops in:@bob
    before:2026-02-01 after:2026-01-01 on:2026-01-15 has:file has:image has:link

Free words must all match (AND); every word of two or more letters also matches as a
prefix ("depl" finds "deploy"), so results appear while a word is still being typed. ``"…"`` is an exact
phrase (whole words, no prefix). ``-`` excludes a word or a phrase. Operators narrow the
result; a query of operators alone lists those messages newest first. Dates are UTC days.

Text is split into words exactly like the SQLite index (``unicode61``): letters and digits
are word characters, everything else separates words. So no user input ever reaches a
full-text engine as syntax: the backends get lists of plain alphanumeric tokens and build
the engine's query from them (``sqlite.py``, ``postgres.py``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from minimost.domain.errors import Invalid

# Generous for people (a pasted sentence fits), small enough that a hostile query costs
# nothing: longer input is refused outright rather than silently cut.
MAX_QUERY_CHARS = 500
MAX_TERMS = 24  # words + phrases + exclusions
MAX_VALUES = 8  # from:/in: values, each
HAS_VALUES = frozenset({"file", "image", "link"})
OPERATORS = frozenset({"from", "in", "before", "after", "on", "has"})

# A word character as SQLite's unicode61 sees it: any letter or digit. Underscore,
# punctuation, symbols and spaces separate words.
_TOKEN = re.compile(r"[^\W_]+")
# One piece of the query: an optional "-", an optional "op:", then a quoted or bare value.
# An unterminated quote runs to the end (the user is still typing it).
_PIECE = re.compile(r'(-)?(?:([A-Za-z]+):)?(?:"([^"]*)(?:"|$)|(\S+))')


class QueryTooLong(Invalid):
    code = "query_too_long"


class InvalidQuery(Invalid):
    code = "invalid_query"


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must appear in this order. ``prefix``: the last one may be a prefix."""

    tokens: tuple[str, ...]
    prefix: bool


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: tuple[Term, ...] = ()
    excluded: tuple[Term, ...] = ()
    from_users: tuple[str, ...] = ()
    in_channels: tuple[str, ...] = ()
    in_dms: tuple[str, ...] = ()  # usernames: the DMs you share with them
    since: datetime | None = None  # created_at >= since
    until: datetime | None = None  # created_at < until
    has: frozenset[str] = field(default_factory=frozenset)
    # Input was given but nothing in it can match (only punctuation, say): no results.
    nothing: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.terms)

    @property
    def highlight(self) -> tuple[Term, ...]:
        return self.terms


def fold(text: str) -> str:
    """Case and diacritics folded, as the SQLite index compares words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> tuple[str, ...]:
    """The index's words in ``text``, lower-cased (diacritics kept: see ``fold``)."""
    return tuple(m.group(0).lower() for m in _TOKEN.finditer(unicodedata.normalize("NFC", text)))


def _day(value: str, operator: str) -> datetime:
    try:
        day = date.fromisoformat(value)
        if len(value) != 10:
            raise ValueError(value)
    except ValueError:
        raise InvalidQuery(
            f"{operator}: takes a date like 2026-01-31", fields={"q": f"bad date in {operator}:"}
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse(raw: str) -> SearchQuery:
    """Parse ``raw``; raise ``QueryTooLong``/``InvalidQuery`` (both ``Invalid``) for what cannot run."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"search is limited to {MAX_QUERY_CHARS} characters",
            fields={"q": f"at most {MAX_QUERY_CHARS} characters"},
        )
    terms: list[Term] = []
    excluded: list[Term] = []
    from_users: list[str] = []
    in_channels: list[str] = []
    in_dms: list[str] = []
    since: datetime | None = None
    until: datetime | None = None
    has: set[str] = set()
    given = False
    for match in _PIECE.finditer(raw):
        negate, operator, quoted, bare = match.groups()
        phrase = quoted is not None
        value = quoted if phrase else bare
        if not phrase and not operator and bare.endswith(":") and bare[:-1].lower() in OPERATORS:
            continue  # "from:" while typing: the value is still to come
        op = operator.lower() if operator else None
        if op in OPERATORS and not negate:
            value = value.strip()
            if not value:
                continue  # 'in:""' : nothing yet
            given = True
            if op == "from":
                from_users.append(value.removeprefix("@").lower())
            elif op == "in":
                if value.startswith("@"):
                    in_dms.append(value[1:].lower())
                else:
                    in_channels.append(value.removeprefix("#").casefold())
            elif op == "has":
                if value.lower() not in HAS_VALUES:
                    raise InvalidQuery(
                        "has: takes file, image or link", fields={"q": "unknown has: value"}
                    )
                has.add(value.lower())
            else:
                start = _day(value, op)
                end = start + timedelta(days=1)
                if op == "before":
                    until = start if until is None else min(until, start)
                elif op == "after":
                    since = end if since is None else max(since, end)
                else:  # on
                    since = start if since is None else max(since, start)
                    until = end if until is None else min(until, end)
            continue
        # Not an operator we know (or negated): it is text. "foo:bar" searches foo bar.
        given = True
        words = tokens(match.group(0) if not phrase else value)
        if not words:
            continue
        # A one-letter prefix would expand to a large part of the vocabulary (the prefix
        # indexes start at two): a single letter matches only itself.
        term = Term(words, prefix=not phrase and len(words[-1]) >= 2)
        (excluded if negate else terms).append(term)
    if len(terms) + len(excluded) > MAX_TERMS:
        raise QueryTooLong(
            f"search takes at most {MAX_TERMS} words and phrases",
            fields={"q": f"at most {MAX_TERMS} words and phrases"},
        )
    if max(len(from_users), len(in_channels) + len(in_dms)) > MAX_VALUES:
        raise InvalidQuery(
            f"at most {MAX_VALUES} from: and in: values", fields={"q": "too many operators"}
        )
    query = SearchQuery(
        terms=tuple(dict.fromkeys(terms)),
        excluded=tuple(dict.fromkeys(excluded)),
        from_users=tuple(dict.fromkeys(from_users)),
        in_channels=tuple(dict.fromkeys(in_channels)),
        in_dms=tuple(dict.fromkeys(in_dms)),
        since=since,
        until=until,
        has=frozenset(has),
    )
    if given and query == SearchQuery():
        return SearchQuery(nothing=True)
    if since is not None and until is not None and since >= until:
        return SearchQuery(nothing=True)
    return query
