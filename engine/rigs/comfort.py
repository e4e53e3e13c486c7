"""A learner's headset comfort settings (turning, vignette, seated play, height), per learner.

Stored beside the desktop settings, as ``$XDG_CONFIG_HOME/peripatos/learners/<learner>.xr.json``,
so they follow the learner from session to session. Values read back are clamped and
type-checked like :class:`~engine.rigs.settings.DesktopSettings`: a damaged file gives
defaults, never a crash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from engine.rigs.settings import (
    DesktopSettings,
    clamped_number,
    read_settings,
    write_settings,
)

TurnMode = Literal["snap", "smooth"]
SNAP_ANGLE_RANGE = (15.0, 90.0)
SMOOTH_SPEED_RANGE = (30.0, 180.0)
VIGNETTE_RANGE = (0.0, 1.0)
HEIGHT_RANGE = (-1.0, 1.0)


@dataclass
class ComfortSettings:
    """How a learner likes to move in the headset.

    Attributes:
        turn_mode: ``snap`` (default: turning in steps is the most comfortable for most
            people) or ``smooth``.
        snap_angle: degrees per snap turn.
        smooth_speed: degrees per second of smooth turning.
        vignette: strength of the tunnelling vignette shown while moving (0 turns it off).
        seated: play seated: the view is raised to the lesson's standing eye height.
        height_offset: metres added to the learner's eye height (a height recentre stores it).
    """

    turn_mode: TurnMode = "snap"
    snap_angle: float = 45.0
    smooth_speed: float = 90.0
    vignette: float = 0.6
    seated: bool = False
    height_offset: float = 0.0

    @staticmethod
    def path(learner: str) -> Path:
        """Where a learner's comfort settings live (beside their desktop settings)."""
        return DesktopSettings.path(learner).with_suffix(".xr.json")

    @classmethod
    def load(cls, learner: str) -> ComfortSettings:
        """The saved settings; defaults for any that are missing, unreadable or out of range."""
        data = read_settings(cls.path(learner))
        if data is None:
            return cls()
        d = cls()
        mode = data.get("turn_mode")
        seated = data.get("seated")
        return cls(
            turn_mode=mode if mode in ("snap", "smooth") else d.turn_mode,
            snap_angle=clamped_number(data.get("snap_angle"), d.snap_angle, SNAP_ANGLE_RANGE),
            smooth_speed=clamped_number(
                data.get("smooth_speed"), d.smooth_speed, SMOOTH_SPEED_RANGE
            ),
            vignette=clamped_number(data.get("vignette"), d.vignette, VIGNETTE_RANGE),
            seated=seated if isinstance(seated, bool) else d.seated,
            height_offset=clamped_number(data.get("height_offset"), d.height_offset, HEIGHT_RANGE),
        )

    def save(self, learner: str) -> None:
        """Write the settings for next time (atomically: a crash never leaves half a file)."""
        write_settings(self.path(learner), asdict(self))
