"""``minimost users …``: list, inspect and administer accounts from the server's shell.

Every change goes through ``domain.actions`` (audited with actor ``cli``; events reach open
tabs at once with a ``redis://`` bus, otherwise with the running server's next event).
Exit codes: see ``cli.ops`` (0 done, 1 not found / refused, 2 usage or settings).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from .exits import REFUSED, fail
from .ops import console, operator_ctx, when
from .options import BusUrl, DatabaseUrl, DataDir, SettingsPath, settings_from

if TYPE_CHECKING:
    from minimost.config import Settings
    from minimost.domain.context import Ctx
    from minimost.domain.queries.admin import UserRow

users_app = typer.Typer(
    help="List and administer accounts (the first account created is the admin).",
    no_args_is_help=True,
)

User = Annotated[str, typer.Argument(help="The username.")]
T = TypeVar("T")


def _settings(
    data_dir: Path | None,
    settings: Path | None,
    database_url: str | None,
    bus_url: str | None = None,
) -> Settings:
    return settings_from(
        settings_path=settings, data_dir=data_dir, database_url=database_url, bus_url=bus_url
    )


def _run(settings: Settings, work: Callable[[Ctx], Awaitable[T]]) -> T:
    """Run ``work`` with a context; domain refusals become exit code 1 with one line."""
    from minimost.domain.errors import DomainError

    async def go() -> T:
        async with operator_ctx(settings) as ctx:
            return await work(ctx)

    try:
        return asyncio.run(go())
    except DomainError as exc:
        raise fail(exc.message, REFUSED) from None


@users_app.command("list")
def list_users(
    include_deleted: Annotated[
        bool, typer.Option("--all", help="Include deleted accounts.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List accounts with their role and status."""
    from rich.table import Table

    from minimost.domain.queries.admin import list_users as query

    async def work(ctx: Ctx) -> list[UserRow]:
        async with ctx.db.read() as conn:
            return await query(
                conn,
                ctx.clock.now(),
                lockout_limit=ctx.settings.max_login_attempts,
                include_deleted=include_deleted,
            )

    rows = _run(_settings(data_dir, settings, database_url), work)
    if as_json:
        for row in rows:
            typer.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "username": row.username,
                        "display_name": row.display_name,
                        "admin": row.is_admin,
                        "status": row.status,
                        "created_at": row.created_at.isoformat(),
                        "last_seen_at": row.last_seen_at.isoformat() if row.last_seen_at else None,
                    }
                )
            )
        return
    table = Table(title=f"{len(rows)} account(s)")
    for column in ("id", "username", "display name", "role", "status", "created", "last seen"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for row in rows:
        table.add_row(
            str(row.id),
            row.username,
            row.display_name,
            "admin" if row.is_admin else "member",
            row.status,
            when(row.created_at),
            when(row.last_seen_at),
        )
    console().print(table)


@users_app.command("show")
def show(
    user: User,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Everything about one account (no secrets)."""
    from rich.table import Table

    from minimost.domain.actions.accounts import normalize_username
    from minimost.domain.queries.admin import user_details

    async def work(ctx: Ctx) -> dict[str, Any] | None:
        async with ctx.db.read() as conn:
            return await user_details(
                conn,
                normalize_username(user),
                ctx.clock.now(),
                lockout_limit=ctx.settings.max_login_attempts,
            )

    details = _run(_settings(data_dir, settings, database_url), work)
    if details is None:
        raise fail(f"no such user: {normalize_username(user)}", REFUSED)
    table = Table(show_header=False, title=details["username"])
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in details.items():
        shown = when(value) if key.endswith(("_at", "_until")) else str(value)
        table.add_row(key.replace("_", " "), shown)
    console().print(table)


def _change(
    data_dir: Path | None,
    settings: Path | None,
    database_url: str | None,
    bus_url: str | None,
    work: Callable[[Ctx], Awaitable[bool]],
    done: str,
    already: str,
) -> None:
    changed = _run(_settings(data_dir, settings, database_url, bus_url), work)
    typer.echo(done if changed else already)


@users_app.command("promote")
def promote(
    user: User,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Make USER a server admin."""
    from minimost.domain.actions.admin import set_admin

    _change(
        data_dir, settings, database_url, bus_url,
        lambda ctx: set_admin(ctx, user, True),
        f"{user} is now an admin", f"{user} is already an admin",
    )  # fmt: skip


@users_app.command("demote")
def demote(
    user: User,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Take server admin away from USER (refused for the last active admin)."""
    from minimost.domain.actions.admin import set_admin

    _change(
        data_dir, settings, database_url, bus_url,
        lambda ctx: set_admin(ctx, user, False),
        f"{user} is no longer an admin", f"{user} is not an admin",
    )  # fmt: skip


@users_app.command("disable")
def disable(
    user: User,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Block USER: sessions and API tokens end, log-in answers account_disabled."""
    from minimost.domain.actions.admin import set_disabled

    _change(
        data_dir, settings, database_url, bus_url,
        lambda ctx: set_disabled(ctx, user, True),
        f"{user} is disabled; their sessions and tokens have ended", f"{user} is already disabled",
    )  # fmt: skip


@users_app.command("enable")
def enable(
    user: User,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Let a disabled USER sign in again."""
    from minimost.domain.actions.admin import set_disabled

    _change(
        data_dir, settings, database_url, bus_url,
        lambda ctx: set_disabled(ctx, user, False),
        f"{user} can sign in again", f"{user} is not disabled",
    )  # fmt: skip


@users_app.command("unlock")
def unlock(
    user: User,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Lift USER's lockout after too many wrong passwords (every browser may try again)."""
    from minimost.domain.actions.admin import unlock as lift

    _change(
        data_dir, settings, database_url, None,
        lambda ctx: lift(ctx, user),
        f"{user} is unlocked", f"{user} is not locked",
    )  # fmt: skip


async def _delete(ctx: Ctx, user: str, hard: bool) -> dict[str, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from minimost.domain.actions.account_deletion import remove_account
    from minimost.domain.actions.admin import CLI_ACTOR, check_deletable
    from minimost.domain.queries.admin import count_messages_by

    user_id = await check_deletable(ctx, user)
    async with ctx.db.read() as conn:
        total = await count_messages_by(conn, user_id) if hard else 0
    if not hard or total == 0:
        return await remove_account(ctx, user_id, "hard" if hard else "soft", by=CLI_ACTOR)
    # The purge deletes in chunks; a bar follows the remaining count.
    with Progress(
        TextColumn("deleting messages"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("purge", total=total)
        work = asyncio.create_task(remove_account(ctx, user_id, "hard", by=CLI_ACTOR))
        while not work.done():
            await asyncio.wait({work}, timeout=0.2)
            async with ctx.db.read() as conn:
                left = await count_messages_by(conn, user_id)
            progress.update(task, completed=total - left)
        return await work


@users_app.command("delete")
def delete_user(
    user: User,
    hard: Annotated[
        bool,
        typer.Option("--hard", help="Also delete every message USER posted (default: keep them)."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    data_dir: DataDir = None,
    settings: SettingsPath = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Delete USER's account (soft: messages stay as "Deleted User"; --hard: they go too)."""
    what = "account and every message they posted" if hard else "account (messages stay)"
    if not yes and not typer.confirm(f"Delete {user}'s {what}?", default=False):
        raise fail("not deleted", REFUSED)
    result = _run(
        _settings(data_dir, settings, database_url, bus_url), lambda ctx: _delete(ctx, user, hard)
    )
    purged = result.get("purged_messages", 0)
    suffix = f"; {purged} message(s) deleted" if hard else ""
    typer.echo(f"{user} deleted (now {result['username']}){suffix}")
