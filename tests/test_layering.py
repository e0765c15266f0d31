"""Architecture rules, checked on the import graph (conventions.md §3):
domain must not import web or realtime; routes must not touch SQLAlchemy; only
domain/actions (and bootstrap code) may write."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "minimost"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: str(p.relative_to(PKG)))
def test_domain_does_not_import_transport(path: Path) -> None:
    bad = {
        m
        for m in imports_of(path)
        if m.startswith(("minimost.web", "minimost.realtime", "fastapi", "starlette"))
    }
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", modules("web/routes"), ids=lambda p: p.name)
def test_routes_do_not_touch_the_database(path: Path) -> None:
    bad = {m for m in imports_of(path) if m.startswith(("sqlalchemy", "minimost.db"))}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", modules("realtime"), ids=lambda p: str(p.relative_to(PKG)))
def test_realtime_never_touches_the_database(path: Path) -> None:
    bad = {m for m in imports_of(path) if m.startswith(("sqlalchemy", "minimost.db"))}
    assert not bad, f"{path.name} imports {bad}"


def test_only_actions_write() -> None:
    writers = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        if rel.startswith(("domain/actions/", "db/")) or rel in {
            "domain/events.py",
            "domain/audit.py",
        }:
            continue
        source = path.read_text()
        if (
            any(f"{verb}(" in source for verb in ("insert", "update", "delete"))
            and "from sqlalchemy import" in source
        ):
            names = imports_of(path)
            text = source.split("from sqlalchemy import", 1)[1].split("\n", 1)[0]
            if any(v in text for v in ("insert", "update", "delete")) and "sqlalchemy" in names:
                writers.append(rel)
    assert writers == []


def test_no_module_over_800_lines() -> None:
    long = [p.name for p in PKG.rglob("*.py") if len(p.read_text().splitlines()) > 800]
    assert long == []


def test_templates_have_no_inline_script() -> None:
    for template in (PKG / "templates").glob("*.html"):
        html = template.read_text()
        for chunk in html.split("<script")[1:]:
            tag, _, rest = chunk.partition(">")
            assert "src=" in tag, f"{template.name}: inline <script>"
            assert rest.lstrip().startswith("</script>"), f"{template.name}: script body"
        # No inline event handlers either: CSP forbids them and they would hide behaviour.
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html, re.IGNORECASE), template.name
