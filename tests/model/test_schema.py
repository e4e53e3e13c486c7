"""The committed JSON Schema is the one the models generate, and it describes the format."""

from __future__ import annotations

import json
from pathlib import Path

from engine.model.lesson import Lesson
from engine.model.schema import SCHEMA_DIALECT, lesson_json_schema, schema_text, write_schema
from engine.paths import SCHEMA_PATH


def test_committed_schema_is_up_to_date() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(committed) == lesson_json_schema(), (
        "schema/lesson.schema.json is stale: run 'python -m engine.model.schema'"
    )
    assert committed == schema_text()


def test_schema_identifies_itself() -> None:
    schema = lesson_json_schema()
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"].startswith("https://")
    assert schema["required"] == ["metadata", "steps"]


def test_schema_uses_yaml_keys_and_forbids_unknown_ones() -> None:
    schema = lesson_json_schema()
    entity = schema["$defs"]["Entity"]
    assert "balance" in entity["properties"] and "scale_meter" not in entity["properties"]
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition.get("additionalProperties") is False, name
    assert schema["additionalProperties"] is False


def test_quantities_accept_numbers_or_strings_with_units() -> None:
    radius = lesson_json_schema()["$defs"]["Geometry"]["properties"]["radius"]
    assert {b["type"] for b in radius["anyOf"]} == {"number", "string"}


def test_write_schema_writes_the_same_text(tmp_path: Path) -> None:
    target = write_schema(tmp_path / "out" / "lesson.schema.json")
    assert target.read_text(encoding="utf-8") == schema_text()
    assert (
        Lesson.model_json_schema(by_alias=True)["$defs"].keys()
        == json.loads(target.read_text(encoding="utf-8"))["$defs"].keys()
    )
