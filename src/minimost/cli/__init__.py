"""``minimost`` command line. With no subcommand it serves (``minimost --host 0.0.0.0``).

This is the one place the Typer app is built: every command and sub-app is registered here,
explicitly. The command modules never import this one back, and import what is heavy (the
web app, SQLAlchemy, uvicorn) inside their commands, so ``minimost --help`` loads little
(``tests/cli/test_cli_imports.py``, ``tests/test_layering.py``)."""

from __future__ import annotations

import typer

from . import audit, backup, database, reset_password, serve, users

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="MiniMost: self-hosted team chat. Run without a command to serve.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
# In the order ``--help`` lists them (commands, then command groups).
app.callback(invoke_without_command=True)(serve.serve_by_default)
app.command("serve")(serve.serve)
app.command("audit")(audit.audit)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("reset-password")(reset_password.reset_password)
app.add_typer(database.db_app, name="db")
app.add_typer(users.users_app, name="users")


def main() -> None:
    app(prog_name="minimost")


if __name__ == "__main__":  # pragma: no cover
    main()
