"""``lesson simulate``: simulated learners through the bundled lessons and two broken fixtures.

The bundled lessons must pass; ``dead_end.yaml`` (a step no learner can complete) and
``hint_never_fires.yaml`` (a step whose upper hint rungs can never show) must fail, for that
reason and no other, although ``lesson validate`` passes both. Learner counts are kept small:
the machine is shared, and the speed figures come from the full-size runs in the lead's note.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from adaptivity.bkt import DEFAULT_PARAMS, posterior
from engine.core.runtime import Runtime
from engine.model.loader import load_lesson, validate_paths
from engine.paths import LESSONS_DIR
from tools import simulate as sim

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "simulate"
LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())


def run(
    lesson: str | Path, learners: int, *, seed: int = 0, workers: int = 1
) -> tuple[sim.SimulationReport, str]:
    """The report and the text it printed."""
    out = io.StringIO()
    report = sim.simulate(lesson, learners=learners, seed=seed, out=out, workers=workers)
    return report, out.getvalue()


def same_learner(o: sim.LearnerOutcome) -> sim.LearnerOutcome:
    """An outcome without its CPU time (the only figure that varies from run to run)."""
    return dataclasses.replace(o, cpu_s=0.0)


# --- the bundled lessons ------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS)
def test_bundled_lesson_passes(lesson: str) -> None:
    report, text = run(lesson, 40, workers=2)
    assert report.exit_code == 0, text
    assert report.failures == []
    # every step was learnt from the walkthrough, and every learner reached the first step
    assert [s.recipe for s in report.steps] == ["walkthrough"] * len(report.steps)
    assert report.steps[0].reached == 40
    assert "PASS" in text
    assert "learners/s" in text and "s wall" in text


def test_knob_changes_are_counted_on_the_steps_they_were_made_for() -> None:
    # adaptivity only moves a knob that touches the learner's step; a change made as a step
    # is shown comes before its StepStarted and still belongs to it, not to the step before
    from adaptivity.difficulty import knob_steps

    report, _ = run("pendulum-lab", 30, seed=1, workers=2)
    touched = knob_steps(load_lesson("pendulum-lab").lesson)
    tunable = {step for steps in touched.values() for step in steps}
    changes = {s.id: s.knob_changes for s in report.steps}
    assert sum(changes.values()) > 0
    assert all(n == 0 for step, n in changes.items() if step not in tunable), changes


# --- the fixtures: valid lessons the simulator must fail ----------------------------------------


@pytest.mark.parametrize("name", ["dead_end.yaml", "hint_never_fires.yaml"])
def test_fixture_passes_lesson_validate(name: str) -> None:
    diagnostics = validate_paths([FIXTURES / name])
    assert [d for d in diagnostics if d.severity == "error"] == []


def test_dead_end_is_caught() -> None:
    report, text = run(FIXTURES / "dead_end.yaml", 30)
    assert report.exit_code == 1
    step = next(s for s in report.steps if s.id == "compute_g")
    assert step.reached == 30 and step.completed == 0 and step.dead_ends == 30
    assert step.recipe == "none"
    assert any(
        f.startswith("step 'compute_g' is unreachable: 30 learner(s) got to it")
        for f in report.failures
    )
    # the recipe note says why: the answer reads a property no instrument shows
    assert any("'stand.g', which no instrument" in n for n in report.recipe_notes)
    # the first step is fine
    assert report.steps[0].completed == 30
    assert "FAIL" in text and "compute_g" in text


def test_hint_level_that_never_fires_is_caught() -> None:
    report, _ = run(FIXTURES / "hint_never_fires.yaml", 30)
    assert report.exit_code == 1
    assert report.failures == [
        "step 'listen': hint level(s) 2 (concept), 3 (demonstrate) never fired for any "
        "profile (30 learner(s) got to it)"
    ]
    listen = report.steps[1]
    assert listen.completed == 30 and listen.fired(2) == 0 and listen.fired(3) == 0


# --- determinism and scale --------------------------------------------------------------------


def test_same_seed_gives_the_same_report_whatever_the_workers() -> None:
    one, _ = run("athenian-agora", 20, seed=3, workers=1)
    two, _ = run("athenian-agora", 20, seed=3, workers=2)
    assert one.figures() == two.figures()
    assert [same_learner(o) for o in one.outcomes] == [same_learner(o) for o in two.outcomes]
    other, _ = run("athenian-agora", 20, seed=4, workers=1)
    assert other.figures() != one.figures()


def test_learners_scale() -> None:
    small, _ = run("athenian-agora", 10, seed=1)
    large, _ = run("athenian-agora", 25, seed=1, workers=2)
    # learner i depends only on seed + i: the small run is the start of the large one
    assert [same_learner(o) for o in large.outcomes[:10]] == [
        same_learner(o) for o in small.outcomes
    ]
    assert large.profiles == {p.name: 5 for p in sim.PROFILES}
    assert sum(large.profiles.values()) == 25
    for s in large.steps:
        assert s.completed + s.dead_ends <= s.reached <= 25


# --- the pieces -----------------------------------------------------------------------------------


class TickByTick(sim.FastForward):
    """The reference: every tick run, as ``Runtime.run_until`` does."""

    def run_until(self, t: float, stop: Callable[[], bool] | None = None) -> bool:
        rt, clock = self.rt, self.rt.clock
        target = clock.tick + clock.ticks_until(t)
        while clock.tick < target:
            if rt.completed or (stop is not None and stop()):
                return True
            rt.tick()
        return rt.completed or (stop is not None and stop())


@pytest.mark.parametrize(
    ("lesson", "learners"),
    [
        ("athenian-agora", range(5)),
        ("pendulum-lab", (0, 1, 4)),
        ("titration-lab", (0, 2)),
        ("pendulum-lab without adaptivity", (0, 3)),
    ],
)
def test_fast_forward_is_exact(
    lesson: str, learners: range | tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_lesson(lesson.split()[0])
    if lesson.endswith("without adaptivity"):
        # no advisor: nothing is due on its ticks, only the behaviours' and timers'
        settings = loaded.lesson.adaptivity.model_copy(update={"enabled": False})
        lesson_off = loaded.lesson.model_copy(update={"adaptivity": settings})
        loaded = dataclasses.replace(loaded, lesson=lesson_off)
    plan = sim.Plan.build(loaded, sim.learn_recipes(loaded), seed=11, mastery_sessions=3)
    for i in learners:
        fast = sim.Learner(plan, i)
        assert (fast.rt.advisor is None) == lesson.endswith("without adaptivity")
        fast_events: list[object] = []
        fast.rt.subscribe(fast_events.append)
        fast_outcome = fast.run()
        with monkeypatch.context() as m:
            m.setattr(sim, "FastForward", TickByTick)
            slow = sim.Learner(plan, i)
        slow_events: list[object] = []
        slow.rt.subscribe(slow_events.append)
        slow_outcome = slow.run()
        assert fast_events == slow_events
        assert fast_outcome.ticks_skipped > 0

        def without_counts(o: sim.LearnerOutcome) -> sim.LearnerOutcome:
            return dataclasses.replace(o, ticks_run=0, ticks_skipped=0, cpu_s=0.0)

        assert without_counts(fast_outcome) == without_counts(slow_outcome)


def test_recipes_from_the_walkthrough() -> None:
    book = sim.learn_recipes(load_lesson("titration-lab"))
    assert book.notes == []
    kinds = [(a.kind, a.target) for a in book.recipes[0].acts]
    assert kinds == [("grab", "ph_meter"), ("place_on", "flask")]
    # the tap is opened while 'read_initial' waits for the meter, so it is filed there
    # (and carried over to 'titrate' by a learner who finishes 'read_initial' sooner)
    assert ("press", "tap_open") in [(a.kind, a.target) for a in book.recipes[1].acts]
    # the initial pH is read off the meter when answering, not typed as in the script
    answer = next(a for a in book.recipes[1].acts if a.kind == "answer")
    assert answer.read == ("flask.ph", 1.0) and answer.value == 2.92


def test_recipes_derived_without_a_walkthrough() -> None:
    book = sim.learn_recipes(load_lesson(FIXTURES / "hint_never_fires.yaml"))
    assert book.walkthrough is None
    assert [(a.kind, a.target) for a in book.recipes[0].acts] == [
        ("grab", "ball"),
        ("place_on", "cup"),
    ]
    assert [(a.kind, a.target) for a in book.recipes[1].acts] == [("wait_heard", "coach")]
    assert {r.source for r in book.recipes.values()} == {"derived"}


def test_wrong_presses_are_similar_controls() -> None:
    loaded = load_lesson("pendulum-lab")
    plan = sim.Plan.build(loaded, sim.learn_recipes(loaded), seed=0, mastery_sessions=3)
    index = plan.step_index
    assert plan.wrong_buttons[index["set_length"]] == ["length_short"]
    assert plan.wrong_buttons[index["time_small"]] == ["release_wide"]
    assert plan.wrong_buttons[index["time_wide"]] == ["release_small"]


def test_always_wrong_completes_questions_only_through_the_bottom_out_hint() -> None:
    report, _ = run("athenian-agora", 15, seed=2)
    lesson = load_lesson("athenian-agora").lesson
    questions = [i for i, s in enumerate(lesson.steps) if s.ask is not None]
    always_wrong = [o for o in report.outcomes if o.profile == "always-wrong"]
    assert always_wrong
    for o in always_wrong:
        for i in questions:
            if o.durations[i] is not None:
                assert o.hints.get((i, 3, True), 0) + o.hints.get((i, 3, False), 0) > 0


def test_sessions_to_mastery_with_default_parameters() -> None:
    def update(p: float, ok: bool) -> float:
        return posterior(p, ok, DEFAULT_PARAMS)

    one = update(DEFAULT_PARAMS.prior, True)  # one correct opportunity per session
    assert sim.sessions_to_mastery(one, [True], update, 0.95, 3) == 3
    assert sim.sessions_to_mastery(one, [True], update, 0.95, 2) is None
    assert sim.sessions_to_mastery(0.97, [True], update, 0.95, 1) == 1
    assert sim.sessions_to_mastery(one, [False], update, 0.95, 10) is None
    assert sim.sessions_to_mastery(0.5, [], update, 0.95, 10) is None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one learner"):
        sim.simulate("athenian-agora", learners=0, seed=0, out=io.StringIO())
    with pytest.raises(ValueError, match="mastery_sessions"):
        sim.simulate("athenian-agora", learners=5, seed=0, out=io.StringIO(), mastery_sessions=0)


def test_plan_does_not_touch_the_lesson() -> None:
    loaded = load_lesson("pendulum-lab")
    before = loaded.lesson.model_dump()
    sim.Plan.build(loaded, sim.learn_recipes(loaded), seed=0, mastery_sessions=3)
    assert loaded.lesson.model_dump() == before
    assert Runtime(loaded.lesson).knobs == {k.id: k.default for k in loaded.lesson.difficulty}
