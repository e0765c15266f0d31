"""An admin command run beside a server on the in-process bus cannot publish to that
server's bus; the server still acts on what the command wrote, within seconds."""

from __future__ import annotations

from collections.abc import Callable

from minimost.config import Settings
from tests.cli.test_users_cli import invoke
from tests.live import LiveUsers, closed, hello, serve_app


async def test_disabling_from_the_cli_closes_the_users_open_sockets(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory()
    assert settings.bus_url.startswith("memory://")
    async with serve_app(settings) as live:
        people = LiveUsers(live.url)
        try:
            await people("alice")  # the admin
            bob = await people("bob")
            async with bob.connect() as ws:
                await hello(ws)
                result = await invoke(settings, "users", "disable", "bob")
                assert result.exit_code == 0, result.output
                # The server polls the newest event id every 2 s and delivers the CLI's
                # session.ended from the database: bob's socket is signed out.
                gone = await closed(ws)
                assert gone.code == 4401
        finally:
            await people.aclose()
