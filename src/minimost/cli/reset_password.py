"""``minimost reset-password USER``: a one-time password reset link, made on the server.

Exit codes (``cli.exits``): 0 link printed, 1 no such user (or too many resets: the
``password_reset`` rate limit), 2 bad arguments or settings, 4/5 database/bus unreachable,
7 no data directory. The link is the last line of the output, alone,
so scripts can take it with ``tail -n 1``. The person also gets a notice in their DM with
the server ("minimost"): at once with a ``redis://`` bus, otherwise when the running server
next delivers anything (it reads the event log).
"""

from __future__ import annotations

import asyncio
import socket
from ipaddress import ip_address
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from minimost.domain.tokens import MAX_RESET_MINUTES

from .exits import fail
from .options import BusUrl, DatabaseUrl, DataDir, SettingsPath, settings_from

if TYPE_CHECKING:
    from minimost.config import Settings
    from minimost.domain.actions.credentials import ResetLink
    from minimost.domain.events import Published

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104  # nosec B104  # recognising, not binding


def default_base_url(settings: Settings) -> str:
    """Where this server's users reach it: ``https://<host>:<port>`` as the last ``minimost
    serve`` on this data directory listened (its flags need not be in our settings), else
    as the settings say; a wildcard bind address becomes the machine's hostname."""
    from minimost.datadir import last_server_address

    scheme, host, port = last_server_address(settings.data_dir) or (
        "https" if settings.tls else "http",
        settings.host,
        settings.port,
    )
    if host in WILDCARDS:
        host = socket.gethostname()
    try:
        if ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a name
    return f"{scheme}://{host}:{port}"


def reset_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/reset-password/{token}"


class _Discard:
    """Without a shared bus there is nobody to tell live: the events are in the log, and
    the running server delivers them from there."""

    async def publish(self, event: Published) -> None:
        return None


async def _create(settings: Settings, username: str, expires: int) -> ResetLink:
    from minimost.app import build_ctx
    from minimost.datadir import prepare_data_dir
    from minimost.db.engine import Database
    from minimost.db.migrate import upgrade
    from minimost.domain.actions.credentials import create_password_reset
    from minimost.ratelimit import RateLimiter
    from minimost.realtime.bus.base import bus_from_url
    from minimost.realtime.publisher import BusPublisher

    from .preflight import check_bus, check_database

    prepare_data_dir(settings.data_dir)
    await check_database(settings.db_url)
    await check_bus(settings.bus_url)
    db = Database(settings.db_url)
    bus = None if settings.bus_url.startswith("memory://") else bus_from_url(settings.bus_url)
    try:
        await upgrade(db)
        if bus is not None:
            await bus.connect()
        ctx = build_ctx(settings, db, BusPublisher(bus) if bus is not None else _Discard())
        # Counted per target (with a redis:// bus, across every run and node): a loop of
        # resets must not bury someone in notices.
        await RateLimiter(settings).hit("password_reset", f"cli:{username.strip().lower()}")
        return await create_password_reset(ctx, username, expires_minutes=expires)
    finally:
        if bus is not None:
            await bus.disconnect()
        await db.dispose()


def reset_password(
    user: Annotated[str, typer.Argument(help="The username whose password to reset.")],
    expires: Annotated[
        int,
        typer.Option(
            "--expires", min=1, max=MAX_RESET_MINUTES, help="Minutes the link works (default 60)."
        ),
    ] = 60,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Address users open MiniMost at (default: where the server last listened).",
        ),
    ] = None,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Print a one-time link that lets USER set a new password, and notify them in the app."""
    from minimost.domain.errors import NotFound, RateLimited

    resolved = settings_from(
        settings_path=settings, data_dir=data_dir, database_url=database_url, bus_url=bus_url
    )
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise fail(f"--base-url must look like https://chat.example.com (got {base_url!r})")
    base = base_url or default_base_url(resolved)
    try:
        link = asyncio.run(_create(resolved, user, expires))
    except NotFound as exc:
        raise fail(exc.message, 1) from None
    except RateLimited as exc:
        raise fail(exc.message, 1) from None
    until = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    typer.echo(
        f"Password reset link for {link.username}: works once, for {expires} minute(s) "
        f"(until {until}). {link.username} was sent a notice in MiniMost. Share the link "
        "privately:"
    )
    typer.echo(reset_url(base, link.token))
