"""``lesson simulate``: populations of simulated learners run through a lesson's logic, headless.

Each learner drives the real :class:`~engine.core.runtime.Runtime` built by
:func:`engine.session.build_runtime` (so adaptivity's Tutor is on: proactive hints, delayed
hint requests, knob changes, flags) with interactions only, no rendering. The report says, per
step, how many learners completed it and how fast, which hint levels fired (asked and unasked),
where learners got stuck, and how often the knobs moved; per skill, how many learners reached
mastery. It fails (``report.exit_code`` 1) when a step is unreachable, a hint level never
fires on some step, or some skill's mastery is never reached.

Recipes: how each step is done
------------------------------
* From the lesson's walkthrough (``scripts/walkthrough.yaml`` beside ``lesson.yaml``, or the
  ``walkthrough`` argument): it is run once with :class:`~engine.core.script.LogicPilot`, and
  each action is filed under the step that was current when it started. That list, with the
  walkthrough's own waits, is the step's *recipe*. A numeric answer whose value an instrument
  shows (the pH a probe in the flask reads, a stopwatch, a tape) is re-read from the
  instrument when a learner answers, since a learner's world may differ from the
  walkthrough's; any other answer is typed as the walkthrough typed it. A step can complete
  before its recipe ends (the titration walkthrough opens the tap while the initial-pH step
  still waits for the meter to settle); a learner then does what is left over at the start
  of the next step's recipe, as the walkthrough did.
* Steps the walkthrough does not complete (or every step, without one) get a recipe derived
  from ``complete_when``: ``placed`` -> grab and place on the zone; ``pressed`` -> press;
  ``visited`` -> walk there; ``answered`` -> the correct option, the literal value, or the
  reading of the instrument that shows the answer; ``heard`` -> whatever triggers the
  narration, then wait; ``all`` -> each part in turn; ``any`` -> the first derivable branch.
  ``measured`` and ``state`` conditions depend on the simulation and cannot be derived; nor
  can an answer that reads a property no instrument shows. Those steps are listed under
  "recipes" in the report, and learners can only fumble there (so they become dead ends).

Learners
--------
Learner ``i`` has the profile ``PROFILES[i % 5]`` (an even mix: expert, novice, always-wrong,
random, gamer) and draws everything from ``random.Random(seed + i)``; its runtime has seed
``seed + i``. A learner depends on nothing else, so results are the same for any number of
worker processes, and the first ``n`` learners of a larger run are the ``n`` of a smaller one.

Per step, a learner (see :class:`Profile` for the numbers):

1. may click through the hint ladder first (gamers: rapid requests, which adaptivity delays);
2. may stall: stand idle ``U(2.2, 3.5)`` times the step's expected time (long enough for the
   Tutor's idle trigger at 2x), until a hint or the stall's end;
3. thinks (``pace * max(expected - recipe time, expected / 4)``, log-normal, sigma 0.35), then
   makes an attempt. Whether it succeeds comes from a small generative knowledge model in the
   spirit of BKT: each skill is known with ``prior`` at the start; an attempt succeeds with
   the product over the step's skills of ``1 - slip`` (known) or ``guess`` (not known); after
   it each unknown skill is learnt with ``learn``; a concept hint is one more learning chance
   (taken up with ``uptake``). Once the bottom-out ("demonstrate") rung has been shown on a
   step, the next attempt copies it and succeeds. A success performs the recipe; a failure
   is a wrong attempt:

   * question steps: a wrong option, a common wrong value, or a wrong number (each checked
     against the runtime's grader, so a wrong attempt is never right by luck);
   * ``placed``: the object, or a visible look-alike the zone refuses, dropped away from the
     zone; ``visited``: a walk of 2-5 m the wrong way;
   * other steps: pressing a similar control the recipe does not use (one acting on the same
     entity and property, e.g. the 0.5 m button instead of the 1.0 m one; the recipe then
     sets it right), or, where there is none, a glance at something irrelevant. Wrong
     attempts never press controls that the recipe cannot undo: a dead end should be the
     lesson's, not the simulated learner's clumsiness;
4. after a failure, may ask for a hint (and reads it), then retries after a shorter think.

Profiles: **expert** (knows most, fast, rarely asks), **novice** (knows little, slow, stalls,
asks after failures), **always-wrong** (never succeeds on its own: it asks for a hint after
every failure and completes a step only by copying the bottom-out demonstration, so it is
rescued by hints or not at all), **random** (each turn, at random: the recipe 30 %, a wrong
attempt 35 %, a hint request 15 %, an idle stretch 20 %), **gamer** (clicks through the
ladder, rapid retries 1-4 s apart, skims hints).

A learner gives up on a step after ``PATIENCE`` times its expected time, and stops altogether
once its lesson time reaches ``BUDGET`` times the lesson's total expected time; the step it
was on is then a *dead end* for that learner.

Mastery
-------
Mastery is the Tutor's own: ``Tutor.model.mastered(skill)`` (P(known) >= 0.95 by default) at
the end of the session. The engine keeps a learner's model across sessions (the learner
store), so the check asks whether a learner reaches mastery within ``mastery_sessions``
sessions (default :data:`MASTERY_SESSIONS`): for a learner not yet there, the evidence its
session gave the model (every correct or incorrect observation, in order) is replayed through
BKT from where the session left it, as if it did equally well again. With one session, a
skill practised once per session cannot reach 0.95 from the default BKT parameters (prior
0.3: 0.71 after one correct opportunity, 0.93 after two, 0.98 after three), which is why the
default is three; ``mastery_sessions=1`` gives the strict single-session check. The
single-session share is always reported.

Speed
-----
Lesson time advances in the runtime's 120 Hz ticks. :class:`~tools.fast_forward.FastForward`
runs ``Runtime.tick()`` for real right after anything happened; otherwise it jumps straight
to the next tick where something is due (the end of a narration, a delayed hint, an advice
tick of the Tutor at which its hint policy could act), moving the behaviours that tick (a
swinging pendulum, a running stopwatch, a pH meter in a liquid) through the skipped ticks in
one go. Each behaviour says how many of its next ticks are quiet (no event, nothing a
condition reads changes); an open burette is never quiet, so its ticks are all run, and so is
every tick of a step whose condition reads a property that moves (a pendulum's angle). The
events are exactly those of ticking through, at the same ticks (a test compares the two).
The engine is not modified. Learners run in a pool of worker processes (one per available
core), in chunks merged in learner order. The report prints the wall time, learners per
second, the CPU time per learner (a fairer figure on a shared machine) and the ticks run and
skipped.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, TextIO, cast

from adaptivity.bkt import BktParams, posterior
from adaptivity.tutor import Tutor
from engine.core import events as ev
from engine.core.conditions import resolve, targets
from engine.core.runtime import Runtime
from engine.core.script import (
    HOLD_DISTANCE,
    WALK_SPEED,
    Action,
    LogicPilot,
    ScriptDriver,
    ScriptError,
    WaitUntil,
    load_script,
)
from engine.model.lesson import HINT_ORDER, Condition, Lesson, Ref, Step
from engine.model.loader import LoadedLesson, load_lesson
from engine.session import build_runtime
from tools.fast_forward import FastForward

Vec3 = tuple[float, float, float]

#: a learner gives up on a step after this many times its expected time
PATIENCE = 10.0
#: a learner stops once its lesson time reaches this many times the lesson's expected time
BUDGET = 6.0
#: sessions within which some learner must reach mastery of every skill (see the docstring)
MASTERY_SESSIONS = 3
#: lesson seconds between two actions of a recipe (the script driver's frame)
ACT_GAP = 1.0 / 30.0
#: lesson seconds between two reported head positions while walking
MOVE_EVERY = 0.25
#: the speed target of issue 5: this many learners ...
TARGET_LEARNERS = 1000
#: ... in at most this many seconds of wall time ...
TARGET_SECONDS = 10.0
#: ... on this many cores
TARGET_CORES = 2
#: the hint levels, 1-based, as the report counts them
LEVELS = (1, 2, 3)


# --- learner profiles -----------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """A kind of simulated learner.

    Attributes:
        name: the profile's name in the report.
        prior: P(a skill is known at the start).
        learn: P(an unknown skill is learnt at an attempt).
        guess: P(an attempt succeeds on a skill that is not known).
        slip: P(an attempt fails on a skill that is known).
        pace: think time as a multiple of the step's expected time.
        stall: P(an idle stretch at the start of a step with an unknown skill).
        help: P(asking for a hint after a failed attempt).
        hint_first: P(clicking through the hint ladder at the start of a step).
        reading: seconds spent on a hint, uniform in this range.
        uptake: P(a concept hint is read closely enough to teach).
        rapid: retries come 1-4 s apart (rapid guessing).
        always_wrong: never succeeds on its own (only by copying a demonstration).
        random: each turn picks recipe, wrong attempt, hint or idling at random.
    """

    name: str
    prior: float = 0.0
    learn: float = 0.0
    guess: float = 0.0
    slip: float = 0.0
    pace: float = 1.0
    stall: float = 0.0
    help: float = 0.0
    hint_first: float = 0.0
    reading: tuple[float, float] = (3.0, 8.0)
    uptake: float = 1.0
    rapid: bool = False
    always_wrong: bool = False
    random: bool = False


PROFILES: tuple[Profile, ...] = (
    Profile("expert", prior=0.9, learn=0.5, guess=0.3, slip=0.03, pace=0.5, help=0.05,
            reading=(2.0, 4.0)),
    Profile("novice", prior=0.25, learn=0.25, guess=0.2, slip=0.1, pace=1.3, stall=0.4,
            help=0.4, hint_first=0.05),
    Profile("always-wrong", pace=0.8, stall=0.2, help=1.0, always_wrong=True),
    Profile("random", pace=1.0, stall=0.25, help=0.3, hint_first=0.1, reading=(1.0, 6.0),
            random=True),
    Profile("gamer", prior=0.4, learn=0.25, guess=0.2, slip=0.1, pace=0.3, stall=0.05,
            help=0.8, hint_first=0.6, reading=(0.3, 1.5), uptake=0.3, rapid=True),
)  # fmt: skip

#: a non-rapid learner always asks for a hint after this many failures on one step
ASK_AFTER = 3


# --- recipes --------------------------------------------------------------------------------

ActKind = Literal[
    "grab", "place_on", "release", "press", "move_to", "answer", "wait", "wait_step",
    "wait_heard", "look_at",
]  # fmt: skip


@dataclass(frozen=True)
class Act:
    """One thing a learner does in a recipe.

    Attributes:
        kind: what.
        target: the entity, zone, button, question, step or narration it is about.
        point: where to walk, for a ``move_to`` a point rather than an entity.
        value: an answer's response, or seconds (``wait``: how long; ``wait_*``: timeout).
        read: for an answer, ``(ref, scale)``: read the instrument showing ``ref`` at answer
            time and answer ``reading * scale`` (``value`` is the fallback).
    """

    kind: ActKind
    target: str = ""
    point: Vec3 | None = None
    value: float | str | None = None
    read: tuple[str, float] | None = None


@dataclass(frozen=True)
class Recipe:
    """How one step is done.

    Attributes:
        acts: the actions, in order (empty: the step completes by itself).
        source: ``walkthrough`` or ``derived``.
        duration: lesson seconds the recipe takes (measured in the walkthrough, or estimated).
    """

    acts: tuple[Act, ...]
    source: Literal["walkthrough", "derived"]
    duration: float


@dataclass
class RecipeBook:
    """Every step's recipe (by step index), and what could not be learnt, in words."""

    recipes: dict[int, Recipe] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    walkthrough: Path | None = None


def default_walkthrough(loaded: LoadedLesson) -> Path | None:
    """The lesson's own walkthrough script, if it has one."""
    path = loaded.folder / "scripts" / "walkthrough.yaml"
    return path if path.is_file() else None


def _readers(lesson: Lesson) -> dict[str, list[tuple[str, str, str | None]]]:
    """What a learner can read off an instrument: ref -> [(instrument, property, zone)].

    ``zone`` is set for a pH probe reading a container: it only reads that container's pH
    while it sits in it (or is fixed in it with ``probe_in``).
    """
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    containers = [e.id for e in lesson.entities if e.container is not None]

    def add(ref: str, instrument: str, prop: str, zone: str | None = None) -> None:
        out.setdefault(ref, []).append((instrument, prop, zone))

    for e in lesson.entities:
        if e.stopwatch is not None:
            add(f"{e.id}.elapsed", e.id, "elapsed")
        if e.ruler is not None:
            add(f"{e.id}.reading", e.id, "reading")
            add(e.ruler.measures, e.id, "reading")
        if e.scale_meter is not None:
            add(f"{e.id}.mass", e.id, "mass")
        if e.burette is not None:
            add(f"{e.id}.dispensed", e.id, "dispensed")
        if e.ph_meter is not None:
            add(f"{e.id}.ph", e.id, "ph")
            for c in containers:
                add(f"{c}.ph", e.id, "ph", c)
    return out


def _answer_act(
    lesson: Lesson, question_id: str, typed: float | str | None
) -> tuple[Act | None, str]:
    """The answer act for a question: what the walkthrough typed, or derived; why not if none."""
    question = lesson.question(question_id)
    if question.kind == "choice":
        if typed is not None:
            return Act("answer", question_id, value=typed), ""
        right = next(o.id for o in question.options if o.correct)
        return Act("answer", question_id, value=right), ""
    answer = question.answer
    if isinstance(answer, Ref):
        if answer.ref in _readers(lesson):
            return Act("answer", question_id, value=typed, read=(answer.ref, answer.scale)), ""
        if typed is not None:
            return Act("answer", question_id, value=typed), ""
        return None, (
            f"the answer to '{question_id}' is '{answer.ref}', which no instrument in the "
            "lesson shows; write a walkthrough script that answers it"
        )
    return Act("answer", question_id, value=typed if typed is not None else answer), ""


def _derive(lesson: Lesson, cond: Condition) -> tuple[list[Act] | None, str]:
    """A recipe for a condition, or None and why it cannot be derived."""
    if cond.all is not None:
        acts: list[Act] = []
        for part in cond.all:
            sub, why = _derive(lesson, part)
            if sub is None:
                return None, why
            acts += sub
        return acts, ""
    if cond.any is not None:
        reasons = []
        for part in cond.any:
            sub, why = _derive(lesson, part)
            if sub is not None:
                return sub, ""
            reasons.append(why)
        return None, "; ".join(reasons) or "'any' lists no conditions"
    if cond.placed is not None:
        return [Act("grab", cond.placed.entity), Act("place_on", cond.placed.zone)], ""
    if cond.pressed is not None:
        return [Act("press", cond.pressed)], ""
    if cond.visited is not None:
        return [Act("move_to", cond.visited)], ""
    if cond.answered is not None:
        act, why = _answer_act(lesson, cond.answered, None)
        return ([act], "") if act is not None else (None, why)
    if cond.heard is not None:
        narration = lesson.entity(cond.heard).narration
        wait = Act("wait_heard", cond.heard, value=120.0)
        if narration is not None and narration.trigger == "visit":
            return [Act("move_to", cond.heard), wait], ""
        if narration is not None and narration.trigger == "press":
            return [Act("press", cond.heard), wait], ""
        return [wait], ""
    kind = cond.kind
    return None, (
        f"a '{kind}' condition depends on the simulation, so no recipe can be derived from it; "
        "add a walkthrough script (scripts/walkthrough.yaml) that completes the step"
    )


def _estimate(acts: Iterable[Act]) -> float:
    """Lesson seconds a derived recipe takes, roughly (for the think-time budget)."""
    seconds = 0.0
    for act in acts:
        seconds += ACT_GAP
        if act.kind == "wait" and isinstance(act.value, int | float):
            seconds += float(act.value)
        elif act.kind == "move_to":
            seconds += 5.0 / WALK_SPEED
    return seconds


def _from_action(lesson: Lesson, action: Action) -> Act | None:
    """A walkthrough action as a recipe act (None for what is not part of doing the step)."""
    kind = action.kind
    if kind in ("grab", "place_on", "press", "look_at"):
        return Act(cast(ActKind, kind), str(getattr(action, kind)))
    if kind == "release":
        return Act("release")
    if kind == "move_to":
        target = action.move_to
        if isinstance(target, str):
            return Act("move_to", target)
        assert target is not None
        return Act("move_to", point=(float(target[0]), float(target[1]), float(target[2])))
    if kind == "answer":
        assert action.answer is not None
        act, _ = _answer_act(lesson, action.answer.question, action.answer.response)
        return act
    if kind == "wait":
        wait = action.wait
        if isinstance(wait, WaitUntil):
            if wait.until == "narration":
                return Act("wait_heard", wait.narration or "", value=float(wait.timeout))
            return Act("wait_step", wait.step or "", value=float(wait.timeout))
        return Act("wait", value=float(wait or 0.0))
    # hint requests, pauses and screenshots are not how a step is done
    return None


def learn_recipes(loaded: LoadedLesson, walkthrough: Path | None = None) -> RecipeBook:
    """Each step's recipe: from the walkthrough where it completes the step, else derived.

    Args:
        loaded: the lesson.
        walkthrough: the script to learn from (the lesson's own when None; none if absent).

    Raises:
        ScriptError: the script cannot be read.
    """
    lesson = loaded.lesson
    book = RecipeBook(walkthrough=walkthrough or default_walkthrough(loaded))
    index = {s.id: i for i, s in enumerate(lesson.steps)}
    filed: dict[int, list[Action]] = {}
    first_t: dict[int, float] = {}
    done_t: dict[int, float] = {}
    if book.walkthrough is not None:
        actions = load_script(book.walkthrough)
        rt = build_runtime(lesson, seed=0, folder=loaded.folder)

        def on_event(event: ev.LessonEvent) -> None:
            if isinstance(event, ev.StepCompleted):
                done_t[index[event.step]] = event.t

        rt.subscribe(on_event)
        rt.start()
        driver = ScriptDriver(rt, LogicPilot())
        for number, action in enumerate(actions, 1):
            if rt.completed:
                break
            current = rt.step_index
            filed.setdefault(current, []).append(action)
            first_t.setdefault(current, rt.t)
            try:
                driver.run([action])
            except ScriptError as exc:
                reason = str(exc).split(": ", 1)[-1]
                book.notes.append(
                    f"walkthrough {book.walkthrough.name}: action {number} ({action.kind}) "
                    f"failed: {reason}; later steps use derived recipes"
                )
                break
    for i, step in enumerate(lesson.steps):
        if i in done_t:
            acts = [a for a in (_from_action(lesson, x) for x in filed.get(i, [])) if a]
            duration = done_t[i] - first_t.get(i, done_t[i])
            book.recipes[i] = Recipe(tuple(acts), "walkthrough", max(0.0, duration))
            continue
        derived, why = _derive(lesson, step.complete_when)
        if derived is None:
            book.notes.append(f"step '{step.id}': no recipe: {why}")
        else:
            book.recipes[i] = Recipe(tuple(derived), "derived", _estimate(derived))
    return book


# --- fast-forward ---------------------------------------------------------------------------


# --- one learner ----------------------------------------------------------------------------


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
        plan.readers = _readers(lesson)
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
        h = math.radians(self.heading)
        pos = (
            self.eye[0] - math.sin(h) * HOLD_DISTANCE,
            self.eye[1] + math.cos(h) * HOLD_DISTANCE,
            self.eye[2] - 0.3,
        )
        self._apply(ev.Release(entity=held, position=pos))

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


# --- workers --------------------------------------------------------------------------------

_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def _run_chunk(bounds: tuple[int, int]) -> list[LearnerOutcome]:
    assert _PLAN is not None
    outcomes = []
    for i in range(*bounds):
        started = time.process_time()
        outcome = Learner(_PLAN, i).run()
        outcome.cpu_s = time.process_time() - started
        outcomes.append(outcome)
    return outcomes


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_learners(plan: Plan, learners: int, workers: int) -> list[LearnerOutcome]:
    """Run learners ``0 .. learners-1``; in learner order whatever ``workers`` is."""
    if workers <= 1:
        _init_worker(plan)
        return _run_chunk((0, learners))
    # small chunks keep both workers busy to the end; imap keeps them in order
    size = max(1, math.ceil(learners / (workers * 16)))
    chunks = [(a, min(a + size, learners)) for a in range(0, learners, size)]
    methods = multiprocessing.get_all_start_methods()
    # fork shares the imported engine and the plan with the workers at no cost
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
        return [o for chunk in pool.imap(_run_chunk, chunks) for o in chunk]


# --- the report -----------------------------------------------------------------------------


@dataclass
class StepReport:
    """Per-step figures over all learners."""

    id: str
    recipe: str
    reached: int
    completed: int
    median_s: float | None
    p90_s: float | None
    #: (level, asked) -> hints shown
    hints: dict[tuple[int, bool], int]
    dead_ends: int
    knob_changes: int
    flags: dict[str, int]

    def fired(self, level: int) -> int:
        """Hints of ``level`` shown, asked or not."""
        return self.hints.get((level, True), 0) + self.hints.get((level, False), 0)


@dataclass
class SkillReport:
    """Per-skill mastery over all learners."""

    id: str
    mastered: int
    best_p_known: float
    #: fewest sessions in which some learner reaches mastery (None: none within the limit)
    sessions: int | None
    #: learners reaching mastery within the limit
    within_limit: int


@dataclass
class SimulationReport:
    """What ``lesson simulate`` found. ``exit_code`` is 1 when ``failures`` is not empty."""

    lesson: str
    learners: int
    seed: int
    workers: int
    mastery_sessions: int
    profiles: dict[str, int]
    steps: list[StepReport]
    skills: list[SkillReport]
    recipe_notes: list[str]
    failures: list[str]
    outcomes: list[LearnerOutcome]
    adaptivity: bool
    wall_s: float = 0.0
    setup_s: float = 0.0
    ticks_run: int = 0
    ticks_skipped: int = 0
    cpu_s: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every check passed, 1 otherwise."""
        return 1 if self.failures else 0

    @property
    def learners_per_s(self) -> float:
        """Learners simulated per second of wall time."""
        return self.learners / self.wall_s if self.wall_s > 0 else math.inf

    def figures(self) -> dict[str, Any]:
        """Everything except timings: equal for equal lessons, learner counts and seeds."""
        return {
            "lesson": self.lesson,
            "learners": self.learners,
            "seed": self.seed,
            "profiles": self.profiles,
            "steps": [vars(s) for s in self.steps],
            "skills": [vars(s) for s in self.skills],
            "recipe_notes": self.recipe_notes,
            "failures": self.failures,
        }


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def summarise(
    plan: Plan, book: RecipeBook, outcomes: list[LearnerOutcome], *, lesson_id: str, workers: int
) -> SimulationReport:
    """Aggregate learner outcomes into the report and its checks."""
    lesson = plan.lesson
    steps: list[StepReport] = []
    for i, step in enumerate(lesson.steps):
        times = [d for o in outcomes if (d := o.durations[i]) is not None]
        hints: Counter[tuple[int, bool]] = Counter()
        flags: Counter[str] = Counter()
        for o in outcomes:
            for (s, level, asked), n in o.hints.items():
                if s == i:
                    hints[(level, asked)] += n
            for (s, kind), n in o.flags.items():
                if s == i:
                    flags[kind] += n
        recipe = book.recipes.get(i)
        steps.append(
            StepReport(
                id=step.id,
                recipe=recipe.source if recipe is not None else "none",
                reached=sum(o.reached >= i for o in outcomes),
                completed=len(times),
                median_s=statistics.median(times) if times else None,
                p90_s=_p90(times) if times else None,
                hints=dict(sorted(hints.items())),
                dead_ends=sum(o.dead_end == i for o in outcomes),
                knob_changes=sum(o.knob_changes[i] for o in outcomes),
                flags=dict(sorted(flags.items())),
            )
        )
    adaptivity = lesson.adaptivity.enabled
    skills: list[SkillReport] = []
    for skill in plan.skills:
        counts = [o.sessions[skill] for o in outcomes if o.sessions[skill] is not None]
        p = [o.p_known[skill] for o in outcomes if math.isfinite(o.p_known[skill])]
        skills.append(
            SkillReport(
                id=skill,
                mastered=sum(o.mastered[skill] for o in outcomes),
                best_p_known=max(p) if p else math.nan,
                sessions=min(c for c in counts if c is not None) if counts else None,
                within_limit=len(counts),
            )
        )
    failures: list[str] = []
    for st in steps:
        if st.completed == 0:
            if st.reached == 0:
                failures.append(f"step '{st.id}' is unreachable: no learner got to it")
            else:
                why = " (it has no recipe: see 'recipes')" if st.recipe == "none" else ""
                failures.append(
                    f"step '{st.id}' is unreachable: {st.reached} learner(s) got to it, none "
                    f"completed it{why}"
                )
        elif missing := [level for level in LEVELS if st.fired(level) == 0]:
            names = ", ".join(f"{level} ({HINT_ORDER[level - 1]})" for level in missing)
            failures.append(
                f"step '{st.id}': hint level(s) {names} never fired for any profile "
                f"({st.reached} learner(s) got to it)"
            )
    if adaptivity:
        limit = plan.mastery_sessions
        within = f"within {limit} session{'s' if limit > 1 else ''}"
        for k in skills:
            if k.sessions is None:
                failures.append(
                    f"skill '{k.id}': no learner reaches mastery {within} (best P(known) "
                    f"after one session: {k.best_p_known:.3f})"
                )
    profiles = Counter(o.profile for o in outcomes)
    return SimulationReport(
        lesson=lesson_id,
        learners=len(outcomes),
        seed=plan.seed,
        workers=workers,
        mastery_sessions=plan.mastery_sessions,
        profiles={p.name: profiles.get(p.name, 0) for p in PROFILES},
        steps=steps,
        skills=skills,
        recipe_notes=list(book.notes),
        failures=failures,
        outcomes=outcomes,
        adaptivity=adaptivity,
        ticks_run=sum(o.ticks_run for o in outcomes),
        ticks_skipped=sum(o.ticks_skipped for o in outcomes),
        cpu_s=sum(o.cpu_s for o in outcomes),
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "-"


def print_report(report: SimulationReport, out: TextIO) -> None:
    """Write the report as readable tables."""
    n = report.learners
    mix = ", ".join(f"{count} {name}" for name, count in report.profiles.items())
    out.write(f"lesson simulate {report.lesson}: {n} learners ({mix}), seed {report.seed}\n")
    if not report.adaptivity:
        out.write("adaptivity is off in this lesson: no unasked hints, knob changes or mastery\n")
    out.write("\n")
    width = max(len("step"), *(len(s.id) for s in report.steps))
    out.write(
        f"{'step':<{width}}  {'recipe':<11} {'reached':>7} {'done':>5} {'median':>7} "
        f"{'p90':>6}  {'asked 1/2/3':>13}  {'unasked 1/2/3':>13}  {'dead':>5} {'knobs':>5}\n"
    )
    for s in report.steps:
        asked = "/".join(str(s.hints.get((lv, True), 0)) for lv in LEVELS)
        unasked = "/".join(str(s.hints.get((lv, False), 0)) for lv in LEVELS)
        out.write(
            f"{s.id:<{width}}  {s.recipe:<11} {_pct(s.reached, n):>7} "
            f"{_pct(s.completed, n):>5} {_seconds(s.median_s):>7} {_seconds(s.p90_s):>6}  "
            f"{asked:>13}  {unasked:>13}  {s.dead_ends:>5} {s.knob_changes:>5}\n"
        )
    out.write(
        "  reached/done: share of all learners; median/p90: time on the step of those who "
        "completed it;\n  asked/unasked: hints shown per level (1 highlight, 2 concept, "
        "3 demonstrate); dead: learners\n  who gave up there; knobs: difficulty changes made "
        "for the step (as it was shown, or during it).\n\n"
    )
    if report.adaptivity:
        width = max(len("skill"), *(len(k.id) for k in report.skills))
        limit = report.mastery_sessions
        out.write(
            f"{'skill':<{width}}  {'mastered (1 session)':>20}  {'best P(known)':>13}  "
            f"{f'mastered within {limit}':>19}  {'fewest sessions':>15}\n"
        )
        for k in report.skills:
            out.write(
                f"{k.id:<{width}}  {_pct(k.mastered, n):>20}  {k.best_p_known:>13.3f}  "
                f"{_pct(k.within_limit, n):>19}  "
                f"{('-' if k.sessions is None else str(k.sessions)):>15}\n"
            )
        out.write(
            "  sessions beyond the first repeat the learner's own evidence from where its "
            "session ended\n  (the learner store carries the model across sessions).\n\n"
        )
    out.write("profile        completed  median time  dead ends\n")
    for profile in PROFILES:
        mine = [o for o in report.outcomes if o.profile == profile.name]
        if not mine:
            continue
        done = [o.lesson_time for o in mine if o.completed]
        median = _seconds(statistics.median(done)) if done else "-"
        dead = sum(o.dead_end is not None for o in mine)
        out.write(f"{profile.name:<13}  {_pct(len(done), len(mine)):>9}  {median:>11}  {dead:>9}\n")
    out.write("\n")
    for note in report.recipe_notes:
        out.write(f"recipes: {note}\n")
    total = report.ticks_run + report.ticks_skipped
    out.write(
        f"speed: {n} learners in {report.wall_s:.2f} s wall on {report.workers} worker(s), "
        f"{report.learners_per_s:.0f} learners/s ({report.setup_s:.2f} s of it learning "
        f"recipes); {report.cpu_s / n * 1000:.1f} ms CPU per learner; {total / 1e6:.1f} M "
        f"ticks of lesson time: {report.ticks_run / 1e6:.1f} M run, "
        f"{report.ticks_skipped / 1e6:.1f} M skipped\n"
    )
    wall = report.setup_s + (report.wall_s - report.setup_s) * TARGET_LEARNERS / n
    # the CPU figure assumes two cores of this machine's speed with nothing else on them
    cpu = report.setup_s + report.cpu_s / n * TARGET_LEARNERS / TARGET_CORES
    if wall < TARGET_SECONDS:
        verdict = "meets it"
    elif cpu < TARGET_SECONDS:
        verdict = "meets it on idle cores only (this machine was busy)"
    else:
        verdict = "misses it"
    out.write(
        f"speed target ({TARGET_LEARNERS} learners in under {TARGET_SECONDS:g} s on "
        f"{TARGET_CORES} cores): {verdict}: {wall:.1f} s at this wall rate, "
        f"{cpu:.1f} s from CPU time on {TARGET_CORES} idle cores\n"
    )
    if report.failures:
        out.write(f"FAIL: {len(report.failures)} problem(s)\n")
        for failure in report.failures:
            out.write(f"  - {failure}\n")
    else:
        out.write(
            "PASS: every step completed by some learner, every hint level fired on every step, "
            f"every skill mastered within {report.mastery_sessions} session(s) by some learner\n"
        )


# --- the entry point ------------------------------------------------------------------------


def simulate(
    lesson: str | Path,
    *,
    learners: int,
    seed: int,
    out: TextIO,
    workers: int | None = None,
    walkthrough: Path | None = None,
    mastery_sessions: int = MASTERY_SESSIONS,
) -> SimulationReport:
    """Run ``learners`` simulated learners through ``lesson`` and print the report to ``out``.

    Args:
        lesson: a lesson id, folder or ``lesson.yaml``.
        learners: how many learners (profiles mixed evenly, learner ``i`` has seed
            ``seed + i``).
        seed: the base seed.
        out: where the report goes.
        workers: worker processes (default: one per available core); the results do not
            depend on it.
        walkthrough: the script to learn recipes from (default: the lesson's
            ``scripts/walkthrough.yaml``, if any).
        mastery_sessions: sessions within which some learner must reach mastery of every
            skill (1: within the simulated session itself).

    Returns:
        The report; ``report.exit_code`` is 0 when every check passed.

    Raises:
        LessonError: the lesson is invalid.
        ScriptError: the walkthrough cannot be read.
        ValueError: ``learners`` or ``mastery_sessions`` below 1.
    """
    if learners < 1:
        raise ValueError(f"need at least one learner (got {learners})")
    if mastery_sessions < 1:
        raise ValueError(f"mastery_sessions must be at least 1 (got {mastery_sessions})")
    started = time.perf_counter()
    loaded = load_lesson(lesson)
    book = learn_recipes(loaded, walkthrough)
    plan = Plan.build(loaded, book, seed=seed, mastery_sessions=mastery_sessions)
    setup = time.perf_counter() - started
    count = min(workers or available_cores(), learners)
    outcomes = run_learners(plan, learners, count)
    report = summarise(plan, book, outcomes, lesson_id=loaded.lesson.metadata.id, workers=count)
    report.wall_s = time.perf_counter() - started
    report.setup_s = setup
    print_report(report, out)
    return report
