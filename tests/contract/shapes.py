"""The shape of recorded JSON: what the committed fixture is compared by.

Values change from run to run (ids on PostgreSQL, timestamps, who is online at the hello);
the shape must not: which keys each object has and what type each value is. An object whose
keys are all ids (presence maps) is a map: its values' shapes count, not its keys. An empty
list or map matches any list or map.
"""

from __future__ import annotations

import re
from typing import Any

Shape = Any  # nested dict / list / type name: JSON itself, so it diffs readably

_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def shape(value: object) -> Shape:
    if isinstance(value, dict):
        if value and all(isinstance(k, str) and k.isdigit() for k in value):
            return {"<id>": _merged([shape(v) for v in value.values()])}
        if not value:
            return {}
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_merged([shape(item) for item in value])] if value else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "timestamp" if _ISO.fullmatch(value) else "str"
    return type(value).__name__


def _merged(shapes: list[Shape]) -> Shape:
    distinct: list[Shape] = []
    for item in shapes:
        if item not in distinct:
            distinct.append(item)
    return distinct[0] if len(distinct) == 1 else {"<any of>": distinct}


def differences(expected: Shape, got: Shape, path: str = "$") -> list[str]:
    """Where ``got`` differs in shape from ``expected`` (empty: the same)."""
    empty = expected in ([], {}) or got in ([], {})
    if empty and (isinstance(expected, type(got)) or isinstance(got, type(expected))):
        return []
    if isinstance(expected, dict) and isinstance(got, dict) and "<any of>" in expected:
        left, right = expected["<any of>"], got.get("<any of>", [got])
        if len(left) != len(right):
            return [f"{path}: {len(left)} kinds of item became {len(right)}"]
        return [
            p
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for p in differences(a, b, f"{path}|{i}")
        ]
    if isinstance(expected, dict) and isinstance(got, dict):
        found = [f"{path}.{k}: missing" for k in expected if k not in got]
        found += [f"{path}.{k}: unexpected" for k in got if k not in expected]
        for key in expected.keys() & got.keys():
            found += differences(expected[key], got[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(got, list):
        return differences(expected[0], got[0], f"{path}[]")
    return [] if expected == got else [f"{path}: {expected} became {got}"]


def normalized(value: Any, stamps: dict[str, str]) -> Any:
    """``value`` with every timestamp replaced by a stable one (same in, same out, in order
    of first appearance), so a fresh recording diffs only where something really changed."""
    if isinstance(value, dict):
        return {key: normalized(item, stamps) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item, stamps) for item in value]
    if isinstance(value, str) and _ISO.fullmatch(value):
        if value not in stamps:
            stamps[value] = f"2025-01-01T12:{len(stamps) // 60:02d}:{len(stamps) % 60:02d}.000Z"
        return stamps[value]
    return value
