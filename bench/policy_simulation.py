"""Benchmark: seeded simulated learners through the pendulum lab, with and without adaptivity.

Run from the checkout's root::

    .venv/bin/python bench/policy_simulation.py                  # ~1-2 min on 2 cores
    .venv/bin/python bench/policy_simulation.py --learners 40 --jobs 2
    .venv/bin/python bench/policy_simulation.py --continuity carry   # what-if, see below
    .venv/bin/python bench/policy_simulation.py --skip-mastered      # what-if, see below
    .venv/bin/python bench/policy_simulation.py --guidance 5 --threshold hysteresis=1   # what-if
    .venv/bin/python bench/policy_simulation.py --yardstick declared   # what-if, see below

Each simulated learner (``bench/learners.py``: profiles fast, slow, gamer, wheel-spinner)
practises ``pendulum-lab`` by repeating the whole lesson, run after run, until it truly knows
every skill (the simulator's ground truth) or a cap of 40 runs; wheel-spinners, who never can,
stop once flagged on their blocked skill or past the 12-opportunity window in both counts
below (at most 12 runs). Every run drives the real :class:`~engine.core.runtime.Runtime`
through interactions (Grab/Release, Press, Answer, RequestHint, Dwell, waits of lesson time at
the runtime's 120 Hz tick) with no rendering. The same learner (same seed) is run twice:

* **adaptivity on**: ``engine.session.build_runtime`` attaches the lesson's Tutor (proactive
  hints, gaming delays, wheel-spinning response, the difficulty controller);
* **adaptivity off**: a bare Runtime: the fixed step sequence, default knob levels, no
  proactive hints and no delays; the hint ladder still answers the learner's requests (that is
  lesson content, not adaptivity). A *passive* Tutor listens (subscribed to events, never
  attached, so it decides nothing) only so the same predicted-success and wheel-spinning
  figures can be read for the fixed sequence.

Figures (per profile and overall), printed, never asserted:

* time to mastery: cumulative lesson time until every skill is truly known, on vs off, and the
  ratio of the means (target <= 0.8) with a paired bootstrap 95% interval over learners (a
  learner who knows everything before practising counts 0 in both; one stopped by the cap
  counts with its practice time, a lower bound; the table says how many mastered);
* the share of steps whose ``Tutor.predicted_success`` at step start lies in 0.70-0.85
  (target >= 70%), on, and off from the passive Tutor; beside it the *reach*: the share of
  step starts at which some setting of the step's own knobs would have put the prediction in
  the band (``Tutor.predicted_success_at`` over every combination of the knobs that touch
  the step), the most any controller could achieve with the lesson's knobs;
* wheel-spinners whose blocked skill gets a ``LearnerFlagged`` 'wheel-spinning' within 12
  opportunities on it (target >= 90%), counted two ways: true attempts (the headline; failed
  manipulations included) and the learner model's own count (``LearnerModel.opportunities``:
  its evidence events, kept across sessions in the learner record); and non-wheel-spinners
  with any wheel-spinning flag during their practice (false alarms, target <= 5%). Two figures
  say what the false alarms are: non-spinners who had a skill truly unknown at each of its
  first 12 opportunities (up to the window their outcomes on it are drawn exactly as a
  spinner's blocked skill's are, so no detector that reads outcomes can tell them apart), and
  non-spinners flagged on a skill they truly knew at that moment (the detector's own errors).
  The same false alarms are also counted per (learner, skill) pair, the unit Beck & Gong
  define wheel-spinning on: a pair whose skill was truly unknown at each of its first 12
  opportunities is wheel-spinning, every other pair practised is a negative, and a flag on
  a negative is a false alarm (every profile; a spinner's blocked skill is the positive above);
* where the practice time goes (thinking before attempts, stalls, hints and hint delays,
  acting attempts out), on and off: the tutor can shorten stalls and lengthen hint waits, not
  thinking or acting.

Assumptions, all fixed before the first run (the learner model's are in ``bench/learners.py``):

* **Sessions.** ``--continuity session`` (default) is the engine as shipped: each run is a new
  session whose Tutor starts from the learner record and the item bank the previous session
  left (as ``LessonSession`` does with a learner store), while the knobs and the hint policy's
  per-skill opportunity counts start afresh. ``--continuity carry`` is a what-if: it also
  carries the knob levels (``build_runtime(knob_levels=...)``) and the hint policy's
  opportunity counts (replayed into the new policy through its public
  ``note_opportunity``). Each learner starts with a fresh item bank (a cold-start lesson), so
  learners are independent and the results do not depend on their order or on ``--jobs``.
* **Skipping mastered steps.** ``--skip-mastered`` is a what-if: it runs a copy of the lesson
  whose every step declares ``skip_when_mastered: true`` (the shipped lesson declares none,
  because its scripted walkthroughs answer every question). Adaptivity on may then skip a
  step whose skills are all mastered and were checked earlier in the session; with
  adaptivity off the flag does nothing (a bare Runtime has no advisor to ask).
* **Knobs on every step.** ``--guidance LEVELS`` is a what-if: a copy of the lesson with one
  more scaffold knob, ``guidance``, of LEVELS levels (default in the middle) that touches every
  step (each step gets a guide card shown at the easiest level and named by its first hint);
  with ``--guidance-per-step``, one such knob per step instead.
  ``--threshold NAME=VALUE`` (repeatable) overrides one of the tutor's thresholds in the copy,
  as a lesson's ``adaptivity.thresholds`` may (e.g. ``hysteresis=1``, ``max_changes=20``).
  Together they show what bounds the share of predictions in the band: knobs' reach, or the
  controller's pace.
* **The yardstick.** ``--yardstick declared`` is a what-if for the time-to-mastery figure:
  with adaptivity on, each learner practises until the *tutor* declares every skill mastered
  (mastery learning: practice ends at the declaration, at most 40 runs); with it off, every
  learner runs the fixed sequence :data:`FIXED_RUNS` times, and the report shows, for 1 to
  :data:`FIXED_RUNS` runs, the share who truly know every skill and the mean time. The two
  are compared at equal effectiveness: the fewest fixed runs that leave at least as large a
  share knowing everything as mastery learning does (per profile and overall). The default
  yardstick (``truth``) stops both arms the moment the simulator's ground truth says every
  skill is known, which no real sequence can see.
* **Knobs change P(success)** by ``--knob-effect`` logits (default 0.5) per level away from
  the lesson's default level, easier levels up, harder down, on the steps a knob touches
  (derived from the lesson, not listed by hand): a tolerance knob on the steps whose condition
  or question uses it; a scaffold knob (gates entities shown when easy) on the steps whose
  hints point at a gated entity; a geometry knob that gates look-alike grabbables on the
  placement steps. The effect is the same with adaptivity on or off; only the levels differ.
* **Outcomes are decided by the learner model, then acted out** so that the runtime agrees:
  a success places the right object, presses the right button, stops the stopwatch within
  half the current tolerance of ten periods, or enters g within half the answer tolerance; a
  failure drops the bob off the hook (or tries a look-alike when distractors are shown),
  presses the wrong length, stops the stopwatch after five periods (half-swings counted) or
  off by more than the tolerance, or enters a common wrong value. Disagreements between the
  decided outcome and the runtime are counted and printed ("mismatches"; expect 0).
* **Opportunities**: every attempt at a step is one opportunity for each of its skills; the
  12-opportunity window counts these true attempts, including failed manipulations that the
  runtime does not report as errors.
* **Speed**: the pendulum integrator runs one RK4 substep per tick (1/120 s) instead of its
  1 ms default (``--exact-pendulum`` restores it). Nothing the lesson logic reads depends on
  it (the step targets use the exact period of the present amplitude, which moved by 1e-10 s
  in a check), and it halves the cost of a tick while the pendulum swings (10 -> 5 us here).

Time runs through :class:`~tools.fast_forward.FastForward` (the same events at the same ticks as
ticking through, checked by diffing this report: identical; about 2.4x less CPU).

Deterministic: learner ``i`` of a profile has seed ``--seed + i``; everything else follows from
it. The machine is shared: ``--jobs`` defaults to 2 worker processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import multiprocessing
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script from anywhere

from adaptivity.difficulty import classify_knobs  # noqa: E402
from adaptivity.elo import ItemBank  # noqa: E402
from adaptivity.store import LearnerRecord  # noqa: E402
from adaptivity.tutor import Tutor  # noqa: E402
from bench.learners import HIGHLIGHT_LOGIT, PROFILES, SimulatedLearner  # noqa: E402
from engine.core import events as ev  # noqa: E402
from engine.core.behaviours import PendulumBehaviour  # noqa: E402
from engine.core.conditions import resolve, tolerance  # noqa: E402
from engine.core.runtime import Runtime  # noqa: E402
from engine.model.components import PROPERTIES  # noqa: E402
from engine.model.lesson import (  # noqa: E402
    Entity,
    Knob,
    KnobGate,
    KnobRef,
    Lesson,
    Measured,
    Placed,
    Question,
    Step,
    Text,
)
from engine.model.loader import LoadedLesson, load_lesson  # noqa: E402
from engine.model.units import parse_quantity  # noqa: E402
from engine.session import build_runtime  # noqa: E402
from engine.sim.pendulum import PendulumSim  # noqa: E402
from tools.fast_forward import FastForward  # noqa: E402

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
TARGET_RATIO, TARGET_BAND, TARGET_DETECT, TARGET_FALSE = 0.8, 0.70, 0.90, 0.05


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


def _knob_refs(node: Any) -> Iterator[str]:
    """Ids of the knobs a model tree refers to as a tolerance."""
    if isinstance(node, KnobRef):
        yield node.knob
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _knob_refs(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _knob_refs(item)


def knob_steps(lesson: Lesson) -> dict[str, set[str]]:
    """Which steps each knob makes easier or harder (see the module docstring)."""
    kinds = classify_knobs(lesson)
    gated: dict[str, set[str]] = {}
    for entity in lesson.entities:
        if entity.only_when is not None:
            gated.setdefault(entity.only_when.knob, set()).add(entity.id)
    touched: dict[str, set[str]] = {k.id: set() for k in lesson.difficulty}
    for step in lesson.steps:
        refs = set(_knob_refs(step.complete_when))
        if step.ask is not None:
            refs |= set(_knob_refs(lesson.question(step.ask)))
        hint_targets = {t for h in step.hints for t in h.targets}
        for knob in lesson.difficulty:
            kind, entities = kinds[knob.id], gated.get(knob.id, set())
            uses_tolerance = knob.id in refs
            shows_help = kind == "scaffold" and bool(entities & hint_targets)
            adds_look_alikes = (
                kind == "geometry"
                and step.complete_when.placed is not None
                and any(lesson.entity(e).grabbable is not None for e in entities)
            )
            if uses_tolerance or shows_help or adds_look_alikes:
                touched[knob.id].add(step.id)
    return touched


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
            attempt = learner.attempt(step.skills, shift=self._shift(step), demonstrated=demo)
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

_LOADED: dict[tuple[bool, int, tuple[tuple[str, float], ...]], LoadedLesson] = {}


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
    skip_mastered: bool = False, guidance: int = 0, thresholds: tuple[tuple[str, float], ...] = ()
) -> LoadedLesson:
    key = (skip_mastered, guidance, thresholds)
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
) -> Outcome:
    """One learner of ``profile`` with ``seed``, practising under one policy."""
    loaded = _lesson(skip_mastered, guidance, thresholds)
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


Task = tuple[str, int, bool, str, float, bool, bool, int, tuple[tuple[str, float], ...], str]


def _task(args: Task) -> Outcome:
    profile, seed, adaptive, continuity, knob_effect, exact, skip, guidance, thresholds, ys = args
    return simulate(
        profile,
        seed,
        adaptive,
        continuity=continuity,
        knob_effect=knob_effect,
        exact_pendulum=exact,
        skip_mastered=skip,
        guidance=guidance,
        thresholds=thresholds,
        yardstick=ys,
    )


# --- report ------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _mean(xs: Sequence[float]) -> float:
    return statistics.fmean(xs) if xs else math.nan


def _ratio_ci(pairs: list[tuple[float, float]], seed: int = 0) -> tuple[float, float, float]:
    """mean(on) / mean(off) with a paired bootstrap 95% interval over learners."""
    if not pairs:
        return math.nan, math.nan, math.nan
    off = _mean([b for _, b in pairs])
    if off <= 0.0:
        return math.nan, math.nan, math.nan  # everyone knew everything: no ratio to take
    ratio = _mean([a for a, _ in pairs]) / off
    rng = random.Random(seed)
    boots = []
    for _ in range(1000):
        sample = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        den = _mean([b for _, b in sample])
        # a resample of only learners who knew everything (0 s both ways) has no ratio: with
        # few learners per profile that happens, and it used to divide by zero
        if den > 0.0:
            boots.append(_mean([a for a, _ in sample]) / den)
    boots.sort()
    if not boots:
        return ratio, math.nan, math.nan
    return ratio, boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]


def report(results: list[Outcome], args: argparse.Namespace, wall: float) -> None:
    """Print the figures."""
    by: dict[tuple[str, bool], list[Outcome]] = {}
    for r in results:
        by.setdefault((r.profile, r.adaptive), []).append(r)
    profiles = [p for p in args.profiles if (p, True) in by]
    learners = [p for p in profiles if not PROFILES[p].spins]
    spinners = [p for p in profiles if PROFILES[p].spins]

    each = "one per step" if args.guidance_per_step else "one on every step"
    guidance = f"{args.guidance}-level guidance knobs, {each} (what-if), "
    guidance = guidance if args.guidance else ""
    if args.threshold:
        guidance += f"tutor thresholds {', '.join(args.threshold)} (what-if), "
    print(
        f"\nPolicy simulation on {LESSON}: {args.learners} learners per profile (seeds "
        f"{args.seed}..{args.seed + args.learners - 1}), continuity={args.continuity}, "
        f"{'every step skip_when_mastered (what-if), ' if args.skip_mastered else ''}"
        f"{guidance}"
        f"knob effect {args.knob_effect:g} logit/level, {len(results)} practices in "
        f"{wall:.0f} s wall ({args.jobs} jobs)"
    )

    if args.yardstick == "declared":
        _declared_report(by, learners)
    else:
        _truth_report(by, learners)

    print(
        f"\n2. Predicted success at step start in {BAND[0]:.2f}-{BAND[1]:.2f}; 'reach': the share "
        "of step starts at which some setting of the step's own knobs would have put it in "
        "the band (no controller can do better with this lesson's knobs)"
    )
    print(
        f"   {'profile':<14}{'steps on':>9}{'in band':>9}{'below':>8}{'above':>8}{'reach':>8}"
        f"   | off (passive tutor): {'in band':>8}{'below':>8}{'above':>8}{'reach':>8}"
    )
    totals = {True: [0, 0, 0, 0, 0], False: [0, 0, 0, 0, 0]}

    def shares(rs: list[Outcome], adaptive: bool) -> tuple[int, float, float, float, float]:
        preds = [x for r in rs for x in r.predicted]
        n = len(preds)
        inside = sum(BAND[0] <= x <= BAND[1] for x in preds)
        below = sum(x < BAND[0] for x in preds)
        reach = sum(x for r in rs for x in r.reachable)
        t = totals[adaptive]
        for i, v in enumerate((n, inside, below, n - inside - below, reach)):
            t[i] += v
        return n, inside / n, below / n, (n - inside - below) / n, reach / n

    for p in profiles:
        n, a, b, c, reach_on = shares(by[(p, True)], True)
        _, d, e, f, reach_off = shares(by[(p, False)], False)
        print(
            f"   {p:<14}{n:>9}{a:>9.1%}{b:>8.1%}{c:>8.1%}{reach_on:>8.1%}   | {'':>21}"
            f"{d:>8.1%}{e:>8.1%}{f:>8.1%}{reach_off:>8.1%}"
        )
    on_t, off_t = totals[True], totals[False]
    band_on = on_t[1] / on_t[0]
    print(
        f"   {'all':<14}{on_t[0]:>9}{band_on:>9.1%}{on_t[2] / on_t[0]:>8.1%}"
        f"{on_t[3] / on_t[0]:>8.1%}{on_t[4] / on_t[0]:>8.1%}   | {'':>21}"
        f"{off_t[1] / off_t[0]:>8.1%}{off_t[2] / off_t[0]:>8.1%}{off_t[3] / off_t[0]:>8.1%}"
        f"{off_t[4] / off_t[0]:>8.1%}"
        f"   target >= {TARGET_BAND:.0%}: {_verdict(band_on >= TARGET_BAND)}"
    )

    print(
        f"\n3. Wheel-spinning flags on the blocked skill within {WINDOW} opportunities, counted "
        "as true attempts (failed manipulations included) and as the learner model counts them "
        f"(its evidence events, across sessions); spinners practise until flagged or past both "
        f"windows, at most {MAX_SPIN_RUNS} runs"
    )
    for adaptive in (True, False):
        label = "on " if adaptive else "off"
        spins = [r for p in spinners for r in by[(p, adaptive)]]
        n = len(spins) or 1

        def hit(r: Outcome, which: int) -> bool:
            return any(
                s == r.blocked and (t if which == 1 else m) <= WINDOW for s, t, m in r.spin_flags
            )

        true_hits = [r for r in spins if hit(r, 1)]
        model_hits = [r for r in spins if hit(r, 2)]
        ever = [r for r in spins if any(f[0] == r.blocked for f in r.spin_flags)]
        rate = len(true_hits) / n
        note = (
            f"target >= {TARGET_DETECT:.0%}: {_verdict(rate >= TARGET_DETECT)}"
            if adaptive
            else "(off: what the passive tutor would have flagged)"
        )
        print(
            f"   {label} detected within {WINDOW} true opportunities {len(true_hits)}/{len(spins)} "
            f"= {rate:.0%}  {note}"
        )
        print(
            f"       within {WINDOW} opportunities as the model counts them {len(model_hits)}/"
            f"{len(spins)} = {len(model_hits) / n:.0%}; flagged at all {len(ever)}/{len(spins)}; "
            f"blocked skill at mastery in the model at the end "
            f"{sum(r.blocked_model_mastered for r in spins)}/{len(spins)}"
        )
        per_skill: dict[str, list[int]] = {}
        for r in spins:
            row = per_skill.setdefault(r.blocked or "?", [0, 0, 0, 0])
            row[0] += r in true_hits
            row[1] += r in model_hits
            row[2] += r.blocked_model_mastered
            row[3] += 1
        print("       by blocked skill (within true / within model count / model at mastery / n):")
        for skill, (a, b, c, d) in sorted(per_skill.items()):
            print(f"         {skill:<27} {a}/{b}/{c}/{d}")
        counted = [f[2] for r in spins for f in r.spin_flags if f[0] == r.blocked]
        trues = [f[1] for r in spins for f in r.spin_flags if f[0] == r.blocked]
        if trues:
            print(
                f"       at the flag: true opportunities median {statistics.median(trues):g}, "
                f"the model's count median {statistics.median(counted):g}"
            )
        others = [r for p in learners for r in by[(p, adaptive)]]
        alarms = [r for r in others if r.spin_flags]
        fa = len(alarms) / len(others) if others else math.nan
        per = ", ".join(
            f"{p} {sum(bool(r.spin_flags) for r in by[(p, adaptive)])}/{len(by[(p, adaptive)])}"
            for p in learners
        )
        verdict = (
            f"target <= {TARGET_FALSE:.0%}: {_verdict(fa <= TARGET_FALSE)}" if adaptive else ""
        )
        print(f"       false alarms {len(alarms)}/{len(others)} = {fa:.1%} ({per})  {verdict}")
        alike = [r for r in others if r.unknown_at_window]
        per = ", ".join(
            f"{p} {sum(bool(r.unknown_at_window) for r in by[(p, adaptive)])}"
            f"/{len(by[(p, adaptive)])}"
            for p in learners
        )
        print(
            f"       look like spinners at the window: {len(alike)}/{len(others)} = "
            f"{len(alike) / len(others) if others else math.nan:.1%} ({per}) had a skill truly "
            f"unknown at each of its first {WINDOW} opportunities (their outcomes there are drawn "
            f"as a spinner's are; flagged {sum(bool(r.spin_flags) for r in alike)} of them)"
        )
        knew = [r for r in others if r.flagged_known]
        print(
            f"       flagged on a skill they truly knew at the flag: {len(knew)}/{len(others)} = "
            f"{len(knew) / len(others) if others else math.nan:.1%} (the others flagged had not "
            "learnt it yet: wheel-spinning by Beck & Gong's definition, whatever their profile)"
        )
        _pair_alarms([r for p in profiles for r in by[(p, adaptive)]], adaptive)

    print("\n4. Other figures, mean per learner (on / off)")
    print(
        f"   {'profile':<14}{'hints asked':>13}{'offered':>9}{'knob moves':>11}"
        f"{'rapid-guess':>13}{'help-abuse':>12}{'declared mastery (truly)':>27}"
    )
    mismatches = 0
    for p in profiles:
        on, off = by[(p, True)], by[(p, False)]
        mismatches += sum(r.mismatches for r in on + off)
        declared = [r for r in on if r.declared_at is not None]
        truly = sum(bool(r.declared_truly) for r in declared)
        asked_on = _mean([r.hints_requested for r in on])
        asked_off = _mean([r.hints_requested for r in off])
        print(
            f"   {p:<14}{asked_on:>6.1f} /{asked_off:>5.1f}"
            f"{_mean([r.hints_offered for r in on]):>9.1f}"
            f"{_mean([r.knob_changes for r in on]):>11.1f}"
            f"{_mean([r.flags['rapid-guessing'] for r in on]):>13.1f}"
            f"{_mean([r.flags['help-abuse'] for r in on]):>12.1f}"
            f"{f'{len(declared)}/{len(on)} ({truly})':>27}"
        )
    print(f"   outcome/runtime mismatches: {mismatches} (expected 0)")

    print(
        "\n5. Where the practice time goes, mean lesson seconds per learner (on / off): the "
        "tutor acts on stalls (unasked hints) and hints (delays for gaming), not on thinking "
        "or acting"
    )
    print(f"   {'profile':<14}" + "".join(f"{name:>16}" for name in (*DOING, "total")))
    for p in profiles:
        on, off = by[(p, True)], by[(p, False)]
        cells = []
        for doing in DOING:
            spent_on = _mean([r.time_by.get(doing, 0.0) for r in on])
            spent_off = _mean([r.time_by.get(doing, 0.0) for r in off])
            cells.append(f"{spent_on:>7.0f} /{spent_off:>6.0f}")
        cells.append(
            f"{_mean([r.lesson_time for r in on]):>7.0f} /"
            f"{_mean([r.lesson_time for r in off]):>6.0f}"
        )
        print(f"   {p:<14}" + "".join(f"{c:>16}" for c in cells))


def _truth_report(by: dict[tuple[str, bool], list[Outcome]], learners: list[str]) -> None:
    """Section 1: time until every skill is truly known, on vs off."""
    print("\n1. Time to mastery (cumulative lesson time until every skill is truly known)")
    print(
        f"   {'profile':<14}{'mastered on/off':>16}{'mean on':>10}{'mean off':>10}"
        f"{'median on':>11}{'median off':>11}{'runs on/off':>13}   ratio on/off [95% CI]"
    )
    all_pairs: list[tuple[float, float]] = []
    for p in learners:
        on_seed = {r.seed: r for r in by[(p, True)]}
        off_seed = {r.seed: r for r in by[(p, False)]}
        # a learner that hits the cap counts with its (lower-bound) practice time
        pairs = [
            (
                on_seed[s].mastered_at or on_seed[s].lesson_time,
                off_seed[s].mastered_at or off_seed[s].lesson_time,
            )
            for s in sorted(on_seed)
        ]
        all_pairs += pairs
        m_on = sum(r.mastered_at is not None for r in on_seed.values())
        m_off = sum(r.mastered_at is not None for r in off_seed.values())
        ratio, lo, hi = _ratio_ci(pairs)
        runs_on, runs_off = (
            _mean([r.runs for r in on_seed.values()]),
            _mean([r.runs for r in off_seed.values()]),
        )
        runs = f"{runs_on:.1f}/{runs_off:.1f}"
        print(
            f"   {p:<14}{f'{m_on}/{m_off} of {len(on_seed)}':>16}"
            f"{_mean([a for a, _ in pairs]):>9.0f}s{_mean([b for _, b in pairs]):>9.0f}s"
            f"{statistics.median([a for a, _ in pairs]):>10.0f}s"
            f"{statistics.median([b for _, b in pairs]):>10.0f}s{runs:>13}"
            f"   {ratio:.3f} [{lo:.3f}, {hi:.3f}]"
        )
    ratio, lo, hi = _ratio_ci(all_pairs)
    print(
        f"   {'all (not ws)':<14}{'':>16}{_mean([a for a, _ in all_pairs]):>9.0f}s"
        f"{_mean([b for _, b in all_pairs]):>9.0f}s{'':>34}   {ratio:.3f} [{lo:.3f}, {hi:.3f}]"
        f"   target <= {TARGET_RATIO}: {_verdict(ratio <= TARGET_RATIO)}"
    )


def _equal_effectiveness(off: list[Outcome], share: float) -> tuple[int, float] | None:
    """The fewest fixed runs after which at least ``share`` of ``off`` truly know every
    skill, and their mean lesson time; None if no number up to :data:`FIXED_RUNS` does."""
    for k in range(1, FIXED_RUNS + 1):
        ends = [r.per_run[k - 1] for r in off]
        if sum(ok for _, ok in ends) / len(ends) >= share:
            return k, _mean([t for t, _ in ends])
    return None


def _declared_report(by: dict[tuple[str, bool], list[Outcome]], learners: list[str]) -> None:
    """Section 1 with ``--yardstick declared``: mastery learning against a fixed number of
    runs, compared at equal effectiveness (the share of learners who truly know every skill
    when their practice ends)."""
    print(
        "\n1. Mastery learning vs a fixed sequence (what-if yardstick): on, each learner "
        f"practises until the tutor declares every skill mastered (at most {MAX_RUNS} runs); "
        f"off, every learner runs the lesson a fixed number of times (1..{FIXED_RUNS}); "
        "compared at equal effectiveness: the share who truly know every skill when they stop"
    )
    on = [r for p in learners for r in by[(p, True)]]
    off = [r for p in learners for r in by[(p, False)]]

    def on_figures(r: Outcome) -> tuple[float, bool]:
        if r.declared_at is not None:
            return r.declared_at, bool(r.declared_truly)
        return r.lesson_time, r.per_run[-1][1] if r.per_run else False

    for p in learners:
        figures = [on_figures(r) for r in by[(p, True)]]
        declared = sum(r.declared_at is not None for r in by[(p, True)])
        share, mean_on = sum(ok for _, ok in figures) / len(figures), _mean([t for t, _ in figures])
        fixed = _equal_effectiveness(by[(p, False)], share)
        versus = "no fixed number of runs is as effective"
        if fixed is not None:
            versus = f"as effective as {fixed[0]} fixed runs ({fixed[1]:.0f}s): ratio "
            versus += f"{mean_on / fixed[1]:.3f}"
        print(
            f"   on  {p:<14} declared {declared}/{len(figures)}, truly knew everything when "
            f"they stopped {sum(ok for _, ok in figures)}/{len(figures)}, mean "
            f"{mean_on:.0f}s; {versus}"
        )
    figures = [on_figures(r) for r in on]
    share_on = sum(ok for _, ok in figures) / len(figures)
    time_on = _mean([t for t, _ in figures])
    print(f"   on  all: {share_on:.1%} truly know everything, mean {time_on:.0f}s")
    chosen = None
    for k in range(1, FIXED_RUNS + 1):
        ends = [r.per_run[k - 1] for r in off]
        share = sum(ok for _, ok in ends) / len(ends)
        mean = _mean([t for t, _ in ends])
        per = ", ".join(
            f"{p} {sum(r.per_run[k - 1][1] for r in by[(p, False)])}/{len(by[(p, False)])}"
            for p in learners
        )
        mark = ""
        if chosen is None and share >= share_on:
            chosen, mark = (k, mean), "  <- equal effectiveness"
        print(f"   off {k:>2} runs: {share:.1%} ({per}), mean {mean:.0f}s{mark}")
    if chosen is None:
        print(f"   no fixed number of runs up to {FIXED_RUNS} is as effective as mastery learning")
        return
    k, mean = chosen
    ratio = time_on / mean
    print(
        f"   ratio on/off at equal effectiveness ({k} runs): {ratio:.3f}   "
        f"(what-if yardstick; target <= {TARGET_RATIO} stated for the default one)"
    )


def _pair_alarms(results: list[Outcome], adaptive: bool) -> None:
    """False alarms counted per (learner, skill) pair, the unit Beck & Gong define
    wheel-spinning on, for every profile (a spinner's blocked skill left out: it is the
    positive the detection figure counts).

    A pair is wheel-spinning at the window when its skill was truly unknown at each of its
    first :data:`WINDOW` opportunities; every other pair practised is a negative, and a flag
    on it is a false alarm. The per-learner figure above counts a learner with one such flag
    among four skills as one alarm; this one counts the pair.
    """
    pairs = sum(len(r.practised) for r in results)
    positives = sum(len(r.unknown_at_window & r.practised) for r in results)
    flagged = [(r, s) for r in results for s in {f[0] for f in r.spin_flags} if s != r.blocked]
    caught = sum(s in r.unknown_at_window for r, s in flagged)
    false = [(r, s) for r, s in flagged if s not in r.unknown_at_window]
    negatives = pairs - positives
    rate = len(false) / negatives if negatives else math.nan
    known = sum(s in r.flagged_known for r, s in false)
    verdict = f"(per pair: {_verdict(rate <= TARGET_FALSE)} against {TARGET_FALSE:.0%})"
    print(
        f"       per (learner, skill) pair, every profile: {pairs} pairs practised, {positives} "
        f"truly unknown through the window (flagged {caught}); false alarms {len(false)}/"
        f"{negatives} = {rate:.1%} of the others {verdict if adaptive else ''}"
        f"{'' if not false else f', {known} of them on a skill truly known at the flag'}"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run every learner under both policies, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30, help="learners per profile")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first learner")
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    parser.add_argument("--continuity", choices=("session", "carry"), default="session")
    parser.add_argument("--knob-effect", type=float, default=0.5, help="logits per level")
    parser.add_argument("--exact-pendulum", action="store_true")
    parser.add_argument(
        "--skip-mastered", action="store_true", help="what-if: every step skip_when_mastered"
    )
    parser.add_argument(
        "--guidance",
        type=int,
        default=0,
        metavar="LEVELS",
        help="what-if: a scaffold knob with LEVELS levels on every step",
    )
    parser.add_argument(
        "--guidance-per-step",
        action="store_true",
        help="what-if: with --guidance, one such knob per step instead of one for all",
    )
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="what-if: override one of the tutor's thresholds (e.g. hysteresis=1); repeatable",
    )
    parser.add_argument(
        "--yardstick",
        choices=("truth", "declared"),
        default="truth",
        help="what-if: 'declared' compares mastery learning (on: practise until the tutor "
        "declares mastery) with a fixed number of runs (off), at equal effectiveness",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args(argv)
    try:
        thresholds = tuple(
            (name, int(value) if value.lstrip("-").isdigit() else float(value))
            for name, value in (t.split("=", 1) for t in args.threshold)
        )
    except ValueError:
        parser.error("--threshold takes NAME=VALUE with a number")

    tasks = [
        (
            p,
            args.seed + i,
            adaptive,
            args.continuity,
            args.knob_effect,
            args.exact_pendulum,
            args.skip_mastered,
            -args.guidance if args.guidance_per_step else args.guidance,
            thresholds,
            args.yardstick,
        )
        for p in args.profiles
        for i in range(args.learners)
        for adaptive in (True, False)
    ]
    start = time.perf_counter()
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(_task, tasks, chunksize=1)
    else:
        results = [_task(t) for t in tasks]
    report(results, args, time.perf_counter() - start)


if __name__ == "__main__":
    main()
