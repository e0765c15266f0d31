"""Read one multipart file part straight from the request stream into a staged temp file.

Starlette's ``request.form()`` spools the whole body first; here each chunk is hashed and
written as it arrives, and the per-file limit stops the upload the moment it is crossed
(``BodyLimit`` in ``middleware`` is only the outer bound for the whole request).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from minimost.domain.errors import DomainError, Invalid, TooLarge
from minimost.domain.text import InvalidCharacters, forbidden_character
from minimost.files.store import BlobStore, Staged, too_large_message as _too_large

FIELD = "file"
MAX_NAME = 255


@dataclass
class Upload:
    name: str
    staged: Staged


def clean_filename(raw: str) -> str:
    """The last path segment, without control characters, at most 255 characters (the
    extension kept). Only ever shown as text and sent back in Content-Disposition."""
    # Browsers (the HTML form-data encoding) send ", CR and LF as %22, %0D and %0A.
    for escaped, char in (("%22", '"'), ("%0D", "\r"), ("%0A", "\n")):
        raw = raw.replace(escaped, char)
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME]
    return name or "file"


async def read_upload(
    request: Request, store: BlobStore, max_bytes: int, *, code: str = "file_too_large"
) -> Upload:
    """The ``file`` part of a ``multipart/form-data`` body, staged (not yet committed).

    Raises ``TooLarge`` (``code``) past ``max_bytes``, ``Invalid`` for a body that is not
    multipart or has no ``file`` part. The caller commits or discards ``staged``.
    """
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise Invalid(
            "send the file as multipart/form-data", fields={FIELD: "a file part is required"}
        )
    reader = _PartReader(store, max_bytes, code)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reader.part_begin,
            "on_header_field": reader.header_field,
            "on_header_value": reader.header_value,
            "on_header_end": reader.header_end,
            "on_headers_finished": reader.headers_finished,
            "on_part_data": reader.part_data,
            "on_part_end": reader.part_end,
        },
    )
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
                if reader.error is not None:
                    raise reader.error
            if reader.done:
                break  # the rest (other fields, the epilogue) is not ours to read
    except (DomainError, ClientDisconnect):
        reader.discard()
        raise
    except HTTPException as exc:
        reader.discard()
        if exc.status_code == 413:  # BodyLimit's outer bound: still "this file is too big"
            raise TooLarge(_too_large(max_bytes), code=code) from None
        raise
    except Exception as exc:  # the parser's own errors: a malformed body
        reader.discard()
        raise Invalid(
            "malformed multipart body", fields={FIELD: "a file part is required"}
        ) from exc
    if reader.staged is None or not reader.done:
        reader.discard()
        raise Invalid("no file in the upload", fields={FIELD: "a file part is required"})
    return Upload(reader.name, reader.staged)


class _PartReader:
    """Parser callbacks: collect part headers; stream the ``file`` part to a Staged."""

    def __init__(self, store: BlobStore, max_bytes: int, code: str) -> None:
        self.store, self.max_bytes, self.code = store, max_bytes, code
        self.staged: Staged | None = None
        self.name = "file"
        self.done = False
        self.error: DomainError | None = None
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._ours = False

    def part_begin(self) -> None:
        self._headers = {}
        self._ours = False

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def headers_finished(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        first = self.staged is None and not self.done  # one file per request
        if first and options.get(b"name") == FIELD.encode() and b"filename" in options:
            self._ours = True
            raw = options[b"filename"].decode("utf-8", errors="replace")
            # Refused like any text we take (NUL, ESC, …); merely odd characters such as
            # bidi overrides are cleaned away instead (``clean_filename``).
            if (char := forbidden_character(raw)) is not None:
                self.error = InvalidCharacters(FIELD, char)
                return
            self.name = clean_filename(raw)
            self.staged = self.store.staging(self.max_bytes, code=self.code)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._ours and self.staged is not None and self.error is None:
            try:
                self.staged.write(data[start:end])
            except DomainError as exc:
                self.error = exc  # raised from the read loop (not through the parser)

    def part_end(self) -> None:
        if self._ours:
            self.done = True
            self._ours = False

    def discard(self) -> None:
        if self.staged is not None:
            self.staged.discard()
            self.staged = None
