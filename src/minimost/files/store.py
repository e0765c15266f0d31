"""Content-addressed blobs under ``<data_dir>/uploads/ab/cdef…`` (SHA-256 of the bytes).

Writes are atomic: bytes go to a private temp file in ``uploads/tmp``, are fsynced, then
renamed into place (and the directory fsynced), so a reader never sees half a blob and a
crash leaves at most a stray temp file. The same bytes uploaded twice are one blob.
Files are 0600 and directories 0700: the server user alone reads them.

Which blobs are still used is the database's business (``actions.files``); this module only
puts, opens, measures and removes. A full disk (ENOSPC, EDQUOT) while putting raises
``StorageFull``, with the half-written temp file removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from minimost.domain.errors import StorageFull, TooLarge

_SHA = re.compile(r"[0-9a-f]{64}")
_PREFIX = re.compile(r"[0-9a-f]{2}")
CHUNK = 256 * 1024
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def _space_needed() -> Iterator[None]:
    """Turn "no space left" into ``StorageFull``; other OS errors stay what they are."""
    try:
        yield
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise StorageFull() from exc
        raise


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def path(self, sha256: str) -> Path:
        if not _SHA.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def blob_size(self, sha256: str) -> int:
        """Bytes on disk for ``sha256`` (0 if the blob is gone): for size caps and eviction."""
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def delete(self, sha256: str) -> bool:
        """Remove the blob (idempotent). Call only when no row refers to it any more."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def staging(self, max_bytes: int, *, code: str = "file_too_large") -> Staged:
        """A temp file that hashes as it is written and refuses to grow past ``max_bytes``."""
        with _space_needed():
            _private_dir(self.root)
            _private_dir(self.tmp)
            return Staged(self.tmp, max_bytes, code)

    def stage_bytes(self, data: bytes) -> Staged:
        """``data`` (a thumbnail, an avatar) staged and finished, ready to ``commit``."""
        staged = self.staging(len(data))
        try:
            staged.write(data)
            staged.finish()
        except BaseException:
            staged.discard()
            raise
        return staged

    def commit(self, staged: Staged) -> str:
        """Move a finished temp file into place, or drop it if the blob already exists.

        Call it under the blob lock in the transaction that records the row
        (``actions.files``): a concurrent ``delete_if_unreferenced`` then either ran before
        (and this puts the blob back) or runs after (and sees the new row)."""
        sha = staged.finish()
        target = self.path(sha)
        if target.is_file():
            staged.discard()
            return sha
        with _space_needed():
            _private_dir(target.parent)
            os.replace(staged.path, target)
            _fsync_dir(target.parent)
        return sha

    def probe(self, size: int = 64 * 1024) -> None:
        """Write ``size`` bytes to a temp file, fsync and remove it: raises ``StorageFull``
        if the uploads' file system has no room (``/readyz`` after a failed write)."""
        staged = self.staging(size)
        try:
            staged.write(os.urandom(size))
            staged.finish()
        finally:
            staged.discard()

    def prefixes(self) -> list[str]:
        """The two-hex-digit directories blobs live in (never ``tmp``), sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            e.name for e in self.root.iterdir() if _PREFIX.fullmatch(e.name) and e.is_dir()
        )

    def old_blobs(self, prefix: str, older_than: float) -> list[str]:
        """Digests of the blobs under ``prefix`` last modified before ``older_than`` (wall
        clock). Anything not named like a blob is left alone."""
        found: list[str] = []
        directory = self.root / prefix
        with contextlib.suppress(FileNotFoundError):
            for entry in directory.iterdir():
                sha = prefix + entry.name
                if not _SHA.fullmatch(sha):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < older_than and entry.is_file():
                        found.append(sha)
        return found

    def sweep_tmp(self, older_than: float) -> int:
        """Remove temp files last touched before ``older_than`` (a crash mid-upload)."""
        removed = 0
        if not self.tmp.is_dir():
            return 0
        for entry in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < older_than:
                    entry.unlink()
                    removed += 1
        return removed


class Staged:
    """One upload on its way in: ``write`` chunks, then ``BlobStore.commit`` or ``discard``."""

    def __init__(self, directory: Path, max_bytes: int, code: str) -> None:
        self.path = directory / f"up-{secrets.token_hex(12)}"
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes
        self._code = code
        self._sha: str | None = None

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise RuntimeError("staged file already finished")
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(too_large_message(self.max_bytes), code=self._code)
        self._hash.update(chunk)
        try:
            with _space_needed():
                self._file.write(chunk)
        except StorageFull:
            self.discard()
            raise

    def finish(self) -> str:
        """Flush and fsync; returns the SHA-256. Safe to call more than once."""
        if self._file is not None:
            try:
                with _space_needed():
                    self._file.flush()
                    os.fsync(self._file.fileno())
            except StorageFull:
                self.discard()
                raise
            self._file.close()
            self._file = None
            self._sha = self._hash.hexdigest()
        assert self._sha is not None
        return self._sha

    def discard(self) -> None:
        if self._file is not None:
            # Closing flushes the buffer, which fails again on a full disk: nothing to keep.
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def too_large_message(max_bytes: int) -> str:
    return f"the file is larger than the {_human(max_bytes)} limit"


def _human(size: int) -> str:
    mib = size / (1024 * 1024)
    return f"{mib:g} MB" if mib >= 1 else f"{max(1, size // 1024)} KB"


def store_for(data_dir: Path) -> BlobStore:
    return BlobStore(data_dir / "uploads")
