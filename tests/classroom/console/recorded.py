"""What a recorded statement stream says, worked out plainly (independent of the console's code).

The tests compare the console's live view and reports with these figures, so a re-recorded
stream changes both sides alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.paths import LESSONS_DIR

EXT = "https://peripatos.dev/xapi/extensions/"
STRUGGLING = LESSONS_DIR / "pendulum-lab" / "recordings" / "struggling.jsonl"
WALKTHROUGH = LESSONS_DIR / "pendulum-lab" / "recordings" / "walkthrough.jsonl"


def load(path: Path) -> list[dict[str, Any]]:
    """The statements of a recording."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Facts:
    """Counts and texts a teacher should see for one recorded learner."""

    steps_completed: int = 0
    hints: int = 0
    errors: int = 0
    answers: int = 0
    wrong_responses: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stuck_reasons: list[str] = field(default_factory=list)
    gaming_reasons: list[str] = field(default_factory=list)


def _seconds(duration: str) -> float:
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", duration)
    assert m, duration
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def facts(statements: list[dict[str, Any]]) -> Facts:
    """Count steps, hints, answers; collect wrong answers and adaptivity's reasons."""
    out = Facts()
    for s in statements:
        verb = s["verb"]["id"].rsplit("/", 1)[-1]
        obj = s["object"]["id"]
        ctx = s.get("context", {}).get("extensions", {})
        res = s.get("result", {})
        system = s["actor"].get("account", {}).get("name") == "adaptivity-engine"
        if "/hints/" in obj:
            out.hints += 1
            if system and str(ctx.get(EXT + "trigger", "")).startswith(("stuck", "idle")):
                out.stuck_reasons.append(ctx[EXT + "reason"])
        elif verb == "completed" and "/steps/" in obj:
            out.steps_completed += 1
        elif verb == "answered":
            out.answers += 1
            if not res.get("success"):
                out.errors += 1
                out.wrong_responses.append(res["response"])
        elif verb == "flagged" and res["extensions"][EXT + "flag"] in (
            "help-abuse",
            "rapid-guessing",
        ):
            out.gaming_reasons.append(res["extensions"][EXT + "reason"])
        elif verb == "terminated":
            out.seconds = _seconds(res["duration"])
    return out
