"""One simulated learner's practice of the pendulum lab under one policy (adaptivity on or
off), for ``bench/policy_simulation.py``: the figures it records (:class:`Outcome`), how it
acts outcomes out through the real runtime (:class:`Practice`), and the lesson what-ifs.

The assumptions are those of the benchmark's module docstring.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adaptivity.difficulty import knob_steps
from adaptivity.elo import ItemBank
from adaptivity.fit import fit_bkt
from adaptivity.store import LearnerRecord
from adaptivity.tutor import Tutor
from bench.learners import HIGHLIGHT_LOGIT, PROFILES, SimulatedLearner
from engine.core import events as ev
from engine.core.behaviours import PendulumBehaviour
from engine.core.conditions import resolve, tolerance
from engine.core.runtime import Runtime
from engine.model.components import PROPERTIES
from engine.model.lesson import (
    Entity,
    Knob,
    KnobGate,
    Lesson,
    Measured,
    Placed,
    Question,
    SkillPriors,
    Step,
    Text,
)
from engine.model.loader import LoadedLesson, load_lesson
from engine.model.units import parse_quantity
from engine.session import build_runtime
from engine.sim.pendulum import PendulumSim
from tools.fast_forward import FastForward

LESSON = "pendulum-lab"
#: the detection window for wheel-spinning, in true opportunities on the blocked skill
WINDOW = 12
#: a learner stops after this many runs of the lesson even if not yet at mastery
MAX_RUNS = 40
#: a wheel-spinner stops after this many runs if neither flagged nor past both windows
MAX_SPIN_RUNS = 12
#: ``--yardstick declared``: the fixed sequence is run this many times by every learner
FIXED_RUNS = 10
#: lesson seconds between checks while waiting for something (the advisor's own period)
POLL = 0.1
BAND = (0.70, 0.85)
#: what lesson time is spent on: thinking before an attempt, standing idle at a step's start
#: (a stall; ended by a hint or by itself), reading hints and waiting for a delayed one, and
#: acting an attempt out (hands, buttons, the swings being timed)
DOING = ("think", "stall", "hints", "act")


@dataclass
class Outcome:
    """One learner's practice under one policy (picklable, for the worker processes).

    Attributes:
        profile: the profile's name.
        seed: the learner's seed.
        adaptive: adaptivity on.
        blocked: a wheel-spinner's blocked skill.
        mastered_at: cumulative lesson time when every skill was truly known (None: never).
        lesson_time: cumulative lesson time practised.
        runs: lesson runs started.
        predicted: the tutor's predicted success at each step start (passive tutor when off).
        spin_flags: wheel-spinning flags: (skill, true opportunities on it, opportunities
            the learner model has counted on it, across sessions).
        flags: flags raised, by kind (the acting tutor's when on, the passive one's when off).
        hints_requested: hints the learner asked for (and got).
        hints_offered: unasked hints.
        knob_changes: knob changes by adaptivity.
        declared_at: cumulative lesson time when the tutor's model first had every skill at
            mastery (None: never).
        declared_truly: whether every skill was truly known at that moment.
        mismatches: attempts where the runtime disagreed with the decided outcome.
        blocked_model_mastered: a wheel-spinner's blocked skill is at mastery in the tutor's
            model at the end (it never is in truth).
        unknown_at_window: skills (the blocked one excluded) that were truly unknown at each
            of their first :data:`WINDOW` opportunities: up to the window their outcomes come
            from the same distribution as a wheel-spinner's blocked skill.
        flagged_known: skills flagged as wheel-spinning while the learner truly knew them.
        practised: skills with at least one true opportunity (the blocked one excluded).
        per_run: ``--yardstick declared``, adaptivity off: after each run of the fixed
            sequence, the cumulative lesson time and whether every skill was truly known.
        reachable: parallel to ``predicted``: whether some setting of the step's own knobs
            would have put that prediction in the band (the most any controller could do).
        time_by: lesson time practised, by what the learner was doing (see :data:`DOING`).
        evidence: what ``lesson fit`` would read from this learner's recorded sessions: the
            first attempt at each step shown, for each of its skills, in order: (skill,
            right), a copied demonstration counting as wrong.
        attempts: each attempt's predicted success (the tutor's, just before it; the passive
            tutor's when off), whether it succeeded, and whether the step has several
            skills; copied demonstrations left out (their success is no one's prediction).
    """

    profile: str
    seed: int
    adaptive: bool
    blocked: str | None = None
    mastered_at: float | None = None
    lesson_time: float = 0.0
    runs: int = 0
    predicted: list[float] = field(default_factory=list)
    spin_flags: list[tuple[str, int, int]] = field(default_factory=list)
    flags: Counter[str] = field(default_factory=Counter)
    hints_requested: int = 0
    hints_offered: int = 0
    knob_changes: int = 0
    declared_at: float | None = None
    declared_truly: bool | None = None
    mismatches: int = 0
    blocked_model_mastered: bool = False
    unknown_at_window: set[str] = field(default_factory=set)
    flagged_known: set[str] = field(default_factory=set)
    practised: set[str] = field(default_factory=set)
    per_run: list[tuple[float, bool]] = field(default_factory=list)
    reachable: list[bool] = field(default_factory=list)
    time_by: dict[str, float] = field(default_factory=dict)
    attempts: list[tuple[float, bool, bool]] = field(default_factory=list)
    evidence: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class _StepState:
    """What the learner has got from hints during the current step."""

    highlight: bool = False
    demo: bool = False
    hints: int = 0


class Practice:
    """One learner practising the lesson, run after run, under one policy.

    Args:
        loaded: the lesson.
        learner: the simulated learner (its state changes).
        adaptive: attach the Tutor (on) or run the fixed sequence (off).
        continuity: ``session`` or ``carry`` (see the module docstring).
        knob_effect: logits per knob level away from the default.
        exact_pendulum: keep the pendulum integrator's 1 ms substep.
        yardstick: ``truth`` (practise until every skill is truly known) or ``declared``
            (on: until the tutor declares every skill mastered; off: :data:`FIXED_RUNS`
            runs of the fixed sequence; see the module docstring).
    """

    def __init__(
        self,
        loaded: LoadedLesson,
        learner: SimulatedLearner,
        *,
        adaptive: bool,
        continuity: str = "session",
        knob_effect: float = 0.5,
        exact_pendulum: bool = False,
        yardstick: str = "truth",
    ) -> None:
        self.loaded = loaded
        self.yardstick = yardstick
        self.lesson = loaded.lesson
        self.learner = learner
        self.adaptive = adaptive
        self.continuity = continuity
        self.knob_effect = knob_effect
        self.exact_pendulum = exact_pendulum
        self.touches = knob_steps(self.lesson)
        self.skills = tuple(s.id for s in self.lesson.metadata.skills)
        self.out = Outcome(learner.profile.name, learner.seed, adaptive, learner.blocked)
        # carried from one session to the next
        self._record: dict[str, Any] | None = None
        self._items: dict[str, Any] | None = None
        self._knobs: dict[str, int] | None = None
        self._counts: dict[str, int] = {}
        self._mastered_skills: set[str] = set()
        self._elapsed = 0.0  # lesson time of the runs before this one
        self.stop = False
        self.rt: Runtime
        self.tutor: Tutor
        self.state = _StepState()

    # --- the practice loop -------------------------------------------------------------------

    def run(self) -> Outcome:
        """Practise until mastery (or the window or a cap) and return the figures."""
        if self.learner.mastered and self.yardstick == "truth":
            # knows it all already: nothing to practise (possible for a fast learner)
            self.out.mastered_at = 0.0
            return self.out
        runs = MAX_SPIN_RUNS if self.learner.blocked else MAX_RUNS
        if self.yardstick == "declared" and not self.adaptive and not self.learner.blocked:
            runs = FIXED_RUNS
        for _ in range(runs):
            self._new_session()
            self.out.runs += 1
            self.rt.start()
            while not self.rt.completed and not self.stop:
                step = self.rt.step
                assert step is not None
                self._do_step(step)
            if self.rt.completed:
                self.rt.end("completed")
            self._elapsed += self.rt.t
            self._save_session()
            self.out.per_run.append((self._elapsed, self.learner.mastered))
            if self.stop:
                break
        self.out.lesson_time = self._elapsed
        self.out.practised = {
            s for s, n in self.learner.opportunities.items() if n and s != self.learner.blocked
        }
        if self.learner.blocked is not None:
            self.out.blocked_model_mastered = self.tutor.model.mastered(self.learner.blocked)
        return self.out

    def now(self) -> float:
        """Cumulative lesson time."""
        return self._elapsed + self.rt.t

    def _new_session(self) -> None:
        knobs = self._knobs if self.continuity == "carry" else None
        if self.adaptive:
            rt = build_runtime(
                self.lesson,
                seed=self.learner.seed,
                knob_levels=knobs,
                learner=self._record,
                items=self._items,
                folder=self.loaded.folder,
            )
            assert isinstance(rt.advisor, Tutor)
            tutor = rt.advisor
        else:
            rt = Runtime(self.lesson, seed=self.learner.seed)
            record = LearnerRecord.from_dict(self._record) if self._record else None
            items = ItemBank.from_dict(self._items) if self._items else None
            # passive: it hears every event but is never attached, so it acts on nothing
            tutor = Tutor(self.lesson, record=record, items=items, folder=self.loaded.folder)
            rt.subscribe(tutor.on_event)
        if self.continuity == "carry":
            for skill, count in self._counts.items():
                for _ in range(count):
                    tutor.hints.note_opportunity(skill, skill in self._mastered_skills, t=0.0)
            tutor.hints.drain_flags()  # re-counting is not a new flag
        if not self.exact_pendulum:
            for behaviours in rt.behaviours.values():
                for b in behaviours:
                    if isinstance(b, PendulumBehaviour):
                        s = b.spec
                        # one substep per tick; see "Speed" in the module docstring
                        b.sim = PendulumSim(
                            s.length, s.g, s.amplitude, s.damping, max_substep=rt.clock.dt
                        )
        self.rt, self.tutor = rt, tutor
        self.ff = FastForward(rt)
        self._passive_flags = 0
        rt.subscribe(self._on_event)  # after the tutor: it has updated when we look

    def _save_session(self) -> None:
        tutor = self.tutor
        self._record = tutor.record.to_dict()
        self._items = tutor.items.to_dict()
        self._knobs = dict(self.rt.knobs)
        self._counts = {s: tutor.hints.opportunities(s) for s in self.skills}

    # --- what the learner sees -----------------------------------------------------------------

    def _on_event(self, event: ev.LessonEvent) -> None:
        if isinstance(event, ev.StepStarted):
            self.state = _StepState()
            step = self.rt.lesson.steps[event.index]
            self.out.predicted.append(self.tutor.predicted_success(step))
            self.out.reachable.append(self._reachable(step))
        elif isinstance(event, ev.HintShown):
            self._on_hint(event)
        elif isinstance(event, ev.KnobChanged) and event.actor == "adaptivity":
            self.out.knob_changes += 1
        elif isinstance(event, ev.LearnerFlagged):
            self._flag(event.flag, event.skill)
        if isinstance(event, ev.Answered | ev.StepCompleted):
            # the hint policy does not flag a skill at mastery (unless it is lost): mirror that here
            # (it hears mastered() right after each update) so "carry" can hand it on
            model, lost_below = self.tutor.model, self.tutor.config.wheel_spin_p_known
            self._mastered_skills |= {s for s in event.skills if model.mastered(s)}
            self._mastered_skills -= {s for s in event.skills if model.p_known(s) < lost_below}
            if not self.adaptive:
                # the passive tutor never drains its flags: read the new ones
                for flag in self.tutor.hints.flags[self._passive_flags :]:
                    self._flag(flag.kind, flag.subject if flag.kind == "wheel-spinning" else "")
                self._passive_flags = len(self.tutor.hints.flags)
            if self.out.declared_at is None and all(
                self.tutor.model.mastered(s) for s in self.skills
            ):
                self.out.declared_at = self.now()
                self.out.declared_truly = self.learner.mastered
                if self.yardstick == "declared" and self.adaptive and not self.learner.blocked:
                    self.stop = True  # mastery learning: practice ends at the declaration

    def _reachable(self, step: Step) -> bool:
        """Whether some setting of ``step``'s knobs puts its predicted success in the band."""
        tutor = self.tutor
        touching = tutor.knobs_touching(step)
        top = {k.id: len(k.levels) for k in self.lesson.difficulty}
        for combo in itertools.product(*(range(top[k]) for k in touching)):
            p = tutor.predicted_success_at(step, dict(zip(touching, combo, strict=True)))
            if BAND[0] <= p <= BAND[1]:
                return True
        return False

    def _flag(self, kind: str, skill: str) -> None:
        self.out.flags[kind] += 1
        if kind == "wheel-spinning":
            true = self.learner.opportunities.get(skill, 0)
            self.out.spin_flags.append((skill, true, self.tutor.model.opportunities(skill)))
            if self.learner.known.get(skill, False):
                self.out.flagged_known.add(skill)

    def _on_hint(self, event: ev.HintShown) -> None:
        if event.requested:
            self.out.hints_requested += 1
        else:
            self.out.hints_offered += 1
        self.state.hints += 1
        if event.rung == "highlight":
            self.state.highlight = True
        elif event.rung == "concept":
            step = self.rt.step
            if step is not None:
                self.learner.read_concept_hint(step.skills)
                self._note_mastery()
                self._check_done()
        elif event.rung == "demonstrate":
            self.state.demo = True

    def _note_mastery(self) -> None:
        # the moment of the learning transition, not the end of the step or run
        if self.learner.mastered and self.out.mastered_at is None:
            self.out.mastered_at = self.now()

    def _check_done(self) -> None:
        learner, blocked = self.learner, self.learner.blocked
        if blocked is None:
            if self.yardstick == "truth":
                self.stop = learner.mastered
            return
        # a wheel-spinner goes on until flagged, or past the window in both counts
        flagged = any(skill == blocked for skill, _, _ in self.out.spin_flags)
        counted = self.tutor.model.opportunities(blocked)
        self.stop = flagged or min(learner.opportunities[blocked], counted) >= WINDOW

    # --- time ------------------------------------------------------------------------------

    def _wait(
        self, seconds: float, until: Callable[[], bool] | None = None, *, doing: str = "act"
    ) -> bool:
        """Let ``seconds`` of lesson time pass; with ``until``, stop early once it holds.

        Time moves in whole ticks (a wait shorter than half a tick is none), checked every
        :data:`POLL` seconds when there is something to wait for.

        Returns:
            Whether ``until`` came true.
        """
        rt = self.rt
        dt = rt.clock.dt
        start = rt.t
        end = rt.clock.tick + max(0, round(seconds / dt))
        try:
            if until is None:
                self._advance(end)
                return False
            chunk = max(1, round(POLL / dt))
            while rt.clock.tick < end:
                self._advance(min(end, rt.clock.tick + chunk))
                if until():
                    return True
            return until()
        finally:
            self.out.time_by[doing] = self.out.time_by.get(doing, 0.0) + rt.t - start

    def _advance(self, tick: int) -> None:
        """Run the runtime to ``tick``: the same events as ticking through, at the same ticks
        (:class:`~tools.fast_forward.FastForward`), only faster."""
        t = tick * self.rt.clock.dt
        self.ff.run_until(t)
        if self.rt.clock.tick < tick:  # it stops at the lesson's end; the clock goes on
            self.rt.run_until(t)

    def _in(self, step: Step) -> bool:
        """Whether the learner is still working on ``step``."""
        return not self.stop and not self._passed(step)

    def _passed(self, step: Step) -> bool:
        return self.rt.completed or self.rt.step is not step

    def _apply(self, interaction: ev.Interaction) -> None:
        reason = self.rt.handle(interaction)
        self.ff.touch()
        if reason is not None:
            raise RuntimeError(f"the runtime refused {interaction}: {reason}")

    # --- a step ----------------------------------------------------------------------------

    def _do_step(self, step: Step) -> None:
        learner, expected = self.learner, step.expected_time
        if learner.clicks_through():
            self._click_through(step)
        else:
            stall = learner.stall_time(step.skills, expected)
            if stall > 0.0 and not self._stall(step, stall) and learner.asks_after_stall():
                self._request_hint(step)
        failures = 0
        while self._in(step):
            self._wait(learner.think_time(expected, retry=failures > 0), doing="think")
            if not self._in(step):
                return
            demo = self.state.demo
            self.state.demo = False  # a demonstration is copied once
            for skill in step.skills:
                # this attempt is the last of the window, and the skill is still unknown
                if (
                    skill != learner.blocked
                    and not learner.known[skill]
                    and learner.opportunities[skill] == WINDOW - 1
                ):
                    self.out.unknown_at_window.add(skill)
            predicted = self.tutor.predicted_success(step)
            attempt = learner.attempt(step.skills, shift=self._shift(step), demonstrated=demo)
            if not demo:
                self.out.attempts.append((predicted, attempt.correct, len(step.skills) > 1))
            if failures == 0:
                # a log's rule (adaptivity.logs.read_xapi): a step's first attempt, right only
                # without the bottom-out demonstration
                self.out.evidence.extend((s, attempt.correct and not demo) for s in step.skills)
            self._note_mastery()
            # act it out even if that was the last thing to learn: the tutor hears it
            self._act(step, attempt.correct)
            if attempt.correct != self._passed(step):
                self.out.mismatches += 1
            self._check_done()
            if not self._in(step):
                return
            failures += 1
            if learner.asks_after_failure(failures):
                self._request_hint(step)

    def _shift(self, step: Step) -> float:
        shift = HIGHLIGHT_LOGIT if self.state.highlight else 0.0
        for knob in self.lesson.difficulty:
            if step.id in self.touches[knob.id]:
                level = self.rt.knobs.get(knob.id, knob.default)
                shift += self.knob_effect * (knob.default - level)
        return shift

    def _stall(self, step: Step, seconds: float) -> bool:
        """Stand idle glancing around; returns True if a hint ended the stall."""
        hints = self.state.hints
        end = self.rt.t + seconds
        while self._in(step):
            gap = min(self.learner.glance_gap(), end - self.rt.t)
            if gap < 0.3:  # too short to be a logged glance: the stall is over
                break
            if self._wait(gap, lambda: self.state.hints > hints, doing="stall"):
                self._wait(self.learner.reading_time(), doing="hints")
                return True
            visible = [e for e, s in self.rt.world.entities.items() if s.visible]
            entity = self.learner.choose(visible)
            self._apply(ev.Dwell(entity=entity, dwell_ms=int(gap * 1000)))
        return False

    def _request_hint(self, step: Step) -> None:
        hints = self.state.hints
        self.rt.handle(ev.RequestHint())
        self.ff.touch()
        if self.state.hints == hints and self.rt.pending_hint is not None:
            # delayed (help abuse, rapid guessing): the hint still comes, a little later
            self._wait(15.0, lambda: self.state.hints > hints or not self._in(step), doing="hints")
        if self._in(step):
            self._wait(self.learner.reading_time(), doing="hints")

    def _click_through(self, step: Step) -> None:
        for _ in step.hints:
            if self.state.demo or not self._in(step):
                return
            self._request_hint(step)

    # --- acting an outcome out -------------------------------------------------------------

    def _act(self, step: Step, correct: bool) -> None:
        cond = step.complete_when
        if step.ask is not None:
            self._answer(self.lesson.question(step.ask), correct)
        elif cond.placed is not None:
            self._place(cond.placed, correct)
        elif cond.measured is not None:
            instrument = self.lesson.entity(cond.measured.instrument)
            if instrument.stopwatch is not None:
                self._time(step, cond.measured, correct)
            elif instrument.ruler is not None:
                self._set_length(cond.measured, instrument.ruler.measures, correct)
            else:
                raise NotImplementedError(f"no simulated learner for instrument {instrument.id}")
        else:
            raise NotImplementedError(f"no simulated learner for step '{step.id}' ({cond.kind})")

    def _place(self, placed: Placed, correct: bool) -> None:
        rt, learner = self.rt, self.learner
        zone = rt.world.world_position(placed.zone)
        look_alikes = [
            e.id
            for e in self.lesson.entities
            if e.grabbable is not None and e.id != placed.entity and rt.world.entities[e.id].visible
        ]
        self._wait(learner.uniform(0.5, 1.5))
        if correct:
            self._apply(ev.Grab(entity=placed.entity))
            self._wait(learner.uniform(1.0, 2.0))
            self._apply(ev.Release(entity=placed.entity, position=zone))
        elif look_alikes and learner.pick_outcome_detail() < 0.5:
            wrong = learner.choose(look_alikes)
            self._apply(ev.Grab(entity=wrong))
            self._wait(learner.uniform(1.0, 2.0))
            self._apply(ev.Release(entity=wrong, position=zone))  # the hook refuses it
        else:
            here = rt.world.world_position(placed.entity)
            self._apply(ev.Grab(entity=placed.entity))
            self._wait(learner.uniform(1.0, 2.0))
            self._apply(ev.Release(entity=placed.entity, position=here))  # back on the bench

    def _set_length(self, measured: Measured, measures: str, correct: bool) -> None:
        target = resolve(measured.target, self.rt)
        tol = tolerance(measured.tolerance, self.rt)
        entity, prop = measures.split(".", 1)
        model = self.lesson.entity(entity)
        component = next(c for c in PROPERTIES if getattr(model, c, None) is not None)
        dimension = PROPERTIES[component][prop].dimension or "fraction"
        right: list[str] = []
        wrong: list[str] = []
        for e in self.lesson.entities:
            for action in e.button.actions if e.button is not None else ():
                if action.set == measures and action.value is not None:
                    value = parse_quantity(action.value, dimension)
                    (right if abs(value - target) <= tol * abs(target) else wrong).append(e.id)
        self._wait(self.learner.uniform(0.5, 1.5))
        self._apply(ev.Press(entity=self.learner.choose(right if correct else wrong)))

    def _time(self, step: Step, measured: Measured, correct: bool) -> None:
        rt, learner = self.rt, self.learner
        watch = measured.instrument
        buttons = {e.id: e.button for e in self.lesson.entities if e.button is not None}

        def calls(button: str, suffix: str) -> bool:
            return any((a.call or "").endswith(suffix) for a in buttons[button].actions)

        # the release button the step's hints point at (10° or 60°), and the reset button
        targets = [t for h in step.hints for t in h.targets if t in buttons]
        release = next(t for t in targets if calls(t, ".release"))
        reset = next(b for b in buttons if calls(b, f"{watch}.reset"))
        if rt.value(f"{watch}.elapsed") > 0.0:
            self._apply(ev.Press(entity=reset))
            self._wait(learner.uniform(0.5, 1.5))
        self._apply(ev.Press(entity=release))
        self._wait(learner.uniform(0.5, 1.5))
        self._apply(ev.Press(entity=watch))
        target = resolve(measured.target, rt)
        tol = tolerance(measured.tolerance, rt)
        u = learner.pick_outcome_detail()
        if correct:
            duration = target * (1.0 + (u - 0.5) * tol)
        elif u < 0.5:
            duration = 0.5 * target  # counted half-swings: five periods, not ten
        else:
            off = tol + learner.uniform(0.03, 0.15)
            duration = target * (1.0 + off if u < 0.75 else 1.0 - off)
        self._wait(duration)
        self._apply(ev.Press(entity=watch))

    def _answer(self, question: Question, correct: bool) -> None:
        rt, learner = self.rt, self.learner
        response: str | float
        if question.kind == "choice":
            good = [o.id for o in question.options if o.correct]
            bad = [o.id for o in question.options if not o.correct]
            response = learner.choose(good if correct else bad)
        else:
            assert question.answer is not None
            target = resolve(question.answer, rt)
            tol = tolerance(question.tolerance, rt)
            u = learner.pick_outcome_detail()
            if correct:
                response = target * (1.0 + (u - 0.5) * tol)
            else:
                wrong = [resolve(w.value, rt) for w in question.common_wrong]
                off = tol + learner.uniform(0.05, 0.5)
                wrong.append(target * (1.0 + off if u < 0.5 else 1.0 - off))
                response = wrong[int(learner.pick_outcome_detail() * len(wrong))]
        self._apply(ev.Answer(question=question.id, response=response))


# --- running many learners ---------------------------------------------------------------------

#: fitted BKT parameters per skill: (skill, prior, learn, guess, slip)
Priors = tuple[tuple[str, float, float, float, float], ...]

_LOADED: dict[tuple[bool, int, tuple[tuple[str, float], ...], Priors], LoadedLesson] = {}


def with_guidance(lesson: Lesson, levels: int, *, per_step: bool = False) -> Lesson:
    """A copy of ``lesson`` with a scaffold knob ``guidance`` of ``levels`` levels (default in
    the middle) that touches every step, or one such knob per step (``guidance_<step>``): each
    step gets a guide card, shown only at the easiest level and pointed at by the step's first
    hint (what-if, see the docstring)."""
    knobs: list[Knob] = []
    guides: list[Entity] = []
    steps: list[Step] = []
    for step in lesson.steps:
        guide, knob = f"guide_{step.id}", f"guidance_{step.id}" if per_step else "guidance"
        if not knobs or per_step:
            knobs.append(
                Knob(
                    id=knob,
                    description="what-if: guidance",
                    levels=[f"level {i}" for i in range(levels)],
                    default=levels // 2,
                )
            )
        guides.append(
            Entity(
                id=guide,
                position=(0.0, 2.0, 1.6),
                text=Text(value=f"Guide: {step.instruction[:40]}"),
                only_when=KnobGate(knob=knob, max_level=0),
            )
        )
        hints = list(step.hints)
        hints[0] = hints[0].model_copy(update={"targets": [*hints[0].targets, guide]})
        steps.append(step.model_copy(update={"hints": hints}))
    return lesson.model_copy(
        update={
            "difficulty": [*lesson.difficulty, *knobs],
            "entities": [*lesson.entities, *guides],
            "steps": steps,
        }
    )


def _lesson(
    skip_mastered: bool = False,
    guidance: int = 0,
    thresholds: tuple[tuple[str, float], ...] = (),
    priors: Priors = (),
) -> LoadedLesson:
    key = (skip_mastered, guidance, thresholds, priors)
    if key not in _LOADED:
        loaded = load_lesson(LESSON)
        lesson = loaded.lesson
        if skip_mastered:
            steps = [s.model_copy(update={"skip_when_mastered": True}) for s in lesson.steps]
            lesson = lesson.model_copy(update={"steps": steps})
        if guidance:
            # negative: one knob per step (--guidance-per-step)
            lesson = with_guidance(lesson, abs(guidance), per_step=guidance < 0)
        if thresholds:
            # what-if: the tutor's thresholds overridden, as a lesson may (adaptivity.thresholds)
            settings = lesson.adaptivity.model_copy(
                update={"thresholds": {**lesson.adaptivity.thresholds, **dict(thresholds)}}
            )
            lesson = lesson.model_copy(update={"adaptivity": settings})
        if priors:
            # what-if: the lesson ships priors fitted on a pilot population (--priors pilot)
            fitted = {
                s: SkillPriors(prior=p, learn=learn, guess=g, slip=sl)
                for s, p, learn, g, sl in priors
            }
            settings = lesson.adaptivity.model_copy(update={"priors": fitted})
            lesson = lesson.model_copy(update={"adaptivity": settings})
        _LOADED[key] = dataclasses.replace(loaded, lesson=lesson)
    return _LOADED[key]


def simulate(
    profile: str,
    seed: int,
    adaptive: bool,
    *,
    continuity: str = "session",
    knob_effect: float = 0.5,
    exact_pendulum: bool = False,
    skip_mastered: bool = False,
    guidance: int = 0,
    thresholds: tuple[tuple[str, float], ...] = (),
    yardstick: str = "truth",
    priors: Priors = (),
) -> Outcome:
    """One learner of ``profile`` with ``seed``, practising under one policy."""
    loaded = _lesson(skip_mastered, guidance, thresholds, priors)
    skills = tuple(s.id for s in loaded.lesson.metadata.skills)
    learner = SimulatedLearner(PROFILES[profile], skills, seed)
    practice = Practice(
        loaded,
        learner,
        adaptive=adaptive,
        continuity=continuity,
        knob_effect=knob_effect,
        exact_pendulum=exact_pendulum,
        yardstick=yardstick,
    )
    return practice.run()


#: one learner under one policy: profile, seed, adaptivity on, :func:`simulate`'s keywords
Task = tuple[str, int, bool, dict[str, Any]]


def _task(args: Task) -> Outcome:
    profile, seed, adaptive, options = args
    return simulate(profile, seed, adaptive, **options)


def fit_pilot(outcomes: Sequence[Outcome], restarts: int = 5) -> Priors:
    """BKT parameters per skill fitted, as ``lesson fit`` does, on what the pilot learners'
    logs would hold: each learner's evidence on each skill, in order."""
    by_skill: dict[str, list[list[int]]] = {}
    for outcome in outcomes:
        mine: dict[str, list[int]] = {}
        for skill, right in outcome.evidence:
            mine.setdefault(skill, []).append(int(right))
        for skill, answers in mine.items():
            by_skill.setdefault(skill, []).append(answers)
    fitted = fit_bkt(by_skill, restarts=restarts, seed=0)
    return tuple((s, p.prior, p.learn, p.guess, p.slip) for s, p in sorted(fitted.items()))


# --- report ------------------------------------------------------------------------------------
