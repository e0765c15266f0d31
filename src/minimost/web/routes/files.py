"""Attachments: upload one file, fetch a file or its thumbnail.

Served bytes never run in our origin: every response is ``nosniff`` with a sandboxing CSP,
and anything but a verified PNG/JPEG/GIF/WebP (which we re-encoded ourselves) is a download.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import FileResponse

from minimost.domain.actions import files
from minimost.domain.errors import NotFound
from minimost.domain.queries.files import readable_file
from minimost.files.images import INLINE
from minimost.ratelimit import user_key
from minimost.web.deps import ActorDep, StateDep
from minimost.web.schemas.common import ERRORS, IdPath
from minimost.web.schemas.files import FileUploadOut, multipart_body
from minimost.web.state import AppState
from minimost.web.uploads import read_upload

router = APIRouter(prefix="/api/v1", tags=["files"], responses=ERRORS)

MIB = 1024 * 1024
INLINE_TYPES = frozenset(INLINE.values())
FILE_CACHE = "private, max-age=86400"
SANDBOX = "default-src 'none'; sandbox"


def serve_blob(
    request: Request,
    path: os.PathLike[str] | str,
    *,
    sha256: str,
    media_type: str,
    filename: str | None,
    cache: str,
) -> Response:
    """A blob as a safe response: inline only for our own re-encoded image types."""
    try:
        stat_result = os.stat(path)
    except FileNotFoundError:
        raise NotFound("file not found") from None  # lost on disk: as if it never was
    etag = f'"{sha256}"'
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
        "Cache-Control": cache,
        "ETag": etag,
    }
    inline = media_type in INLINE_TYPES
    disposition = "inline" if inline else "attachment"
    if filename is not None:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    headers["Content-Disposition"] = disposition
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers, stat_result=stat_result)


# ``?v=`` names the content: what is cached under it never changes.
VERSIONED_CACHE = "private, max-age=31536000, immutable"
# Without ``v`` the image may change (a new avatar, a preview of another link): revalidate.
UNVERSIONED_CACHE = "private, no-cache"


def serve_versioned_image(
    request: Request, state: AppState, sha256: str, v: str | None, *, what: str
) -> Response:
    """A WebP we made (avatar, preview image) under a ``?v=<sha prefix>`` URL. A ``v``
    naming an older image is a 404, so a year-long cache can never show a stale one."""
    if v is not None and not sha256.startswith(v):
        raise NotFound(f"no such {what}")
    return serve_blob(
        request,
        files.blob_store(state.ctx).path(sha256),
        sha256=sha256,
        media_type="image/webp",
        filename=None,
        cache=VERSIONED_CACHE if v is not None else UNVERSIONED_CACHE,
    )


@router.post(
    "/files",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=multipart_body("One file in the `file` part, up to `max_upload_size_mb`."),
)
async def upload(request: Request, actor: ActorDep, state: StateDep) -> FileUploadOut:
    """Upload one file (multipart, field ``file``); send it with a message by its id
    (``file_ids``). Not attached within a day, it is deleted. Over ``max_upload_size_mb``:
    413 ``file_too_large``. Images are verified and re-encoded without metadata."""
    await state.limiter.hit("send", user_key(actor.id))
    store = files.blob_store(state.ctx)
    received = await read_upload(request, store, state.settings.max_upload_size_mb * MIB)
    view = await files.upload_file(state.ctx, actor, received.name, received.staged)
    return FileUploadOut.model_validate({"file": view})


@router.get("/files/{file_id}", response_class=Response, responses={200: {"content": {}}})
async def download(file_id: IdPath, request: Request, actor: ActorDep, state: StateDep) -> Response:
    """The file's bytes, for readers of its message's conversation (unsent: its uploader)."""
    row = await readable_file(state.ctx.db, actor, file_id)
    store = files.blob_store(state.ctx)
    return serve_blob(
        request,
        store.path(row.sha256),
        sha256=row.sha256,
        media_type=row.content_type if row.is_image else files.plain_type(row.name),
        filename=row.name,
        cache=FILE_CACHE,
    )


@router.get("/files/{file_id}/thumbnail", response_class=Response, responses={200: {"content": {}}})
async def thumbnail(
    file_id: IdPath, request: Request, actor: ActorDep, state: StateDep
) -> Response:
    """A small WebP of an image (a small image is its own thumbnail); 404 for other files."""
    row = await readable_file(state.ctx.db, actor, file_id)
    if not row.is_image:
        raise NotFound("file not found")
    store = files.blob_store(state.ctx)
    sha, media_type = (
        (row.thumbnail_sha256, "image/webp")
        if row.thumbnail_sha256
        else (row.sha256, row.content_type)
    )
    return serve_blob(
        request, store.path(sha), sha256=sha, media_type=media_type, filename=None, cache=FILE_CACHE
    )
