"""The desktop rig: a 1280x720 resizable window, WASD and mouse look, click to interact.

Controls (also shown by F1): W A S D walk, mouse looks, left click grabs / places / presses
what is under the crosshair, H asks for a hint, 1-9 answer a choice question, digits then
Enter answer a numeric one, Esc opens the pause menu (mouse sensitivity, invert, text size).
Everything a headset learner can do has a key or a click here.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from direct.gui.DirectGui import (
    DirectButton,
    DirectCheckButton,
    DirectFrame,
    DirectLabel,
    DirectSlider,
)
from direct.task.Task import Task
from panda3d.core import ClockObject, KeyboardButton, Point3, WindowProperties

from engine.core import events as ev
from engine.model.loader import LoadedLesson
from engine.present.presenter import Presenter
from engine.scene.app import SceneApp, create_app, destroy_app
from engine.scene.builder import BuiltScene, build_scene
from engine.session import LessonSession

WALK_SPEED = 1.6
#: log a Move for replay and POI visits only when the learner walked this far
MOVE_LOG_STEP = 0.25
DWELL_MIN_MS = 300
MAX_PITCH = 80.0
#: how often the lesson time is saved for resume (interactions are saved as they happen)
CHECKPOINT_SECONDS = 2.0


@dataclass
class DesktopSettings:
    """A learner's desktop settings, saved between sessions."""

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
        """The saved settings, or defaults when none (or unreadable)."""
        try:
            data = json.loads(cls.path(learner).read_text(encoding="utf-8"))
            return cls(**{k: data[k] for k in asdict(cls()) if k in data})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, learner: str) -> None:
        """Write the settings for next time."""
        path = self.path(learner)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")


class DesktopRig:
    """Plays one session in a window until the learner quits."""

    def __init__(self, loaded: LoadedLesson, session: LessonSession, *, size: tuple[int, int] = (1280, 720),
                 learner: str = "learner", app: SceneApp | None = None) -> None:  # fmt: skip
        """Open the window (or use ``app``), build the scene, bind the controls."""
        self.session = session
        self.rt = session.runtime
        self.learner = learner
        self.settings = DesktopSettings.load(learner)
        self.app = app or create_app(
            headless=False, size=size, title=f"Peripatos: {loaded.lesson.metadata.title}"
        )
        self.owns_app = app is None
        self.scene: BuiltScene = build_scene(loaded, self.app, knob_levels=self.rt.knobs)
        self.presenter = Presenter(
            self.app, self.scene, self.rt, text_scale=self.settings.text_scale
        )
        player = loaded.lesson.player
        self.eye_height = player.eye_height
        self.position = [
            player.position[0],
            player.position[1],
            player.position[2] + player.eye_height,
        ]
        self.heading, self.pitch = player.heading, player.pitch
        self.logged_position = tuple(self.position)
        self.typed = ""
        self.menu: DirectFrame | None = None
        self.exit_reason = ""
        self.looking: tuple[str | None, float] = (None, 0.0)
        self.mouse_captured = False
        self._since_checkpoint = 0.0
        self._bind()
        self._capture_mouse(True)
        self.presenter.hud.status.show(
            "WASD walk - mouse look - click interact - H hint - Esc menu"
        )
        self.session.start()

    # --- setup --------------------------------------------------------------------------------

    def _bind(self) -> None:
        base = self.app.base
        base.accept("mouse1", self.click)
        base.accept("h", self.hint)
        base.accept("escape", self.toggle_menu)
        base.accept("enter", self.submit_typed)
        base.accept("backspace", self._backspace)
        for key in "0123456789":
            base.accept(key, self.key_digit, [key])
        base.accept(".", self.key_digit, ["."])
        base.accept("-", self.key_digit, ["-"])
        base.accept("window-event", self._window_event)
        base.task_mgr.add(self._frame, "peripatos-desktop-frame", sort=-10)
        # ShowBase exits the process when the window closes: end the session cleanly instead
        base.userExit = self.quit  # type: ignore[method-assign]

    def _capture_mouse(self, on: bool) -> None:
        props = WindowProperties()
        props.setCursorHidden(on)
        props.setMouseMode(WindowProperties.M_relative if on else WindowProperties.M_absolute)
        self.app.win.requestProperties(props)
        self.mouse_captured = on
        if on:
            self._recentre()

    def _recentre(self) -> None:
        win = self.app.win
        win.movePointer(0, win.getXSize() // 2, win.getYSize() // 2)

    def _window_event(self, window: object) -> None:
        win = self.app.win
        if win is not None and not win.getProperties().getOpen():
            self.quit()
            return
        if win is not None and win.getYSize() > 0:
            self.app.cam.node().getLens().setAspectRatio(win.getXSize() / win.getYSize())

    # --- per frame ---------------------------------------------------------------------------

    def _frame(self, task: Task) -> int:
        dt = min(ClockObject.getGlobalClock().getDt(), 0.1)
        if self.menu is None:
            self._look()
            self._walk(dt)
            self._track_gaze()
        self.session.advance(dt)
        self.presenter.update(dt)
        self._since_checkpoint += dt
        if self._since_checkpoint >= CHECKPOINT_SECONDS:
            self._since_checkpoint = 0.0
            self.session.checkpoint()
        return Task.cont

    def _look(self) -> None:
        if not self.mouse_captured or not self.app.base.mouseWatcherNode.hasMouse():
            return
        win = self.app.win
        pointer = win.getPointer(0)
        cx, cy = win.getXSize() // 2, win.getYSize() // 2
        dx, dy = pointer.getX() - cx, pointer.getY() - cy
        if dx or dy:
            s = self.settings.mouse_sensitivity
            self.heading -= dx * s
            self.pitch += (dy if self.settings.invert_y else -dy) * s
            self.pitch = max(-MAX_PITCH, min(MAX_PITCH, self.pitch))
            self._recentre()
        self.app.camera.setHpr(self.heading, self.pitch, 0)

    def _walk(self, dt: float) -> None:
        down = self.app.base.mouseWatcherNode.isButtonDown
        forward = float(down(KeyboardButton.asciiKey("w"))) - float(
            down(KeyboardButton.asciiKey("s"))
        )
        strafe = float(down(KeyboardButton.asciiKey("d"))) - float(
            down(KeyboardButton.asciiKey("a"))
        )
        if forward or strafe:
            h = math.radians(self.heading)
            norm = math.hypot(forward, strafe)
            step = WALK_SPEED * dt / norm
            self.position[0] += (-math.sin(h) * forward + math.cos(h) * strafe) * step
            self.position[1] += (math.cos(h) * forward + math.sin(h) * strafe) * step
        self.app.camera.setPos(*self.position)
        if math.dist(self.position, self.logged_position) >= MOVE_LOG_STEP:
            self.logged_position = tuple(self.position)
            feet = (self.position[0], self.position[1], self.position[2] - self.eye_height)
            self.session.handle(ev.Move(position=feet, heading=self.heading))

    def _track_gaze(self) -> None:
        seen = self.scene.pick(self.app.cam, ignore=self.rt.world.held)
        entity, since = self.looking
        if seen == entity:
            return
        now = self.rt.t
        if entity is not None and (now - since) * 1000 >= DWELL_MIN_MS:
            self.session.handle(ev.Dwell(entity=entity, dwell_ms=int((now - since) * 1000)))
        self.looking = (seen, now)

    # --- actions -----------------------------------------------------------------------------

    def _say(self, reason: str | None) -> None:
        if reason:
            self.presenter.hud.status.show(reason)

    def click(self) -> None:
        """Grab, place or press whatever is under the crosshair."""
        if self.menu is not None:
            return
        held = self.rt.world.held
        target = self.scene.pick(self.app.cam, ignore=held)
        if held is not None:
            if target is not None and self.rt.lesson.entity(target).snap_zone is not None:
                where = self.scene.world_position(target)
            else:
                p = self.app.render.getRelativePoint(self.app.camera, Point3(0, 0.6, -0.2))
                where = (p.x, p.y, p.z)
            self._say(self.session.handle(ev.Release(entity=held, position=where)))
            return
        if target is None:
            return
        entity = self.rt.lesson.entity(target)
        if entity.grabbable is not None:
            self._say(self.session.handle(ev.Grab(entity=target)))
        elif entity.button is not None:
            self._say(self.session.handle(ev.Press(entity=target)))

    def hint(self) -> None:
        """Ask for the next hint."""
        if self.menu is None:
            self._say(self.session.handle(ev.RequestHint()))

    def _asked(self) -> str | None:
        step = self.rt.step
        return step.ask if step is not None else None

    def key_digit(self, key: str) -> None:
        """A digit answers a choice question, or types into a numeric answer."""
        question_id = self._asked()
        if self.menu is not None or question_id is None:
            return
        question = self.rt.lesson.question(question_id)
        if question.kind == "choice":
            if key.isdigit() and 1 <= int(key) <= len(question.options):
                self._say(
                    self.session.handle(
                        ev.Answer(question=question_id, response=question.options[int(key) - 1].id)
                    )
                )
            return
        self.typed += key
        self.presenter.hud.status.show(f"Your answer: {self.typed}")

    def _backspace(self) -> None:
        self.typed = self.typed[:-1]
        self.presenter.hud.status.show(f"Your answer: {self.typed}")

    def submit_typed(self) -> None:
        """Send the typed number as the answer."""
        question_id = self._asked()
        if question_id is None or not self.typed:
            return
        try:
            value = float(self.typed)
        except ValueError:
            self._say("Type a number, e.g. 9.81")
            return
        self.typed = ""
        self._say(self.session.handle(ev.Answer(question=question_id, response=value)))

    # --- pause menu ----------------------------------------------------------------------------

    def toggle_menu(self) -> None:
        """Open or close the pause menu (the lesson clock stops while it is open)."""
        if self.menu is not None:
            self.menu.destroy()
            self.menu = None
            self.settings.save(self.learner)
            self._capture_mouse(True)
            self.session.handle(ev.Resume())
            return
        self.session.handle(ev.Pause())
        self._capture_mouse(False)
        self.menu = self._build_menu()

    def _build_menu(self) -> DirectFrame:
        s = self.settings
        frame = DirectFrame(
            parent=self.app.aspect2d,
            frameColor=(0.1, 0.1, 0.12, 0.9),
            frameSize=(-0.8, 0.8, -0.6, 0.6),
        )
        DirectLabel(
            parent=frame,
            text="Paused",
            scale=0.09,
            pos=(0, 0, 0.45),
            text_fg=(1, 1, 1, 1),
            frameColor=(0, 0, 0, 0),
        )
        DirectLabel(
            parent=frame,
            text="Mouse sensitivity",
            scale=0.05,
            pos=(-0.4, 0, 0.25),
            text_fg=(1, 1, 1, 1),
            frameColor=(0, 0, 0, 0),
        )
        DirectLabel(
            parent=frame,
            text="Text size",
            scale=0.05,
            pos=(-0.4, 0, 0.05),
            text_fg=(1, 1, 1, 1),
            frameColor=(0, 0, 0, 0),
        )
        text_slider = DirectSlider(
            parent=frame, range=(0.8, 2.0), value=s.text_scale, pos=(0.3, 0, 0.06), scale=0.4
        )
        sens_slider = DirectSlider(
            parent=frame,
            range=(0.02, 0.5),
            value=s.mouse_sensitivity,
            pos=(0.3, 0, 0.26),
            scale=0.4,
        )

        def apply_sliders() -> None:
            s.mouse_sensitivity = float(sens_slider["value"])
            if abs(float(text_slider["value"]) - s.text_scale) > 0.05:
                s.text_scale = float(text_slider["value"])
                self.presenter.hud.set_text_scale(s.text_scale)

        sens_slider["command"] = apply_sliders
        text_slider["command"] = apply_sliders

        def set_invert(on: bool) -> None:
            s.invert_y = bool(on)

        DirectCheckButton(parent=frame, text="Invert mouse Y", scale=0.05, pos=(0, 0, -0.12), indicatorValue=s.invert_y,
                          command=set_invert)  # fmt: skip
        DirectButton(
            parent=frame,
            text="Resume (Esc)",
            scale=0.06,
            pos=(-0.3, 0, -0.4),
            command=self.toggle_menu,
        )
        DirectButton(parent=frame, text="Quit", scale=0.06, pos=(0.35, 0, -0.4), command=self.quit)
        return frame

    # --- lifecycle -------------------------------------------------------------------------------

    def run(self) -> None:
        """Run the window's loop until the learner quits."""
        self.app.base.run()

    def quit(self) -> None:
        """Leave the lesson: save settings, stop the loop (the session stays resumable)."""
        if not self.exit_reason:
            self.exit_reason = "completed" if self.rt.completed else "the learner quit"
        self.settings.save(self.learner)
        self.app.base.task_mgr.stop()

    def close(self) -> None:
        """Free the window (when this rig opened it)."""
        self.presenter.destroy()
        self.scene.destroy()
        if self.owns_app:
            destroy_app(self.app)
