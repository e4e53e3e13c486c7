"""Where a station keeps its things, and how it writes small JSON files safely.

Each station has its own data folder (several may run on one PC, one per ``--name``):
credentials, progress, the outbox, the session log and installed lessons all live there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def default_data_dir(name: str) -> Path:
    """``$XDG_DATA_HOME/peripatos/stations/<name>``, the name made safe for a folder."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip(".") or "_"
    return Path(base) / "peripatos" / "stations" / safe


@dataclass(frozen=True)
class StationPaths:
    """The layout of one station's data folder."""

    root: Path

    @property
    def credentials(self) -> Path:
        """The console URL and token (readable by the owner only)."""
        return self.root / "credentials.json"

    @property
    def progress(self) -> Path:
        """The last command run and the lesson running."""
        return self.root / "progress.json"

    @property
    def outbox(self) -> Path:
        """Statements not yet delivered (SQLite)."""
        return self.root / "outbox.sqlite"

    @property
    def sessions(self) -> Path:
        """The engine's session log (SQLite); adaptivity's learners.sqlite sits beside it."""
        return self.root / "sessions.sqlite"

    @property
    def lessons(self) -> Path:
        """Lessons installed from the console's packs."""
        return self.root / "lessons"

    @property
    def packs(self) -> Path:
        """Downloaded packs, kept to know what is installed."""
        return self.root / "packs"

    def create(self) -> None:
        """Make the folder (private: it holds a token and learners' records)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)


def write_json(path: Path, data: Any, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically and durably (a crash leaves the old or the new
    file, never half of one). ``private`` makes it readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    # the rename itself is durable only once the folder is synced
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
