"""Exit codes of every ``minimost`` command, in one place (documented in docs/admin.md and
docs/operations.md; scripts and service managers may rely on them).

Something the operator can fix (a missing database, a port in use) is said in ONE line on
stderr, ``minimost: error: ...``, never with a traceback.
"""

from __future__ import annotations

import typer

OK = 0  # done (also when there was nothing to change)
REFUSED = 1  # not found or refused: no such user, last admin, server still running, bad backup
USAGE = 2  # usage error or bad settings (Typer's own code for a bad option, too)
# 3 is uvicorn's "application start-up failed": anything the checks below did not foresee.
DATABASE = 4  # the database cannot be reached or opened
BUS = 5  # the redis:// bus cannot be reached
LISTEN = 6  # cannot listen on --host/--port (in use, not an address of this machine, < 1024)
STORAGE = 7  # a directory or file cannot be used: --data-dir missing, backup target unwritable
SERVICE = 8  # (serve) a background service crashed under its "fail the process" policy


def fail(message: str, code: int = USAGE) -> typer.Exit:
    """Print the one line now; ``raise`` the result to exit with ``code``."""
    typer.echo(f"minimost: error: {message}", err=True)
    return typer.Exit(code)
