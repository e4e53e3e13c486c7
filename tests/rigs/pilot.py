"""A pilot for the desktop rig: real X input to its window, one rendered frame at a time.

Frames are stepped with ``task_mgr.step()`` (what ``run()`` loops on) under Panda3D's
non-real-time clock, so every frame is exactly ``1 / FPS`` seconds of lesson time however slow
software rendering is: walking distances and stopwatch times are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from panda3d.core import ClockObject, Point3

from engine.log.store import SessionStore
from engine.rigs.desktop import DesktopRig
from engine.scene.app import screenshot_rgba
from tests.rigs.xinput import XInput

FPS = 30
#: keysyms for the characters a learner types into a numeric answer
KEYSYMS = {".": "period", "-": "minus", ",": "comma"}
#: keep the pointer this far inside the window's edge when nudging
EDGE = 12


class Pilot:
    """Drives one :class:`DesktopRig` through its real window."""

    def __init__(self, rig: DesktopRig, x: XInput, store: SessionStore) -> None:
        """Pilot ``rig`` with input sent through ``x``; ``store`` holds its session."""
        self.rig = rig
        self.x = x
        self.store = store
        self.app = rig.app
        self.clock = ClockObject.get_global_clock()
        self.clock.set_mode(ClockObject.M_non_real_time)
        self.fps = FPS
        self.set_fps(FPS)
        self._keys: set[str] = set()
        self._buttons: set[int] = set()
        self._shut = False

    # --- time -----------------------------------------------------------------------------

    def frames(self, n: int = 1) -> None:
        """Run ``n`` frames of the window's loop."""
        for _ in range(n):
            self.app.base.task_mgr.step()

    def set_fps(self, fps: int) -> None:
        """Make every frame ``1 / fps`` seconds long (fewer frames for long waits)."""
        self.fps = fps
        self.clock.set_frame_rate(fps)

    def seconds(self, s: float) -> None:
        """Let ``s`` seconds pass, frame by frame."""
        self.frames(round(s * self.fps))

    def until(self, condition: Callable[[], bool], what: str, limit: int = 30) -> None:
        """Run frames until ``condition()`` holds; fail after ``limit`` frames."""
        for _ in range(limit):
            if condition():
                return
            self.frames()
        assert condition(), f"after {limit} frames: {what}"

    def settle(self) -> None:
        """Let the window map, take the mouse mode it can and centre the pointer."""
        self.frames(6)

    # --- keyboard ------------------------------------------------------------------------

    def key_down(self, keysym: str) -> None:
        """Hold a key down (released by :meth:`key_up` or at shut)."""
        self.x.key(keysym, True)
        self._keys.add(keysym)

    def key_up(self, keysym: str) -> None:
        """Release a key."""
        self.x.key(keysym, False)
        self._keys.discard(keysym)

    def press(self, keysym: str) -> None:
        """Tap a key and let the window see it."""
        self.x.tap(keysym)
        self.frames(2)

    def type(self, text: str) -> None:
        """Type characters, one key each."""
        for ch in text:
            self.press(KEYSYMS.get(ch, ch))

    def hold(self, keysym: str, seconds: float) -> None:
        """Hold a key for ``seconds`` of frames, then release it."""
        self.key_down(keysym)
        self.seconds(seconds)
        self.key_up(keysym)
        self.frames(2)

    # --- pointer ---------------------------------------------------------------------------

    def screen(self, x: float, y: float) -> tuple[int, int]:
        """Screen pixel of window pixel (x, y) (no window manager: no decorations)."""
        props = self.app.win.get_properties()
        return props.get_x_origin() + round(x), props.get_y_origin() + round(y)

    def point_to(self, x: float, y: float) -> None:
        """Move the mouse to window pixel (x, y)."""
        self.x.move_to(*self.screen(x, y))

    def nudge(self, dx: float, dy: float) -> None:
        """Move the mouse (dx, dy) pixels from the window's centre, where the rig keeps it."""
        width, height = self.app.size
        self.point_to(width // 2 + dx, height // 2 + dy)
        self.frames(3)

    def turn(self, right: float = 0.0, up: float = 0.0) -> None:
        """Turn the view by degrees with mouse motion (in as many nudges as the window needs)."""
        s = self.rig.settings.mouse_sensitivity
        dx = right / s
        dy = (up if self.rig.settings.invert_y else -up) / s
        width, height = self.app.size
        steps = max(1, math.ceil(max(abs(dx) / (width / 2 - EDGE), abs(dy) / (height / 2 - EDGE))))
        done_x = done_y = 0
        for k in range(1, steps + 1):
            tx, ty = round(dx * k / steps), round(dy * k / steps)
            self.nudge(tx - done_x, ty - done_y)
            done_x, done_y = tx, ty

    def aim_at(self, point: tuple[float, float, float]) -> str | None:
        """Turn the crosshair onto a world point; returns the entity it is on then."""
        ex, ey, ez = self.rig.position
        dx, dy, dz = point[0] - ex, point[1] - ey, point[2] - ez
        heading = math.degrees(math.atan2(-dx, dy))
        pitch = math.degrees(math.atan2(dz, math.hypot(dx, dy)))
        right = -((heading - self.rig.heading + 180.0) % 360.0 - 180.0)
        self.turn(right=right, up=pitch - self.rig.pitch)
        return self.rig.pick()

    def aim_at_entity(self, entity: str) -> None:
        """Aim at an entity's origin and check the crosshair is on it."""
        seen = self.aim_at(self.rig.scene.world_position(entity))
        assert seen == entity, f"aimed at '{entity}' but the crosshair is on {seen!r}"

    def click(self, button: int = 1) -> None:
        """Click a mouse button where the pointer is."""
        self.x.button(button, True)
        self._buttons.add(button)
        self.frames(2)
        self.x.button(button, False)
        self._buttons.discard(button)
        self.frames(2)

    def widget_pixel(self, widget: Any) -> tuple[float, float]:
        """Window pixel of the centre of a DirectGUI widget's frame."""
        left, right, bottom, top = widget.getBounds()
        centre = Point3((left + right) / 2, 0, (bottom + top) / 2)
        return self.render2d_pixel(self.app.base.render2d.get_relative_point(widget, centre))

    def render2d_pixel(self, p: Point3) -> tuple[float, float]:
        """Window pixel of a point in render2d's coordinates (-1..1 both ways)."""
        width, height = self.app.size
        return (p.x + 1) / 2 * width, (1 - p.z) / 2 * height

    def click_widget(self, widget: Any) -> None:
        """Point at a widget and click it."""
        self.point_to(*self.widget_pixel(widget))
        self.frames(2)
        self.click()

    def drag(self, start: tuple[float, float], end: tuple[float, float], moves: int = 12) -> None:
        """Press at ``start``, move in steps to ``end``, release (window pixels).

        A hand never stops dead: the last pixels of motion are what DirectGUI's slider needs
        to catch up (it follows the pointer one motion event behind).
        """
        self.point_to(*start)
        self.frames(2)
        self.x.button(1, True)
        self._buttons.add(1)
        self.frames(2)
        for k in range(1, moves + 1):
            f = k / moves
            self.point_to(start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f)
            self.frames(1)
        for jiggle in (1, 0):
            self.point_to(end[0] + jiggle, end[1])
            self.frames(2)
        self.x.button(1, False)
        self._buttons.discard(1)
        self.frames(3)

    # --- what the learner sees and what was logged -----------------------------------------

    def screenshot(self) -> np.ndarray:
        """The window's pixels after two fresh frames (H, W, 4), row 0 at the top."""
        self.frames(2)
        return screenshot_rgba(self.app)

    def interactions(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The session's logged interactions (of one kind)."""
        logged = [data for _, data in self.store.interactions(self.rig.session.session_id)]
        return [d for d in logged if kind is None or d["kind"] == kind]

    def statements(self, verb: str | None = None) -> list[dict[str, Any]]:
        """The session's xAPI statements so far (with one verb), in order."""
        statements = self.store.statements(self.rig.session.session_id)
        return [s for s in statements if verb is None or s["verb"]["display"]["en-US"] == verb]

    def verbs(self) -> list[str]:
        """The verbs of the session's xAPI statements so far, in order."""
        return [s["verb"]["display"]["en-US"] for s in self.statements()]

    # --- the end ---------------------------------------------------------------------------

    def shut(self) -> None:
        """Release any key or button still held, close the rig, its session and store (once)."""
        if self._shut:
            return
        self._shut = True
        for keysym in list(self._keys):
            self.key_up(keysym)
        for button in list(self._buttons):
            self.x.button(button, False)
        try:
            self.rig.close()
        finally:
            self.rig.session.close()
            self.store.close()
            self.clock.set_mode(ClockObject.M_normal)
