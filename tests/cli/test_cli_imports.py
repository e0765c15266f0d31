"""The command line loads light: ``minimost --help`` (which imports ``minimost.cli`` and so
every command module) pulls in neither the web app nor the database or server stacks; those
are imported inside the command that needs them. Each check runs in a fresh interpreter,
where ``sys.modules`` shows exactly what an import brought in."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import minimost.cli

NEVER = ("minimost.app", "minimost.web", "fastapi", "starlette")
# What ``minimost --help`` must not wait for (the commands import these when they run).
HEAVY = (
    *NEVER,
    "sqlalchemy",
    "uvicorn",
    "pydantic",
    "minimost.config",
    "minimost.db",
    "minimost.domain.actions",
    "minimost.domain.context",
    "minimost.realtime",
)


def loaded_after(statement: str, watched: tuple[str, ...]) -> list[str]:
    probe = (
        f"import json, sys; {statement}; "
        f"print(json.dumps(sorted(n for n in {list(watched)!r} if n in sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    found: list[str] = json.loads(proc.stdout)
    return found


def cli_modules() -> list[str]:
    return [info.name for info in pkgutil.iter_modules(minimost.cli.__path__, "minimost.cli.")]


def test_the_command_line_app_loads_nothing_heavy() -> None:
    assert loaded_after("import minimost.cli", HEAVY) == []


@pytest.mark.parametrize("module", cli_modules())
def test_no_cli_module_imports_the_web_app(module: str) -> None:
    assert loaded_after(f"import {module}", NEVER) == []
