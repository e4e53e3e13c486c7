"""Class rosters from CSV: ``id,name`` per learner, with per-line errors."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

MAX_LEARNERS = 500
ID_MAX = 64
NAME_MAX = 100


@dataclass(frozen=True)
class RosterEntry:
    """One learner from a roster."""

    external_id: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class RosterResult:
    """What a roster file held: learners to add and problems, by line."""

    entries: list[RosterEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_roster(text: str) -> RosterResult:
    """Read a roster CSV.

    The first line is a header naming the columns ``id`` and ``name`` (any order, case
    ignored) and optionally ``settings`` (a JSON object of comfort/accessibility settings).
    A line with a problem is reported as ``line N: ...`` and skipped; the rest still count.

    Args:
        text: The file's text.

    Returns:
        The entries and the errors.
    """
    out = RosterResult()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        out.errors.append("line 1: the file is empty; expected a header 'id,name'")
        return out
    header = [h.strip().lower() for h in rows[0]]
    if "id" not in header or "name" not in header:
        out.errors.append(f"line 1: the header must name columns 'id' and 'name', got {rows[0]}")
        return out
    col_id, col_name = header.index("id"), header.index("name")
    col_settings = header.index("settings") if "settings" in header else None
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            out.errors.append(f"line {number}: expected {len(header)} columns, got {len(row)}")
            continue
        ext_id, name = row[col_id].strip(), row[col_name].strip()
        if not ext_id:
            out.errors.append(f"line {number}: the id is empty")
            continue
        if len(ext_id) > ID_MAX or not ext_id.isprintable():
            out.errors.append(f"line {number}: the id must be 1 to {ID_MAX} printable characters")
            continue
        if not name or len(name) > NAME_MAX:
            out.errors.append(f"line {number}: the name must be 1 to {NAME_MAX} characters")
            continue
        if ext_id in seen:
            out.errors.append(f"line {number}: id {ext_id!r} is already on line {seen[ext_id]}")
            continue
        settings: dict[str, Any] = {}
        if col_settings is not None and row[col_settings].strip():
            try:
                value = json.loads(row[col_settings])
            except ValueError:
                out.errors.append(f"line {number}: settings are not valid JSON")
                continue
            if not isinstance(value, dict):
                out.errors.append(f"line {number}: settings must be a JSON object")
                continue
            settings = value
        seen[ext_id] = number
        out.entries.append(RosterEntry(ext_id, name, settings))
        if len(out.entries) > MAX_LEARNERS:
            out.errors.append(f"line {number}: a roster holds at most {MAX_LEARNERS} learners")
            out.entries.pop()
            break
    return out
