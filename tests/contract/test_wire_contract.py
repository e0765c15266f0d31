"""The wire contract is closed and in one place.

* every ``EventType`` has exactly one spec, whose routing paths exist on its model;
* ``minimost.wire`` imports pydantic and itself only (the domain and the web layer both
  import it; it must never pull HTTP or the database in);
* the routes' response models *are* the wire classes (not look-alikes);
* ``tests/js/fixtures/schema.json`` is what the models generate today.

That the models validate what the real actions publish is ``test_recorded_frames``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import BaseModel

import minimost.wire
from minimost.domain import events as domain_events
from minimost.web.schemas import common
from minimost.wire import models
from minimost.wire.events import SPECS, Audience, EventType, Replay
from minimost.wire.frames import EVENT_FRAMES
from tests.contract.schema import SCHEMA, build, render

WIRE = Path(minimost.wire.__file__).parent


def test_every_event_type_has_one_spec_and_a_frame() -> None:
    assert set(SPECS) == set(EventType), "add an EventSpec to minimost.wire.events.SPECS"
    assert set(EVENT_FRAMES) == set(EventType)
    assert domain_events.EventType is EventType


@pytest.mark.parametrize("event_type", list(EventType), ids=str)
def test_each_spec_routes_by_fields_its_model_has(event_type: EventType) -> None:
    spec = SPECS[event_type]
    for path in (spec.conversation_at, spec.user_at):
        model: type[BaseModel] = spec.model
        for name in path:
            assert name in model.model_fields, (event_type, path)
            annotation = model.model_fields[name].annotation
            assert annotation is not None, (event_type, path)
            model = annotation
    names_conversation = bool(spec.conversation_at)
    assert names_conversation == (
        spec.audience in (Audience.CONVERSATION, Audience.MEMBERS_AND_USER)
    ), event_type
    if spec.audience is Audience.MEMBERS_AND_USER:
        assert spec.user_at, event_type
    if spec.replay is Replay.CURRENT_VIEW:
        assert spec.model is models.MessageOut, "redaction rewrites message views only"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(WIRE.glob("*.py")), ids=lambda p: p.name)
def test_the_wire_package_imports_nothing_but_pydantic(path: Path) -> None:
    allowed = ("__future__", "pydantic", "typing", "enum", "dataclasses", "builtins")
    bad = {m for m in _imports(path) if not m.startswith(allowed)}
    assert not bad, f"{path.name} imports {bad}: the wire contract must stay dependency-free"


def test_routes_serve_the_wire_classes_themselves() -> None:
    for name in ("UserOut", "MessageOut", "ConversationOut", "FileOut", "PreviewOut"):
        assert getattr(common, name) is getattr(models, name), name


def test_the_generated_schema_is_current() -> None:
    """Regenerate with ``python -m tests.contract.schema`` (or ``scripts/gen-contract``)."""
    assert SCHEMA.read_text() == render(build()), (
        "tests/js/fixtures/schema.json is stale: run scripts/gen-contract"
    )


def test_the_send_path_builders_give_every_field() -> None:
    """``WireModel.trusted`` fills in no defaults: its callers must pass every field."""
    from datetime import UTC, datetime

    from minimost.domain.views import message_payload, user_view

    user = user_view(1, "alice", "Alice")
    message = message_payload(
        message_id=1,
        conversation_id=2,
        author=user,
        text="t",
        html="h",
        created_at=datetime.now(UTC),
    )
    for model in (user, message):
        assert model.model_fields_set == set(type(model).model_fields), type(model).__name__
        assert type(model).model_validate(model.model_dump()) == model
