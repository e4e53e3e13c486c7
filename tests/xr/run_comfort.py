"""Drive the menu, turning and hints with the remote controllers; report what changed.

``python -m tests.xr.run_comfort --out summary.json``: opens the menu (B), switches turning to
smooth with the ray and the trigger, resumes, snap-turns before that, asks for a hint (A),
gets a teacher's "look here" and turns to it, and writes what the rig and the lesson showed
at each point.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.play import PlayOptions, play
from tests.xr.pilot import SETTLE, ControllerPilot
from tests.xr.remote import RemoteControllers


class ComfortPilot(ControllerPilot):
    """A pilot with its own little script: menu, turn, hint."""

    def __init__(self, remote: RemoteControllers) -> None:
        super().__init__([], remote)
        self.seen: dict[str, Any] = {}

    def _run(self) -> Iterator[None]:
        yield from self._frames(2)
        yield from self._calibrate()
        rig = self.rig
        seen = self.seen
        yield from self._frames(SETTLE)
        # a snap turn: the view turns by the snap angle, with the vignette on meanwhile
        before = rig.origin.get_h(rig.app.render)
        self.remote.hand(True, stick=(1.0, 0.0))
        self.remote.send()
        yield from self._frames(SETTLE)
        seen["turned"] = (rig.origin.get_h(rig.app.render) - before + 540) % 360 - 180
        seen["vignette_shown"] = not rig.interactor.vignette.is_hidden()
        self.remote.hand(True, stick=(0.0, 0.0))
        self.remote.send()
        yield from self._frames(SETTLE * 3)
        seen["vignette_after"] = not rig.interactor.vignette.is_hidden()
        # the menu: B opens it and pauses the lesson
        self.remote.hand(True, b=True)
        self.remote.send()
        yield from self._frames(SETTLE)
        self.remote.hand(True, b=False)
        self.remote.send()
        yield from self._frames(SETTLE)
        seen["paused_in_menu"] = rig.rt.paused
        seen["menu_buttons"] = [b.id for b in rig.interactor.menu.buttons]
        for button in ("menu:turn", "menu:resume"):
            target = rig.interactor.menu.button_center(button, self.render)
            start = self._hand_start(target)
            self._aim_from(start, target, trigger=0.0)
            yield from self._frames(SETTLE)
            self._aim_from(start, target, trigger=1.0)
            yield from self._frames(SETTLE)
            self._aim_from(start, target, trigger=0.0)
            yield from self._frames(SETTLE)
            seen[f"after_{button}"] = {
                "turn_mode": rig.comfort.turn_mode,
                "paused": rig.rt.paused,
                "menu_open": rig.interactor.menu_open,
            }
        # a hint: A asks for one
        hints = rig.interactor.counts.get("request_hint", 0)
        self.remote.hand(True, a=True)
        self.remote.send()
        yield from self._frames(SETTLE)
        self.remote.hand(True, a=False)
        self.remote.send()
        yield from self._frames(SETTLE)
        seen["hints"] = rig.interactor.counts.get("request_hint", 0) - hints
        yield from self._look_here()

    def _look_here(self) -> Iterator[None]:
        """A teacher's "look here" at the entity farthest from the centre of view."""
        rig = self.rig
        camera, render = rig.app.camera, self.render

        def off_axis(entity: str) -> float:
            local = camera.get_relative_point(render, self._world(entity))
            return math.degrees(math.atan2(math.hypot(local.x, local.z), local.y))

        target = max(sorted(rig.scene.nodes), key=off_axis)
        seen = self.seen
        seen["focus"] = {"entity": target, "off_axis": off_axis(target)}
        rig.presenter.point_at(target)
        yield from self._frames(SETTLE)
        seen["focus"]["arrow_shown"] = not rig.focus_arrow.is_hidden()
        rig.eyes.capture = True
        yield from self._until("an eye image", lambda: bool(rig.eyes.captured))
        seen["focus"]["magenta"] = [_magenta(image) for image in rig.eyes.captured]
        rig.eyes.captured = []
        # the learner turns their head to it: the arrow has done its job
        self.turn_head_to(self._world(target))
        yield from self._until("the arrow's target seen", lambda: rig.presenter.state.focus_seen)
        yield from self._frames(2)
        seen["focus"]["seen"] = rig.presenter.state.focus_seen
        seen["focus"]["arrow_after"] = not rig.focus_arrow.is_hidden()


def _magenta(image: np.ndarray) -> int:
    """Pixels of the arrow's colour (no lesson surface uses it)."""
    r, g, b = (image[:, :, i].astype(int) for i in range(3))
    return int(((r > 180) & (b > 140) & (g < 90)).sum())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--record", type=Path)
    args = parser.parse_args(argv)
    remote = RemoteControllers()
    pilot = ComfortPilot(remote)
    result = play(
        PlayOptions(
            lesson="pendulum-lab",
            mode="xr",
            xr_binding="egl",
            record=args.record,
            on_xr_frame=pilot.on_frame,
        )
    )
    remote.close()
    args.out.write_text(json.dumps({**pilot.seen, "error": pilot.error, "reason": result.reason}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
