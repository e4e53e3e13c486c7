"""Benchmark: seeded simulated learners through the pendulum lab, with and without adaptivity.

Run from the checkout's root::

    .venv/bin/python bench/policy_simulation.py                  # ~1-2 min on 2 cores
    .venv/bin/python bench/policy_simulation.py --learners 40 --jobs 2
    .venv/bin/python bench/policy_simulation.py --continuity carry   # what-if, see below
    .venv/bin/python bench/policy_simulation.py --skip-mastered      # what-if, see below
    .venv/bin/python bench/policy_simulation.py --guidance 5 --threshold hysteresis=1   # what-if
    .venv/bin/python bench/policy_simulation.py --yardstick declared   # what-if, see below
    .venv/bin/python bench/policy_simulation.py --priors pilot         # what-if, see below

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
  thinking or acting;
* calibration: the tutor's predicted success just before each attempt against its outcome
  (mean against observed, log loss, Brier score, a reliability table), adaptivity on. The
  band figure is about these predictions: it means as much as they are honest. The lesson's
  priors describe one typical learner, the profiles are not all typical, and each learner
  starts with a fresh item bank, so expect them to be overconfident here.

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
* **Priors.** ``--priors pilot`` is a what-if: before the evaluated learners, a pilot class
  (``--pilot-learners`` per profile, default ``--learners``, seeds from 1,000,000 on, never
  the evaluated ones) plays the fixed sequence :data:`FIXED_RUNS` times; BKT parameters are
  fitted per skill, as ``lesson fit`` does, on what their logs would hold (each step's first
  attempt, a copied demonstration counting as wrong), and the evaluated lesson ships them
  instead of its authored ones. The header prints them.
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
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script from anywhere

from bench.learners import PROFILES  # noqa: E402
from bench.policy_practice import Outcome, Task, _task, fit_pilot  # noqa: E402
from bench.policy_report import report  # noqa: E402

#: pilot learners' seeds start this far above the evaluated ones, so the two never overlap
PILOT_SEED = 1_000_000


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
    parser.add_argument(
        "--priors",
        choices=("lesson", "pilot"),
        default="lesson",
        help="what-if: 'pilot' fits the priors on a pilot population first (adaptivity off)",
    )
    parser.add_argument(
        "--pilot-learners", type=int, default=0, help="pilot learners per profile (--learners)"
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

    options: dict[str, Any] = {
        "continuity": args.continuity,
        "knob_effect": args.knob_effect,
        "exact_pendulum": args.exact_pendulum,
        "skip_mastered": args.skip_mastered,
        "guidance": -args.guidance if args.guidance_per_step else args.guidance,
        "thresholds": thresholds,
        "yardstick": args.yardstick,
    }
    start = time.perf_counter()
    pilot = None
    if args.priors == "pilot":
        pilots = args.pilot_learners or args.learners
        first = PILOT_SEED + args.seed
        # a pilot class plays the fixed sequence a fixed number of times (the declared
        # yardstick's off arm): stopping each learner at true mastery would cut every
        # sequence short right after the learning, and the fit would read "never learns"
        fixed = {**options, "yardstick": "declared"}
        class_ = [(p, first + i, False, fixed) for p in args.profiles for i in range(pilots)]
        options["priors"] = fit_pilot(_run(class_, args.jobs))
        pilot = (pilots, first, options["priors"])
    tasks = [
        (p, args.seed + i, adaptive, options)
        for p in args.profiles
        for i in range(args.learners)
        for adaptive in (True, False)
    ]
    report(_run(tasks, args.jobs), args, time.perf_counter() - start, pilot=pilot)


def _run(tasks: list[Task], jobs: int) -> list[Outcome]:
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_task, tasks, chunksize=1)
    return [_task(t) for t in tasks]


if __name__ == "__main__":
    main()
