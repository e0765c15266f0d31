"""/api/v1/openapi.json describes what the server really does: ids are 64-bit integers,
``display_name`` has the server's length limit, and how to authenticate is declared (a
session cookie plus the CSRF header on unsafe methods, or a bearer token)."""

from __future__ import annotations

from typing import Any

import pytest

from minimost.domain.actions.profile import MAX_DISPLAY_NAME
from tests.web.helpers import API
from tests.web.test_errors import CONTRACTS

UNSAFE = {"post", "put", "patch", "delete"}
# Not an id of ours: a string the client picks to recognise its own message's echo.
CLIENT_CHOSEN = {"client_id"}


@pytest.fixture
async def spec(client: Any) -> dict[str, Any]:
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def id_schemas(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property named ``id``/``*_id``/``*_ids`` in the document, with its schema."""
    found = []
    if isinstance(node, dict):
        for name, schema in node.get("properties", {}).items():
            if name == "id" or name.endswith(("_id", "_ids")):
                found.append((f"{where}.{name}", schema))
        for key, value in node.items():
            found += id_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += id_schemas(value, f"{where}[{index}]")
    return found


def integer_or_null(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    kinds = {option.get("type") for option in options}
    if "array" in kinds:
        return all(integer_or_null(option.get("items", {})) for option in options)
    return kinds <= {"integer", "null"} and "integer" in kinds


async def test_ids_are_64_bit_integers(spec: dict[str, Any]) -> None:
    params = [
        (f"{method.upper()} {path}", param)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for param in operation.get("parameters", [])
        if param["in"] == "path" and param["name"].endswith("_id")
    ]
    assert len(params) > 20
    for where, param in params:
        schema = param["schema"]
        assert schema["type"] == "integer", where
        assert schema.get("format") == "int64", where
        assert schema["minimum"] == 1 and schema["maximum"] == 2**63 - 1, where
    properties = [
        (where, schema)
        for where, schema in id_schemas(spec["components"]["schemas"])
        if where.rsplit(".", 1)[-1] not in CLIENT_CHOSEN
    ]
    assert properties
    for where, schema in properties:
        assert integer_or_null(schema), (where, schema)


async def test_display_name_max_length_is_the_servers(spec: dict[str, Any], users: Any) -> None:
    lengths = {
        name: schema["properties"]["display_name"]
        for name, schema in spec["components"]["schemas"].items()
        if "display_name" in schema.get("properties", {}) and name.endswith("In")
    }
    assert set(lengths) >= {"SignupIn", "ProfileIn"}
    for name, schema in lengths.items():
        options = schema.get("anyOf", [schema])
        limits = {o.get("maxLength") for o in options if o.get("type") == "string"}
        assert limits == {MAX_DISPLAY_NAME}, (name, schema)
    alice = await users("alice")
    longest = await alice.patch(f"{API}/me", json={"display_name": "x" * MAX_DISPLAY_NAME})
    assert longest.status_code == 200, longest.text
    over = await alice.patch(f"{API}/me", json={"display_name": "x" * (MAX_DISPLAY_NAME + 1)})
    assert over.status_code == 422, over.text


async def test_security_schemes_are_declared(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {
        "type": "apiKey", "in": "cookie", "name": "minimost_session",
        "description": schemes["session"]["description"],
    }  # fmt: skip
    assert schemes["csrf"]["type"] == "apiKey" and schemes["csrf"]["in"] == "header"
    assert schemes["csrf"]["name"] == "X-CSRF-Token"
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            contract = CONTRACTS.get((method.upper(), path))
            if contract is None:
                continue
            checked += 1
            where = f"{method.upper()} {path}"
            if not contract.auth:
                assert "security" not in operation, where
                continue
            session: dict[str, list[str]] = (
                {"session": [], "csrf": []} if method in UNSAFE else {"session": []}
            )
            assert operation["security"] == [session, {"bearer": []}], where
    assert checked > 30
