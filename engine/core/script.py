"""Learner scripts: YAML lists of actions a scripted learner performs.

```yaml
- look_at: bob
- grab: bob
- place_on: hook
- press: release_button
- wait: 20.2 s
- answer: {question: g_value, response: 9.8}
- request_hint: {}
- move_to: parthenon            # an entity id, or [x, y, z]
- wait: {until: step, step: quiz}
```

A :class:`ScriptDriver` runs a script against a runtime through a :class:`Pilot`: the headless
rig's pilot turns a real camera and ray-picks under the crosshair, so a script exercises the
same interaction path as a learner with a mouse; :class:`LogicPilot` skips rendering for fast
logic-only runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field, TypeAdapter, ValidationError, model_validator
from ruamel.yaml import YAML

from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.model.components import Strict
from engine.model.units import Duration

Vec3 = tuple[float, float, float]

#: walking pace of a scripted learner, metres per second (a typical adult walk)
WALK_SPEED = 1.4
#: how far in front of the learner's eyes a held object is carried
HOLD_DISTANCE = 0.45


class AnswerAction(Strict):
    question: str
    response: str | float


class WaitUntil(Strict):
    until: Literal["step", "completed", "narration"]
    step: str | None = None
    narration: str | None = None
    timeout: Duration = 120.0


class Action(Strict):
    """One scripted action; exactly one key is set."""

    look_at: str | None = None
    move_to: str | Vec3 | None = None
    grab: str | None = None
    place_on: str | None = None
    release: bool | None = None
    press: str | None = None
    answer: AnswerAction | None = None
    request_hint: dict[str, str] | None = None
    wait: Duration | WaitUntil | None = None
    pause: dict[str, str] | None = None
    resume: dict[str, str] | None = None
    screenshot: str | None = Field(None, description="save a still here (rendering rigs only)")

    @model_validator(mode="after")
    def _one(self) -> Action:
        keys = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(keys) != 1:
            raise ValueError(f"each action has exactly one key (found {', '.join(keys) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        """The action's key."""
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


_SCRIPT = TypeAdapter(list[Action])


class ScriptError(Exception):
    """A script that cannot be read or an action that failed; says which action and why."""


def load_script(path: str | Path) -> list[Action]:
    """Read and validate a learner script file.

    Raises:
        ScriptError: ``path:line:column: action N: what is wrong`` (or the YAML error, which
            is located already).
    """
    try:
        # round-trip loading keeps each item's line and column, for the error
        data = YAML().load(Path(path).read_text(encoding="utf-8"))
    except Exception as exc:  # a YAML error: show it whole, it is already located
        raise ScriptError(f"{path}: {exc}") from None
    try:
        return _SCRIPT.validate_python(data or [])
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = first["loc"]
        line, column = _position(data, loc)
        if first["type"] == "extra_forbidden" and len(loc) == 2:
            known = ", ".join(Action.model_fields)
            why = f"unknown action '{loc[1]}' (known: {known})"
        elif not loc:
            why = "a script is a list of actions, each a line like '- grab: bob'"
        else:
            why = ".".join(str(p) for p in loc[1:])
            why = f"{why}: {first['msg']}" if why else str(first["msg"])
        where = f"action {loc[0] + 1}: " if loc and isinstance(loc[0], int) else ""
        raise ScriptError(f"{path}:{line}:{column}: {where}{why}") from None


def _position(data: object, loc: tuple[int | str, ...]) -> tuple[int, int]:
    """1-based line and column of the deepest node of ``loc`` that the YAML kept one for."""
    line, column, node = 1, 1, data
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                row, col = lc.item(key) if isinstance(key, int) else lc.key(key)
                line, column = row + 1, col + 1
            node = node[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
    return line, column


def release_point(eye: Vec3, heading: float) -> Vec3:
    """Where a held object is let go: :data:`HOLD_DISTANCE` ahead of the eyes along
    ``heading`` (degrees about Z, 0 along +Y), a little below them, where the hand holds it."""
    h = math.radians(heading)
    return (
        eye[0] - math.sin(h) * HOLD_DISTANCE,
        eye[1] + math.cos(h) * HOLD_DISTANCE,
        eye[2] - 0.3,
    )


class Pilot(Protocol):
    """What a rig lets a script do with its body: eyes, feet, hands."""

    def look_at(self, point: Vec3) -> None:
        """Turn the learner's view towards a world point."""
        ...

    def picked(self) -> str | None:
        """The entity under the crosshair (or ray), if any."""
        ...

    def set_position(self, position: Vec3, heading: float) -> None:
        """Move the learner's eyes."""
        ...

    def frame(self, dt: float) -> None:
        """Present one frame of ``dt`` seconds (render, update presentation)."""
        ...

    def screenshot(self, path: str) -> None:
        """Save what the learner sees."""
        ...


class LogicPilot:
    """A pilot with no renderer: it "sees" whatever it looks at. For fast logic-only runs."""

    def __init__(self) -> None:
        self.target: str | None = None

    def look_at(self, point: Vec3) -> None:
        """Nothing to turn."""

    def picked(self) -> str | None:
        """The entity the driver last aimed at."""
        return self.target

    def set_position(self, position: Vec3, heading: float) -> None:
        """Nothing to move."""

    def frame(self, dt: float) -> None:
        """Nothing to draw."""

    def screenshot(self, path: str) -> None:
        """Nothing to save."""


class ScriptDriver:
    """Runs a learner script: each action becomes interactions and passing lesson time."""

    def __init__(
        self,
        runtime: Runtime,
        pilot: Pilot,
        *,
        frame_dt: float = 1.0 / 30.0,
        handle: Callable[[ev.Interaction], str | None] | None = None,
        on_frame: Callable[[], None] | None = None,
    ) -> None:
        """Drive ``runtime`` through ``pilot``.

        Args:
            runtime: the lesson runtime.
            pilot: the rig's body (camera, picking, rendering).
            frame_dt: seconds of lesson time per presented frame.
            handle: where interactions go (a session's logging ``handle``); the runtime's
                own by default.
            on_frame: called after every frame.
        """
        self.rt = runtime
        self.handle = handle or runtime.handle
        self.pilot = pilot
        self.frame_dt = frame_dt
        self.on_frame = on_frame
        eye = runtime.lesson.player.eye_height
        p = runtime.world.player_position
        self.eye: Vec3 = (p[0], p[1], p[2] + eye)
        self.heading = runtime.world.player_heading

    # --- time -----------------------------------------------------------------------------

    def pass_time(self, seconds: float) -> None:
        """Let lesson time run, presenting frames as a rig would."""
        end = self.rt.t + seconds
        while self.rt.t + 1e-9 < end and not self.rt.completed:
            dt = min(self.frame_dt, end - self.rt.t)
            self.rt.advance(dt + 1e-9)
            self.pilot.frame(dt)
            if self.on_frame:
                self.on_frame()
        if not self.rt.completed:
            self.rt.run_until(end)

    # --- actions ---------------------------------------------------------------------------

    def run(self, actions: list[Action]) -> None:
        """Run every action in order; raise ScriptError naming the first that fails."""
        for number, action in enumerate(actions, 1):
            if self.rt.completed:
                return
            try:
                getattr(self, f"_do_{action.kind}")(getattr(action, action.kind))
            except ScriptError as exc:
                raise ScriptError(f"action {number} ({action.kind}): {exc}") from None
            self.pass_time(self.frame_dt)

    def _point(self, target: str | Vec3) -> Vec3:
        if isinstance(target, str):
            if target not in self.rt.world.entities:
                raise ScriptError(f"no entity '{target}'")
            return self.rt.world.world_position(target)
        return tuple(target)  # type: ignore[return-value]

    def _aim(self, entity: str) -> None:
        point = self._point(entity)
        dx, dy = point[0] - self.eye[0], point[1] - self.eye[1]
        self.heading = math.degrees(math.atan2(-dx, dy))
        self.pilot.look_at(point)
        if isinstance(self.pilot, LogicPilot):
            self.pilot.target = entity
        self.pilot.frame(self.frame_dt)
        seen = self.pilot.picked()
        if seen != entity:
            raise ScriptError(f"looked at '{entity}' but the crosshair is on {seen!r}")

    def _apply(self, interaction: ev.Interaction) -> None:
        reason = self.handle(interaction)
        if reason is not None:
            raise ScriptError(reason)

    def _do_look_at(self, entity: str) -> None:
        self._aim(entity)

    def _do_move_to(self, target: str | Vec3) -> None:
        goal = self._point(target)
        start = self.eye
        # stop short of an entity so the learner stands in front of it, not inside it
        dx, dy = goal[0] - start[0], goal[1] - start[1]
        dist = math.hypot(dx, dy)
        stop = 1.0 if isinstance(target, str) else 0.0
        travel = max(0.0, dist - stop)
        if dist > 1e-6:
            self.heading = math.degrees(math.atan2(-dx, dy))
        steps = max(1, math.ceil(travel / (WALK_SPEED * self.frame_dt)))
        for k in range(1, steps + 1):
            f = travel / dist * k / steps if dist > 1e-6 else 0.0
            self.eye = (start[0] + dx * f, start[1] + dy * f, start[2])
            self.pilot.set_position(self.eye, self.heading)
            feet = (self.eye[0], self.eye[1], self.eye[2] - self.rt.lesson.player.eye_height)
            self._apply(ev.Move(position=feet, heading=self.heading))
            self.pass_time(self.frame_dt)

    def _do_grab(self, entity: str) -> None:
        self._aim(entity)
        self._apply(ev.Grab(entity=entity))

    def _do_place_on(self, zone: str) -> None:
        held = self.rt.world.held
        if held is None:
            raise ScriptError("nothing is held")
        self._aim(zone)
        self._apply(ev.Release(entity=held, position=self.rt.world.world_position(zone)))

    def _do_release(self, _: bool) -> None:
        held = self.rt.world.held
        if held is None:
            raise ScriptError("nothing is held")
        self._apply(ev.Release(entity=held, position=release_point(self.eye, self.heading)))

    def _do_press(self, button: str) -> None:
        self._aim(button)
        self._apply(ev.Press(entity=button))

    def _do_answer(self, answer: AnswerAction) -> None:
        self._apply(ev.Answer(question=answer.question, response=answer.response))

    def _do_request_hint(self, _: dict[str, str]) -> None:
        self._apply(ev.RequestHint())

    def _do_pause(self, _: dict[str, str]) -> None:
        self._apply(ev.Pause())

    def _do_resume(self, _: dict[str, str]) -> None:
        self._apply(ev.Resume())

    def _do_screenshot(self, path: str) -> None:
        self.pilot.screenshot(path)

    def _do_wait(self, wait: float | WaitUntil) -> None:
        if not isinstance(wait, WaitUntil):
            self.pass_time(float(wait))
            return
        deadline = self.rt.t + wait.timeout
        while not self._reached(wait):
            if self.rt.t >= deadline:
                raise ScriptError(
                    f"waited {wait.timeout:g} s for {wait.until} "
                    f"{wait.step or wait.narration or ''}".rstrip()
                )
            self.pass_time(self.frame_dt)

    def _reached(self, wait: WaitUntil) -> bool:
        if wait.until == "completed":
            return self.rt.completed
        if wait.until == "narration":
            return wait.narration in self.rt.heard
        step = self.rt.step
        return self.rt.completed or (step is not None and step.id == wait.step)
