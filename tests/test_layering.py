"""Architecture rules, checked on the import graph and the source (conventions.md §3):

* the domain speaks no transport: nothing in ``domain/`` imports ``web``, ``realtime``,
  FastAPI, Starlette or any other HTTP library;
* nothing in ``web/`` (routes, schemas, deps, middleware, uploads, ws — every module) and
  nothing in ``realtime/`` touches SQLAlchemy or ``minimost.db``;
* only ``domain/actions`` (plus the event log and audit helpers they call, and ``db/``
  itself) write: an ``insert``/``update``/``delete`` statement in any form (``sa.update``,
  ``sqlalchemy.delete``, ``text("UPDATE …")``, raw SQL strings given to ``execute``) elsewhere
  fails;
* no module over 800 lines, no inline script in templates.

Imports are resolved fully: ``from ..web import x`` inside ``domain/`` counts as
``minimost.web``, and parenthesised or multi-line import lists are read by the parser.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "minimost"
HTTP_LIBS = ("fastapi", "starlette", "httpx", "h11", "uvicorn", "websockets", "multipart")
DATABASE = ("sqlalchemy", "minimost.db", "asyncpg", "aiosqlite", "sqlite3")
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|TRUNCATE)\b", re.IGNORECASE)


def module_name(path: Path) -> str:
    parts = ["minimost", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved to absolute names; for
    ``from X import y`` both ``X`` and ``X.y`` (``y`` may be a submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(path, node)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _hits(names: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)}


def modules(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


def _id(path: Path) -> str:
    return str(path.relative_to(PKG))


@pytest.mark.parametrize("path", modules("domain"), ids=_id)
def test_domain_does_not_import_transport(path: Path) -> None:
    bad = _hits(imports_of(path), ("minimost.web", "minimost.realtime", *HTTP_LIBS))
    assert not bad, f"{_id(path)} imports {bad}"


@pytest.mark.parametrize("path", [*modules("web"), *modules("realtime")], ids=_id)
def test_web_and_realtime_never_touch_the_database(path: Path) -> None:
    bad = _hits(imports_of(path), DATABASE)
    assert not bad, f"{_id(path)} imports {bad}"


def _writes(path: Path) -> list[str]:
    """The write statements in ``path``: calls of ``insert``/``update``/``delete`` however
    they are reached (a bare name imported from SQLAlchemy, ``sa.update``,
    ``sqlalchemy.delete``, ``table.insert()``), and SQL strings that begin with a write verb."""
    tree = ast.parse(path.read_text())
    sqlalchemy_names: set[str] = set()  # local names bound to sqlalchemy or its functions
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    sqlalchemy_names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            sqlalchemy_names.update(alias.asname or alias.name for alias in node.names)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in sqlalchemy_names:
                if func.id in {"insert", "update", "delete"} or "insert" in func.id.lower():
                    found.append(f"{func.id}() line {node.lineno}")
            elif isinstance(func, ast.Attribute) and func.attr in {"insert", "update", "delete"}:
                root = func.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                # sa.update(T), sqlalchemy.delete(T); or table.insert() / Model.__table__
                # .delete() (no argument: dict.update(x), hash.update(b), list.insert(i, x)
                # always take one).
                if (isinstance(root, ast.Name) and root.id in sqlalchemy_names) or not (
                    node.args or node.keywords
                ):
                    found.append(f".{func.attr}() line {node.lineno}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and WRITE_SQL.match(node.value)
            and re.search(r"\b(INTO|SET|FROM)\b", node.value, re.IGNORECASE)
        ):
            found.append(f"SQL string line {node.lineno}")
    return found


def test_only_actions_write() -> None:
    allowed = ("domain/actions/", "db/")
    allowed_files = {"domain/events.py", "domain/audit.py"}
    writers = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        if rel.startswith(allowed) or rel in allowed_files:
            continue
        if found := _writes(path):
            writers[rel] = found
    assert writers == {}


def test_the_write_detector_sees_every_form(tmp_path: Path) -> None:
    """The detector itself: each form of a write is caught, look-alikes are not."""
    cases = {
        "from sqlalchemy import update\nupdate(T)": True,
        "from sqlalchemy import (\n    select,\n    delete,\n)\ndelete(T)": True,
        "import sqlalchemy as sa\nsa.update(T)": True,
        "import sqlalchemy\nsqlalchemy.delete(T)": True,
        "from sqlalchemy import text\ntext('UPDATE users SET x = 1')": True,
        "q = '''\n  insert into events (id) values (1)'''": True,
        "from sqlalchemy.dialects.postgresql import insert as pg_insert\npg_insert(T)": True,
        "d = {}\nd.update({'a': 1})": False,
        "s = set()\ns.update([1])": False,
        "print('update the page')": False,
        "h = hashlib.sha256()\nh.update(b'x')": False,
        "table.delete()": True,
        "self.table.insert()": True,
    }
    for source, writes in cases.items():
        path = tmp_path / "m.py"
        path.write_text(source)
        assert bool(_writes(path)) is writes, source


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    path = PKG / "domain" / "actions" / "messages.py"
    tree = ast.parse("from ...web import errors\nfrom ..access import x\nfrom . import y")
    names = {_resolve(path, n) for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert names == {"minimost.web", "minimost.domain.access", "minimost.domain.actions"}


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


def test_the_command_line_has_no_import_cycle() -> None:
    """``cli/__init__.py`` is the one place that builds the Typer app and registers every
    command and sub-app; no command module imports it back (lazily or not), and the
    modules of ``cli/`` import each other without a cycle."""
    cli = {module_name(path): path for path in modules("cli")}

    def targets(path: Path) -> set[str]:
        # ``from . import preflight`` imports the submodule, not a name of the package.
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(path, node)
                subs = {f"{base}.{alias.name}" for alias in node.names} & cli.keys()
                found.update(subs)
                if len(subs) < len(node.names):
                    found.add(base)
        return found & cli.keys()

    edges = {name: targets(path) - {name} for name, path in cli.items()}
    back = sorted(name for name, targets in edges.items() if "minimost.cli" in targets)
    assert back == [], f"these import minimost.cli (the app) back: {back}"

    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join([*path, name])}"
        if name in done:
            return
        for target in sorted(edges[name]):
            visit(target, (*path, name))
        done.add(name)

    for name in sorted(cli):
        visit(name, ())
