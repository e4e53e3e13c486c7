"""Where the project's folders are, for an editable install or a source checkout."""

from __future__ import annotations

import os
from pathlib import Path

#: the checkout's root (the folder holding engine/, lessons/, assets/)
REPO_ROOT = Path(__file__).resolve().parent.parent
#: bundled lessons, overridable for a classroom's own library
LESSONS_DIR = Path(os.environ.get("PERIPATOS_LESSONS", REPO_ROOT / "lessons"))
#: models, textures and sounds shared by lessons
ASSETS_DIR = REPO_ROOT / "assets"
#: the committed JSON Schema of the lesson format
SCHEMA_PATH = REPO_ROOT / "schema" / "lesson.schema.json"
