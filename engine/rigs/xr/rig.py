"""The headset rig: the OpenXR session lifecycle and the frame loop.

Per frame: poll events (state changes), wait for and begin the frame, sync the actions and
locate hands and eyes at the predicted display time, turn input into interactions, advance
the session, render both eyes and submit them as one projection layer. The lesson pauses when
the headset loses input focus (a system menu, the headset taken off) and resumes with it. If
the runtime goes away, the run ends with a message: every interaction is already in the
session log, and the session stays resumable.
"""

from __future__ import annotations

import ctypes
import math
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

from panda3d.core import LColor, Material, NodePath, Vec3

from engine.core import events as ev
from engine.model.loader import LoadedLesson
from engine.present.presenter import (
    FOCUS_ARROW_AHEAD,
    FOCUS_ARROW_OFFSET,
    FOCUS_ARROW_RGBA,
    Presenter,
    make_focus_arrow,
)
from engine.rigs.comfort import ComfortSettings
from engine.rigs.desktop import walk_bounds
from engine.rigs.xr.eyes import EyeTargets
from engine.rigs.xr.graphics import make_binding, prepare_gl
from engine.rigs.xr.input import XrInput
from engine.rigs.xr.interact import Interactor
from engine.rigs.xr.mirror import Mirror
from engine.rigs.xr.space import to_panda_pos, to_panda_quat
from engine.rigs.xr.system import Binding, XrSystem, XrUnavailable, open_system
from engine.scene.app import SceneApp, create_app, destroy_app, render_frame
from engine.scene.builder import BuiltScene, build_scene
from engine.session import LessonSession

#: how often lesson time is saved for resume (interactions are saved as they happen)
CHECKPOINT_SECONDS = 2.0
#: a stalled frame must not make the lesson jump
MAX_FRAME_DT = 0.1
#: how long a requested exit may take before the rig stops waiting for the runtime
EXIT_TIMEOUT = 3.0
#: how often the head's gaze is ray-picked, seconds (a pick costs a collision traversal)
GAZE_PICK_SECONDS = 0.1
#: gazes shorter than this are glances, not attention (as on the desktop)
DWELL_MIN_MS = 300
HUD_BOXES = ("centre", "instruction", "question", "hint", "feedback", "caption", "status")


class XrRig:
    """Plays one session in a headset until the learner quits, the lesson is left, or the
    runtime goes away.

    Attributes:
        state: the session state's name (IDLE ... EXITING).
        states: every state the session went through, in order.
        frames: frames ended; frames_submitted: of those, frames with a projection layer;
        frames_visible: frames begun while VISIBLE or FOCUSED.
        done: the run is over; exit_reason: why, for the terminal.
    """

    def __init__(
        self,
        loaded: LoadedLesson,
        session: LessonSession,
        *,
        learner: str = "learner",
        binding: Binding = "egl",
        size: tuple[int, int] = (1280, 720),
        render_scale: float = 1.0,
        time_scale: float = 1.0,
        on_frame: Callable[[XrRig], None] | None = None,
        quiet: bool = False,
    ) -> None:
        """Find the headset, open the renderer and the OpenXR session, build the scene.

        Args:
            loaded: the lesson.
            session: the session played.
            learner: whose comfort settings to use.
            binding: ``egl`` (offscreen, no X server) or ``glx`` (a desktop window mirrors
                the view).
            size: the mirror window's size (GLX).
            render_scale: fraction of the runtime's recommended eye resolution.
            time_scale: lesson seconds per real second (tests speed long waits up).
            on_frame: called after every frame (tests drive controllers from it).
            quiet: silence the OpenXR loader's messages (when a headset is only tried).

        Raises:
            XrUnavailable: no runtime, no headset, or the session could not start.
        """
        import xr

        self.xr = xr
        self.session = session
        self.rt = session.runtime
        self.learner = learner
        self.comfort = ComfortSettings.load(learner)
        self.time_scale = time_scale
        self.on_frame = on_frame
        # before anything imports PyOpenGL (pyopenxr may): it fixes its platform once
        prepare_gl(binding)
        self.system: XrSystem = open_system(binding, quiet=quiet)
        prepare_gl(binding)  # again: importing xr switched PyOpenGL to GLX
        self.state = "IDLE"
        self.states: list[str] = []
        self.frames = self.frames_submitted = self.frames_visible = 0
        self.missed_visible_frames = 0
        self.done = False
        self.exit_reason = ""
        self.running = False
        self._quitting_since: float | None = None
        self._paused_for_focus = False
        self._since_checkpoint = 0.0
        self._last_time: int | None = None
        self.timings: dict[str, float] = {}
        self.xr_session: Any = None
        self.app: SceneApp | None = None
        self._closed = False
        self.lost = False
        try:
            headless = binding == "egl"
            try:
                self.app = create_app(
                    headless=headless,
                    size=(64, 64) if headless else size,
                    title=f"Peripatos (headset): {loaded.lesson.metadata.title}",
                )
            except Exception as exc:  # ShowBase raises a bare Exception for a window
                raise XrUnavailable(f"no OpenGL context for the headset: {exc}") from None
            self.scene: BuiltScene = build_scene(loaded, self.app, knob_levels=self.rt.knobs)
            self.presenter = Presenter(self.app, self.scene, self.rt)
            self.focus_arrow = _headset_focus_arrow(self.app.camera)
            self._binding, pointer = make_binding(binding)
            self.xr_session = xr.create_session(
                self.system.instance,
                xr.SessionCreateInfo(next=pointer, system_id=self.system.system_id),
            )
            self._make_spaces()
            player = loaded.lesson.player
            self.origin = self.app.render.attach_new_node("xr-origin")
            self.head = self.origin.attach_new_node("xr-head")
            self.eyes = EyeTargets(
                self.xr_session,
                self.system.views,
                self.app,
                self.origin,
                render_scale=render_scale,
                depth="XR_KHR_composition_layer_depth" in self.system.extensions,
            )
            self.eyes.set_background(self.app.win.get_clear_color())
            left = self.eyes.eyes[0]
            self.mirror = Mirror(
                self.app, left.texture, (left.width, left.height), srgb=self.eyes.srgb
            )
            self.input = XrInput(self.system.instance, self.xr_session, self.system.extensions)
            self.floor_z = player.position[2]
            self.eye_height = player.eye_height
            self.heading = player.heading
            self.interactor = Interactor(
                session,
                self.scene,
                self.app.render,
                self.origin,
                self.head,
                self.comfort,
                floor_z=self.floor_z,
                bounds=walk_bounds(loaded.lesson),
                eye_height=player.eye_height,
            )
            self.interactor.menu_actions = {
                "menu:resume": self.interactor.toggle_menu,
                "menu:recentre": self.recentre,
                "menu:turn": self._toggle_turn,
                "menu:vignette": self._toggle_vignette,
                "menu:seated": self._toggle_seated,
                "menu:quit": lambda: self.quit("the learner quit"),
            }
            self._centred = False
            #: what the head is pointed at (entity id or None), and since when (lesson time)
            self.gazed: str | None = None
            self._gazed_since = 0.0
            self._since_gaze_pick = 0.0
        except (xr.XrException, RuntimeError) as exc:
            # a runtime that has a headset but cannot run this session: not a crash, and
            # ``auto`` still has the desktop to offer
            self.close()
            raise XrUnavailable(
                f"the headset session could not start ({type(exc).__name__}: {exc})"
            ) from None
        except BaseException:
            self.close()
            raise
        self.session.start()

    def _make_spaces(self) -> None:
        xr = self.xr
        kinds = list(xr.enumerate_reference_spaces(self.xr_session))
        # a standing-scale space puts the floor at height 0; LOCAL is the fallback every
        # runtime has (its origin is the head at start: the eye height is then added)
        self.space_kind = (
            xr.ReferenceSpaceType.STAGE
            if xr.ReferenceSpaceType.STAGE.value in kinds
            else xr.ReferenceSpaceType.LOCAL
        )
        self.space = xr.create_reference_space(
            self.xr_session, xr.ReferenceSpaceCreateInfo(reference_space_type=self.space_kind)
        )
        self.view_space = xr.create_reference_space(
            self.xr_session,
            xr.ReferenceSpaceCreateInfo(reference_space_type=xr.ReferenceSpaceType.VIEW),
        )

    # --- placement ----------------------------------------------------------------------------

    def recentre(self) -> None:
        """Put the learner back at the lesson's start, facing its way; in seated mode (or
        with a LOCAL space) lift the eyes to the lesson's eye height."""
        assert self.app is not None
        render = self.app.render
        local = self.head.get_pos()  # in the tracking origin's frame
        yaw = self.head.get_h()
        player = self.rt.lesson.player
        x, y, _ = self.rt.world.player_position if self.rt.started else player.position
        lift = self.comfort.height_offset
        if self.comfort.seated or self.space_kind != self.xr.ReferenceSpaceType.STAGE:
            lift += self.eye_height - local.z
        self.origin.set_hpr(render, self.heading - yaw, 0, 0)
        offset = render.get_relative_vector(self.origin, Vec3(local.x, local.y, 0))
        self.origin.set_pos(render, x - offset.x, y - offset.y, self.floor_z + lift)
        self._centred = True

    def _toggle_turn(self) -> None:
        self.comfort.turn_mode = "smooth" if self.comfort.turn_mode == "snap" else "snap"
        self._comfort_changed()

    def _toggle_vignette(self) -> None:
        self.comfort.vignette = 0.0 if self.comfort.vignette > 0 else 0.6
        self._comfort_changed()

    def _toggle_seated(self) -> None:
        self.comfort.seated = not self.comfort.seated
        self.recentre()
        self._comfort_changed()

    def _comfort_changed(self) -> None:
        try:
            self.comfort.save(self.learner)
        except OSError as exc:
            self.presenter.hud.status.show(
                f"Your settings could not be saved: {exc.strerror or exc}"
            )
        self.interactor.show_menu()

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> None:
        """Run frames until the session exits, the learner quits, or the runtime goes away."""
        xr = self.xr
        try:
            while not self.done:
                self._poll()
                if self.done:
                    break
                if self.running:
                    self.frame()
                else:
                    # IDLE or STOPPING: no frame loop; keep the lesson's clock stopped
                    time.sleep(0.01)
                if (
                    self._quitting_since is not None
                    and time.monotonic() - self._quitting_since > EXIT_TIMEOUT
                ):
                    self.done = True
        except xr.XrException as exc:
            if os.environ.get("PERIPATOS_XR_DEBUG"):
                traceback.print_exc()
            self._lost(f"the headset runtime stopped answering ({type(exc).__name__})")
        except KeyboardInterrupt:
            self.done = True
            self.exit_reason = self.exit_reason or "the run was interrupted"

    def _lost(self, why: str) -> None:
        self.done = True
        self.running = False
        self.lost = True
        self.exit_reason = why

    def _poll(self) -> None:
        xr = self.xr
        while True:
            try:
                event = xr.poll_event(self.system.instance)
            except xr.EventUnavailable:
                return
            kind = xr.StructureType(event.type)
            if kind == xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                changed = ctypes.cast(
                    ctypes.byref(event), ctypes.POINTER(xr.EventDataSessionStateChanged)
                ).contents
                self._state(xr.SessionState(changed.state))
            elif kind == xr.StructureType.EVENT_DATA_INSTANCE_LOSS_PENDING:
                self._lost("the headset runtime is shutting down")
                return

    def _state(self, state: Any) -> None:
        xr = self.xr
        S = xr.SessionState
        previous = self.state
        self.state = state.name
        self.states.append(state.name)
        if state == S.READY:
            xr.begin_session(
                self.xr_session, xr.SessionBeginInfo(xr.ViewConfigurationType.PRIMARY_STEREO)
            )
            self.running = True
        elif state == S.STOPPING:
            xr.end_session(self.xr_session)
            self.running = False
        elif state == S.FOCUSED:
            if self._paused_for_focus and self.rt.paused:
                self.session.handle(ev.Resume())
            self._paused_for_focus = False
        elif state == S.VISIBLE and previous == "FOCUSED":
            # no input focus (system menu, proximity sensor): the learner is not here
            leaving = self._quitting_since is not None  # our own exit passes through here
            if self.rt.started and not self.rt.completed and not self.rt.paused and not leaving:
                self.session.handle(ev.Pause())
                self._paused_for_focus = True
        elif state == S.LOSS_PENDING:
            self._lost("the headset was disconnected")
        elif state == S.EXITING:
            self.done = True
            if not self.exit_reason:
                self.exit_reason = "the headset session ended"

    def frame(self) -> None:
        """One frame: wait, begin, input, lesson, render, submit."""
        xr = self.xr
        assert self.app is not None
        clock = time.perf_counter
        t0 = clock()
        frame_state = xr.wait_frame(self.xr_session)
        t1 = clock()
        xr.begin_frame(self.xr_session)
        now = frame_state.predicted_display_time
        dt = 0.0 if self._last_time is None else (now - self._last_time) / 1e9
        dt = min(max(dt, 0.0), MAX_FRAME_DT)
        self._last_time = now
        visible = self.state in ("VISIBLE", "FOCUSED")
        if visible:
            self.frames_visible += 1
        hands = self.input.sync(self.space, now)
        head = xr.locate_space(self.view_space, self.space, now)
        _, views = xr.locate_views(
            self.xr_session,
            xr.ViewLocateInfo(
                view_configuration_type=xr.ViewConfigurationType.PRIMARY_STEREO,
                display_time=now,
                space=self.space,
            ),
        )
        self.head.set_pos_quat(
            to_panda_pos(head.pose.position), to_panda_quat(head.pose.orientation)
        )
        if not self._centred:
            self.recentre()
        self.app.camera.set_pos_quat(
            self.app.render, self.head.get_pos(self.app.render), self.head.get_quat(self.app.render)
        )
        t2 = clock()
        info = "\n\n".join(
            v for v in (getattr(self.presenter.hud, b).value for b in HUD_BOXES) if v
        )
        if self.state == "FOCUSED":
            self.interactor.update(hands, dt, info)
        else:
            self.interactor.show_panels(info)
        for hand, what in self.interactor.feedback.pulses:
            if self.state == "FOCUSED":
                self.input.pulse(hand, what)
        self.interactor.feedback.pulses.clear()
        if visible:
            # lesson time runs only while the learner can see the lesson
            self.session.advance(dt * self.time_scale)
        self.presenter.update(dt * self.time_scale)
        if self.state == "FOCUSED":
            self._track_gaze(dt)
        self._place_focus_arrow()
        self.interactor.carry()
        self._since_checkpoint += dt
        if self._since_checkpoint >= CHECKPOINT_SECONDS:
            self._since_checkpoint = 0.0
            self.session.checkpoint()
        t3 = clock()
        layers = []
        should_render = bool(frame_state.should_render)
        self.eyes.set_active(should_render)
        if should_render:
            self.eyes.place(views)
            render_frame(self.app)
            self.eyes.submit_images()
            layer = xr.CompositionLayerProjection(
                space=self.space, views=self.eyes.projection_views(views)
            )
            layers = [ctypes.byref(layer)]
        elif visible:
            self.missed_visible_frames += 1
        t4 = clock()
        xr.end_frame(
            self.xr_session,
            xr.FrameEndInfo(
                display_time=now,
                environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
                layers=layers,
            ),
        )
        t5 = clock()
        self.frames += 1
        if layers:
            self.frames_submitted += 1
        self.timings = {
            "wait": t1 - t0,
            "locate_sync": t2 - t1,
            "interactions": t3 - t2,
            "render": t4 - t3,
            "submit": t5 - t4,
        }
        if self.on_frame is not None:
            self.on_frame(self)

    @property
    def paused_for_focus(self) -> bool:
        """The lesson is paused because the headset lost input focus (not by the learner)."""
        return self._paused_for_focus

    def _place_focus_arrow(self) -> None:
        """The teacher's "look here" arrow, in front of the eyes (the overlay is not seen)."""
        angle = self.presenter.focus_angle
        if angle is None:
            self.focus_arrow.hide()
            return
        self.focus_arrow.set_pos(
            FOCUS_ARROW_OFFSET * math.cos(angle),
            FOCUS_ARROW_AHEAD,
            FOCUS_ARROW_OFFSET * math.sin(angle),
        )
        self.focus_arrow.set_r(-math.degrees(angle))
        self.focus_arrow.show()

    def pick(self) -> str | None:
        """The entity straight ahead of the head, seeing through what the learner holds."""
        assert self.app is not None
        return self.scene.pick(self.app.camera, ignore=self.rt.world.held)

    def _track_gaze(self, dt: float) -> None:
        """Report a Dwell when the head turns away from an entity it rested on long enough.

        The same evidence the desktop rig gives from its crosshair: adaptivity reads little
        gaze on a step's objects as one sign that the learner is stuck.
        """
        self._since_gaze_pick += dt
        if self._since_gaze_pick < GAZE_PICK_SECONDS:
            return
        self._since_gaze_pick = 0.0
        if not self.rt.started or self.rt.completed:
            return
        seen = self.pick()
        if seen == self.gazed:
            return
        now = self.rt.t
        dwell_ms = round((now - self._gazed_since) * 1000)
        if self.gazed is not None and dwell_ms >= DWELL_MIN_MS:
            self.session.handle(ev.Dwell(entity=self.gazed, dwell_ms=dwell_ms))
        self.gazed, self._gazed_since = seen, now

    @property
    def presses(self) -> int:
        """Button presses the runtime accepted."""
        return self.interactor.counts.get("press", 0)

    @property
    def answers(self) -> int:
        """Answers given (right or wrong)."""
        return self.interactor.counts.get("answer", 0)

    @property
    def moves(self) -> int:
        """Teleports logged."""
        return self.interactor.counts.get("move", 0)

    # --- leaving ------------------------------------------------------------------------------

    def quit(self, reason: str = "the learner quit") -> None:
        """Leave: ask the runtime to end the session; :meth:`run` returns once it has."""
        if self._quitting_since is not None or self.done:
            return
        self.exit_reason = "completed" if self.rt.completed else reason
        self._quitting_since = time.monotonic()
        if self.running:
            try:
                self.xr.request_exit_session(self.xr_session)
            except self.xr.XrException:
                self.done = True
        else:
            self.done = True

    def close(self) -> None:
        """Free the OpenXR handles, the scene and the renderer (the session stays open)."""
        if self._closed:
            return
        self._closed = True
        xr = self.xr
        for part in ("mirror", "interactor", "input", "eyes"):
            obj = getattr(self, part, None)
            if obj is not None:
                obj.destroy()
        if self.xr_session is not None:
            try:
                for space in (getattr(self, "space", None), getattr(self, "view_space", None)):
                    if space is not None:
                        xr.destroy_space(space)
                xr.destroy_session(self.xr_session)
            except xr.XrException:
                pass  # the runtime went away first
            self.xr_session = None
        self.system.destroy()
        if self.app is not None:
            if hasattr(self, "presenter"):
                self.presenter.destroy()
            if hasattr(self, "scene"):
                self.scene.destroy()
            destroy_app(self.app)
            self.app = None


def _headset_focus_arrow(head: NodePath) -> NodePath:
    """The "look here" arrow as the eyes see it: carried with the head, drawn over the scene,
    glowing in its own colour whatever the lesson's lights (the scene's shader is lit)."""
    arrow = make_focus_arrow(head)
    material = Material("focus-arrow")
    material.set_base_color(LColor(*FOCUS_ARROW_RGBA))
    material.set_emission(LColor(*FOCUS_ARROW_RGBA))
    arrow.set_material(material, 1)
    arrow.set_bin("fixed", 50)
    arrow.set_depth_test(False)
    arrow.set_depth_write(False)
    arrow.hide()
    return arrow
