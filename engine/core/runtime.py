"""The lesson runtime: the step machine, interactions, behaviours and the fixed-step clock.

Pure Python, no Panda3D: every rig (desktop, headset, headless, replay, simulated learners)
drives this one object. Rigs feed :class:`~engine.core.events.Interaction` objects to
:meth:`Runtime.handle` and real time to :meth:`Runtime.advance`; the runtime emits
:class:`~engine.core.events.LessonEvent` objects to its listeners (presentation, event log,
adaptivity) and keeps the state the presentation draws (dirty poses, labels, liquids).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from engine.core import events as ev
from engine.core.behaviours import (
    BEHAVIOURS,
    Behaviour,
    BehaviourError,
    ContainerBehaviour,
    PluginBehaviour,
)
from engine.core.clock import FixedClock
from engine.core.conditions import holds, leaves, needs_tick, targets, tolerance, within
from engine.core.conditions import resolve as resolve_value
from engine.core.world import World, distance
from engine.model.custom import REGISTRY
from engine.model.lesson import HINT_ORDER, Condition, Lesson, Question, Step
from engine.model.units import UnitError, parse_quantity

Listener = Callable[[ev.LessonEvent], None]

#: how often (in ticks) an advisor is consulted: 10 Hz is plenty for human-scale decisions
ADVISOR_EVERY_TICKS = 12


class Advisor(Protocol):
    """What the runtime asks of an adaptivity engine (see :mod:`adaptivity`).

    An advisor also listens to lesson events (it subscribes itself); decisions come back as
    calls to :meth:`Runtime.show_hint`, :meth:`Runtime.set_knob` and :meth:`Runtime.emit`.
    It must decide from lesson time and events only, so replays decide the same.
    """

    def advise(self, runtime: Runtime) -> None:
        """Called every :data:`ADVISOR_EVERY_TICKS` ticks while the lesson runs."""
        ...

    def hint_delay(self, runtime: Runtime) -> tuple[float, str]:
        """Seconds to wait before granting a requested hint (0 for now), and why."""
        ...

    # Optional (looked up with getattr, so older advisors need not have it):
    # ``before_step(runtime, step) -> str | None`` is called as a step is about to be shown;
    # a reason skips the step (see Runtime._skip_steps), None shows it.


@dataclass
class StepProgress:
    """What happened during the current step (reset when a step starts)."""

    started: float = 0.0
    hints_shown: int = 0
    errors: int = 0
    pressed: set[str] = field(default_factory=set)
    #: discrete measurements (a stopped stopwatch) taken during this step
    measurements: dict[str, float] = field(default_factory=dict)
    last_hint_t: float | None = None


@dataclass
class Tally:
    """Whole-session counts for the completion summary."""

    hints: int = 0
    errors: int = 0
    first_try: dict[str, bool] = field(default_factory=dict)


class Runtime:
    """One learner's run through one lesson."""

    def __init__(
        self,
        lesson: Lesson,
        *,
        seed: int = 0,
        clock: FixedClock | None = None,
        knob_levels: dict[str, int] | None = None,
    ) -> None:
        """Build the runtime state of ``lesson``.

        Args:
            lesson: a validated lesson.
            seed: seeds the runtime's random source, so runs are reproducible.
            clock: the fixed-step clock (a default 120 Hz one if omitted).
            knob_levels: starting difficulty levels (the lesson's defaults otherwise).
        """
        self.lesson = lesson
        self.clock = clock or FixedClock()
        self.rng = random.Random(seed)
        self.world = World.from_lesson(lesson)
        self.knobs = {k.id: k.default for k in lesson.difficulty}
        self.knobs.update(knob_levels or {})
        self.listeners: list[Listener] = []
        self.advisor: Advisor | None = None
        #: a learner's hint request held back by the advisor: (due time, trigger)
        self.pending_hint: tuple[float, str] | None = None
        self.step_index = -1
        self.progress = StepProgress()
        self.tally = Tally()
        self.started = False
        self.paused = False
        self.completed = False
        self.visited: set[str] = set()
        self.heard: set[str] = set()
        self.correct: set[str] = set()
        self.narrating: dict[str, float] = {}
        self.measurements: dict[str, float] = {}
        self.dirty_labels: set[str] = set()
        self.dirty_liquids: set[str] = set()
        self.behaviours: dict[str, list[Behaviour]] = {}
        self.containers: dict[str, ContainerBehaviour] = {}
        self._entities = {e.id: e for e in lesson.entities}
        for e in lesson.entities:
            if e.only_when is not None:
                self.world.entities[e.id].visible = e.visible and self.gate_open(e.id)
        self._build_behaviours()

    # --- setup -----------------------------------------------------------------------------

    def _build_behaviours(self) -> None:
        for name, cls in BEHAVIOURS.items():
            for entity in self.lesson.entities:
                if getattr(entity, name) is None:
                    continue
                behaviour = cls(entity, self)
                self.behaviours.setdefault(entity.id, []).append(behaviour)
                if isinstance(behaviour, ContainerBehaviour):
                    self.containers[entity.id] = behaviour
        for entity in self.lesson.entities:
            for name in entity.custom:
                spec = REGISTRY.get(name)
                if spec is None:
                    # the linter reports this located; a runtime built around it must not start
                    raise BehaviourError(f"'{entity.id}': no plugin provides component '{name}'")
                self.behaviours.setdefault(entity.id, []).append(
                    PluginBehaviour(entity, self, spec)
                )
        self._ticking = [b for bs in self.behaviours.values() for b in bs]
        #: per step: whether its condition reads simulated state, so is checked every tick
        self._recheck = [needs_tick(s.complete_when) for s in self.lesson.steps]

    # --- listeners and emitting ------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every lesson event from now on."""
        self.listeners.append(listener)

    def emit(self, event: ev.LessonEvent) -> None:
        """Send an event to every listener, in subscription order."""
        for listener in self.listeners:
            listener(event)

    @property
    def t(self) -> float:
        """Lesson time in seconds."""
        return self.clock.t

    @property
    def step(self) -> Step | None:
        """The current step, None before start and after completion."""
        if 0 <= self.step_index < len(self.lesson.steps):
            return self.lesson.steps[self.step_index]
        return None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, *, resumed: bool = False) -> None:
        """Begin the lesson: emit the start and show the first step."""
        if self.started:
            return
        self.started = True
        for bs in self.behaviours.values():
            for b in bs:
                place = getattr(b, "place_bob", None)
                if place is not None:
                    place()
        self.emit(ev.LessonStarted(self.t, resumed=resumed))
        self._enter_step(0)

    def end(self, reason: str = "") -> None:
        """End the session (completed or abandoned); behaviours release what they hold."""
        for behaviours in self.behaviours.values():
            for behaviour in behaviours:
                behaviour.remove()
        self.emit(ev.LessonEnded(self.t, completed=self.completed, reason=reason))

    def _enter_step(self, index: int) -> None:
        self.step_index = index
        self._skip_steps()
        step = self.step
        if step is None:
            self._complete_lesson()
            return
        self.progress = StepProgress(started=self.t)
        self.emit(ev.StepStarted(self.t, step=step.id, index=index, instruction=step.instruction))
        if step.narration:
            self._start_narration(step.narration)
        self._check_step()

    def _check_step(self) -> None:
        step = self.step
        while step is not None and holds(step.complete_when, self):
            self.emit(
                ev.StepCompleted(
                    self.t,
                    step=step.id,
                    duration=self.t - self.progress.started,
                    hints_used=self.progress.hints_shown,
                    errors=self.progress.errors,
                    skills=tuple(step.skills),
                )
            )
            self.step_index += 1
            self._skip_steps()
            step = self.step
            if step is None:
                self._complete_lesson()
                return
            self.progress = StepProgress(started=self.t)
            self.emit(
                ev.StepStarted(
                    self.t, step=step.id, index=self.step_index, instruction=step.instruction
                )
            )
            if step.narration:
                self._start_narration(step.narration)

    def _skip_steps(self) -> None:
        """Before a step is shown, let the advisor skip it (and the next...) with a reason."""
        before = getattr(self.advisor, "before_step", None)
        if before is None:
            return
        step = self.step
        while step is not None:
            reason = before(self, step)
            if reason is None:
                return
            self._act_out(step)
            self.emit(
                ev.StepSkipped(
                    self.t,
                    step=step.id,
                    index=self.step_index,
                    reason=reason,
                    skills=tuple(step.skills),
                )
            )
            self.step_index += 1
            step = self.step

    def _act_out(self, step: Step) -> None:
        """Do what the step's demonstration shows (a skipped step): place, or press."""
        demo = next((h.demonstration for h in step.hints if h.demonstration is not None), None)
        if demo is None:
            return
        if demo.move is not None and demo.to is not None:
            zone = self._entities[demo.to].snap_zone
            if zone is not None:
                base = self.world.world_position(demo.to)
                off = zone.offset
                self.world.set_world_position(
                    demo.move, (base[0] + off[0], base[1] + off[1], base[2] + off[2])
                )
                self.world.entities[demo.move].in_zone = demo.to
                for b in self.behaviours.get(demo.to, []):
                    place = getattr(b, "place_bob", None)
                    if place is not None:
                        place()
        if demo.press is not None:
            plan = self._press_plan(demo.press)
            if not isinstance(plan, str):
                try:
                    for action in plan:
                        action()
                except (BehaviourError, UnitError, ValueError, RuntimeError):
                    pass  # a demonstration that cannot act leaves the scene as it is

    def _complete_lesson(self) -> None:
        if self.completed:
            return
        self.completed = True
        questions = len(self.tally.first_try) or 1
        score = sum(self.tally.first_try.values()) / questions if self.tally.first_try else 1.0
        self.emit(
            ev.LessonCompleted(
                self.t,
                duration=self.t,
                steps=len(self.lesson.steps),
                hints_used=self.tally.hints,
                errors=self.tally.errors,
                score=round(score, 4),
            )
        )

    # --- time ------------------------------------------------------------------------------

    def advance(self, elapsed: float) -> int:
        """Feed real elapsed seconds; run the fixed ticks now due. Returns ticks run."""
        if self.paused or not self.started:
            return 0
        due = self.clock.advance(elapsed)
        for _ in range(due):
            self.tick()
        return due

    def tick(self) -> None:
        """One fixed step: behaviours, narration timers, then the step condition."""
        self.clock.tick += 1
        dt = self.clock.dt
        for b in self._ticking:
            if b.ticking:
                b.tick(dt)
        if self.narrating:
            for entity, ends in list(self.narrating.items()):
                if self.t >= ends:
                    del self.narrating[entity]
                    self.heard.add(entity)
                    self.emit(ev.NarrationFinished(self.t, entity=entity))
                    self._check_step()
        index = self.step_index
        if 0 <= index < len(self._recheck) and self._recheck[index]:
            self._check_step()
        if self.pending_hint is not None and self.t >= self.pending_hint[0]:
            trigger = self.pending_hint[1]
            self.pending_hint = None
            self.show_hint(requested=True, trigger=trigger)
        if self.advisor is not None and self.clock.tick % ADVISOR_EVERY_TICKS == 0:
            self.advisor.advise(self)

    def run_until(self, t: float) -> None:
        """Run fixed ticks until lesson time ``t`` (used by scripts and replay)."""
        for _ in range(self.clock.ticks_until(t)):
            self.tick()

    # --- interactions ----------------------------------------------------------------------

    def handle(self, interaction: ev.Interaction) -> str | None:
        """Apply one learner interaction.

        Returns:
            None when accepted, otherwise why it was ignored (e.g. grabbing a wall): the rig
            may show it; nothing is changed.
        """
        if isinstance(interaction, ev.Pause):
            return self._pause()
        if isinstance(interaction, ev.Resume):
            return self._resume()
        if not self.started or self.completed:
            return "the lesson is not running"
        if self.paused:
            return "the lesson is paused"
        handler = getattr(self, f"_on_{interaction.kind}")
        reason: str | None = handler(interaction)
        if reason is None:
            self._check_step()
        return reason

    def _pause(self) -> str | None:
        if self.paused:
            return "already paused"
        self.paused = True
        self.emit(ev.LessonPaused(self.t))
        return None

    def _resume(self) -> str | None:
        if not self.paused:
            return "not paused"
        self.paused = False
        self.emit(ev.LessonResumed(self.t))
        return None

    def _interacted(self, action: str, entity: str = "", target: str = "", **extra: Any) -> None:
        step = self.step
        self.emit(
            ev.Interacted(
                self.t,
                action=action,
                entity=entity,
                target=target,
                step=step.id if step else "",
                **extra,
            )
        )

    def _on_grab(self, i: ev.Grab) -> str | None:
        entity = self._entities.get(i.entity)
        if entity is None or entity.grabbable is None:
            return f"'{i.entity}' cannot be picked up"
        if not self.world.entities[i.entity].visible:
            return f"'{i.entity}' is not in the scene"
        if self.world.held is not None:
            return f"already holding '{self.world.held}'"
        self.world.held = i.entity
        self.world.entities[i.entity].in_zone = None
        self._interacted("grabbed", i.entity)
        return None

    def _on_release(self, i: ev.Release) -> str | None:
        if self.world.held != i.entity:
            return f"not holding '{i.entity}'"
        self.world.held = None
        zone = self._zone_for(i.entity, i.position)
        state = self.world.entities[i.entity]
        if zone is not None:
            zone_spec = self._entities[zone].snap_zone
            assert zone_spec is not None
            base = self.world.world_position(zone)
            off = zone_spec.offset
            self.world.set_world_position(
                i.entity, (base[0] + off[0], base[1] + off[1], base[2] + off[2])
            )
            state.in_zone = zone
            self._interacted("released", i.entity, position=i.position)
            self._interacted("placed", i.entity, zone)
            step = self.step
            wanted = [p for p in leaves(step.complete_when, "placed")] if step else []
            if any(p.entity == i.entity for p in wanted) and not any(
                p.entity == i.entity and p.zone == zone for p in wanted
            ):
                self._error()  # placed, but not where the step asks
            for b in self.behaviours.get(zone, []):
                place = getattr(b, "place_bob", None)
                if place is not None:
                    place()
        else:
            spec = self._entities[i.entity].grabbable
            snap_back = spec is not None and spec.snap_back
            self.world.set_world_position(
                i.entity, state.start_position if snap_back else i.position
            )
            self._interacted("released", i.entity, position=i.position)
        return None

    def _zone_for(self, entity: str, position: tuple[float, float, float]) -> str | None:
        best: tuple[float, str] | None = None
        for e in self.lesson.entities:
            zone = e.snap_zone
            if zone is None or (zone.accepts and entity not in zone.accepts) or e.id == entity:
                continue
            if not self.world.entities[e.id].visible:
                continue
            occupant = self.world.occupant(e.id)
            if occupant is not None and occupant != entity:
                continue
            d = distance(self.world.world_position(e.id), position)
            if d <= zone.radius and (best is None or d < best[0]):
                best = (d, e.id)
        return best[1] if best else None

    def _on_press(self, i: ev.Press) -> str | None:
        plan = self._press_plan(i.entity)
        if isinstance(plan, str):
            return plan
        entity = self._entities[i.entity]
        try:
            for step in plan:
                step()
        except (BehaviourError, UnitError, ValueError, RuntimeError) as exc:
            return str(exc)
        self.progress.pressed.add(i.entity)
        self._interacted("pressed", i.entity)
        narration = entity.narration
        if narration is not None and narration.trigger == "press":
            self._start_narration(i.entity)
        return None

    def _press_plan(self, button: str) -> list[Callable[[], None]] | str:
        """A button's actions, resolved before any is applied; or why it cannot be pressed."""
        entity = self._entities.get(button)
        if entity is None or entity.button is None:
            return f"'{button}' is not a button"
        plan: list[Callable[[], None]] = []
        for action in entity.button.actions:
            # resolve every action before applying any, so a press is all or nothing
            if action.set:
                target, prop = action.set.split(".", 1)
                found = self._behaviour_for(target, prop, settable=True)
                if found is None:
                    return f"'{target}' has no settable property '{prop}'"
                plan.append(partial(found.set, prop, action.value))
            if action.call:
                target, name = action.call.split(".", 1)
                found = self._behaviour_for(target, name, action=True)
                if found is None:
                    return f"'{target}' has no action '{name}'"
                plan.append(partial(found.call, name))
        return plan

    def _behaviour_for(
        self, entity: str, name: str, *, settable: bool = False, action: bool = False
    ) -> Behaviour | None:
        """The behaviour of ``entity`` that declares property (or action) ``name``."""
        for b in self.behaviours.get(entity, []):
            if b.declares(name, settable=settable, action=action):
                return b
        return None

    def _on_answer(self, i: ev.Answer) -> str | None:
        try:
            question = self.lesson.question(i.question)
        except KeyError:
            return f"no question '{i.question}'"
        step = self.step
        if step is None or step.ask != i.question:
            return f"question '{i.question}' is not being asked now"
        correct, feedback = self.grade(question, i.response)
        if i.question not in self.tally.first_try:
            self.tally.first_try[i.question] = correct
        if correct:
            self.correct.add(i.question)
        else:
            self._error()
        self.emit(
            ev.Answered(
                self.t,
                question=i.question,
                response=i.response,
                correct=correct,
                feedback=feedback,
                step=step.id if step else "",
                skills=tuple(question.skills),
                duration=self.t - self.progress.started,
            )
        )
        return None

    def _error(self) -> None:
        """A failed attempt on the current step (wrong answer, measurement or placement)."""
        self.progress.errors += 1
        self.tally.errors += 1

    def grade(self, question: Question, response: str | float) -> tuple[bool, str]:
        """Whether ``response`` is right, and the feedback to show."""
        if question.kind == "choice":
            for option in question.options:
                if option.id == str(response):
                    text = option.feedback or (
                        question.correct_feedback if option.correct else question.wrong_feedback
                    )
                    return option.correct, text
            return False, f"'{response}' is not one of the options."
        try:
            value = (
                parse_quantity(response, "fraction")
                if isinstance(response, str)
                else float(response)
            )
        except UnitError:
            return False, "Please answer with a number."
        assert question.answer is not None
        target = resolve_value(question.answer, self)
        if within(value, target, tolerance(question.tolerance, self)):
            return True, question.correct_feedback
        for wrong in question.common_wrong:
            if within(value, resolve_value(wrong.value, self), wrong.tolerance):
                return False, wrong.feedback
        return False, question.wrong_feedback

    def _on_request_hint(self, i: ev.RequestHint) -> str | None:
        if self.pending_hint is not None:
            return "a hint is on its way"
        delay, why = self.advisor.hint_delay(self) if self.advisor is not None else (0.0, "")
        if delay > 0:
            # a short pause, never a refusal: the hint still comes (help-abuse guard)
            self.pending_hint = (self.t + delay, f"learner request (delayed {delay:g} s: {why})")
            return None
        return self.show_hint(requested=True, trigger="learner request")

    def show_hint(
        self,
        *,
        requested: bool,
        trigger: str,
        level: int | None = None,
        reason: str = "",
        predicted: float | None = None,
    ) -> str | None:
        """Show the next rung of the current step's hint ladder (or rung ``level``, 1-based)."""
        step = self.step
        if step is None:
            return "no step is running"
        rung_index = (level or self.progress.hints_shown + 1) - 1
        rung_index = min(rung_index, len(step.hints) - 1)
        hint = step.hints[rung_index]
        self.progress.hints_shown = max(self.progress.hints_shown, rung_index + 1)
        self.progress.last_hint_t = self.t
        self.tally.hints += 1
        hint_targets = tuple(hint.targets) or tuple(targets(step.complete_when))
        self.emit(
            ev.HintShown(
                self.t,
                step=step.id,
                level=rung_index + 1,
                rung=hint.level,
                text=hint.text,
                targets=hint_targets,
                requested=requested,
                trigger=trigger,
                reason=reason,
                predicted=predicted,
            )
        )
        return None

    def _on_move(self, i: ev.Move) -> str | None:
        self.world.player_position = i.position
        self.world.player_heading = i.heading
        for e in self.lesson.entities:
            poi = e.point_of_interest
            if poi is None or e.id in self.visited or not self.world.entities[e.id].visible:
                continue
            here = self.world.world_position(e.id)
            flat = distance((here[0], here[1], 0.0), (i.position[0], i.position[1], 0.0))
            if flat <= poi.radius:
                self.visited.add(e.id)
                self.emit(ev.PoiVisited(self.t, poi=e.id, title=poi.title))
                if e.narration is not None and e.narration.trigger == "visit":
                    self._start_narration(e.id)
        return None

    def _on_dwell(self, i: ev.Dwell) -> str | None:
        if i.entity not in self._entities:
            return f"no entity '{i.entity}'"
        if i.dwell_ms < 300:
            return "dwell shorter than 300 ms is not logged"
        self._interacted("dwelled", i.entity, dwell_ms=i.dwell_ms)
        return None

    def _start_narration(self, entity_id: str) -> None:
        narration = self._entities[entity_id].narration
        if narration is None or entity_id in self.narrating:
            return
        words = len(narration.text.split())
        duration = round(words / narration.words_per_minute * 60.0, 3)
        captions = tuple(narration.captions) or split_captions(narration.text)
        self.narrating[entity_id] = self.t + duration
        self.emit(
            ev.NarrationStarted(self.t, entity=entity_id, captions=captions, duration=duration)
        )

    # --- difficulty ------------------------------------------------------------------------

    def set_knob(
        self,
        knob: str,
        level: int,
        *,
        reason: str,
        actor: str = "adaptivity",
        predicted: float | None = None,
    ) -> None:
        """Move a difficulty knob; emits :class:`~engine.core.events.KnobChanged` with a reason."""
        spec = self.lesson.knob(knob)
        level = max(0, min(level, len(spec.levels) - 1))
        old = self.knobs.get(knob, spec.default)
        if level == old:
            return
        self.knobs[knob] = level
        for e in self.lesson.entities:
            if e.only_when is not None and e.only_when.knob == knob:
                self.world.entities[e.id].visible = self.gate_open(e.id)
                self.world.dirty.add(e.id)
        self.emit(
            ev.KnobChanged(
                self.t,
                knob=knob,
                from_level=old,
                to_level=level,
                reason=reason,
                actor=actor,
                predicted=predicted,
            )
        )

    def gate_open(self, entity_id: str) -> bool:
        """Whether a knob-gated entity is shown at the current levels."""
        gate = self._entities[entity_id].only_when
        if gate is None:
            return True
        level = self.knobs.get(gate.knob, 0)
        return level >= gate.min_level and (gate.max_level is None or level <= gate.max_level)

    # --- Facts (what conditions read) ------------------------------------------------------

    def in_zone(self, entity: str) -> str | None:
        """The snap zone an entity sits in."""
        state = self.world.entities.get(entity)
        return state.in_zone if state else None

    def was_pressed(self, button: str) -> bool:
        """Pressed during the current step."""
        return button in self.progress.pressed

    def was_visited(self, poi: str) -> bool:
        """Visited at any time in the session."""
        return poi in self.visited

    def answered_correctly(self, question: str) -> bool:
        """Answered correctly at any time in the session."""
        return question in self.correct

    def was_heard(self, narration: str) -> bool:
        """Played to the end."""
        return narration in self.heard

    def measurement(self, instrument: str) -> float | None:
        """The instrument's measurement: for discrete instruments, one taken in this step."""
        for b in self.behaviours.get(instrument, []):
            if b.discrete:
                if instrument in self.progress.measurements:
                    return self.progress.measurements[instrument]
                continue
            m = b.measurement()
            if m is not None:
                return m
        return None

    def value(self, ref: str) -> float:
        """A simulated property ``entity.property`` (KeyError if unknown)."""
        entity, prop = ref.split(".", 1)
        for b in self.behaviours.get(entity, []):
            value = b.property(prop)
            if value is not None:
                return value
        raise KeyError(ref)

    def knob_value(self, knob: str) -> float:
        """The numeric value of a knob's current level ("5 %" reads as 0.05)."""
        spec = self.lesson.knob(knob)
        raw = spec.levels[self.knobs.get(knob, spec.default)]
        return parse_quantity(raw, "fraction") if isinstance(raw, str) else float(raw)

    # --- for behaviours and presentation ---------------------------------------------------

    def container(self, entity_id: str) -> ContainerBehaviour:
        """The container behaviour of an entity (KeyError if it has none)."""
        return self.containers[entity_id]

    def mass_of(self, entity_id: str) -> float:
        """An entity's declared mass in kg (0 when undeclared)."""
        return self._entities[entity_id].mass or 0.0

    def mark_label(self, entity_id: str) -> None:
        """An instrument's read-out changed."""
        self.dirty_labels.add(entity_id)

    def mark_liquid(self, entity_id: str) -> None:
        """A container's contents changed."""
        self.dirty_liquids.add(entity_id)

    def record_measurement(self, instrument: str, quantity: str, value: float, unit: str) -> None:
        """An instrument produced a reading: remember it and emit it."""
        self.measurements[instrument] = value
        self.progress.measurements[instrument] = value
        step = self.step
        if step is not None:
            asked = [
                m for m in leaves(step.complete_when, "measured") if m.instrument == instrument
            ]
            if asked and not any(holds(Condition(measured=m), self) for m in asked):
                # a measurement the step asked for, but off target: a failed attempt
                self._error()
        self.emit(
            ev.Measured(
                self.t,
                instrument=instrument,
                quantity=quantity,
                value=value,
                unit=unit,
                step=step.id if step else "",
            )
        )

    def readout(self, entity_id: str) -> str | None:
        """The text an instrument shows now."""
        for b in self.behaviours.get(entity_id, []):
            text = b.readout()
            if text is not None:
                return text
        return None

    def hint_ladder_levels(self) -> tuple[str, ...]:
        """The rung names, in order."""
        return HINT_ORDER


def split_captions(text: str) -> tuple[str, ...]:
    """Default captions: the narration split into sentences."""
    out: list[str] = []
    current = ""
    for word in text.split():
        current = f"{current} {word}".strip()
        if word.endswith((".", "!", "?")):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return tuple(out)
