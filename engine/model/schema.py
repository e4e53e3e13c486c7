"""The JSON Schema of the lesson format, for editor completion and validation of YAML files.

Generated from the pydantic models, so it cannot drift from what the loader accepts; the
committed copy is ``schema/lesson.schema.json`` (regenerate it with
``python -m engine.model.schema`` after changing a model, a test checks they agree).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from engine.model.lesson import FORMAT_VERSION, Lesson
from engine.paths import SCHEMA_PATH

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"https://peripatos.org/schema/lesson-v{FORMAT_VERSION}.schema.json"


def lesson_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a ``lesson.yaml`` file, with YAML keys (aliases)."""
    body = Lesson.model_json_schema(by_alias=True)
    body.pop("title", None)
    body.pop("description", None)
    # the identifying keys first, so the committed file reads well from the top
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "Peripatos lesson",
        "description": (
            f"A Peripatos lesson file, format {FORMAT_VERSION}: metadata, environment, lights, "
            "entities (each a bag of components), questions, difficulty knobs and the ordered "
            "steps. Quantities take units, e.g. '0.5 m', '30 deg', '25 mL'."
        ),
        **body,
    }


def schema_text() -> str:
    """The schema as the committed file holds it (stable key order, trailing newline)."""
    return json.dumps(lesson_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | Path = SCHEMA_PATH) -> Path:
    """Write the schema to ``path`` (default: the committed ``schema/lesson.schema.json``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(schema_text(), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> None:
    """``python -m engine.model.schema [PATH]``: regenerate the committed schema."""
    args = sys.argv[1:] if argv is None else argv
    print(write_schema(args[0]) if args else write_schema())


if __name__ == "__main__":
    main()
