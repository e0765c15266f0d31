"""``@name``, ``@everyone`` and ``@here``: a markdown-it inline rule, so a mention inside
code or a link is not one, and the names found while rendering are the names stored.

The rule only claims ``@`` at the start of a word (``ann@example.com`` stays an address) and
drops trailing dots (``thanks @bob.`` mentions bob). Rendering does not know which accounts
exist: every well-formed name becomes a span, and the send path keeps only the ones that are
members of the conversation (``resolve``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

import orjson
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from sqlalchemy import select

from minimost.db.models import Membership, User

if TYPE_CHECKING:
    from minimost.db.engine import Tx

    from .context import PresenceView
    from .render import Rendered

BROADCAST = ("everyone", "here")
_NAME = re.compile(r"[a-z0-9._-]{1,32}", re.IGNORECASE)
_WORD = re.compile(r"[\w@.+-]")  # characters that glue "@" to the word before it


@dataclass(slots=True)
class Found:
    """Mentions collected while rendering one message (markdown-it's ``env``)."""

    usernames: set[str] = field(default_factory=set)
    broadcast: str | None = None  # "everyone" beats "here"

    def add(self, name: str) -> None:
        if name in BROADCAST:
            if self.broadcast != "everyone":
                self.broadcast = name
        else:
            self.usernames.add(name)


def _mention_rule(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    src = state.src
    if src[pos] != "@" or (pos > 0 and _WORD.match(src[pos - 1])):
        return False
    match = _NAME.match(src, pos + 1)
    if match is None:
        return False
    name = match.group(0).rstrip(".")
    if not name:
        return False
    if not silent:
        token = state.push("mention", "span", 0)
        token.meta = {"name": name.lower()}
        token.content = "@" + name
        found = state.env.get("mentions")
        if isinstance(found, Found):
            found.add(name.lower())
    state.pos = pos + 1 + len(name)
    return True


def _render_mention(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    name = str(token.meta["name"])
    if name in BROADCAST:
        return f'<span class="mention mention-all">{escape(token.content)}</span>'
    return f'<span class="mention" data-username="{escape(name)}">{escape(token.content)}</span>'


def mentions_plugin(md: MarkdownIt) -> None:
    # Before linkify and emphasis, so "@bob_smith" is one name, not "@bob" + emphasis.
    md.inline.ruler.before("linkify", "mention", _mention_rule)
    md.add_render_rule("mention", _render_mention)


@dataclass(frozen=True, slots=True)
class Resolved:
    """One message's mentions: ``named`` (members mentioned by name, for the wire) and
    ``notify`` (everyone to count a mention for, ``@everyone``/``@here`` expanded)."""

    conversation_id: int
    named: list[int]
    notify: frozenset[int]

    @property
    def ids_json(self) -> str:
        return orjson.dumps(self.named).decode() if self.named else "[]"


async def resolve(
    tx: Tx, presence: PresenceView, items: list[tuple[int, int, Rendered]]
) -> list[Resolved]:
    """Map each ``(author, conversation, rendered)`` to its mentioned members, in at most
    one query for all names and one for broadcast audiences. Non-members are dropped: a
    mention must not reach (or reveal the conversation to) someone who cannot read it."""
    names = {name for _, _, r in items for name in r.usernames}
    broadcast_in = {c for _, c, r in items if r.broadcast}
    if not names and not broadcast_in:
        return [Resolved(c, [], frozenset()) for _, c, _ in items]
    conversations = {c for _, c, r in items if r.usernames or r.broadcast}
    by_name: dict[tuple[int, str], int] = {}
    if names:
        rows = await tx.conn.execute(
            select(Membership.conversation_id, User.id, User.username)
            .join(User, User.id == Membership.user_id)
            .where(User.username.in_(names), Membership.conversation_id.in_(conversations))
        )
        by_name = {(row.conversation_id, row.username): row.id for row in rows}
    members: dict[int, set[int]] = {}
    if broadcast_in:
        rows = await tx.conn.execute(
            select(Membership.conversation_id, Membership.user_id).where(
                Membership.conversation_id.in_(broadcast_in)
            )
        )
        for row in rows:
            members.setdefault(row.conversation_id, set()).add(row.user_id)
    resolved = []
    for author, conversation, rendered in items:
        named = sorted(
            {by_name[(conversation, n)] for n in rendered.usernames if (conversation, n) in by_name}
        )
        notify = set(named)
        audience = members.get(conversation, set())
        if rendered.broadcast == "everyone":
            notify |= audience
        elif rendered.broadcast == "here":
            notify |= {uid for uid in audience if presence.is_online(uid)}
        notify.discard(author)
        resolved.append(Resolved(conversation, named, frozenset(notify)))
    return resolved
