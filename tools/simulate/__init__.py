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

import time
from pathlib import Path
from typing import TextIO

from engine.model.loader import load_lesson
from tools.fast_forward import FastForward
from tools.simulate.learner import (
    MASTERY_SESSIONS,
    Learner,
    LearnerOutcome,
    Plan,
    sessions_to_mastery,
)
from tools.simulate.profiles import PROFILES, Profile
from tools.simulate.recipes import Act, Recipe, RecipeBook, learn_recipes
from tools.simulate.report import (
    SimulationReport,
    SkillReport,
    StepReport,
    print_report,
    summarise,
)
from tools.simulate.workers import available_cores, run_learners

__all__ = [
    "MASTERY_SESSIONS",
    "PROFILES",
    "Act",
    "FastForward",
    "Learner",
    "LearnerOutcome",
    "Plan",
    "Profile",
    "Recipe",
    "RecipeBook",
    "SimulationReport",
    "SkillReport",
    "StepReport",
    "available_cores",
    "learn_recipes",
    "print_report",
    "run_learners",
    "sessions_to_mastery",
    "simulate",
    "summarise",
]


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
