"""One simulated learner driving one runtime through the lesson, and the mastery projection
over later sessions (see the package docstring, "Learners" and "Mastery").
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from adaptivity.bkt import BktParams, posterior
from adaptivity.tutor import Tutor
from engine.core import events as ev
from engine.core.conditions import resolve, targets
from engine.core.runtime import Runtime
from engine.core.script import WALK_SPEED, release_point
from engine.model.lesson import HINT_ORDER, Condition, Lesson, Step
from engine.model.loader import LoadedLesson
from engine.session import build_runtime
from tools.fast_forward import FastForward
from tools.simulate.profiles import ASK_AFTER, PROFILES
from tools.simulate.recipes import ACT_GAP, Act, Recipe, RecipeBook, Vec3, instrument_readers

#: a learner gives up on a step after this many times its expected time
PATIENCE = 10.0
#: a learner stops once its lesson time reaches this many times the lesson's expected time
BUDGET = 6.0
#: sessions within which some learner must reach mastery of every skill (see the docstring)
MASTERY_SESSIONS = 3
#: lesson seconds between two reported head positions while walking
MOVE_EVERY = 0.25


@dataclass
class LearnerOutcome:
    """What happened to one simulated learner (small and picklable, for worker processes).

    Attributes:
        index: the learner's number (its seed is ``seed + index``).
        profile: its profile's name.
        durations: per step, the step's duration if completed, else None.
        reached: the highest step index it started (-1 if none).
        dead_end: the step it was stuck on when it gave up, or None.
        hints: (step index, level 1-3, asked) -> hints shown.
        knob_changes: per step, knob changes made for it (as it was shown, or during it).
        flags: (step index, flag kind) -> flags raised.
        mastered: skill -> mastered at the end of the session.
        sessions: skill -> sessions to mastery (1 = this one, see the module docstring) or None.
        p_known: skill -> P(known) at the end of the session.
        completed: the lesson was completed.
        lesson_time: lesson seconds it ran.
        ticks_run: ticks run for real.
        ticks_skipped: ticks jumped over.
        cpu_s: CPU seconds the learner took (process time, so other load barely counts).
    """

    index: int
    profile: str
    durations: list[float | None]
    reached: int
    dead_end: int | None
    hints: dict[tuple[int, int, bool], int]
    knob_changes: list[int]
    flags: dict[tuple[int, str], int]
    mastered: dict[str, bool]
    sessions: dict[str, int | None]
    p_known: dict[str, float]
    completed: bool
    lesson_time: float
    ticks_run: int
    ticks_skipped: int
    cpu_s: float = 0.0


@dataclass
class Plan:
    """Everything about the lesson a learner needs, computed once (shared by the workers)."""

    lesson: Lesson
    folder: Path
    recipes: dict[int, Recipe]
    mastery_sessions: int
    seed: int
    skills: tuple[str, ...] = ()
    step_index: dict[str, int] = field(default_factory=dict)
    readers: dict[str, list[tuple[str, str, str | None]]] = field(default_factory=dict)
    #: per step: similar controls its recipe does not press (safe wrong presses)
    wrong_buttons: dict[int, list[str]] = field(default_factory=dict)
    #: per step: the first placed/visited part of its condition, for wrong attempts
    placing: dict[int, tuple[str, str]] = field(default_factory=dict)
    visiting: dict[int, str] = field(default_factory=dict)
    #: per step: entities its condition and hints are about (glances go elsewhere)
    relevant: dict[int, set[str]] = field(default_factory=dict)
    grabbables: list[str] = field(default_factory=list)
    zones: dict[str, tuple[list[str], float]] = field(default_factory=dict)
    start: dict[str, Vec3] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    probe_in: dict[str, str] = field(default_factory=dict)
    total_expected: float = 0.0

    @classmethod
    def build(
        cls, loaded: LoadedLesson, book: RecipeBook, *, seed: int, mastery_sessions: int
    ) -> Plan:
        """Precompute what learners look up."""
        lesson = loaded.lesson
        plan = cls(lesson, loaded.folder, book.recipes, mastery_sessions, seed)
        plan.skills = tuple(s.id for s in lesson.metadata.skills)
        plan.step_index = {s.id: i for i, s in enumerate(lesson.steps)}
        plan.readers = instrument_readers(lesson)
        plan.total_expected = sum(s.expected_time for s in lesson.steps)
        world = Runtime(lesson).world
        for e in lesson.entities:
            if e.grabbable is not None:
                plan.grabbables.append(e.id)
            if e.snap_zone is not None:
                plan.zones[e.id] = (list(e.snap_zone.accepts), e.snap_zone.radius)
            if e.geometry is not None or e.model is not None:
                plan.seen.append(e.id)
            if e.ph_meter is not None and e.ph_meter.probe_in:
                plan.probe_in[e.id] = e.ph_meter.probe_in
            plan.start[e.id] = world.world_position(e.id)
        for i, step in enumerate(lesson.steps):
            plan.relevant[i] = _targets(step)
            leaf = _first_leaf(step.complete_when)
            if leaf is not None and leaf.placed is not None:
                plan.placing[i] = (leaf.placed.entity, leaf.placed.zone)
            elif leaf is not None and leaf.visited is not None:
                plan.visiting[i] = leaf.visited
            recipe = book.recipes.get(i)
            plan.wrong_buttons[i] = _similar_controls(lesson, recipe) if recipe else []
        return plan


def _first_leaf(cond: Condition) -> Condition | None:
    """The first placed or visited condition in a condition tree (what a fumble is about)."""
    if cond.all is not None or cond.any is not None:
        for part in cond.all or cond.any or []:
            leaf = _first_leaf(part)
            if leaf is not None:
                return leaf
        return None
    return cond if cond.placed is not None or cond.visited is not None else None


def _targets(step: Step) -> set[str]:
    """Entities a step's hints and condition are about."""
    return {t for h in step.hints for t in h.targets} | set(targets(step.complete_when))


def _touches(lesson: Lesson, button: str) -> set[str]:
    """What a button acts on: '<entity>.<property or action name>' for each of its actions."""
    spec = lesson.entity(button).button
    if spec is None:
        return set()
    touched: set[str] = set()
    for action in spec.actions:
        if action.set:
            touched.add(action.set)
        if action.call:
            touched.add(action.call.split(".", 1)[0] + ".<call>")
    return touched


def _similar_controls(lesson: Lesson, recipe: Recipe) -> list[str]:
    """Buttons the recipe does not press but which act on the same things as one it does.

    Pressing one is a plausible mistake (the wrong length, the wrong release angle) that the
    recipe then undoes by pressing the right one; a button acting on anything else could
    break the step in a way the learner model has no way to notice or repair.
    """
    pressed = {a.target for a in recipe.acts if a.kind == "press"}
    touched = set().union(*(_touches(lesson, b) for b in pressed)) if pressed else set()
    out = []
    for e in lesson.entities:
        if e.button is None or e.id in pressed or not e.button.actions:
            continue
        mine = _touches(lesson, e.id)
        # everything it changes, the recipe's own presses change again; and it must set a
        # property (a setting control), not only call an action (tap, stopwatch, reset)
        if mine and mine <= touched and any(not m.endswith(".<call>") for m in mine):
            out.append(e.id)
    return out


class Learner:
    """One simulated learner driving one runtime through the lesson."""

    def __init__(self, plan: Plan, index: int) -> None:
        """Set up learner ``index`` of a run with ``plan.seed``."""
        self.plan = plan
        self.index = index
        self.profile = PROFILES[index % len(PROFILES)]
        self.rng = random.Random(plan.seed + index)
        rt = build_runtime(plan.lesson, seed=plan.seed + index, folder=plan.folder)
        self.rt = rt
        self.tutor = rt.advisor if isinstance(rt.advisor, Tutor) else None
        self.ff = FastForward(rt)
        n = len(plan.lesson.steps)
        self.durations: list[float | None] = [None] * n
        self.knob_changes = [0] * n
        self.hints: Counter[tuple[int, int, bool]] = Counter()
        self.flags: Counter[tuple[int, str]] = Counter()
        self.current = -1
        self.reached = -1
        self.dead_end: int | None = None
        self.hints_on_step = 0
        self.concepts_unread = 0
        self.demo_seen = False
        #: acts a recipe left undone when its step completed early, and the step they are for
        self.carry: tuple[Act, ...] = ()
        self.carry_for = -1
        #: what the Tutor's model observed, in order, per skill (for the mastery projection)
        self.evidence: dict[str, list[bool]] = {}
        self._counts: dict[str, tuple[int, int]] = {}
        p = plan.lesson.player
        self.eye: Vec3 = (p.position[0], p.position[1], p.position[2] + p.eye_height)
        self.heading = p.heading
        self.known = {s: self.rng.random() < self.profile.prior for s in plan.skills}
        self.budget_end = BUDGET * plan.total_expected
        rt.subscribe(self._on_event)

    # --- what the learner notices ------------------------------------------------------------

    def _on_event(self, event: ev.LessonEvent) -> None:
        if isinstance(event, ev.StepStarted):
            self.current = event.index
            self.reached = max(self.reached, event.index)
            self.hints_on_step = 0
            self.concepts_unread = 0
            self.demo_seen = False
        elif isinstance(event, ev.StepCompleted):
            self.durations[self.current] = event.duration
            self._note_evidence(event.skills)
        elif isinstance(event, ev.Answered):
            self._note_evidence(event.skills)
        elif isinstance(event, ev.HintShown):
            level = HINT_ORDER.index(event.rung) + 1
            self.hints[(self.current, level, event.requested)] += 1
            self.hints_on_step += 1
            if event.rung == "concept":
                self.concepts_unread += 1
            elif event.rung == "demonstrate":
                self.demo_seen = True
        elif isinstance(event, ev.KnobChanged):
            # the step it was made for: a change made as a step is about to be shown (between
            # steps) comes before that step's StepStarted, when the runtime is already on it
            index = min(self.rt.step_index, len(self.knob_changes) - 1)
            self.knob_changes[max(index, 0)] += 1
        elif isinstance(event, ev.LearnerFlagged):
            self.flags[(self.current, event.flag)] += 1

    def _note_evidence(self, skills: tuple[str, ...]) -> None:
        # read what the Tutor's model actually observed (this listener runs after the Tutor's)
        if self.tutor is None:
            return
        for skill in skills:
            state = self.tutor.model.skills.get(skill)
            if state is None:
                continue
            seen, right = self._counts.get(skill, (0, 0))
            if state.opportunities > seen:
                self.evidence.setdefault(skill, []).append(state.correct > right)
                self._counts[skill] = (state.opportunities, state.correct)

    # --- time ----------------------------------------------------------------------------

    def _left(self, index: int) -> Callable[[], bool]:
        rt = self.rt
        return lambda: rt.step_index != index

    def _wait(self, seconds: float, index: int) -> bool:
        """Let ``seconds`` pass; stop early if the step is over. Returns: it is over."""
        return self.ff.run_until(self.rt.t + max(0.0, seconds), self._left(index))

    def _idle(self, seconds: float, index: int) -> None:
        """Stand idle for ``seconds``, or until a hint shows or the step is over."""
        rt, shown = self.rt, self.hints_on_step
        self.ff.run_until(
            rt.t + seconds, lambda: rt.step_index != index or self.hints_on_step > shown
        )

    def _apply(self, interaction: ev.Interaction) -> str | None:
        reason = self.rt.handle(interaction)
        self.ff.touch()
        return reason

    # --- a run ---------------------------------------------------------------------------

    def run(self) -> LearnerOutcome:
        """Run the learner through the lesson until it completes it or gives up."""
        rt = self.rt
        rt.start()
        while not rt.completed:
            if not self._step(rt.step_index):
                break
        return self._outcome()

    def _step(self, index: int) -> bool:
        """Work on step ``index`` until it is over; False if the learner gives up."""
        rt, prof, rng = self.rt, self.profile, self.rng
        step = self.plan.lesson.steps[index]
        expected = step.expected_time
        recipe = self.plan.recipes.get(index)
        give_up = min(self.budget_end, rt.t + PATIENCE * expected)
        left = self._left(index)
        if rng.random() < prof.hint_first:
            self._click_through(index)
        stalls = rng.random() < prof.stall
        if stalls and not left() and not all(self.known.get(s, False) for s in step.skills):
            self._idle(expected * rng.uniform(2.2, 3.5), index)
        failures, first = 0, True
        while not left():
            if rt.t >= give_up:
                self.dead_end = index
                return False
            self._wait(min(self._think(step, recipe, first), give_up - rt.t), index)
            first = False
            if left() or rt.t >= give_up:
                continue
            if prof.random:
                turn = rng.random()
                if turn < 0.3 and recipe is not None:
                    self._perform(recipe, index)
                elif turn < 0.65:
                    self._wrong(index)
                elif turn < 0.8:
                    self._ask(index)
                else:
                    self._idle(expected * rng.uniform(0.5, 3.0), index)
                continue
            if self._succeeds(step) and recipe is not None:
                self._perform(recipe, index)
            else:
                self._wrong(index)
            if left():
                break
            failures += 1
            if self._asks(failures):
                self._ask(index)
        return True

    def _think(self, step: Step, recipe: Recipe | None, first: bool) -> float:
        prof, rng, expected = self.profile, self.rng, step.expected_time
        if first:
            doing = recipe.duration if recipe is not None else 0.0
            base = max(expected - doing, 0.25 * expected)
            return max(0.5, prof.pace * base * rng.lognormvariate(0.0, 0.35))
        if prof.rapid:
            return rng.uniform(1.0, 4.0)
        return max(0.5, prof.pace * expected * rng.uniform(0.1, 0.3))

    def _succeeds(self, step: Step) -> bool:
        """Draw whether this attempt succeeds, then what the learner learns from it."""
        prof, rng = self.profile, self.rng
        if self.demo_seen:
            return True  # copies the bottom-out demonstration
        if prof.always_wrong:
            return False
        for _ in range(self.concepts_unread):
            for skill in step.skills:
                if not self.known[skill] and rng.random() < prof.uptake * prof.learn:
                    self.known[skill] = True
        self.concepts_unread = 0
        p = 1.0 - prof.slip
        if step.skills:
            p = math.prod((1.0 - prof.slip) if self.known[s] else prof.guess for s in step.skills)
        ok = rng.random() < p
        for skill in step.skills:
            if not self.known[skill] and rng.random() < prof.learn:
                self.known[skill] = True
        return ok

    def _asks(self, failures: int) -> bool:
        prof = self.profile
        wants = self.rng.random() < prof.help
        return wants or (not prof.rapid and failures >= ASK_AFTER)

    def _ask(self, index: int) -> None:
        """Ask for the next hint; wait for it if adaptivity holds it back, then read it."""
        shown = self.hints_on_step
        if self._apply(ev.RequestHint()) is not None or self.hints_on_step == shown:
            # delayed (help abuse, rapid guessing) or already on its way: wait up to 6 s
            rt = self.rt
            self.ff.run_until(
                rt.t + 6.0, lambda: rt.step_index != index or self.hints_on_step > shown
            )
        self._wait(self.rng.uniform(*self.profile.reading), index)

    def _click_through(self, index: int) -> None:
        """Ask for hint after hint until the bottom-out rung shows (at most five asks)."""
        for _ in range(5):
            if self.rt.step_index != index or self.demo_seen:
                return
            self._ask(index)

    # --- doing the step ------------------------------------------------------------------

    def _perform(self, recipe: Recipe, index: int) -> None:
        """Do the recipe (after what the previous step's recipe left undone).

        A step can complete before its recipe ends: in the titration walkthrough the tap is
        opened while the initial-pH step still waits for the meter to settle, so for a
        learner who answers after it settled, opening the tap is left over. What is left
        over is done first in the next step's recipe, as the walkthrough did it.
        """
        # left over for this step only: a step that completes without a recipe drops it
        acts = (self.carry if self.carry_for == index else ()) + recipe.acts
        self.carry = ()
        for k, act in enumerate(acts):
            if self.rt.step_index != index:
                self.carry, self.carry_for = acts[k:], self.rt.step_index
                return
            self._act(act, index)
            if self._wait(ACT_GAP, index):
                self.carry, self.carry_for = acts[k + 1 :], self.rt.step_index
                return

    def _act(self, act: Act, index: int) -> None:
        rt, kind = self.rt, act.kind
        if kind == "grab":
            self._grab(act.target)
        elif kind == "place_on":
            held = rt.world.held
            if held is not None:
                self._apply(ev.Release(entity=held, position=rt.world.world_position(act.target)))
        elif kind == "release":
            self._drop_in_front()
        elif kind == "press":
            self._apply(ev.Press(entity=act.target))
        elif kind == "move_to":
            if act.point is not None:
                self._walk(act.point, 0.0, index)
            else:
                self._walk(rt.world.world_position(act.target), 1.0, index)
        elif kind == "answer":
            self._apply(ev.Answer(question=act.target, response=self._response(act)))
        elif kind == "wait":
            self._wait(float(act.value or 0.0), index)
        elif kind == "wait_step":
            goal = self.plan.step_index.get(act.target, len(self.plan.lesson.steps))
            timeout = float(act.value or 0.0)
            self.ff.run_until(rt.t + timeout, lambda: rt.completed or rt.step_index >= goal)
        elif kind == "wait_heard":
            heard = act.target
            timeout = float(act.value or 0.0)
            self.ff.run_until(rt.t + timeout, lambda: heard in rt.heard or rt.step_index != index)
        # look_at: the runtime needs nothing; the gap after the act is the glance

    def _response(self, act: Act) -> str | float:
        if act.read is not None:
            reading = self._read(*act.read)
            if reading is not None:
                return reading
        return act.value if act.value is not None else float("nan")

    def _read(self, ref: str, scale: float) -> float | None:
        """What an instrument showing ``ref`` reads now, times ``scale``; None if none shows it."""
        rt = self.rt
        for instrument, prop, zone in self.plan.readers.get(ref, []):
            if zone is not None and zone not in (
                rt.in_zone(instrument),
                self.plan.probe_in.get(instrument),
            ):
                continue
            value = rt.value(f"{instrument}.{prop}")
            if math.isfinite(value):
                return round(value * scale, 9)
        return None

    def _grab(self, entity: str) -> None:
        held = self.rt.world.held
        if held == entity:
            return
        if held is not None:
            self._drop_in_front()
        self._apply(ev.Grab(entity=entity))

    def _drop_in_front(self) -> None:
        held = self.rt.world.held
        if held is None:
            return
        self._apply(ev.Release(entity=held, position=release_point(self.eye, self.heading)))

    def _walk(self, goal: Vec3, stop_short: float, index: int) -> None:
        """Walk towards ``goal`` at walking pace (as the script driver does), reporting the
        head position every :data:`MOVE_EVERY` seconds; stop if the step ends on the way."""
        start = self.eye
        dx, dy = goal[0] - start[0], goal[1] - start[1]
        dist = math.hypot(dx, dy)
        travel = max(0.0, dist - stop_short)
        if dist > 1e-6:
            self.heading = math.degrees(math.atan2(-dx, dy))
        steps = max(1, math.ceil(travel / (WALK_SPEED * MOVE_EVERY)))
        eye_height = self.plan.lesson.player.eye_height
        for k in range(1, steps + 1):
            f = travel / dist * k / steps if dist > 1e-6 else 0.0
            self.eye = (start[0] + dx * f, start[1] + dy * f, start[2])
            feet = (self.eye[0], self.eye[1], self.eye[2] - eye_height)
            self._apply(ev.Move(position=feet, heading=self.heading))
            if self._wait(travel / steps / WALK_SPEED, index):
                return

    # --- wrong attempts ------------------------------------------------------------------

    def _wrong(self, index: int) -> None:
        plan, rng = self.plan, self.rng
        step = plan.lesson.steps[index]
        if step.ask is not None:
            self._wrong_answer(step.ask)
        elif index in plan.placing:
            self._wrong_place(*plan.placing[index], index)
        elif index in plan.visiting:
            self._wrong_walk(plan.visiting[index], index)
        else:
            buttons = [b for b in plan.wrong_buttons.get(index, []) if self._visible(b)]
            if buttons:
                self._apply(ev.Press(entity=rng.choice(buttons)))
            else:
                self._glance(index)

    def _visible(self, entity: str) -> bool:
        return self.rt.world.entities[entity].visible

    def _wrong_answer(self, question_id: str) -> None:
        rt, rng = self.rt, self.rng
        question = rt.lesson.question(question_id)
        response: str | float | None = None
        if question.kind == "choice":
            wrong = [o.id for o in question.options if not o.correct]
            response = rng.choice(wrong) if wrong else None
        else:
            assert question.answer is not None
            right = resolve(question.answer, rt)
            for _ in range(6):
                if question.common_wrong and rng.random() < 0.5:
                    candidate = resolve(rng.choice(question.common_wrong).value, rt)
                elif rng.random() < 0.5 and math.isfinite(right) and right != 0.0:
                    factor = rng.uniform(1.3, 3.0)
                    candidate = right * factor if rng.random() < 0.5 else right / factor
                else:
                    candidate = 10.0 ** rng.uniform(-3.0, 4.0)
                candidate = round(candidate, 6)
                # a wrong attempt must be wrong: never right by luck
                if not rt.grade(question, candidate)[0]:
                    response = candidate
                    break
        if response is not None:
            self._apply(ev.Answer(question=question_id, response=response))

    def _wrong_place(self, entity: str, zone: str, index: int) -> None:
        plan, rng = self.plan, self.rng
        accepts = plan.zones.get(zone, ([], 0.0))[0]
        lookalikes = [
            g for g in plan.grabbables if g != entity and self._visible(g) and accepts
            and g not in accepts
        ]  # fmt: skip
        if lookalikes and rng.random() < 0.5:
            # tries a look-alike on the zone, which refuses it
            other = rng.choice(lookalikes)
            self._grab(other)
            if self.rt.world.held == other:
                self._apply(ev.Release(entity=other, position=self.rt.world.world_position(zone)))
            return
        if not self._visible(entity):
            self._glance(index)
            return
        self._grab(entity)
        if self.rt.world.held == entity:
            self._apply(ev.Release(entity=entity, position=self._away(entity)))

    def _away(self, entity: str) -> Vec3:
        """A spot clear of every snap zone: where the entity started, or beside it."""
        base = self.plan.start[entity]
        for dx in (0.0, 0.6, -0.6, 1.2, -1.2):
            spot = (base[0] + dx, base[1], base[2])
            if all(
                math.dist(spot, self.rt.world.world_position(z)) > radius + 0.05
                for z, (_, radius) in self.plan.zones.items()
                if z != entity
            ):
                return spot
        return (base[0] + 3.0, base[1] + 3.0, base[2])

    def _wrong_walk(self, poi: str, index: int) -> None:
        rng = self.rng
        target = self.rt.world.world_position(poi)
        spec = self.plan.lesson.entity(poi).point_of_interest
        radius = spec.radius if spec is not None else 1.0
        goal = self.eye
        for _ in range(6):
            angle = rng.uniform(0.0, 2.0 * math.pi)
            dist = rng.uniform(2.0, 5.0)
            goal = (self.eye[0] + dist * math.cos(angle), self.eye[1] + dist * math.sin(angle),
                    self.eye[2])  # fmt: skip
            if math.hypot(goal[0] - target[0], goal[1] - target[1]) > radius + 0.5:
                break
        self._walk(goal, 0.0, index)

    def _glance(self, index: int) -> None:
        """Look at something irrelevant for a moment (the fallback wrong attempt)."""
        relevant = self.plan.relevant.get(index, set())
        options = [e for e in self.plan.seen if e not in relevant and self._visible(e)]
        if not options:
            self._wait(self.rng.uniform(0.5, 2.0), index)
            return
        ms = int(self.rng.uniform(400.0, 2000.0))
        self._wait(ms / 1000.0, index)
        self._apply(ev.Dwell(entity=self.rng.choice(options), dwell_ms=ms))

    # --- the outcome ---------------------------------------------------------------------

    def _outcome(self) -> LearnerOutcome:
        mastered: dict[str, bool] = {}
        sessions: dict[str, int | None] = {}
        p_known: dict[str, float] = {}
        for skill in self.plan.skills:
            if self.tutor is None:
                mastered[skill], sessions[skill], p_known[skill] = False, None, math.nan
                continue
            model = self.tutor.model
            mastered[skill] = model.mastered(skill)
            p_known[skill] = model.p_known(skill)
            params = model.params(skill)
            sessions[skill] = sessions_to_mastery(
                model.p_known(skill),
                self.evidence.get(skill, []),
                partial(_bkt_update, params=params),
                model.mastery,
                self.plan.mastery_sessions,
            )
        return LearnerOutcome(
            index=self.index,
            profile=self.profile.name,
            durations=self.durations,
            reached=self.reached,
            dead_end=self.dead_end,
            hints=dict(self.hints),
            knob_changes=self.knob_changes,
            flags=dict(self.flags),
            mastered=mastered,
            sessions=sessions,
            p_known=p_known,
            completed=self.rt.completed,
            lesson_time=self.rt.t,
            ticks_run=self.ff.ran,
            ticks_skipped=self.ff.skipped,
        )


def _bkt_update(p: float, correct: bool, *, params: BktParams) -> float:
    """One BKT update of P(known), as the Tutor's model makes it."""
    return posterior(p, correct, params)


def sessions_to_mastery(
    p_end: float,
    evidence: list[bool],
    update: Callable[[float, bool], float],
    mastery: float,
    limit: int,
) -> int | None:
    """In which session a learner reaches mastery, repeating this session's evidence.

    Args:
        p_end: P(known) at the end of this session (session 1).
        evidence: what the model observed this session, in order.
        update: one BKT update, ``(p, correct) -> p``.
        mastery: the mastery threshold.
        limit: the last session to consider.

    Returns:
        1 if mastered now, else the first later session that ends at mastery, or None.
    """
    if p_end >= mastery:
        return 1
    if not evidence:
        return None
    p = p_end
    for session in range(2, limit + 1):
        for correct in evidence:
            p = update(p, correct)
        if p >= mastery:
            return session
    return None
