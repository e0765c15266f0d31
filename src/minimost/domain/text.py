"""Which characters any text we accept may hold.

Refused everywhere (names, messages, passwords, search, file names, path and query values):

- NUL: PostgreSQL cannot store it in text at all (SQLite can), so it was a 500 there.
- Lone surrogates (U+D800–U+DFFF on their own; JSON's ``"\\ud800"`` decodes to one in
  Python): not characters, and no UTF-8 encoder, hence no database driver, takes them.
- The other C0 controls but tab, newline and carriage return, DEL, and the C1 controls
  (U+0080–U+009F): no meaning in chat, invisible, and ESC (C0) or CSI (U+009B, C1) start
  terminal escape sequences when a name or message reaches an admin's terminal (CLI, logs).

Everything else is text, however odd: format characters (the zero-width joiner of emoji,
bidi marks), private use, unassigned code points and noncharacters all stay. Where a
field is stricter (usernames, display names) its own rule says so.
"""

from __future__ import annotations

import re

from .errors import Invalid

CODE = "invalid_characters"
MESSAGE = "must not contain control characters (other than tab and newlines) or lone surrogates"

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(value: str) -> str | None:
    """The first character of ``value`` we never accept, or None."""
    match = _FORBIDDEN.search(value)
    return match.group(0) if match else None


def describe(char: str) -> str:
    return f"{MESSAGE} (found U+{ord(char):04X})"


class InvalidCharacters(Invalid):
    code = CODE
    MESSAGE = "the text contains characters that are not allowed"

    def __init__(self, field: str, char: str) -> None:
        super().__init__(self.MESSAGE, fields={field: describe(char)})


def check(field: str, value: str) -> str:
    """``value`` unchanged, or ``InvalidCharacters`` naming ``field``."""
    char = forbidden_character(value)
    if char is not None:
        raise InvalidCharacters(field, char)
    return value
