"""A learner's desktop settings (mouse sensitivity, invert Y, text size), saved per learner.

Stored as JSON in ``$XDG_CONFIG_HOME/peripatos/learners/<learner>.json``; values read back are
clamped and type-checked, so a hand-edited or damaged file gives defaults, never a crash.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

SENSITIVITY_RANGE = (0.02, 0.5)
TEXT_SCALE_RANGE = (0.8, 2.0)


def read_settings(path: Path) -> dict[str, object] | None:
    """A settings file's JSON object; None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_settings(path: Path, values: dict[str, object]) -> None:
    """Write a settings file atomically: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(values, indent=2), encoding="utf-8")
    partial.replace(path)


def clamped_number(value: object, default: float, bounds: tuple[float, float]) -> float:
    """``value`` clamped to ``bounds`` if it is a real number, else ``default``."""
    # bool is an int to Python, but never a sensible slider value
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return default
    return min(max(float(value), bounds[0]), bounds[1])


@dataclass
class DesktopSettings:
    """A learner's desktop settings, saved between sessions.

    Attributes:
        mouse_sensitivity: degrees of turn per pixel of mouse motion.
        invert_y: moving the mouse forward looks down.
        text_scale: multiplies every overlay text size.
    """

    mouse_sensitivity: float = 0.12
    invert_y: bool = False
    text_scale: float = 1.0

    @staticmethod
    def path(learner: str) -> Path:
        """Where a learner's settings live."""
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in learner)
        return Path(base) / "peripatos" / "learners" / f"{safe}.json"

    @classmethod
    def load(cls, learner: str) -> DesktopSettings:
        """The saved settings; defaults for any that are missing, unreadable or out of range."""
        data = read_settings(cls.path(learner))
        if data is None:
            return cls()
        default = cls()
        invert = data.get("invert_y")
        return cls(
            mouse_sensitivity=clamped_number(
                data.get("mouse_sensitivity"), default.mouse_sensitivity, SENSITIVITY_RANGE
            ),
            invert_y=invert if isinstance(invert, bool) else default.invert_y,
            text_scale=clamped_number(data.get("text_scale"), default.text_scale, TEXT_SCALE_RANGE),
        )

    def save(self, learner: str) -> None:
        """Write the settings for next time (atomically: a crash never leaves half a file)."""
        write_settings(self.path(learner), asdict(self))
