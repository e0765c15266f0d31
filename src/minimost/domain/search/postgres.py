"""PostgreSQL full-text: ``messages.search_vector`` (a generated ``tsvector``, 'simple'
configuration, see migration 0007) matched against a ``tsquery`` built here.

Each token is a quoted lexeme (``'word'``, quotes doubled) and the operators (``&``,
``<->``, ``:*``, ``!``) are only the ones written here, so user input never becomes
tsquery syntax. ``to_tsquery`` still lower-cases the lexemes through the 'simple'
dictionary, exactly as the vector was built.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnClause, func, literal_column

from minimost.db.models import Message

from .parse import SearchQuery, Term

VECTOR: ColumnClause[Any] = literal_column("messages.search_vector")


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def term_expression(term: Term) -> str:
    lexemes = [_lexeme(t) for t in term.tokens]
    if term.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def tsquery_text(parsed: SearchQuery) -> str:
    parts = [term_expression(t) for t in parsed.terms]
    parts += ["!" + term_expression(t) for t in parsed.excluded]
    return " & ".join(parts)


def apply(query: Any, parsed: SearchQuery) -> tuple[Any, Any]:
    """Narrow ``query`` (a select over ``Message``); the id column to order and page by."""
    if parsed.terms or parsed.excluded:
        condition = VECTOR.op("@@")(func.to_tsquery("simple", tsquery_text(parsed)))
        query = query.where(condition)
    return query, Message.id
