"""The desktop rig: a 1280x720 resizable window, WASD and mouse look, click to interact.

Controls (F1 shows them again): W A S D walk, the mouse looks, a left click grabs, places or
presses what is under the crosshair, H asks for a hint, 1-9 answer a choice question, digits
then Enter answer a numeric one, Esc opens the pause menu (mouse sensitivity, invert Y, text
size, quit). Everything a headset learner can do has a key or a click here.

The rig only turns input into :mod:`engine.core.events` interactions for the session and moves
the camera; the runtime decides, the presenter draws. Settings are saved per learner in
``$XDG_CONFIG_HOME/peripatos/learners/<learner>.json``.
"""

from __future__ import annotations

import math

from direct.showbase.DirectObject import DirectObject
from direct.task.Task import Task
from panda3d.core import (
    ButtonHandle,
    ClockObject,
    GraphicsWindow,
    KeyboardButton,
)

from engine.core import events as ev
from engine.model.lesson import Lesson
from engine.model.loader import LoadedLesson
from engine.present.presenter import Presenter
from engine.rigs.mouselook import MouseLook
from engine.rigs.pause_menu import PauseMenu
from engine.rigs.settings import DesktopSettings
from engine.scene.app import SceneApp, create_app, destroy_app
from engine.scene.builder import BuiltScene, build_scene
from engine.scene.environment import PRESETS
from engine.session import LessonSession

#: walking speed, metres per second (a brisk indoor walk)
WALK_SPEED = 1.6
#: log a Move for replay and POI visits only when the learner walked this far
MOVE_LOG_STEP = 0.25
#: gazes shorter than this are glances, not attention; the runtime ignores them too
DWELL_MIN_MS = 300
MAX_PITCH = 80.0
#: how often the lesson time is saved for resume (interactions are saved as they happen)
CHECKPOINT_SECONDS = 2.0
#: a stalled frame (window dragged, machine busy) must not teleport the learner
MAX_FRAME_DT = 0.1
#: how close to a wall (or the floor's edge) the learner's eyes may get, metres
WALL_MARGIN = 0.3
#: thrown by the window when the learner clicks its close box (instead of closing it)
CLOSE_REQUEST_EVENT = "peripatos-close-request"
HELP = "WASD walk - mouse look - click grab/place/press - H hint - 1-9 answer - Esc menu - F1 help"

Bounds = tuple[float, float, float, float]


def walk_bounds(lesson: Lesson) -> Bounds:
    """Where the learner's eyes may go: inside the room's walls, or over an open site's floor.

    Returns:
        (min x, max x, min y, max y), widened to include the start if a lesson puts the
        learner outside (a first step must not teleport them).
    """
    env = lesson.environment
    preset = PRESETS[env.preset]
    room = env.room or preset.room
    if room is not None:
        half_x, half_y = room.width / 2, room.depth / 2
    else:
        floor = env.floor or preset.floor
        half_x, half_y = floor.size[0] / 2, floor.size[1] / 2
    x0, y0 = lesson.player.position[0], lesson.player.position[1]
    m = WALL_MARGIN
    return (min(-half_x + m, x0), max(half_x - m, x0), min(-half_y + m, y0), max(half_y - m, y0))


# --- the rig ----------------------------------------------------------------------------------


class DesktopRig:
    """Plays one session in a window until the learner quits or closes it.

    Attributes:
        session: the session played (every interaction goes through it, logged).
        settings: the learner's desktop settings.
        position: the eyes' position in the scene, metres.
        heading: degrees about Z, 0 looks along +Y; pitch: degrees, negative looks down.
        menu: the pause menu while it is open.
        done: the learner quit (or closed the window); :meth:`run` returns.
        exit_reason: why the run ended, for the terminal.
    """

    def __init__(
        self,
        loaded: LoadedLesson,
        session: LessonSession,
        *,
        size: tuple[int, int] = (1280, 720),
        learner: str = "learner",
        app: SceneApp | None = None,
    ) -> None:
        """Open the window (or use ``app``), build the scene, bind the controls, start.

        Raises:
            RuntimeError: no window could be opened.
        """
        self.session = session
        self.rt = session.runtime
        self.learner = learner
        self.settings = DesktopSettings.load(learner)
        self.app = app or _open_window(size, f"Peripatos: {loaded.lesson.metadata.title}")
        self.owns_app = app is None
        try:
            self.scene: BuiltScene = build_scene(loaded, self.app, knob_levels=self.rt.knobs)
            self.presenter = Presenter(
                self.app, self.scene, self.rt, text_scale=self.settings.text_scale
            )
        except BaseException:
            if self.owns_app:
                destroy_app(self.app)
            raise
        player = loaded.lesson.player
        self.eye_height = player.eye_height
        x, y, z = player.position
        self.position = [x, y, z + player.eye_height]
        self.heading, self.pitch = player.heading, player.pitch
        self.bounds = walk_bounds(loaded.lesson)
        self._logged_position = tuple(self.position)
        self._gaze: tuple[str | None, float] = (None, 0.0)
        self._typed: tuple[str | None, str] = (None, "")
        self._since_checkpoint = 0.0
        # the window may already have the focus (no event will say so): start from what it says
        self._foreground = bool(self.app.win.get_properties().get_foreground())
        self._closed = False
        self.menu: PauseMenu | None = None
        self.done = False
        self.exit_reason = ""
        self.mouse = MouseLook(self.app.win)
        self.events = DirectObject()
        self._walk_keys = {name: self._layout_key(name) for name in "wasd"}
        self._place_camera()
        self._bind()
        self.mouse.capture(True)
        self.show_help()
        self.session.start()

    # --- setup --------------------------------------------------------------------------------

    def _bind(self) -> None:
        # the rig's own listener: ShowBase keeps its window-event handler (aspect ratio, close)
        on = self.events.accept
        on("mouse1", self.click)
        on("h", self.hint)
        on("escape", self.toggle_menu)
        on("f1", self.show_help)
        on("enter", self.submit_typed)
        on("backspace", self.backspace)
        for key in "0123456789.-":
            on(key, self.key_digit, [key])
        on(",", self.key_digit, ["."])  # a decimal comma where the keyboard has one
        on("window-event", self._window_event)
        on(CLOSE_REQUEST_EVENT, self.quit, ["the learner closed the window"])
        base = self.app.base
        self._task = base.task_mgr.add(self._frame, "peripatos-desktop-frame", sort=-10)
        self.app.win.set_close_request_event(CLOSE_REQUEST_EVENT)
        # a window closed by other means makes ShowBase call finalizeExit (sys.exit by default,
        # documented as the method to override): end the session cleanly instead
        base.finalizeExit = self._window_gone

    def _layout_key(self, letter: str) -> ButtonHandle:
        """The key at ``letter``'s place on a US keyboard (Z on AZERTY for W), so WASD is
        always a diamond under the left hand."""
        keymap = self.app.win.get_keyboard_map()
        mapped = keymap.get_mapped_button(letter) if keymap is not None else None
        if mapped is None or mapped == ButtonHandle.none():
            return KeyboardButton.ascii_key(letter)
        return mapped

    def _window_event(self, win: GraphicsWindow) -> None:
        if win != self.app.win or not win.get_properties().get_open():
            return
        foreground = win.get_properties().get_foreground()
        if self._foreground and not foreground and self.menu is None and not self.done:
            # switching to another app pauses the lesson and frees the pointer
            self.open_menu()
        self._foreground = foreground

    def _window_gone(self) -> None:
        self.quit("the window was closed")

    # --- per frame ------------------------------------------------------------------------------

    def _frame(self, task: Task) -> int:
        dt = min(ClockObject.get_global_clock().get_dt(), MAX_FRAME_DT)
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

    def _place_camera(self) -> None:
        self.app.camera.set_pos(*self.position)
        self.app.camera.set_hpr(self.heading, self.pitch, 0)

    def _look(self) -> None:
        dx, dy = self.mouse.delta()
        if dx or dy:
            s = self.settings.mouse_sensitivity
            # Panda's heading turns left as it grows; the pointer's y grows downwards
            self.heading = (self.heading - dx * s + 180.0) % 360.0 - 180.0
            pitch = self.pitch + (dy if self.settings.invert_y else -dy) * s
            self.pitch = max(-MAX_PITCH, min(MAX_PITCH, pitch))
        self._place_camera()

    def _axis(self, plus: str, minus: str) -> float:
        down = self.app.base.mouseWatcherNode.is_button_down
        return float(down(self._walk_keys[plus])) - float(down(self._walk_keys[minus]))

    def _walk(self, dt: float) -> None:
        forward, strafe = self._axis("w", "s"), self._axis("d", "a")
        if forward or strafe:
            h = math.radians(self.heading)
            step = WALK_SPEED * dt / math.hypot(forward, strafe)
            x = self.position[0] + (-math.sin(h) * forward + math.cos(h) * strafe) * step
            y = self.position[1] + (math.cos(h) * forward + math.sin(h) * strafe) * step
            x0, x1, y0, y1 = self.bounds
            self.position[0], self.position[1] = min(max(x, x0), x1), min(max(y, y0), y1)
            self._place_camera()
        if self._running() and math.dist(self.position, self._logged_position) >= MOVE_LOG_STEP:
            self._logged_position = tuple(self.position)
            feet = (self.position[0], self.position[1], self.position[2] - self.eye_height)
            self.session.handle(ev.Move(position=feet, heading=self.heading))

    def _track_gaze(self) -> None:
        """Report a Dwell when the gaze leaves an entity it rested on for long enough."""
        if not self._running():
            return
        seen = self.pick()
        entity, since = self._gaze
        if seen == entity:
            return
        now = self.rt.t
        dwell_ms = round((now - since) * 1000)
        if entity is not None and dwell_ms >= DWELL_MIN_MS:
            self.session.handle(ev.Dwell(entity=entity, dwell_ms=dwell_ms))
        self._gaze = (seen, now)

    # --- actions --------------------------------------------------------------------------------

    def _running(self) -> bool:
        return self.rt.started and not self.rt.completed

    def _accepting(self) -> bool:
        return self.menu is None and self._running()

    def show_help(self) -> None:
        """Show the controls (F1). The overlay is looked up each time: text size rebuilds it."""
        self.presenter.hud.status.show(HELP)

    def _say(self, reason: str | None) -> None:
        if reason:
            self.presenter.hud.status.show(reason)

    def pick(self) -> str | None:
        """The entity under the crosshair, seeing through the one in the learner's hand."""
        return self.scene.pick(self.app.cam, ignore=self.rt.world.held)

    def click(self) -> None:
        """Grab, place or press whatever is under the crosshair."""
        if not self._accepting():
            return
        held = self.rt.world.held
        target = self.pick()
        if held is not None:
            self._release(held, target)
            return
        if target is None:
            return
        entity = self.rt.lesson.entity(target)
        if entity.grabbable is not None:
            self._say(self.session.handle(ev.Grab(entity=target)))
        elif entity.button is not None:
            self._say(self.session.handle(ev.Press(entity=target)))

    def _release(self, held: str, target: str | None) -> None:
        if target is not None and self.rt.lesson.entity(target).snap_zone is not None:
            where = self.scene.world_position(target)
        else:
            # let go where the learner sees it carried (the presenter keeps it before the eyes)
            where = self.scene.world_position(held)
        self._say(self.session.handle(ev.Release(entity=held, position=where)))

    def hint(self) -> None:
        """Ask for the next hint."""
        if self._accepting():
            self._say(self.session.handle(ev.RequestHint()))

    def _asked(self) -> str | None:
        step = self.rt.step
        return step.ask if step is not None else None

    def key_digit(self, key: str) -> None:
        """A digit answers a choice question, or types into a numeric answer."""
        question_id = self._asked()
        if not self._accepting() or question_id is None:
            return
        question = self.rt.lesson.question(question_id)
        if question.kind == "choice":
            if key.isdigit() and 1 <= int(key) <= len(question.options):
                choice = question.options[int(key) - 1].id
                self._say(self.session.handle(ev.Answer(question=question_id, response=choice)))
            return
        self._type(question_id, self.typed + key)

    @property
    def typed(self) -> str:
        """The numeric answer typed so far for the question asked now."""
        question, text = self._typed
        return text if question == self._asked() else ""

    def _type(self, question_id: str, text: str) -> None:
        self._typed = (question_id, text)
        self.presenter.hud.status.show(f"Your answer: {text}  (Enter to send, Backspace to fix)")

    def backspace(self) -> None:
        """Take back the last typed character."""
        question_id = self._asked()
        if self._accepting() and question_id is not None and self.typed:
            self._type(question_id, self.typed[:-1])

    def submit_typed(self) -> None:
        """Send the typed number as the answer."""
        question_id = self._asked()
        if not self._accepting() or question_id is None or not self.typed:
            return
        try:
            value = float(self.typed)
        except ValueError:
            self._say("Type a number, e.g. 9.81")
            return
        self._typed = (None, "")
        self._say(self.session.handle(ev.Answer(question=question_id, response=value)))

    # --- pause menu -------------------------------------------------------------------------------

    def toggle_menu(self) -> None:
        """Open or close the pause menu (Esc)."""
        if self.menu is None:
            self.open_menu()
        else:
            self.close_menu()

    def open_menu(self) -> None:
        """Pause the lesson clock, free the pointer and show the menu."""
        if self.menu is not None:
            return
        if self._running() and not self.rt.paused:
            self.session.handle(ev.Pause())
        self.mouse.capture(False)
        self.menu = PauseMenu(
            self.app.aspect2d,
            self.settings,
            on_text_scale=self.presenter.hud.set_text_scale,
            on_resume=self.close_menu,
            on_quit=self.quit,
        )

    def close_menu(self) -> None:
        """Save the settings, hide the menu, capture the pointer, resume the lesson."""
        if self.menu is None:
            return
        self.menu.destroy()
        self.menu = None
        self._save_settings()
        self.mouse.capture(True)
        if self.rt.paused:
            self.session.handle(ev.Resume())

    def _save_settings(self) -> None:
        try:
            self.settings.save(self.learner)
        except OSError as exc:
            self._say(f"Your settings could not be saved: {exc.strerror or exc}")

    # --- lifecycle --------------------------------------------------------------------------------

    def run(self) -> None:
        """Run the window's loop until the learner quits or closes the window."""
        self.app.base.run()
        if not self.done:  # the loop was stopped from outside (Ctrl+C)
            self.quit("the run was interrupted")

    def quit(self, reason: str = "the learner quit") -> None:
        """Leave the lesson: save settings, stop the loop (the session stays resumable)."""
        if self.done:
            return
        self.done = True
        self.exit_reason = "completed" if self.rt.completed else reason
        self._save_settings()
        self.app.base.task_mgr.stop()

    def close(self) -> None:
        """Unbind, remove the menu, overlay and scene, and close the window if the rig opened it."""
        if self._closed:
            return
        self._closed = True
        self.events.ignore_all()
        self.app.base.task_mgr.remove(self._task)
        if self.menu is not None:
            self.menu.destroy()
            self.menu = None
        self.presenter.destroy()
        self.scene.destroy()
        if self.owns_app:
            destroy_app(self.app)
            return
        # someone else's app: give the window back as it was
        self.mouse.capture(False)
        self.app.win.set_close_request_event("")
        del self.app.base.finalizeExit


def _open_window(size: tuple[int, int], title: str) -> SceneApp:
    try:
        return create_app(headless=False, size=size, title=title)
    except RuntimeError:
        raise
    except Exception as exc:  # ShowBase raises a bare Exception('Could not open window.')
        raise RuntimeError(str(exc)) from exc
