"""Uploads: record an upload, drop a message's files, sweep forgotten uploads, and delete
blobs nobody uses any more.

The bytes live in the content-addressed ``files.store``; a blob is in use while any
``files.sha256``, ``files.thumbnail_sha256``, ``users.avatar_sha256`` or
``messages.preview_image_sha256`` (a link preview's image, ``actions.previews``) names it. Putting a
blob in place (with its row) and deleting an unused one both happen under one lock (SQLite:
the single writer; PostgreSQL: an advisory lock), so an upload of the same bytes racing a
deletion can never leave a row without its blob.

For the retention janitor: ``delete_if_unreferenced(ctx, shas)`` and ``blob_store(ctx)``
(``.blob_size(sha)``) are the building blocks; ``detach_files(tx, message_ids)`` drops the
rows of messages it deletes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, union

from minimost.db.engine import Tx
from minimost.db.models import Message, StoredFile, User
from minimost.domain.context import Actor, Ctx
from minimost.domain.views import file_view
from minimost.files.images import NotAnImage, Processed, process_upload
from minimost.files.store import BlobStore, Staged, store_for
from minimost.wire.models import FileOut

BLOB_LOCK_KEY = 727003
UNATTACHED_TTL = timedelta(days=1)
# Served with their own type, and always as a download (``web.routes.files``); anything
# else is application/octet-stream whatever the client claimed. Active content (HTML, SVG,
# XML, JavaScript) is deliberately absent: it is stored and served as opaque bytes.
SAFE_TYPES = {
    ".txt": "text/plain",
    ".log": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".tar": "application/x-tar",
    ".7z": "application/x-7z-compressed",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
OCTET = "application/octet-stream"


def blob_store(ctx: Ctx) -> BlobStore:
    return store_for(ctx.settings.data_dir)


def plain_type(name: str) -> str:
    """The type a non-image is served with: from the name, through the allow-list."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return SAFE_TYPES.get(suffix, OCTET)


async def lock_blobs(tx: Tx) -> None:
    """Serialise blob placement and deletion (see the module docstring)."""
    if tx.dialect != "sqlite":  # SQLite: BEGIN IMMEDIATE, one writer already
        await tx.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BLOB_LOCK_KEY})


async def upload_file(ctx: Ctx, actor: Actor, name: str, staged: Staged) -> FileOut:
    """Record ``staged`` (already streamed, within the size limit) as ``actor``'s upload,
    not attached to any message yet. Images are verified and re-encoded without metadata
    (with a thumbnail); anything that does not verify is kept as a plain file."""
    store = blob_store(ctx)
    parts: list[Staged] = []
    try:
        await asyncio.to_thread(staged.finish)
        try:
            image: Processed | None = await asyncio.to_thread(process_upload, staged.path)
        except NotAnImage:
            image = None
        values: dict[str, Any] = {
            "uploader_id": actor.id,
            "name": name,
            "created_at": ctx.clock.now(),
        }
        if image is None:
            parts.append(staged)
            values.update(size=staged.size, content_type=plain_type(name), is_image=False)
        else:
            staged.discard()  # the re-encoded copy replaces the original bytes
            parts.append(await asyncio.to_thread(store.stage_bytes, image.data))
            if image.thumbnail is not None:
                parts.append(await asyncio.to_thread(store.stage_bytes, image.thumbnail))
            values.update(
                size=len(image.data),
                content_type=image.content_type,
                is_image=True,
                width=image.width,
                height=image.height,
            )
        async with ctx.db.write() as tx:
            await lock_blobs(tx)
            shas = [store.commit(part) for part in parts]
            values["sha256"] = shas[0]
            values["thumbnail_sha256"] = shas[1] if len(shas) > 1 else None
            row = (
                await tx.conn.execute(insert(StoredFile).values(**values).returning(StoredFile))
            ).one()
        return file_view(row)
    except BaseException:
        for part in parts:
            part.discard()
        staged.discard()
        raise


async def detach_files(tx: Tx, message_ids: Collection[int]) -> set[str]:
    """Delete the file rows of ``message_ids`` inside ``tx``; returns the blobs they used.
    After the commit, pass those to ``delete_if_unreferenced``."""
    if not message_ids:
        return set()
    rows = await tx.conn.execute(
        delete(StoredFile)
        .where(StoredFile.message_id.in_(list(message_ids)))
        .returning(StoredFile.sha256, StoredFile.thumbnail_sha256)
    )
    return _shas(rows)


def _shas(rows: Iterable[Any]) -> set[str]:
    found: set[str] = set()
    for row in rows:
        found.add(row.sha256)
        if row.thumbnail_sha256:
            found.add(row.thumbnail_sha256)
    return found


# THE definition of "a blob is in use": any of these columns names it. Everything that asks
# (``delete_if_unreferenced``, the janitor's orphan sweep, the backup's missing-blob check)
# goes through ``referenced_query``, so a new kind of reference is added here once.
BLOB_REFERENCES = (
    StoredFile.sha256,
    StoredFile.thumbnail_sha256,
    User.avatar_sha256,
    Message.preview_image_sha256,
)


def referenced_query(shas: Collection[str] | None = None) -> Any:
    """SELECT of the digests in use (one ``sha`` column, no NULLs): of ``shas`` only (each
    column's index answers), or every one when ``shas`` is None."""
    wanted = None if shas is None else list(shas)
    return union(
        *(
            select(column.label("sha")).where(
                column.is_not(None) if wanted is None else column.in_(wanted)
            )
            for column in BLOB_REFERENCES
        )
    )


async def delete_if_unreferenced(ctx: Ctx, shas: str | Iterable[str]) -> int:
    """Remove each blob of ``shas`` (one digest or several) that no row uses any more.
    Returns how many went (so for one digest, truthy when it was removed)."""
    wanted = sorted({shas} if isinstance(shas, str) else set(shas))
    if not wanted:
        return 0
    store = blob_store(ctx)
    removed = 0
    async with ctx.db.write() as tx:
        await lock_blobs(tx)
        used = set((await tx.conn.execute(referenced_query(wanted))).scalars())
        for sha in wanted:
            if sha not in used and store.delete(sha):
                removed += 1
    return removed


async def sweep_unattached(ctx: Ctx) -> int:
    """Drop uploads never sent within a day (a closed tab, a removed chip), their blobs,
    and temp files a crash left behind. Returns how many uploads went."""
    cutoff = ctx.clock.now() - UNATTACHED_TTL
    async with ctx.db.write() as tx:
        rows = (
            await tx.conn.execute(
                select(StoredFile.id, StoredFile.sha256, StoredFile.thumbnail_sha256).where(
                    StoredFile.message_id.is_(None), StoredFile.created_at < cutoff
                )
            )
        ).all()
        if rows:
            await tx.conn.execute(
                delete(StoredFile).where(
                    StoredFile.id.in_([row.id for row in rows]), StoredFile.message_id.is_(None)
                )
            )
    await delete_if_unreferenced(ctx, _shas(rows))
    # Temp files are named by wall-clock mtime, whatever clock the domain runs on.
    await asyncio.to_thread(blob_store(ctx).sweep_tmp, time.time() - UNATTACHED_TTL.total_seconds())
    return len(rows)
