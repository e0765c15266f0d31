"""``minimost backup DIR`` and ``minimost restore DIR``.

Backup works while the server runs. SQLite: the sqlite3 online backup API copies the
database in one step inside a read transaction, i.e. one consistent snapshot; in WAL mode
writers go on meanwhile. Then the uploads (content-addressed: a blob already in DIR has the
same bytes and is skipped, so backing up into the same DIR again is incremental),
``settings.json`` and ``tls/`` (the local CA: keep it, or every client must trust a new one),
and ``manifest.json`` last (a DIR without it is an unfinished backup). PostgreSQL: the
database is pg_dump's job (printed); everything else is copied the same way.

Restore needs the server stopped: it refuses while any process has the SQLite database open
(each SQLite connection holds a shared lock on the WAL index's "dead man switch" byte; we
try to take it exclusively) or, on PostgreSQL, while other sessions use the database.
Exit codes: see ``cli.ops``.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from minimost import __version__

from .exits import REFUSED, STORAGE, fail
from .ops import console
from .options import DatabaseUrl, DataDir, SettingsPath, settings_from

if TYPE_CHECKING:
    from minimost.config import Settings

MANIFEST = "manifest.json"
DB_FILE = "minimost.db"
FORMAT = 1
# unix VFS: byte 128 of the -shm file is read-locked by every open connection (os_unix.c,
# UNIX_SHM_DMS); an exclusive lock on it succeeds only when nobody has the database open.
SHM_DMS_BYTE = 128

Target = Annotated[Path, typer.Argument(help="Backup directory.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


# --- files -----------------------------------------------------------------------------


def _private_dir(path: Path) -> None:
    """``path`` and every missing parent, mode 0700 (``mkdir(parents=True)`` would give the
    parents the umask's mode)."""
    missing = []
    level = path
    while not level.exists():
        missing.append(level)
        level = level.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    os.chmod(path, 0o700)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, mode 0600 from the start."""
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    os.replace(tmp, path)


def _files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` except half-written uploads (``tmp/``)."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "tmp" not in path.relative_to(root).parts[:1]:
            yield path


def _copy_file(src: Path, dst: Path) -> None:
    _private_dir(dst.parent)
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dst)


@dataclass
class TreeCopy:
    files: int = 0
    copied: int = 0
    bytes: int = 0


def copy_tree(src: Path, dst: Path, label: str) -> TreeCopy:
    """Copy files of ``src`` missing (or of another size) in ``dst``, with a progress bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    files = list(_files(src))
    result = TreeCopy(files=len(files))
    if not files:
        return result
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=len(files))
        for path in files:
            target = dst / path.relative_to(src)
            size = path.stat().st_size
            result.bytes += size
            if not (target.is_file() and target.stat().st_size == size):
                _copy_file(path, target)
                result.copied += 1
            progress.advance(task)
    return result


# --- SQLite -----------------------------------------------------------------------------


def sqlite_path(settings: Settings) -> Path:
    from sqlalchemy.engine import make_url

    return Path(make_url(settings.db_url).database or "")


def snapshot_sqlite(src: Path, dst: Path) -> str:
    """Consistent copy of ``src`` into ``dst`` (online); returns its schema revision."""
    tmp = dst.with_name(dst.name + ".part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(tmp)
    try:
        # pages=-1: everything in one step, i.e. one read transaction, one snapshot. A
        # stepwise copy restarts whenever another process writes, and may never finish.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal
        problems = target.execute("PRAGMA integrity_check").fetchall()
        if problems != [("ok",)]:
            raise RuntimeError(f"the copy fails integrity_check: {problems[:3]}")
        revision = _revision(target)
    finally:
        target.close()
        source.close()
    os.replace(tmp, dst)
    return revision


def _revision(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return ""
    return str(row[0]) if row else ""


def sqlite_in_use(db: Path) -> bool:
    """True while any process (a server, a worker, a sqlite3 shell) has ``db`` open."""
    shm = db.with_name(db.name + "-shm")
    if not shm.exists():
        return False
    fd = os.open(shm, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, SHM_DMS_BYTE)
        return False
    finally:
        os.close(fd)


# --- backup -----------------------------------------------------------------------------


def _referenced_blobs(db: Path) -> set[str]:
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from minimost.domain.actions.files import referenced_query

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        # The snapshot is read with plain sqlite3; the query is the domain's one definition.
        sql = str(referenced_query().compile(dialect=sqlite_dialect.dialect()))
        rows = conn.execute(sql).fetchall()
    finally:
        conn.close()
    return {row[0] for row in rows if row[0]}


def _settings_file(settings: Settings, given: Path | None) -> Path | None:
    path = given or settings.data_dir / "settings.json"
    return path if path.is_file() else None


def backup(
    target: Target,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Back up the database (SQLite, online), uploads, settings.json and tls/ into DIR."""
    resolved = settings_from(settings_path=settings, data_dir=data_dir, database_url=database_url)
    if target.resolve() == resolved.data_dir.resolve():
        raise fail("the backup directory must not be the data directory", REFUSED)
    try:
        _backup(resolved, target, settings)
    except OSError as exc:  # DIR not writable, a file in the way, a full disk
        where = f": {exc.filename}" if exc.filename else ""
        raise fail(f"backup to {target} failed: {exc.strerror or exc}{where}", STORAGE) from None


def _backup(resolved: Settings, target: Path, settings: Path | None) -> None:
    _private_dir(target)
    _private_dir(target / "uploads")
    out = console(stderr=True)
    (target / MANIFEST).unlink(missing_ok=True)  # unfinished until the manifest is back
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "minimost_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if resolved.is_sqlite:
        src = sqlite_path(resolved)
        if not src.is_file():
            raise fail(f"no database at {src}", REFUSED)
        with out.status("copying the database (consistent online snapshot)"):
            try:
                manifest["revision"] = snapshot_sqlite(src, target / DB_FILE)
            except (sqlite3.Error, RuntimeError) as exc:
                raise fail(f"database backup failed: {exc}", REFUSED) from None
        manifest["database"] = {"kind": "sqlite", "file": DB_FILE}
    else:
        manifest["database"] = {"kind": "postgresql", "file": None}
        out.print(
            "PostgreSQL: back up the database with pg_dump, e.g.\n"
            "  pg_dump --format=custom --file=minimost.dump <database>\n"
            "(this command copies uploads, settings.json and tls/ only; see docs/admin.md)"
        )
    uploads = copy_tree(resolved.data_dir / "uploads", target / "uploads", "uploads")
    manifest["uploads"] = {"files": uploads.files, "copied": uploads.copied, "bytes": uploads.bytes}
    tls = copy_tree(resolved.data_dir / "tls", target / "tls", "tls")
    manifest["tls"] = tls.files
    settings_file = _settings_file(resolved, settings)
    if settings_file is not None:
        _copy_file(settings_file, target / "settings.json")
    manifest["settings"] = settings_file is not None
    if resolved.is_sqlite:
        # Blobs deleted after the snapshot (retention, a deletion) are missing here; say so.
        from minimost.files.store import BlobStore

        store = BlobStore(target / "uploads")
        missing = [s for s in _referenced_blobs(target / DB_FILE) if not store.exists(s)]
        manifest["missing_blobs"] = len(missing)
        if missing:
            out.print(f"warning: {len(missing)} file(s) were deleted while backing up")
    _write_private(target / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    typer.echo(
        f"backup written to {target}: database {manifest['database']['kind']}"
        f" (revision {manifest.get('revision') or '-'}), {uploads.files} upload file(s)"
        f" ({uploads.copied} new), settings {'yes' if manifest['settings'] else 'no'}"
    )


# --- restore ----------------------------------------------------------------------------


def _read_manifest(source: Path) -> dict[str, Any]:
    try:
        data = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise fail(f"{source} is not a finished MiniMost backup (no {MANIFEST})", REFUSED) from None
    except json.JSONDecodeError as exc:
        raise fail(f"{source / MANIFEST}: not valid JSON ({exc.msg})", REFUSED) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise fail(f"{source / MANIFEST}: unknown backup format", REFUSED)
    return data


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    from minimost.db.migrate import alembic_config

    if not revision:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:
        return False


async def _pg_others(settings: Settings) -> int:
    from sqlalchemy import text

    from minimost.db.engine import Database

    from .preflight import check_database

    await check_database(settings.db_url)
    db = Database(settings.db_url)
    try:
        async with db.read() as conn:
            return int(
                await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                or 0
            )
    finally:
        await db.dispose()


async def _migrate(settings: Settings) -> None:
    from minimost.db.engine import Database
    from minimost.db.migrate import upgrade

    db = Database(settings.db_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


def _restore_sqlite(source: Path, live: Path) -> Path | None:
    """Swap the backup's database in; the previous one is kept beside it. Returns that."""
    copy = source / DB_FILE
    if not copy.is_file():
        raise fail(f"{copy} is missing", REFUSED)
    staged = live.with_name(live.name + ".restoring")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    shutil.copyfile(copy, staged)
    conn = sqlite3.connect(staged)
    try:
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise fail(f"{copy} fails integrity_check; nothing was changed", REFUSED)
    finally:
        conn.close()
    kept = None
    if live.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        kept = live.with_name(f"{live.name}.before-restore-{stamp}")
        # Nobody has it open (checked): fold the WAL in so the kept copy is complete.
        conn = sqlite3.connect(live)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        os.replace(live, kept)
    for suffix in ("-wal", "-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    os.replace(staged, live)
    os.chmod(live, 0o600)
    return kept


def restore(
    source: Annotated[Path, typer.Argument(help="A directory written by minimost backup.")],
    yes: Yes = False,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Put a backup back (the server must be stopped), then bring the schema up to date."""
    from minimost.datadir import prepare_data_dir

    # Restoring into a new, empty data directory is how a machine is replaced.
    resolved = settings_from(
        settings_path=settings, creates_data_dir=True, data_dir=data_dir, database_url=database_url
    )
    manifest = _read_manifest(source)
    kind = manifest.get("database", {}).get("kind")
    if kind == "sqlite" and not resolved.is_sqlite:
        raise fail("this backup holds a SQLite database but the settings use PostgreSQL", REFUSED)
    if not _known_revision(str(manifest.get("revision") or "")):
        raise fail(
            f"the backup's schema ({manifest.get('revision')}) is newer than this MiniMost "
            f"({__version__}): upgrade MiniMost first",
            REFUSED,
        )
    live = sqlite_path(resolved) if resolved.is_sqlite else None
    if live is not None and sqlite_in_use(live):
        raise fail(f"{live} is in use: stop the MiniMost server (every worker) first", REFUSED)
    if live is None and asyncio.run(_pg_others(resolved)):
        raise fail("other sessions use the database: stop MiniMost on every node first", REFUSED)
    if not yes and not typer.confirm(
        f"Replace the data in {resolved.data_dir} with the backup from "
        f"{manifest.get('created_at')}?",
        default=False,
    ):
        raise fail("nothing restored", REFUSED)
    prepare_data_dir(resolved.data_dir)
    kept = _restore_sqlite(source, live) if live is not None and kind == "sqlite" else None
    uploads = copy_tree(source / "uploads", resolved.data_dir / "uploads", "uploads")
    notes = []
    for name in ("settings.json", "tls"):
        here, there = resolved.data_dir / name, source / name
        if there.exists() and not here.exists():
            if there.is_dir():
                copy_tree(there, here, name)
            else:
                _copy_file(there, here)
        elif there.exists():
            notes.append(f"kept the current {name} (the backup's is in {there})")
    with console(stderr=True).status("bringing the schema up to date"):
        asyncio.run(_migrate(resolved))
    if kind == "postgresql":
        notes.append("restore the database itself with pg_restore (see docs/admin.md)")
    if kept is not None:
        notes.append(f"the previous database is kept as {kept}")
    typer.echo(f"restored from {source}: {uploads.copied} upload file(s) copied back")
    for note in notes:
        typer.echo(f"note: {note}")
