"""HTML shells, the CA certificate, health and metrics. Templates hold markup only."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from minimost.domain.actions.maintenance import probe_storage
from minimost.domain.errors import NotFound, StorageFull, Unauthenticated
from minimost.domain.queries.health import database_answers
from minimost.web.deps import COOKIE, StateDep, resolve_actor

from .apidocs import render_api_docs

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(
        TEMPLATES / name, media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/")
async def app_page(request: Request, state: StateDep) -> Response:
    try:
        await resolve_actor(
            state, authorization=None, session_token=request.cookies.get(COOKIE), ip=""
        )
    except Unauthenticated:
        return RedirectResponse("/login", status_code=303)
    return _page("app.html")


@router.get("/login")
async def login_page() -> FileResponse:
    return _page("login.html")


@router.get("/signup")
async def signup_page() -> FileResponse:
    return _page("signup.html")


@router.get("/ca.pem")
async def ca_certificate(state: StateDep) -> FileResponse:
    """The local CA to trust on clients (not served when TLS is terminated elsewhere)."""
    if state.ca_path is None or not state.ca_path.exists():
        raise NotFound("this server does not use its own CA")
    return FileResponse(
        state.ca_path,
        media_type="application/x-pem-file",
        filename="minimost-ca.pem",
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: StateDep) -> Response:
    """Readiness: the database answers, and, after a write found no space left, writes
    work again (a probe write to the database and the data directory). A background
    service that failed the process makes it unready while it shuts down."""
    if state.supervisor is not None and state.supervisor.failed is not None:
        return Response(
            '{"status":"unavailable","reason":"service_failed"}',
            status_code=503,
            media_type="application/json",
        )
    if not await database_answers(state.ctx.db):
        return Response('{"status":"unavailable"}', status_code=503, media_type="application/json")
    if state.storage_full:
        try:
            await probe_storage(state.ctx)
        except StorageFull:
            return Response(
                '{"status":"unavailable","reason":"insufficient_storage"}',
                status_code=503,
                media_type="application/json",
            )
        state.storage_full = False
        log.warning("storage space is back: writes work again, ready")
    return Response('{"status":"ready"}', media_type="application/json")


@router.get("/metrics")
async def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/docs")
async def api_docs(request: Request) -> HTMLResponse:
    """API reference rendered from the OpenAPI document, with no CDN (air-gapped)."""
    return HTMLResponse(render_api_docs(request.app.openapi()))
