"""A learner's comfort and accessibility settings, carried between the console and the rigs.

The console sends them with every launch; the station saves them where the engine's rigs read
them (desktop: mouse, invert Y, text size; headset: turning, vignette, seated...), and reports
them back (the learner may change them during the lesson), so they follow the learner to
whichever station they use next. Keys no rig here knows travel back unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from engine.rigs.comfort import ComfortSettings
from engine.rigs.settings import DesktopSettings


def _kinds() -> list[Any]:
    """The settings classes of the rigs (each saves per learner)."""
    return [DesktopSettings, ComfortSettings]


def apply_settings(learner: str, settings: dict[str, Any]) -> None:
    """Save the console's ``settings`` for ``learner`` where each rig reads them."""
    for kind in _kinds():
        names = {f.name for f in fields(kind)}
        known = {k: v for k, v in settings.items() if k in names}
        if not known:
            continue
        path = kind.path(learner)
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        merged = {**(saved if isinstance(saved, dict) else {}), **known}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged), encoding="utf-8")
        # read back through the rig's own loader, so values from the network are checked and
        # clamped exactly like a hand-edited file's, then saved atomically
        kind.load(learner).save(learner)


def current_settings(learner: str, sent: dict[str, Any]) -> dict[str, Any]:
    """The learner's settings now: what the console ``sent``, updated with what the rigs use."""
    out = dict(sent)
    for kind in _kinds():
        out.update(asdict(kind.load(learner)))
    return out
