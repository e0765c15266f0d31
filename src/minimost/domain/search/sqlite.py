"""SQLite FTS5: the MATCH expression for a parsed query, and the clauses that use it.

Every token is emitted as an FTS5 string (double-quoted, quotes doubled), so nothing the
user typed is ever read as FTS5 syntax (``NEAR(``, ``AND``, ``*``, ``:``, parentheses):
the only operators in the expression are the ones written here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, literal_column, select, table, text

from minimost.db.models import Message

from .parse import SearchQuery, Term

FTS = table("messages_fts", column("rowid"))


def _string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def term_expression(term: Term) -> str:
    """One word (``"dep"*``) or phrase (``"release" + "notes"``); prefix on the last word."""
    body = " + ".join(_string(t) for t in term.tokens)
    return f"({body}*)" if term.prefix else f"({body})"


def match_expression(terms: tuple[Term, ...]) -> str:
    return " AND ".join(term_expression(t) for t in terms)


def apply(query: Any, parsed: SearchQuery) -> tuple[Any, Any]:
    """Narrow ``query`` (a select over ``Message``) to messages matching the text; also
    return the id column to order and page by (the index's rowid when it drives)."""
    if parsed.terms:
        expression = match_expression(parsed.terms)
        if parsed.excluded:
            expression = (
                f"({expression}) NOT ({' OR '.join(map(term_expression, parsed.excluded))})"
            )
        # The index drives: it yields matching rowids newest first, and the message row is
        # looked up by primary key for the remaining filters (design.md §9: never rank).
        query = query.join(FTS, FTS.c.rowid == Message.id).where(
            text("messages_fts MATCH :fts_match").bindparams(fts_match=expression)
        )
        return query, FTS.c.rowid
    elif parsed.excluded:
        # Operators and exclusions only: FTS5's NOT needs a left side, so exclude by set.
        excluded = " OR ".join(map(term_expression, parsed.excluded))
        query = query.where(
            Message.id.not_in(
                select(literal_column("rowid"))
                .select_from(FTS)
                .where(text("messages_fts MATCH :fts_excluded").bindparams(fts_excluded=excluded))
            )
        )
    return query, Message.id
