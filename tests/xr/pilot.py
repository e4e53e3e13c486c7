"""A learner's hands for the headset tests: a walkthrough script becomes controller motion.

Each frame the rig calls :meth:`ControllerPilot.on_frame`; the pilot moves the remote Index
controllers (over Monado's ``mndrmt3`` protocol, see :mod:`tests.xr.remote`) as a learner
would: the grip to an object and squeeze to grab, to a snap zone and open to place, the aim
ray on a button or an answer and pull the trigger, the thumbstick forward to teleport. It
reads the rig only to see what the learner sees (where things are, what the ray is on, the
teleport arc's end); every interaction reaches the lesson through the runtime's input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from panda3d.core import NodePath, Point3, TransformState, Vec3

from engine.core.script import Action
from engine.rigs.xr.space import to_xr_pos, to_xr_quat
from tests.xr.remote import RemoteControllers

#: frames to wait after changing the controllers before the rig has surely seen it
SETTLE = 4
IDENTITY = (0.0, 0.0, 0.0, 1.0)


class PilotError(Exception):
    """An action the pilot could not perform."""


class ControllerPilot:
    """Runs script actions through the remote controllers, one frame at a time."""

    def __init__(
        self, actions: list[Action], remote: RemoteControllers, *, max_frames: int = 6000
    ) -> None:
        self.actions = actions
        self.remote = remote
        self.max_frames = max_frames
        self.rig: Any = None
        self.error: str | None = None
        self.log: list[str] = []
        self.grip_offset: TransformState | None = None
        self.aim_offset: TransformState | None = None
        self._steps: Iterator[None] = self._run()
        self.finished = False
        self._aimed: str | None = None

    # --- frame hook -----------------------------------------------------------------------

    def on_frame(self, rig: Any) -> None:
        """Advance the script by one frame; quit the rig when done (or stuck)."""
        self.rig = rig
        if self.finished:
            return
        try:
            next(self._steps)
        except StopIteration:
            self.finished = True
            rig.quit("completed" if rig.rt.completed else "the script ended")
        except PilotError as exc:
            self.finished = True
            self.error = str(exc)
            rig.quit(f"pilot: {exc}")
        if rig.frames > self.max_frames and not self.finished:
            self.finished = True
            self.error = "too many frames"
            rig.quit("pilot: too many frames")

    def _frames(self, n: int) -> Iterator[None]:
        for _ in range(n):
            yield

    # --- geometry -------------------------------------------------------------------------

    @property
    def render(self) -> NodePath:
        return self.rig.app.render

    def _send_pose(self, right: bool, state: TransformState, **inputs: Any) -> None:
        """Send a controller pose given in the tracking origin's frame (Panda3D axes)."""
        self._aimed = None
        self.remote.hand(
            right, pos=to_xr_pos(state.get_pos()), quat=to_xr_quat(state.get_quat()), **inputs
        )
        self.remote.send()

    def _calibrate(self) -> Iterator[None]:
        """Learn how the runtime's grip and aim poses sit relative to the pose sent."""
        sent = TransformState.make_pos(Vec3(0.2, 0.3, 1.2))
        self._send_pose(True, sent, trigger=0.0, squeeze=0.0, stick=(0.0, 0.0))
        self._send_pose(
            False, TransformState.make_pos(Vec3(-0.3, 0.2, 0.9)), trigger=0.0, squeeze=0.0
        )
        yield from self._frames(SETTLE * 2)
        it = self.rig.interactor
        origin = self.rig.origin
        inverse = sent.get_inverse()
        self.grip_offset = inverse.compose(it.grips[1].get_transform(origin))
        self.aim_offset = inverse.compose(it.aims[1].get_transform(origin))

    def _to_origin(self, world: Point3) -> Point3:
        return self.rig.origin.get_relative_point(self.render, world)

    def _grip_at(self, world: Point3, **inputs: Any) -> None:
        """Put the right grip at a world point (hand level, no rotation)."""
        assert self.grip_offset is not None
        goal = TransformState.make_pos(self._to_origin(world))
        self._send_pose(True, goal.compose(self.grip_offset.get_inverse()), **inputs)

    def _aim_from(self, start: Point3, target: Point3, **inputs: Any) -> None:
        """Point the right aim ray from near ``start`` (world) at ``target`` (world)."""
        assert self.aim_offset is not None
        helper = self.rig.origin.attach_new_node("aim-goal")
        helper.set_pos(self.render, start)
        helper.look_at(self.render, target)
        goal = helper.get_transform(self.rig.origin)
        helper.remove_node()
        self._send_pose(True, goal.compose(self.aim_offset.get_inverse()), **inputs)

    def _hand_start(self, target: Point3) -> Point3:
        """Where a learner holds the hand to point at ``target``: 35 cm from the eyes towards it."""
        eye = self.rig.head.get_pos(self.render)
        d = Vec3(target - eye)
        d.normalize()
        return eye + d * 0.35 + Vec3(0, 0, -0.1)

    def _world(self, entity: str) -> Point3:
        return Point3(*self.rig.scene.world_position(entity))

    # --- actions ----------------------------------------------------------------------------

    def _run(self) -> Iterator[None]:
        yield from self._frames(2)
        yield from self._calibrate()
        for number, action in enumerate(self.actions, 1):
            if self.rig.rt.completed:
                return
            kind = action.kind
            self.log.append(f"{number} {kind}")
            try:
                yield from getattr(self, f"_do_{kind}")(getattr(action, kind))
            except PilotError as exc:
                raise PilotError(f"action {number} ({kind}): {exc}") from None
            yield from self._frames(2)
        for _ in range(40):
            if self.rig.rt.completed:
                return
            yield

    def _until(self, what: str, check: Any, frames: int = 60) -> Iterator[None]:
        for _ in range(frames):
            if check():
                return
            yield
        raise PilotError(f"{what} did not happen")

    def turn_head_to(self, point: Point3) -> tuple[float, float, float, float]:
        """Turn the head towards a world point; returns the orientation it had (OpenXR)."""
        helper = self.rig.origin.attach_new_node("head-goal")
        helper.set_pos(self.rig.head.get_pos())
        helper.look_at(self.render, point)
        quat = helper.get_quat()
        helper.remove_node()
        (qx, qy, qz, qw), _ = self.remote.head_pose()
        self.remote.turn_head(to_xr_quat(quat))
        self.remote.send()
        return qx, qy, qz, qw

    def _do_look_at(self, entity: str) -> Iterator[None]:
        # the learner turns their head towards it, and looks long enough for it to count
        before = self.turn_head_to(self._world(entity))
        yield from self._until(
            f"looking at {entity}", lambda: self.rig.gazed == entity, frames=SETTLE * 4
        )
        yield from self._frames(SETTLE * 3)
        # and back to what they were doing: the dwell is logged as the gaze leaves
        self.remote.turn_head(before)
        self.remote.send()
        yield from self._until(
            f"looking away from {entity}", lambda: self.rig.gazed != entity, frames=SETTLE * 4
        )

    def _do_grab(self, entity: str) -> Iterator[None]:
        spot = self._world(entity)
        self._grip_at(spot, squeeze=0.0, trigger=0.0)
        yield from self._frames(SETTLE)
        self._grip_at(spot, squeeze=1.0)
        yield from self._until(f"grabbing {entity}", lambda: self.rig.rt.world.held == entity)

    def _do_place_on(self, zone: str) -> Iterator[None]:
        held = self.rig.rt.world.held
        if held is None:
            raise PilotError("nothing is held")
        spot = self._world(zone)
        self._grip_at(spot, squeeze=1.0)
        yield from self._frames(SETTLE)
        self._grip_at(spot, squeeze=0.0)
        yield from self._until(f"placing on {zone}", lambda: self.rig.rt.world.held is None)

    def _do_release(self, _: bool) -> Iterator[None]:
        eye = self.rig.head.get_pos(self.render)
        self._grip_at(eye + Vec3(0, 0.4, -0.3), squeeze=0.0)
        yield from self._until("letting go", lambda: self.rig.rt.world.held is None)

    def _do_press(self, button: str) -> Iterator[None]:
        target = self._world(button)
        start = self._hand_start(target)
        count = self.presses
        if self._aimed != button:
            self._aim_from(start, target, trigger=0.0)
            yield from self._frames(SETTLE)
        seen = self.rig.scene.pick(self.rig.interactor.rays[1], ignore=self.rig.rt.world.held)
        if seen == button:
            # the ray is on it: pull the trigger (a learner timing something has already aimed)
            self._aimed = button
            self.remote.hand(True, trigger=1.0)
            self.remote.send()
            yield from self._until(f"pressing {button}", lambda: self.presses > count, frames=20)
            self.remote.hand(True, trigger=0.0)
            self.remote.send()
            yield from self._frames(2)
            return
        # something stands in the way of the ray: reach out and touch the button (poke)
        self._aimed = None
        assert self.aim_offset is not None
        goal = TransformState.make_pos(self._to_origin(target))
        self._send_pose(True, goal.compose(self.aim_offset.get_inverse()), trigger=0.0)
        yield from self._until(f"poking {button}", lambda: self.presses > count, frames=20)
        self._aim_from(start, target, trigger=0.0)  # pull the hand back (re-arms the poke)
        yield from self._frames(SETTLE)

    @property
    def presses(self) -> int:
        return self.rig.presses

    def _do_answer(self, answer: Any) -> Iterator[None]:
        it = self.rig.interactor
        yield from self._until(
            f"question {answer.question} shown", lambda: it.asked == answer.question, frames=40
        )
        count = self.rig.answers
        if isinstance(answer.response, str):
            keys = [f"choice:{answer.response}"]
        else:
            text = (
                f"{answer.response:g}"
                if not float(answer.response).is_integer()
                else str(int(answer.response))
            )
            keys = [f"key:{ch}" for ch in text] + ["key:ok"]
        for key in keys:
            target = it.question.button_center(key, self.render)
            start = self._hand_start(target)
            self._aim_from(start, target, trigger=0.0)
            yield from self._frames(SETTLE)
            self._aim_from(start, target, trigger=1.0)
            yield from self._frames(SETTLE)
            self._aim_from(start, target, trigger=0.0)
            yield from self._frames(2)
        yield from self._until(
            f"answering {answer.question}", lambda: self.rig.answers > count, frames=20
        )

    def _do_request_hint(self, _: Any) -> Iterator[None]:
        self.remote.hand(True, a=True)
        self.remote.send()
        yield from self._frames(SETTLE)
        self.remote.hand(True, a=False)
        self.remote.send()
        yield from self._frames(SETTLE)

    def _do_wait(self, wait: Any) -> Iterator[None]:
        rt = self.rig.rt
        if not hasattr(wait, "until"):
            end = rt.t + float(wait)
            while rt.t < end and not rt.completed:
                yield
            return
        deadline = rt.t + wait.timeout
        while not rt.completed:
            if wait.until == "step" and rt.step is not None and rt.step.id == wait.step:
                return
            if wait.until == "narration" and wait.narration in rt.heard:
                return
            if rt.t > deadline:
                raise PilotError(f"waited for {wait.until} {wait.step or ''}")
            yield

    def _do_move_to(self, target: Any) -> Iterator[None]:
        rig = self.rig
        goal = self._world(target) if isinstance(target, str) else Point3(*target)
        stop = 1.0 if isinstance(target, str) else 0.0
        for _ in range(8):  # far targets take several hops, as they do for a learner
            head = rig.head.get_pos(self.render)
            flat = Vec3(goal.x - head.x, goal.y - head.y, 0)
            remaining = flat.length() - stop
            if remaining < 0.3:
                return
            flat.normalize()
            yield from self._hop(flat, min(remaining, 3.0), target)
        raise PilotError(f"did not arrive at {target}")

    def _hop(self, flat: Vec3, want: float, target: Any) -> Iterator[None]:
        """Aim the arc ``want`` metres along ``flat``, reading where it lands, then let go."""
        rig = self.rig
        lo, hi = -70.0, 40.0
        pitch = -20.0
        count = rig.moves
        start = tip = Point3()
        for _ in range(16):
            start = rig.head.get_pos(self.render) + Vec3(0, 0, -0.3)
            r = math.radians(pitch)
            tip = start + flat * math.cos(r) + Vec3(0, 0, math.sin(r))
            self._aim_from(start, tip, stick=(0.0, 1.0))
            yield from self._frames(SETTLE)
            end = rig.interactor.loco.target
            if end is None:
                hi = pitch  # beyond the floor or the room: aim lower
            else:
                reach = Vec3(end.x - start.x, end.y - start.y, 0).length()
                if abs(reach - want) < 0.2:
                    break
                if reach > want:
                    hi = pitch
                else:
                    lo = pitch
            pitch = (lo + hi) / 2
        else:
            raise PilotError(f"could not aim the teleport towards {target}")
        self._aim_from(start, tip, stick=(0.0, 0.0))
        yield from self._until(
            f"teleporting towards {target}", lambda: rig.moves > count, frames=20
        )

    def _do_pause(self, _: Any) -> Iterator[None]:
        yield

    def _do_resume(self, _: Any) -> Iterator[None]:
        yield

    def _do_screenshot(self, _: str) -> Iterator[None]:
        yield


class PinchPilot(ControllerPilot):
    """Grabs and lets go by pinching with the tracked hand instead of squeezing the grip."""

    def _do_grab(self, entity: str) -> Iterator[None]:
        spot = self._world(entity)
        self._grip_at(spot, squeeze=0.0, curl=0.0)
        yield from self._frames(SETTLE)
        self._grip_at(spot, curl=1.0)
        yield from self._until(f"pinching {entity}", lambda: self.rig.rt.world.held == entity)

    def _do_place_on(self, zone: str) -> Iterator[None]:
        if self.rig.rt.world.held is None:
            raise PilotError("nothing is held")
        spot = self._world(zone)
        self._grip_at(spot, curl=1.0)
        yield from self._frames(SETTLE)
        self._grip_at(spot, curl=0.0)
        yield from self._until(f"opening on {zone}", lambda: self.rig.rt.world.held is None)
