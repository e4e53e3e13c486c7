"""Runs one lesson on this station and obeys the teacher's commands while it runs.

Everything that touches the lesson (session, scene, window) happens on the calling thread;
commands come in through the :class:`~classroom.station.inbox.Inbox`. Modes:

- ``desktop``: the engine's desktop rig (a window; the learner plays).
- ``headless``: an offscreen renderer driven by a learner script, paced in real time
  (``pace`` lesson seconds per wall second), so a simulated learner progresses visibly on the
  live class view, and a pause really stops it.
- ``xr``: the engine's headset rig (OpenXR), as ``lesson run --xr`` plays it; a station
  without a headset says so and stays ready for the next launch.
- ``auto``: the headset when there is one, else the desktop rig.

Every statement the session writes goes to the outbox as soon as it is committed to the
session log (:meth:`engine.log.store.SessionRecorder.subscribe`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classroom.protocol import (
    EndCommand,
    FocusCommand,
    LaunchCommand,
    PauseCommand,
    ResumeCommand,
)
from classroom.station.client import ConsoleClient
from classroom.station.files import StationPaths
from classroom.station.inbox import Inbox, Message, Revoked, Shutdown
from classroom.station.learner_settings import apply_settings, current_settings
from classroom.station.lessons import LessonUnavailable, lesson_folder
from classroom.station.outbox import Outbox
from classroom.station.progress import Progress
from classroom.station.status import StatusBoard
from engine.core import events as ev
from engine.rigs.settings import DesktopSettings

if TYPE_CHECKING:
    from engine.present.presenter import Presenter
    from engine.rigs.desktop import DesktopRig
    from engine.rigs.headless import HeadlessPilot
    from engine.session import LessonSession

log = logging.getLogger(__name__)

#: how often the gaze is sampled for the status report, wall seconds (a pick costs a ray)
GAZE_EVERY_SECONDS = 0.5
#: a headless run this far behind its pace (a slow frame, a busy machine) catches up no further
MAX_LAG_SECONDS = 1.0
#: what the presenter shows while the teacher has paused the class
TEACHER_PAUSED = "Paused by your teacher"


class RunError(Exception):
    """A lesson that could not be started; the message says why."""


@dataclass
class RunnerOptions:
    """How this station runs lessons.

    Attributes:
        headless: run every lesson offscreen, driven by ``script`` (a simulated learner).
        script: the learner script for headless runs.
        pace: lesson seconds per wall second in headless runs.
        size: window or frame size.
        snapshots: headless: save a still here after each command is applied.
        library: the engine's bundled lessons (used when the console has no pack).
    """

    headless: bool = False
    script: Path | None = None
    pace: float = 1.0
    size: tuple[int, int] = (1280, 720)
    snapshots: Path | None = None
    library: Path = field(default_factory=lambda: _bundled_lessons())


def _bundled_lessons() -> Path:
    from engine.paths import LESSONS_DIR

    return LESSONS_DIR


@dataclass
class RunOutcome:
    """How a lesson run ended.

    Attributes:
        reason: why it ended, for the terminal.
        completed: the learner completed the lesson.
        session_id: the engine session (kept in the station's session log).
        next: a message that ended the run and that the station must handle next (another
            launch, a revoked token, a shutdown); None when the lesson ended by itself or by
            an ``end`` command.
    """

    reason: str
    completed: bool
    session_id: str
    next: Message | None = None


class _Stop(Exception):
    """Unwinds a running lesson (out of the script driver or the window's loop)."""

    def __init__(self, reason: str, next_message: Message | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.next = next_message


class LessonRunner:
    """Runs launches one at a time.

    Args:
        paths: the station's data folder.
        client: the console (lesson packs).
        outbox: where statements go.
        board: the status the reporter sends.
        inbox: commands and stop messages.
        progress: the station's progress (saved after each command).
        options: how lessons run here.
        stop_requested: returns a reason when the station must stop (a signal), else None.
        say: prints a line for the person at the station's terminal.
    """

    def __init__(
        self,
        *,
        paths: StationPaths,
        client: ConsoleClient,
        outbox: Outbox,
        board: StatusBoard,
        inbox: Inbox,
        progress: Progress,
        options: RunnerOptions,
        stop_requested: Callable[[], str | None] = lambda: None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.paths = paths
        self.client = client
        self.outbox = outbox
        self.board = board
        self.inbox = inbox
        self.progress = progress
        self.options = options
        self.stop_requested = stop_requested
        self.say = say
        # per run
        self.launch: LaunchCommand | None = None
        self.session: LessonSession | None = None
        self.presenter: Presenter | None = None
        self.pilot: HeadlessPilot | None = None
        self.rig: DesktopRig | None = None
        self.teacher_paused = False
        self._wall0 = 0.0
        self._t0 = 0.0
        self._gaze_at = 0.0
        self._stop: _Stop | None = None

    # --- one run ------------------------------------------------------------------------------

    def mode_for(self, launch: LaunchCommand) -> str:
        """The mode this station runs ``launch`` in."""
        if self.options.headless or launch.mode == "headless":
            return "headless"
        return launch.mode

    def run(self, launch: LaunchCommand, *, resume: bool = False) -> RunOutcome:
        """Run ``launch`` until it completes, the teacher ends it, or the station must stop.

        Args:
            launch: the command.
            resume: continue the learner's unfinished session of this lesson (after a restart).

        Raises:
            RunError: the lesson could not be started (the station stays usable).
        """
        from adaptivity.store import LearnerStore
        from engine.log.store import SessionStore
        from engine.model import LessonError, load_lesson
        from engine.session import LessonSession, learner_store_path

        mode = self.mode_for(launch)
        if mode == "headless" and self.options.script is None:
            raise RunError("a headless launch needs a station started with --script FILE")
        try:
            folder = lesson_folder(launch.lesson_id, self.paths, self.client, self.options.library)
            loaded = load_lesson(folder / "lesson.yaml")
        except LessonUnavailable as exc:
            raise RunError(str(exc)) from None
        except LessonError as exc:
            raise RunError(f"lesson {launch.lesson_id} is invalid: {exc}") from None
        actions = self._script() if mode == "headless" else []
        text_scale = self._apply_settings(launch)
        store = SessionStore(self.paths.sessions)
        learners = LearnerStore(learner_store_path(self.paths.sessions))
        session = LessonSession(
            loaded, store, learner=launch.learner_id, resume=resume, learners=learners
        )
        self.session, self.launch = session, launch
        self.teacher_paused = False
        self._stop = None
        self.progress.session_id = session.session_id
        self.progress.save(self.paths)
        # from here every statement the session commits is queued for the console
        session.recorder.subscribe(self.outbox.add)
        self.board.set(
            state="running",
            lesson_id=launch.lesson_id,
            learner_id=launch.learner_id,
            step=None,
            lesson_time=0.0,
            gaze=None,
        )
        self.say(f"running {launch.lesson_id} for {launch.learner_name} ({mode})")
        outcome_next: Message | None = None
        reason = "the run failed"
        try:
            if mode == "headless":
                reason = self._run_headless(loaded, session, actions, text_scale)
            else:
                played = None
                if mode in ("xr", "auto"):
                    played = self._run_headset(loaded, session, launch, required=mode == "xr")
                reason = played or self._run_desktop(loaded, session, launch)
        except _Stop as stop:
            reason, outcome_next = stop.reason, stop.next
        finally:
            completed = session.runtime.completed
            session.close(reason if completed else "")
            store.close()
            learners.close()
            self._report_settings(launch)
            self.session = self.presenter = self.pilot = self.rig = None
        self._publish_progress(session)
        self.board.set(state="ended", gaze=None)
        self.say(f"{launch.lesson_id}: {reason} (session {session.session_id})")
        return RunOutcome(reason, completed, session.session_id, outcome_next)

    def _script(self) -> list[Any]:
        from engine.core.script import ScriptError, load_script

        assert self.options.script is not None
        try:
            return load_script(self.options.script)
        except (OSError, ScriptError) as exc:
            raise RunError(str(exc)) from None

    # --- settings -----------------------------------------------------------------------------

    def _apply_settings(self, launch: LaunchCommand) -> float:
        """Save the learner's settings from the console where the rigs read them; returns the
        text scale."""
        apply_settings(launch.learner_id, launch.settings)
        self._report_settings(launch)
        return DesktopSettings.load(launch.learner_id).text_scale

    def _report_settings(self, launch: LaunchCommand) -> None:
        self.board.set_settings(current_settings(launch.learner_id, launch.settings))

    # --- commands while a lesson runs -----------------------------------------------------------

    def _obey(self, message: Message) -> None:
        """Apply one message to the running lesson (raises :class:`_Stop` to end the run)."""
        session = self.session
        assert session is not None
        rt = session.runtime
        if isinstance(message, Revoked):
            raise _Stop("the console revoked this station's token", message)
        if isinstance(message, Shutdown):
            raise _Stop(message.reason, message)
        if isinstance(message, LaunchCommand):
            raise _Stop("the teacher launched another lesson", message)
        if isinstance(message, EndCommand):
            self._executed(message.seq)
            raise _Stop("the teacher ended the lesson")
        if isinstance(message, PauseCommand):
            self.teacher_paused = True
            if rt.started and not rt.completed and not rt.paused:
                session.handle(ev.Pause())
            if self.presenter is not None:
                self.presenter.hud.centre.show(TEACHER_PAUSED)
            # the time it stopped at goes with the state, in one update
            self._publish_progress(session, state="paused")
        elif isinstance(message, ResumeCommand):
            self.teacher_paused = False
            if rt.paused:
                session.handle(ev.Resume())
            if self.presenter is not None and self.presenter.hud.centre.value == TEACHER_PAUSED:
                self.presenter.hud.centre.show("")
            self._wall0, self._t0 = time.monotonic(), rt.t
            self.board.set(state="running")
        elif (
            isinstance(message, FocusCommand)
            and self.presenter is not None
            and not self.presenter.point_at(message.entity)
        ):
            log.warning("look here: the lesson has no entity %r", message.entity)
        self._executed(message.seq)
        self._snapshot(f"{message.seq:04d}-{message.kind}")

    def _executed(self, seq: int) -> None:
        self.progress.last_seq = max(self.progress.last_seq, seq)
        self.progress.save(self.paths)

    def _snapshot(self, name: str) -> None:
        if self.options.snapshots is not None and self.pilot is not None:
            self.pilot.screenshot(str(self.options.snapshots / f"{name}.png"))

    def _check_signal(self) -> None:
        reason = self.stop_requested()
        if reason is not None:
            raise _Stop(reason, Shutdown(reason))

    def _publish_progress(self, session: LessonSession, **fields: Any) -> None:
        step = session.runtime.step
        self.board.set(
            step=step.id if step else None, lesson_time=round(session.runtime.t, 3), **fields
        )

    # --- headless, scripted, paced ----------------------------------------------------------------

    def _run_headless(
        self, loaded: Any, session: LessonSession, actions: list[Any], text_scale: float
    ) -> str:
        from engine.core.script import ScriptDriver, ScriptError
        from engine.present.presenter import Presenter
        from engine.rigs.headless import HeadlessPilot
        from engine.scene.app import create_app, destroy_app
        from engine.scene.builder import build_scene

        try:
            app = create_app(headless=True, size=self.options.size)
        except RuntimeError as exc:
            raise RunError(f"no offscreen renderer: {exc}") from None
        try:
            rt = session.runtime
            scene = build_scene(loaded, app, knob_levels=rt.knobs)
            self.presenter = Presenter(app, scene, rt, text_scale=text_scale)
            self.pilot = HeadlessPilot(app, scene, self.presenter)
            driver = ScriptDriver(rt, self.pilot, handle=session.handle, on_frame=self._frame)
            app.camera.setP(loaded.lesson.player.pitch)
            self.pilot.set_position(driver.eye, driver.heading)
            session.start()
            self._wall0, self._t0 = time.monotonic(), rt.t
            try:
                driver.run(actions)
            except ScriptError as exc:
                return f"the learner script failed: {exc}"
            return "completed" if rt.completed else "the script ended before the lesson did"
        finally:
            if self.presenter is not None:
                self.presenter.destroy()
            destroy_app(app)

    def _frame(self) -> None:
        """After every headless frame: publish progress, keep the pace, obey commands."""
        session = self.session
        assert session is not None and self.pilot is not None
        self._publish_progress(session)
        now = time.monotonic()
        if now - self._gaze_at >= GAZE_EVERY_SECONDS:
            self._gaze_at = now
            camera = self.pilot.app.camera
            self.board.gaze(self.pilot.picked(), camera.getH(), camera.getP())
        while True:
            self._check_signal()
            if self.teacher_paused:
                # nothing moves until the teacher resumes (or ends); wake for signals now and then
                with contextlib.suppress(queue.Empty):
                    self._obey(self.inbox.get(timeout=0.2))
                continue
            lesson_elapsed = session.runtime.t - self._t0
            due = self._wall0 + lesson_elapsed / self.options.pace
            wait = due - time.monotonic()
            if wait < -MAX_LAG_SECONDS:
                self._wall0, self._t0 = time.monotonic(), session.runtime.t
                wait = 0.0
            try:
                message = self.inbox.get(timeout=wait) if wait > 0 else self.inbox.get_nowait()
            except queue.Empty:
                return
            self._obey(message)

    # --- desktop window and headset ------------------------------------------------------------

    def _run_desktop(self, loaded: Any, session: LessonSession, launch: LaunchCommand) -> str:
        from direct.task import Task

        from engine.rigs.desktop import DesktopRig

        try:
            rig = DesktopRig(loaded, session, size=self.options.size, learner=launch.learner_id)
        except RuntimeError as exc:
            raise RunError(f"could not open a window: {exc}") from None
        self.rig, self.presenter = rig, rig.presenter

        def each_frame(task: Any) -> int:
            self._between_frames(rig, rig.menu is not None, rig.heading, rig.pitch, rig.pick)
            # the rig's own loop stops once quit (by the teacher or the learner)
            return int(Task.done if rig.done else Task.cont)

        task = rig.app.base.task_mgr.add(each_frame, "station-commands", sort=-20)
        try:
            rig.run()
        finally:
            rig.app.base.task_mgr.remove(task)
            rig.close()
        if self._stop is not None:
            raise self._stop
        return rig.exit_reason or "the learner left the lesson"

    def _run_headset(
        self, loaded: Any, session: LessonSession, launch: LaunchCommand, *, required: bool
    ) -> str | None:
        """Play in the headset; None when there is none and ``required`` is False (the caller
        falls back to the desktop)."""
        from engine.play import xr_binding
        from engine.rigs.xr.rig import XrRig
        from engine.rigs.xr.system import XrUnavailable

        def each_frame(rig: XrRig) -> None:
            assert rig.app is not None
            h, p, _ = rig.app.camera.getHpr(rig.app.render)
            self._between_frames(rig, rig.paused_for_focus, h, p, lambda: rig.gazed)

        try:
            rig = XrRig(
                loaded,
                session,
                learner=launch.learner_id,
                binding=xr_binding("auto"),
                size=self.options.size,
                on_frame=each_frame,
            )
        except (XrUnavailable, ImportError) as exc:
            if required:
                raise RunError(f"headset mode: {exc}") from None
            self.say(f"no headset ({exc}); playing on the desktop")
            return None
        self.presenter = rig.presenter
        try:
            rig.run()
        finally:
            rig.close()
        if self._stop is not None:
            raise self._stop
        return str(rig.exit_reason or "the learner left the lesson")

    def _between_frames(
        self,
        rig: Any,
        paused_by_rig: bool,
        heading: float,
        pitch: float,
        pick: Callable[[], str | None],
    ) -> None:
        """Between two frames of a window or headset: obey commands, publish the state."""
        session = self.session
        assert session is not None
        if self._stop is not None:
            return
        try:
            self._check_signal()
            while True:
                try:
                    message = self.inbox.get_nowait()
                except queue.Empty:
                    break
                self._obey(message)
        except _Stop as stop:
            self._stop = stop
            rig.quit(stop.reason)
            return
        rt = session.runtime
        # the learner's own pause menu (or a headset taken off) must not lift the teacher's pause
        if self.teacher_paused and not paused_by_rig and not rt.paused and not rt.completed:
            session.handle(ev.Pause())
        self._publish_progress(session)
        now = time.monotonic()
        if now - self._gaze_at >= GAZE_EVERY_SECONDS:
            self._gaze_at = now
            self.board.gaze(pick(), heading, pitch)
            # the learner may change them in the pause menu (desktop: ``settings``, headset:
            # ``comfort``): they follow the learner
            live = [getattr(rig, name, None) for name in ("settings", "comfort")]
            if self.launch is not None and any(x is not None for x in live):
                current = current_settings(self.launch.learner_id, self.launch.settings)
                for settings in live:
                    if settings is not None:
                        current.update(asdict(settings))
                self.board.set_settings(current)
