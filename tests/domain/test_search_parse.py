"""The search query language (pure): parsing, tokenising like the index, escaping for both
engines, and snippets that are escaped text plus <mark> only."""

from __future__ import annotations

import html
import importlib
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from minimost.domain.errors import Invalid
from minimost.domain.search import postgres, sqlite
from minimost.domain.search.parse import (
    MAX_QUERY_CHARS,
    InvalidQuery,
    QueryTooLong,
    SearchQuery,
    Term,
    parse,
    tokens,
)
from minimost.domain.search.snippet import snippet_html


def words(*ts: str) -> tuple[Term, ...]:
    return tuple(Term((t,), prefix=True) for t in ts)


def test_free_words_are_prefix_terms() -> None:
    assert parse("Deploy  release").terms == words("deploy", "release")


def test_phrases_are_exact_and_unterminated_runs_to_the_end() -> None:
    q = parse('"Release notes" x "half typed')
    assert q.terms == (
        Term(("release", "notes"), prefix=False),
        Term(("x",), prefix=False),  # one letter: no prefix expansion
        Term(("half", "typed"), prefix=False),
    )


def test_exclusions() -> None:
    q = parse('deploy -staging -"dry run"')
    assert q.terms == words("deploy")
    assert q.excluded == (Term(("staging",), prefix=True), Term(("dry", "run"), prefix=False))


def test_operators() -> None:
    q = parse(
        'from:@Alice from:bob in:#Ops in:"Big Room" in:@Carol before:2026-02-01'
        " after:2026-01-01 has:file has:LINK"
    )
    assert q.from_users == ("alice", "bob")
    assert q.in_channels == ("ops", "big room")
    assert q.in_dms == ("carol",)
    assert q.since == datetime(2026, 1, 2, tzinfo=UTC)  # after the whole day
    assert q.until == datetime(2026, 2, 1, tzinfo=UTC)
    assert q.has == {"file", "link"}
    assert not q.has_text


def test_on_is_one_utc_day_and_dates_combine_to_the_narrowest() -> None:
    q = parse("on:2026-01-15 after:2026-01-10")
    assert (q.since, q.until) == (
        datetime(2026, 1, 15, tzinfo=UTC),
        datetime(2026, 1, 16, tzinfo=UTC),
    )
    assert parse("before:2026-01-01 after:2026-01-01").nothing


def test_operator_without_value_yet_is_ignored() -> None:
    assert parse("from:") == SearchQuery()
    assert parse("deploy in:").terms == words("deploy")


def test_unknown_operators_and_negated_operators_are_text() -> None:
    assert parse("foo:bar").terms == (Term(("foo", "bar"), prefix=True),)
    assert parse("-from:alice").excluded == (Term(("from", "alice"), prefix=True),)


def test_empty_and_punctuation_only() -> None:
    assert parse("") == SearchQuery()
    assert parse("   ") == SearchQuery()
    assert parse("*** ( ) -").nothing


@pytest.mark.parametrize("bad", ["before:2026-1-1", "on:2026-02-30", "after:tomorrow", "has:cat"])
def test_bad_operator_values(bad: str) -> None:
    with pytest.raises(InvalidQuery):
        parse(bad)


def test_limits() -> None:
    parse("x" * MAX_QUERY_CHARS)
    with pytest.raises(QueryTooLong) as too_long:
        parse("x" * 5000)
    assert too_long.value.code == "query_too_long"
    assert isinstance(too_long.value, Invalid)
    with pytest.raises(QueryTooLong):
        parse(" ".join(f"w{i}" for i in range(40)))


def test_tokens_split_like_unicode61() -> None:
    assert tokens("foo-bar_baz e.g. 3.14 Ünïcode 日本語 👍") == (
        "foo", "bar", "baz", "e", "g", "3", "14", "ünïcode", "日本語",
    )  # fmt: skip


# --- escaping: whatever the input, the engines only ever see quoted alphanumeric tokens ---

_FTS_STRING = r'"[^"]*"'
_FTS_TERM = rf"\({_FTS_STRING}(?: \+ {_FTS_STRING})*\*?\)"
_FTS_SAFE = re.compile(rf"^\(*{_FTS_TERM}(?:\)? (?:AND|NOT|OR) \(*{_FTS_TERM}\)*)*\)*$")
_TS_LEXEME = r"'[^'\\]*'"
_TS_SAFE = re.compile(
    rf"^!?\({_TS_LEXEME}(?: <-> {_TS_LEXEME})*(?::\*)?\)(?: & !?\({_TS_LEXEME}(?: <-> {_TS_LEXEME})*(?::\*)?\))*$"
)


@settings(max_examples=300)
@given(st.text(max_size=120))
def test_any_input_parses_or_is_a_clear_422(raw: str) -> None:
    try:
        q = parse(raw)
    except (InvalidQuery, QueryTooLong):
        return
    for term in (*q.terms, *q.excluded):
        assert term.tokens and all(re.fullmatch(r"[^\W_]+", t) for t in term.tokens)
    if q.terms:
        expression = sqlite.match_expression(q.terms)
        assert _FTS_SAFE.match(expression), expression
    if q.terms or q.excluded:
        assert _TS_SAFE.match(postgres.tsquery_text(q)), postgres.tsquery_text(q)


@given(st.text(alphabet=st.sampled_from('ab"*()-:^+ NEARANDORT'), max_size=60))
def test_fts_syntax_characters_never_escape_quotes(raw: str) -> None:
    try:
        q = parse(raw)
    except (InvalidQuery, QueryTooLong):
        return
    if q.terms:
        expression = sqlite.match_expression(q.terms)
        # Outside the quoted strings only our own operators and punctuation remain.
        outside = re.sub(_FTS_STRING, "S", expression)
        assert set(outside) <= set("S()*+ ANDOT"), expression
        assert re.sub(r"AND|NOT|OR", "", outside).replace("S", "").strip("()*+ ") == ""


def test_expressions() -> None:
    q = parse('deploy "release notes" -stag')
    assert sqlite.match_expression(q.terms) == '("deploy"*) AND ("release" + "notes")'
    assert postgres.tsquery_text(q) == "('deploy':*) & ('release' <-> 'notes') & !('stag':*)"


# --- snippets --------------------------------------------------------------------------------


def test_snippet_marks_matches_and_escapes_everything_else() -> None:
    terms = parse("scr needle").terms
    out = snippet_html("<script>alert(1)</script> the NEEDLE & <b>", terms)
    assert out == (
        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; the"
        " <mark>NEEDLE</mark> &amp; &lt;b&gt;"
    )


def test_snippet_folds_case_and_diacritics_and_respects_phrases() -> None:
    assert snippet_html("Café cafeteria", parse("cafe").terms) == (
        "<mark>Café</mark> <mark>cafeteria</mark>"
    )
    assert snippet_html("cafe cafeteria", parse('"cafe"').terms) == "<mark>cafe</mark> cafeteria"


def test_snippet_windows_around_the_first_match() -> None:
    text = " ".join(f"w{i}" for i in range(200)) + " target " + "tail " * 50
    out = snippet_html(text, parse("target").terms)
    assert out.startswith("…") and out.endswith("…") and "<mark>target</mark>" in out
    assert len(out) < 260


@settings(max_examples=300)
@given(st.text(max_size=400), st.text(max_size=30))
def test_snippet_is_escaped_text_plus_marks_only(text: str, raw: str) -> None:
    try:
        terms = parse(raw).terms
    except (InvalidQuery, QueryTooLong):
        return
    out = snippet_html(text, terms)
    # Take the marks out: what is left has no tag and no raw special character.
    bare = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare and '"' not in bare
    assert re.sub(r"&(amp|lt|gt|quot|#x27);", "", bare).count("&") == 0
    # And it is an excerpt of the (NFC, whitespace-collapsed) text.
    flat = " ".join(unicodedata.normalize("NFC", text).split())
    assert html.unescape(bare).strip("…") in flat


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    """The real FTS5 table from migration 0007, in memory."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body_md TEXT)")
    conn.execute(_migration().SQLITE_TABLE)
    for statement in _migration().SQLITE_TRIGGERS:
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO messages (body_md) VALUES (?)",
        [("NEAR AND OR NOT a b",), ("日本語 text",), ("release notes",)],
    )
    yield conn
    conn.close()


def _migration() -> Any:
    return importlib.import_module("minimost.db.migrations.versions.0007_search")


@settings(max_examples=300)
@given(
    st.text(max_size=80) | st.text(alphabet=st.sampled_from('ab"*()-:^+{} NEARANDORT'), max_size=60)
)
def test_every_expression_runs_on_fts5(fts: sqlite3.Connection, raw: str) -> None:
    try:
        q = parse(raw)
    except (InvalidQuery, QueryTooLong):
        return
    if q.terms:
        fts.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?",
            (sqlite.match_expression(q.terms),),
        ).fetchall()


def test_one_letter_words_are_not_prefixes() -> None:
    assert parse("b").terms == (Term(("b",), prefix=False),)
    assert parse("be").terms == words("be")
