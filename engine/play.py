"""``lesson run``: load a lesson, open a session, build the scene and hand it to a rig.

This is the one place that wires the layers together: model -> session (runtime + log) ->
scene builder -> presenter -> rig (desktop window, or headless with a learner script).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adaptivity.store import LearnerStore
from engine.core.script import ScriptDriver, ScriptError, load_script
from engine.log.store import SessionStore
from engine.model.loader import LoadedLesson, load_lesson
from engine.session import LessonSession, default_store_path, learner_store_path


class PlayError(Exception):
    """A run that could not happen or did not finish: the message says why."""


@dataclass
class PlayOptions:
    """What ``lesson run`` was asked to do."""

    lesson: str
    headless: bool = False
    script: Path | None = None
    screenshot: Path | None = None
    record: Path | None = None
    resume: bool = False
    learner: str = "learner"
    store: Path | None = None
    seed: int = 0
    size: tuple[int, int] = (1280, 720)
    #: ``auto`` plays in a headset when an OpenXR runtime has one, else on the desktop
    mode: Literal["auto", "xr", "desktop"] = "auto"
    #: the headset's graphics binding: ``glx`` with an X display, ``egl`` without (auto)
    xr_binding: Literal["auto", "egl", "glx"] = "auto"
    #: fraction of the headset's recommended eye resolution
    render_scale: float = 1.0
    #: lesson seconds per real second in the headset (tests speed long waits up)
    time_scale: float = 1.0
    #: called after every headset frame with the rig (tests drive controllers from it)
    on_xr_frame: Callable[[Any], None] | None = None


@dataclass
class PlayResult:
    """How the run ended."""

    lesson_id: str
    completed: bool
    lesson_time: float
    session_id: str
    step: str = ""
    reason: str = ""
    frames: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        if self.completed:
            return (
                f"{self.lesson_id}: completed in {self.lesson_time:.1f} s of lesson time "
                f"(session {self.session_id})"
            )
        where = f" at step '{self.step}'" if self.step else ""
        why = self.reason or "the run ended early"
        return f"{self.lesson_id}: not completed{where}: {why} (session {self.session_id})"


def play(options: PlayOptions) -> PlayResult:
    """Run a lesson as ``options`` say.

    Raises:
        LessonError: the lesson file is invalid (located diagnostics).
        PlayError: the script is invalid, or no window/buffer could be opened.
    """
    loaded = load_lesson(options.lesson)
    actions = None
    if options.script is not None:
        try:
            actions = load_script(options.script)
        except (OSError, ScriptError) as exc:
            raise PlayError(str(exc)) from None
    elif options.headless:
        raise PlayError("--headless needs --script FILE (a learner script) to drive the lesson")
    store_path = options.store or default_store_path()
    store = SessionStore(store_path)
    learners = LearnerStore(learner_store_path(store_path))
    session = LessonSession(
        loaded,
        store,
        learner=options.learner,
        record=options.record,
        resume=options.resume,
        seed=options.seed,
        learners=learners,
    )
    try:
        if options.headless or actions is not None:
            return _run_scripted(loaded, session, actions or [], options)
        if options.mode != "desktop":
            result = _run_headset(loaded, session, options)
            if result is not None:
                return result
        return _run_desktop(loaded, session, options)
    finally:
        session.close()
        store.close()
        learners.close()


def _run_scripted(
    loaded: LoadedLesson, session: LessonSession, actions: list, options: PlayOptions
) -> PlayResult:
    from engine.present.presenter import Presenter
    from engine.rigs.headless import HeadlessPilot
    from engine.scene.app import create_app, destroy_app
    from engine.scene.builder import build_scene

    try:
        app = create_app(headless=True, size=options.size)
    except RuntimeError as exc:
        raise PlayError(f"no offscreen renderer: {exc}") from None
    try:
        rt = session.runtime
        scene = build_scene(loaded, app, knob_levels=rt.knobs)
        presenter = Presenter(app, scene, rt)
        pilot = HeadlessPilot(app, scene, presenter)
        driver = ScriptDriver(rt, pilot, handle=session.handle)
        app.camera.setP(loaded.lesson.player.pitch)
        pilot.set_position(driver.eye, driver.heading)
        session.start()
        reason = ""
        try:
            driver.run(actions)
        except ScriptError as exc:
            reason = str(exc)
        if not rt.completed and not reason:
            reason = "the script ended before the lesson was complete"
        if options.screenshot is not None:
            pilot.screenshot(str(options.screenshot))
        step = rt.step
        return PlayResult(
            loaded.lesson.metadata.id,
            rt.completed,
            rt.t,
            session.session_id,
            step=step.id if step else "",
            reason=reason,
            frames=pilot.frames_rendered,
        )
    finally:
        destroy_app(app)


def xr_binding(requested: str = "auto") -> Literal["egl", "glx"]:
    """The graphics binding to use: the desktop's GL context (GLX with an X display, WGL on
    Windows), EGL on Linux without a display."""
    if requested in ("egl", "glx"):
        return requested  # type: ignore[return-value]
    if not sys.platform.startswith("linux"):
        return "glx"
    return "glx" if os.environ.get("DISPLAY") else "egl"


def _run_headset(
    loaded: LoadedLesson, session: LessonSession, options: PlayOptions
) -> PlayResult | None:
    """Play in the headset; None (after a one-line notice) when ``auto`` finds none.

    Raises:
        PlayError: ``--xr`` was asked for and there is no headset.
    """
    from engine.rigs.xr.system import XrUnavailable

    try:
        from engine.rigs.xr.rig import XrRig

        rig = XrRig(
            loaded,
            session,
            learner=options.learner,
            binding=xr_binding(options.xr_binding),
            size=options.size,
            render_scale=options.render_scale,
            time_scale=options.time_scale,
            on_frame=options.on_xr_frame,
            quiet=options.mode == "auto",
        )
    except XrUnavailable as exc:
        if options.mode == "xr":
            raise PlayError(f"headset mode: {exc}") from None
        print(f"lesson run: no headset ({exc}); playing on the desktop", file=sys.stderr)
        return None
    try:
        rig.run()
    finally:
        rig.close()
    return _ended(session, rig.exit_reason, frames=rig.frames_submitted)


def _run_desktop(loaded: LoadedLesson, session: LessonSession, options: PlayOptions) -> PlayResult:
    from engine.rigs.desktop import DesktopRig

    try:
        rig = DesktopRig(loaded, session, size=options.size, learner=options.learner)
    except RuntimeError as exc:
        hint = ""
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            hint = " (no display here: run it on a desktop, or use --headless --script FILE)"
        raise PlayError(f"could not open a window: {exc}{hint}") from None
    try:
        rig.run()
    finally:
        rig.close()
    return _ended(session, rig.exit_reason)


def _ended(session: LessonSession, reason: str, frames: int = 0) -> PlayResult:
    """How an interactive run (window or headset) ended."""
    rt = session.runtime
    step = rt.step
    return PlayResult(
        session.loaded.lesson.metadata.id,
        rt.completed,
        rt.t,
        session.session_id,
        step=step.id if step else "",
        reason=reason,
        frames=frames,
    )
