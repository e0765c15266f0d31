"""The OpenAPI document's security section, and the document as a plain HTML page (no
JavaScript, no CDN)."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import FastAPI

UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
# "session" itself comes from deps.SESSION_SCHEME (FastAPI marks every operation that
# needs a signed-in actor with it); these complete the picture.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "With the session cookie, on every unsafe method: the csrf_token "
        "returned by log-in and sign-up (and GET /api/v1/me). Not needed with a bearer token.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal access token from POST /api/v1/tokens, sent as "
        "`Authorization: Bearer <token>`.",
    },
}


def describe_security(spec: dict[str, Any]) -> dict[str, Any]:
    """Declare the schemes and say, per operation, which combinations authenticate it: the
    session cookie (plus the CSRF header on unsafe methods) or a bearer token. OpenAPI
    lists alternatives; schemes inside one alternative are all required. Idempotent."""
    components = spec.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            if not any("session" in option for option in operation.get("security", [])):
                continue
            session: dict[str, list[str]] = {"session": []}
            if method in UNSAFE_METHODS:
                session["csrf"] = []
            operation["security"] = [session, {"bearer": []}]
    return spec


def install(app: FastAPI) -> None:
    """``app.openapi()`` (and /api/v1/openapi.json) with the security section complete."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return describe_security(generate())  # FastAPI caches the generated document

    app.openapi = openapi  # type: ignore[method-assign]


def _schema_ref(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_schema_ref(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " | ".join(_schema_ref(s) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [
        f'<section class="op"><h3><span class="m">{method.upper()}</span> '
        f"<code>{html.escape(path)}</code></h3>"
    ]
    if op.get("description") or op.get("summary"):
        parts.append(f"<p>{html.escape(op.get('description') or op.get('summary', ''))}</p>")
    params = op.get("parameters", [])
    if params:
        parts.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>")
        for p in params:
            parts.append(
                f"<tr><td>{html.escape(p['name'])}</td><td>{p['in']}</td>"
                f"<td>{html.escape(_schema_ref(p.get('schema', {})))}</td>"
                f"<td>{'yes' if p.get('required') else 'no'}</td></tr>"
            )
        parts.append("</table>")
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        parts.append(f"<p>Body: <code>{html.escape(_schema_ref(body['schema']))}</code></p>")
    codes = ", ".join(sorted(op.get("responses", {})))
    parts.append(f"<p>Responses: {html.escape(codes)}</p></section>")
    return "".join(parts)


def render_api_docs(spec: dict[str, Any]) -> str:
    ops = [
        _operation(method, path, op)
        for path, methods in spec.get("paths", {}).items()
        for method, op in methods.items()
    ]
    schemas = spec.get("components", {}).get("schemas", {})
    schema_html = "".join(
        f'<section id="{html.escape(name)}"><h3>{html.escape(name)}</h3>'
        f"<pre>{html.escape(json.dumps(s.get('properties', s), indent=2))}</pre></section>"
        for name, s in schemas.items()
    )
    title = html.escape(spec.get("info", {}).get("title", "API"))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title} reference</title>"
        '<link rel="stylesheet" href="/static/css/apidocs.css"></head><body>'
        f"<h1>{title}</h1><p>Machine-readable: <a href=/api/v1/openapi.json>openapi.json</a>. "
        'Errors are <code>{"error": {"code", "message"}}</code>.</p>'
        f"<h2>Endpoints</h2>{''.join(ops)}<h2>Schemas</h2>{schema_html}</body></html>"
    )
