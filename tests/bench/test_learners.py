"""The simulated learners of ``bench/learners.py`` behave as specified.

They are the ground truth of ``bench/policy_simulation.py``: if they are wrong, so are its
figures. The last tests run a few learners through the real pendulum-lab runtime.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # bench/ is a folder of scripts, not an installed package

from bench.learners import (  # noqa: E402
    PROFILES,
    SimulatedLearner,
    drill,
    shifted,
)

SKILLS = ("setup", "measure", "period", "angle")
#: the shape of pendulum-lab: one skill or two per step, "measure" in three steps
STEPS = [
    ("setup",),
    ("measure",),
    ("measure", "period"),
    ("period",),
    ("measure", "angle"),
    ("angle",),
]


def learner(profile: str, seed: int, **kwargs: str) -> SimulatedLearner:
    return SimulatedLearner(PROFILES[profile], SKILLS, seed, **kwargs)


def test_a_wheel_spinner_never_learns_its_blocked_skill() -> None:
    blocked_seen = set()
    for seed in range(40):
        spinner = learner("wheel-spinner", seed)
        assert spinner.blocked in SKILLS
        blocked_seen.add(spinner.blocked)
        for _ in range(150):  # far more practice, hints and demonstrations than a lesson gives
            spinner.attempt(SKILLS)
            spinner.read_concept_hint(SKILLS)
            spinner.attempt(SKILLS, demonstrated=True)
        assert not spinner.known[spinner.blocked]
        assert not spinner.mastered
        assert spinner.learn_chance(spinner.blocked) == 0.0
        assert spinner.opportunities[spinner.blocked] == 300
        # the other skills are learnt as a slow learner's would be
        assert all(spinner.known[s] for s in SKILLS if s != spinner.blocked)
    assert blocked_seen == set(SKILLS)  # any skill can be the blocked one
    assert drill(learner("wheel-spinner", 0), STEPS, max_attempts=2000) is None


def test_the_blocked_skill_can_be_chosen_and_only_wheel_spinners_have_one() -> None:
    assert learner("wheel-spinner", 1, blocked="period").blocked == "period"
    assert learner("slow", 1, blocked="period").blocked is None
    with pytest.raises(ValueError, match="not one of"):
        learner("wheel-spinner", 1, blocked="juggling")


def test_a_fast_learner_masters_faster_than_a_slow_one_on_average() -> None:
    def attempts(profile: str) -> list[int]:
        counts = [drill(learner(profile, seed), STEPS) for seed in range(200)]
        assert all(c is not None for c in counts), "every non-spinner masters eventually"
        return [c for c in counts if c is not None]

    fast, slow = attempts("fast"), attempts("slow")
    assert statistics.fmean(fast) < statistics.fmean(slow)
    assert statistics.median(fast) < statistics.median(slow)


def test_the_same_seed_gives_the_same_trajectory() -> None:
    def run(seed: int) -> tuple[object, ...]:
        one = learner("gamer", seed)
        drill(one, STEPS)
        behaviour = (
            one.think_time(60.0, retry=False),
            one.stall_time(("period",), 60.0),
            one.asks_after_failure(1),
            one.reading_time(),
        )
        return one.blocked, dict(one.known), tuple(one.trajectory), behaviour

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_behaviour_draws_do_not_change_what_is_learnt() -> None:
    # the same learner under two policies makes different behavioural draws; its knowledge
    # draws must stay the same so that the comparison is paired
    quiet, busy = learner("slow", 3), learner("slow", 3)
    for step in STEPS * 5:
        busy.think_time(30.0, retry=True)
        busy.stall_time(step, 30.0)
        busy.glance_gap()
        assert quiet.attempt(step) == busy.attempt(step)
    assert quiet.known == busy.known


def test_success_follows_the_knowledge_model() -> None:
    one = learner("slow", 0)
    one.known = dict.fromkeys(SKILLS, False)
    one.known["measure"] = True
    slip, guess = one.profile.slip, one.profile.guess
    assert one.p_correct(("measure",)) == pytest.approx(1.0 - slip)
    assert one.p_correct(("period",)) == pytest.approx(guess)
    # skills are conjunctive: a two-skill step needs both
    assert one.p_correct(("measure", "period")) == pytest.approx((1.0 - slip) * guess)
    assert one.p_correct(("period",), demonstrated=True) == 1.0
    # an easier knob level (positive logits) helps, a harder one hurts, 0 changes nothing
    assert one.p_correct(("period",), shift=0.5) > guess > one.p_correct(("period",), shift=-0.5)
    assert shifted(0.3, 0.0) == 0.3
    assert shifted(0.5, 1.0) == pytest.approx(1.0 / (1.0 + 2.718281828459045**-1.0))


def test_a_copied_demonstration_teaches_less_than_an_attempt() -> None:
    def learnt(demonstrated: bool) -> int:
        count = 0
        for seed in range(2000):
            one = learner("fast", seed)
            one.known = dict.fromkeys(SKILLS, False)
            count += bool(one.attempt(("period",), demonstrated=demonstrated).learnt)
        return count

    plain, copied = learnt(False), learnt(True)
    learn = PROFILES["fast"].learn
    assert abs(plain / 2000 - learn) < 0.04
    assert abs(copied / 2000 - learn / 2) < 0.04


# --- through the real runtime ------------------------------------------------------------------


def test_knob_effects_go_to_the_steps_the_lesson_ties_them_to() -> None:
    from adaptivity.difficulty import knob_steps
    from bench.policy_practice import _lesson

    assert knob_steps(_lesson().lesson) == {
        "timing_tolerance": {"time_small", "time_wide"},
        "answer_tolerance": {"compute_g"},
        "distractors": {"hang_bob"},
        "scaffolds": {"compute_g", "explain"},
    }


def test_a_simulated_practice_is_deterministic_and_the_runtime_agrees() -> None:
    from bench.policy_practice import simulate

    for profile, seed in (("slow", 2), ("gamer", 1)):
        for adaptive in (True, False):
            first = simulate(profile, seed, adaptive)
            assert first == simulate(profile, seed, adaptive)
            assert first.mismatches == 0, "a decided outcome was not what the runtime saw"
            assert first.mastered_at is not None and first.runs >= 1
            assert first.mastered_at <= first.lesson_time
            # each attempt with the prediction made just before it, for the calibration table
            assert first.attempts and all(0.0 <= p <= 1.0 for p, _, _ in first.attempts)
            assert {several for _, _, several in first.attempts} == {True, False}
            assert {ok for _, ok, _ in first.attempts} == {True, False}


def test_fast_learners_reach_mastery_in_less_lesson_time_than_slow_ones() -> None:
    from bench.policy_practice import simulate

    def times(profile: str) -> list[float]:
        outcomes = [simulate(profile, seed, adaptive=False) for seed in range(1, 7)]
        return [o.mastered_at if o.mastered_at is not None else o.lesson_time for o in outcomes]

    assert statistics.fmean(times("fast")) < statistics.fmean(times("slow"))


def test_the_declared_yardstick_stops_at_the_tutors_declaration_or_after_fixed_runs() -> None:
    from bench.policy_practice import FIXED_RUNS, simulate

    on = simulate("fast", 3, True, yardstick="declared")
    # mastery learning: practice ends when the tutor's model has every skill at mastery
    assert on.declared_at is not None and on.declared_truly is not None
    assert on.lesson_time == pytest.approx(on.declared_at)
    off = simulate("fast", 3, False, yardstick="declared")
    # the fixed sequence: every run is played, whatever the learner knows by then
    assert off.runs == FIXED_RUNS == len(off.per_run)
    times = [t for t, _ in off.per_run]
    assert times == sorted(times) and times[-1] == pytest.approx(off.lesson_time)
    knows = [ok for _, ok in off.per_run]
    assert knows == sorted(knows)  # no forgetting: once known, known at every later run


def test_a_pilot_class_gives_priors_fitted_on_what_its_logs_would_hold() -> None:
    from bench.policy_practice import FIXED_RUNS, fit_pilot, simulate
    from engine.model.loader import load_lesson

    pilot = [simulate(p, s, False, yardstick="declared") for p in ("fast", "slow") for s in (1, 2)]
    # a log's rule: one opportunity per step shown and skill (its first attempt), so ten runs
    # of the fixed sequence give ten per step: measurement is on three steps
    lesson = load_lesson("pendulum-lab").lesson
    for outcome in pilot:
        counts = Counter(skill for skill, _ in outcome.evidence)
        for skill in counts:
            steps = sum(skill in step.skills for step in lesson.steps)
            assert counts[skill] == FIXED_RUNS * steps
    priors = fit_pilot(pilot, restarts=2)
    assert [s for s, *_ in priors] == sorted(s.id for s in lesson.metadata.skills)
    for _, prior, learn, guess, slip in priors:
        assert 0.0 <= prior <= 1.0 and 0.0 <= learn <= 1.0
        assert 0.0 <= guess <= 0.3 and 0.0 <= slip <= 0.3  # lesson fit's bounds
