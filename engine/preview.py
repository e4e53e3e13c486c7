"""``lesson preview PATH``: a window that rebuilds a lesson's scene whenever it changes on disk.

An author edits ``lesson.yaml`` (or a model or texture) in their editor and sees the result on
save, from where they were looking. A save that does not validate shows its located problems
(``path:line:column: code: message``) over the last good scene, which stays; the next good
save brings the scene back. Nothing an author writes crashes the window.

Threads: a watcher thread (watchfiles) only puts the changed paths on a queue; the scene graph
is touched by the Panda3D thread alone, in :meth:`Preview.poll`, which a task calls every frame
(tests call it themselves, with no event loop).

Controls in the window: W A S D move, Q and E go down and up, hold the right mouse button and
move the mouse to look, R goes back to the player's start, Esc closes.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from direct.gui.OnscreenText import OnscreenText
from direct.showbase.DirectObject import DirectObject
from direct.task.Task import Task
from panda3d.core import (
    ClockObject,
    GraphicsWindow,
    KeyboardButton,
    ModelPool,
    NodePath,
    TextNode,
    TexturePool,
)

from engine.core.runtime import Runtime
from engine.model.diagnostics import Diagnostic, LessonError
from engine.model.loader import LoadedLesson, load_lesson, resolve_lesson
from engine.paths import ASSETS_DIR
from engine.present.presenter import Presenter
from engine.scene.app import SceneApp, create_app, destroy_app
from engine.scene.builder import BuiltScene, build_scene
from engine.scene.text import default_font

#: problems listed in the window at most (the terminal's ``lesson validate`` lists them all)
MAX_SHOWN = 8
#: metres per second the preview camera flies
FLY_SPEED = 2.0
#: degrees of turn per pixel of mouse motion while looking
LOOK_DEGREES_PER_PIXEL = 0.15
#: how long the watcher waits for more changes before handing a batch over, milliseconds
#: (an editor's save is several writes; one rebuild for all of them)
SETTLE_MS = 50
#: how often the watcher thread wakes to notice it should stop, milliseconds
WAKE_MS = 200
CLOSE_EVENT = "peripatos-preview-close"
ERROR_CARD = (1.0, 0.88, 0.86, 0.95)
STATUS_CARD = (0.97, 0.96, 0.92, 0.85)
INK = (0.08, 0.09, 0.11, 1.0)


class Preview:
    """A live preview of one lesson in ``app``: rebuilds on change, keeps the camera.

    Attributes:
        path: the ``lesson.yaml`` watched.
        app: the window (or offscreen buffer) drawn into.
        loaded: the last lesson that built, or None before the first.
        scene: its built scene (None before the first good build).
        problems: what the window shows now: located errors of the last save (empty when it
            built), or its warnings.
        failed: the last save did not build (its errors are shown over the last good scene).
        reloads: how many times the file was read (good or not).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        app: SceneApp | None = None,
        size: tuple[int, int] = (1280, 720),
        watch: bool = True,
    ) -> None:
        """Open a window (or draw into ``app``), build the lesson, start watching.

        Args:
            path: a ``lesson.yaml``, a lesson folder or a bundled lesson's id.
            app: an app to draw into (tests pass an offscreen one); by default a window opens,
                and :meth:`close` closes it.
            size: the window's size when one is opened.
            watch: watch the files (off: only :meth:`reload` rebuilds).

        Raises:
            FileNotFoundError: the lesson's folder does not exist (there is nothing to watch).
            RuntimeError: no window could be opened.
        """
        self.path = resolve_lesson(path).resolve()
        if not self.path.parent.is_dir():
            raise FileNotFoundError(f"no lesson folder {self.path.parent}")
        self.app = app or _open_window(size, f"Peripatos preview: {self.path.parent.name}")
        self.owns_app = app is None
        self.loaded: LoadedLesson | None = None
        self.scene: BuiltScene | None = None
        self.presenter: Presenter | None = None
        self.problems: list[str] = []
        self.failed = False
        self.reloads = 0
        self.changes: queue.Queue[set[Path]] = queue.Queue()
        self._stop = threading.Event()
        self._watching = threading.Event()
        #: why the watcher stopped, if it did (set by its thread, shown by :meth:`poll`)
        self.watch_error: str | None = None
        self._watcher: threading.Thread | None = None
        self._tasks: list[Task] = []
        self._events = DirectObject()
        self._looking = False
        self._closed = False
        self.overlay = OnscreenText(
            text="",
            parent=self._top_left(),
            pos=(0.04, -0.08),
            scale=0.042,
            fg=INK,
            align=TextNode.ALeft,
            font=default_font(),
            wordwrap=44,
            mayChange=True,
        )
        self.overlay.textNode.setCardAsMargin(0.5, 0.5, 0.35, 0.35)
        self.overlay.textNode.setCardDecal(True)
        self.reload()
        if watch:
            self._watcher = threading.Thread(target=self._watch, name="lesson-watch", daemon=True)
            self._watcher.start()

    # --- files ----------------------------------------------------------------------------

    @property
    def roots(self) -> list[Path]:
        """The folders watched: the lesson's (its file and own assets) and the project's assets."""
        return [p for p in (self.path.parent, ASSETS_DIR) if p.is_dir()]

    def relevant(self, changed: Path) -> bool:
        """Whether a changed file can change the scene: the lesson or an asset."""
        changed = changed.resolve()
        assets = (self.path.parent / "assets", ASSETS_DIR.resolve())
        return changed == self.path or any(changed.is_relative_to(a) for a in assets)

    def _watch(self) -> None:
        """The watcher thread: hand each batch of changed paths to the Panda3D thread."""
        import watchfiles

        try:
            for batch in watchfiles.watch(
                *self.roots,
                step=SETTLE_MS,
                rust_timeout=WAKE_MS,
                yield_on_timeout=True,  # an empty batch now and then: it is watching
                stop_event=self._stop,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                self._watching.set()
                if batch:
                    self.changes.put({Path(p) for _, p in batch})
        except Exception as exc:  # a watcher that dies must say so, never take the window down
            self.watch_error = (
                f"{self.path}: watching for changes stopped: {exc}; restart the preview"
            )
            self.changes.put(set())
        finally:
            self._watching.set()

    def wait_until_watching(self, timeout: float = 10.0) -> bool:
        """Block until the watcher sees the files (a change saved before then may be missed)."""
        return self._watching.wait(timeout)

    def poll(self) -> bool:
        """Take the changes the watcher saw; rebuild if any can change the scene.

        Call from the Panda3D thread (a task does, in :meth:`run`).

        Returns:
            Whether it reloaded the lesson.
        """
        changed: set[Path] = set()
        while True:
            try:
                changed |= self.changes.get_nowait()
            except queue.Empty:
                break
        relevant = {p for p in changed if self.relevant(p)}
        if self.watch_error is not None and self.watch_error not in self.problems:
            self._show([*self.problems, self.watch_error], error=self.failed)
        if not relevant:
            return False
        if relevant - {self.path}:
            # Panda3D caches what it loaded by file name: let the changed models and
            # textures be read again (the scene on screen keeps its own references)
            ModelPool.release_all_models()
            TexturePool.release_all_textures()
        self.reload()
        return True

    # --- building -------------------------------------------------------------------------

    def reload(self) -> bool:
        """Read and check the lesson; rebuild the scene if it is good, else show its errors.

        The camera stays where it was (on the first good build it goes to the player's
        start), and a save that fails keeps the last good scene on screen.

        Returns:
            Whether the lesson built.
        """
        self.reloads += 1
        try:
            loaded = load_lesson(self.path)
        except LessonError as exc:
            return self._fail([str(d) for d in exc.diagnostics])
        except Exception as exc:  # a checker's bug must not close an author's window either
            return self._fail([f"{self.path}: the lesson could not be checked: {exc!r}"])
        camera = self.app.camera
        pos, hpr = camera.get_pos(), camera.get_hpr()
        roots = (self.app.render, self.app.aspect2d)
        before = {node for root in roots for node in root.get_children()}
        try:
            runtime = Runtime(loaded.lesson)
            scene = build_scene(loaded, self.app, knob_levels=runtime.knobs)
            presenter = Presenter(self.app, scene, runtime)
        except Exception as exc:  # any failure of an author's lesson is shown, never a crash
            # take away what the failed build had added, so the last good scene stays alone
            for node in {n for root in roots for n in root.get_children()} - before:
                node.remove_node()
            if self.scene is not None:
                self.app.base.set_background_color(*_sky(self.scene))
            return self._fail([f"{self.path}: the scene could not be built: {exc}"])
        first = self.scene is None
        self._drop_scene()
        self.loaded, self.scene, self.presenter = loaded, scene, presenter
        if first:
            self.reset_camera()
        else:
            camera.set_pos_hpr(pos, hpr)
        self.failed = False
        self._show(_warning_lines(loaded.warnings), error=False)
        return True

    def _fail(self, lines: list[str]) -> bool:
        self.failed = True
        self._show(lines, error=True)
        return False

    def _drop_scene(self) -> None:
        if self.presenter is not None:
            self.presenter.destroy()
            self.presenter = None
        if self.scene is not None:
            self.scene.destroy()
            self.scene = None

    def reset_camera(self) -> None:
        """Put the camera at the player's start: its eyes, heading and pitch."""
        if self.loaded is None:
            return
        player = self.loaded.lesson.player
        x, y, z = player.position
        self.app.camera.set_pos(x, y, z + player.eye_height)
        self.app.camera.set_hpr(player.heading, player.pitch, 0)

    # --- the overlay ----------------------------------------------------------------------

    def _top_left(self) -> NodePath:
        corner = getattr(self.app.base, "a2dTopLeft", None)
        return corner if corner is not None else self.app.aspect2d

    def _show(self, lines: list[str], *, error: bool) -> None:
        self.problems = lines
        shown = lines[:MAX_SHOWN]
        if len(lines) > MAX_SHOWN:
            shown.append(f"... and {len(lines) - MAX_SHOWN} more (lesson validate lists them all)")
        if error:
            shown.insert(0, "This save has errors; showing the last good scene:")
        self.overlay.textNode.setCardColor(*(ERROR_CARD if error else STATUS_CARD))
        self.overlay.setText("\n".join(shown))
        if shown:
            self.overlay.show()
        else:
            self.overlay.hide()

    @property
    def overlay_text(self) -> str:
        """What the overlay says now ('' when hidden)."""
        return "" if self.overlay.isHidden() else str(self.overlay.getText())

    # --- the window loop ------------------------------------------------------------------

    def run(self) -> None:
        """Show the window until it is closed (or Esc): poll for changes, fly the camera."""
        base = self.app.base
        self._tasks.append(base.task_mgr.add(self._poll_task, "preview-poll"))
        if isinstance(self.app.win, GraphicsWindow):
            self._bind_controls()
        base.run()

    def _poll_task(self, task: Task) -> int:
        self.poll()
        return Task.cont

    def _bind_controls(self) -> None:
        from engine.rigs.mouselook import MouseLook

        base = self.app.base
        self._mouse = MouseLook(self.app.win)
        on = self._events.accept
        on("mouse3", self._look, [True])
        on("mouse3-up", self._look, [False])
        on("r", self.reset_camera)
        on("escape", self.stop)
        on(CLOSE_EVENT, self.stop)
        self.app.win.set_close_request_event(CLOSE_EVENT)
        # a window closed by other means would make ShowBase exit the process
        base.finalizeExit = self.stop
        self._tasks.append(base.task_mgr.add(self._fly, "preview-fly", sort=-10))

    def _look(self, on: bool) -> None:
        self._looking = on
        self._mouse.capture(on)

    def _fly(self, task: Task) -> int:
        dt = min(ClockObject.get_global_clock().get_dt(), 0.1)
        camera = self.app.camera
        if self._looking:
            dx, dy = self._mouse.delta()
            h = camera.get_h() - dx * LOOK_DEGREES_PER_PIXEL
            p = max(-85.0, min(85.0, camera.get_p() - dy * LOOK_DEGREES_PER_PIXEL))
            camera.set_hpr(h, p, 0)
        down = self.app.base.mouseWatcherNode.is_button_down

        def axis(plus: str, minus: str) -> float:
            key = KeyboardButton.ascii_key
            return float(down(key(plus))) - float(down(key(minus)))

        forward, strafe, rise = axis("w", "s"), axis("d", "a"), axis("e", "q")
        if forward or strafe or rise:
            h = math.radians(camera.get_h())
            step = FLY_SPEED * dt
            camera.set_pos(
                camera.get_x() + (-math.sin(h) * forward + math.cos(h) * strafe) * step,
                camera.get_y() + (math.cos(h) * forward + math.sin(h) * strafe) * step,
                camera.get_z() + rise * step,
            )
        return Task.cont

    def stop(self) -> None:
        """End :meth:`run`'s loop."""
        self.app.base.task_mgr.stop()

    def close(self) -> None:
        """Stop watching, remove the scene and overlay; close the window if this opened it."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5.0)
        self._events.ignore_all()
        for task in self._tasks:
            self.app.base.task_mgr.remove(task)
        self._drop_scene()
        self.overlay.destroy()
        if self.owns_app:
            destroy_app(self.app)
        elif hasattr(self, "_mouse"):
            # someone else's window: give it back as it was
            self._mouse.capture(False)
            self.app.win.set_close_request_event("")
            del self.app.base.finalizeExit


def preview(path: str | Path, *, size: tuple[int, int] = (1280, 720)) -> None:
    """``lesson preview PATH``: open the preview window and run it until it is closed.

    Args:
        path: a ``lesson.yaml``, a lesson folder or a bundled lesson's id.
        size: the window's width and height in pixels.

    Raises:
        FileNotFoundError: the lesson's folder does not exist.
        RuntimeError: no window could be opened.
    """
    window = Preview(path, size=size)
    try:
        window.run()
    finally:
        window.close()


def wait_for_reload(window: Preview, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll until the preview reloads or ``timeout`` seconds pass (for tests and scripts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if window.poll():
            return True
        time.sleep(interval)
    return False


def _warning_lines(warnings: Iterable[Diagnostic]) -> list[str]:
    return [str(d) for d in warnings]


def _sky(scene: BuiltScene) -> tuple[float, float, float, float]:
    from engine.scene.environment import sky_color

    return sky_color(scene.lesson.environment)


def _open_window(size: tuple[int, int], title: str) -> SceneApp:
    try:
        return create_app(headless=False, size=size, title=title)
    except RuntimeError:
        raise
    except Exception as exc:  # ShowBase raises a bare Exception('Could not open window.')
        raise RuntimeError(str(exc)) from exc
