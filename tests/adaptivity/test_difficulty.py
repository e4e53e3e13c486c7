"""DifficultyController: the band, hysteresis, one level at a time, rate limit, step boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptivity.config import AdaptivityConfig
from adaptivity.difficulty import (
    DifficultyController,
    KnobDecision,
    KnobKind,
    classify_knobs,
)
from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.model.lesson import Knob, Lesson
from engine.model.loader import load_lesson


@pytest.fixture(scope="module")
def pendulum() -> Lesson:
    return load_lesson("pendulum-lab").lesson


def controller(lesson: Lesson, **levels: int) -> DifficultyController:
    return DifficultyController.for_lesson(lesson, levels=levels)


def moves(decisions: list[KnobDecision]) -> list[tuple[str, int, int]]:
    return [(d.knob, d.from_level, d.to_level) for d in decisions]


# --- classification --------------------------------------------------------------------------


def test_pendulum_knobs_are_classified_from_the_lesson(pendulum: Lesson) -> None:
    assert classify_knobs(pendulum) == {
        "timing_tolerance": "tolerance",  # a step's measured tolerance
        "answer_tolerance": "tolerance",  # the g question's tolerance
        "distractors": "geometry",  # beaker and cube appear from level 1
        "scaffolds": "scaffold",  # the formula card shows at level 0 only
    }


def test_the_other_bundled_lessons_are_classified() -> None:
    assert classify_knobs(load_lesson("titration-lab").lesson) == {
        "reading_tolerance": "tolerance",
        "answer_tolerance": "tolerance",
        "distractors": "geometry",
        "scaffolds": "scaffold",
    }
    assert classify_knobs(load_lesson("athenian-agora").lesson) == {
        "scaffolds": "scaffold",
        "numeric_tolerance": "tolerance",
    }


def test_an_unused_knob_is_other_and_moves_only_between_steps(pendulum: Lesson) -> None:
    knobs = [Knob(id="pace", levels=["slow", "fast"])]
    c = DifficultyController(knobs)
    assert c.kind("pace") == "other"
    assert c.decide(0.0, 0.95, between_steps=False) == []
    assert c.decide(1.0, 0.95, between_steps=False) == []
    assert moves(c.decide(2.0, 0.95, between_steps=True)) == [("pace", 0, 1)]


# --- the band and hysteresis -----------------------------------------------------------------


def test_two_predictions_above_the_band_make_it_harder(pendulum: Lesson) -> None:
    c = controller(pendulum)
    assert c.decide(10.0, 0.91, between_steps=False) == []
    assert c.decide(20.0, 0.91, between_steps=False) == [
        KnobDecision(
            "timing_tolerance",
            1,
            2,
            "predicted success 0.91 > 0.85 for 2 predictions: harder "
            "(timing_tolerance: 5 % -> 2 %)",
            0.91,
            20.0,
        )
    ]
    assert c.levels["timing_tolerance"] == 2


def test_a_prediction_in_the_band_resets_the_streak(pendulum: Lesson) -> None:
    c = controller(pendulum)
    for t, p in [(0, 0.91), (1, 0.80), (2, 0.91), (3, 0.60), (4, 0.91), (5, 0.85), (6, 0.70)]:
        assert c.decide(t, p, between_steps=True) == []
    assert c.levels == {k.id: k.default for k in pendulum.difficulty}


def test_two_predictions_below_the_band_make_it_easier(pendulum: Lesson) -> None:
    c = controller(pendulum)
    c.decide(0.0, 0.55, between_steps=False)
    [d] = c.decide(5.0, 0.52, between_steps=False)
    assert d.reason == (
        "predicted success 0.52 < 0.70 for 2 predictions: easier (answer_tolerance: 5 % -> 10 %)"
    )


def test_each_change_needs_a_fresh_streak(pendulum: Lesson) -> None:
    c = controller(pendulum)
    got = [c.decide(float(t), 0.95, between_steps=False) for t in range(4)]
    assert [len(d) for d in got] == [0, 1, 0, 1]


def test_harder_walks_tolerance_then_scaffold_then_geometry(pendulum: Lesson) -> None:
    c = controller(pendulum)
    got: list[tuple[str, int, int]] = []
    for i in range(40):
        got += moves(c.decide(400.0 * i, 0.95, between_steps=True))
    assert got == [
        ("timing_tolerance", 1, 2),
        ("answer_tolerance", 1, 2),
        ("scaffolds", 0, 1),
        ("distractors", 0, 1),
    ]


def test_easier_undoes_geometry_first_between_steps(pendulum: Lesson) -> None:
    c = controller(pendulum, timing_tolerance=2, answer_tolerance=2, scaffolds=1, distractors=1)
    got: list[tuple[str, int, int]] = []
    for i in range(40):
        got += moves(c.decide(400.0 * i, 0.30, between_steps=True))
    assert got == [
        ("distractors", 1, 0),
        ("scaffolds", 1, 0),
        ("answer_tolerance", 2, 1),
        ("answer_tolerance", 1, 0),
        ("timing_tolerance", 2, 1),
        ("timing_tolerance", 1, 0),
    ]


# --- step boundaries -------------------------------------------------------------------------


def test_mid_step_easing_shows_the_scaffold_but_leaves_the_distractors(
    pendulum: Lesson,
) -> None:
    c = controller(pendulum, scaffolds=1, distractors=1)
    c.decide(0.0, 0.4, between_steps=False)
    assert moves(c.decide(1.0, 0.4, between_steps=False)) == [("scaffolds", 1, 0)]


def test_mid_step_hardening_never_hides_a_scaffold_or_adds_distractors(
    pendulum: Lesson,
) -> None:
    c = controller(pendulum, timing_tolerance=2, answer_tolerance=2)
    for t in range(10):
        assert c.decide(float(t), 0.97, between_steps=False) == []
    # the streak is kept: the first prediction between steps moves at once
    assert moves(c.decide(10.0, 0.97, between_steps=True)) == [("scaffolds", 0, 1)]


# --- rate limit and explicit easing ----------------------------------------------------------


def test_at_most_three_changes_in_five_minutes(pendulum: Lesson) -> None:
    c = controller(pendulum, timing_tolerance=2, answer_tolerance=2, scaffolds=1, distractors=1)
    times = []
    t = 0.0
    while t < 700.0:
        for d in c.decide(t, 0.2, between_steps=True):
            times.append(d.t)
        t += 10.0
    # changes at 10, 30, 50; the 4th waits until 310 (300 s after the 1st), and so on
    assert times == [10.0, 30.0, 50.0, 310.0, 330.0, 350.0]


def test_ease_moves_one_level_with_the_callers_reason(pendulum: Lesson) -> None:
    c = controller(pendulum, scaffolds=1, distractors=1)
    d = c.ease(60.0, "10 opportunities on 'pendulum-period' without mastery")
    assert d == KnobDecision(
        "scaffolds",
        1,
        0,
        "10 opportunities on 'pendulum-period' without mastery: easier "
        "(scaffolds: hidden -> shown)",
        None,
        60.0,
    )
    d = c.ease(61.0, "wheel-spinning", between_steps=True)
    assert d is not None and (d.knob, d.to_level) == ("distractors", 0)
    assert c.ease(62.0, "wheel-spinning") is not None  # answer_tolerance 1 -> 0
    assert c.ease(63.0, "wheel-spinning") is None  # rate limit: 3 in 300 s
    assert c.ease(362.0, "wheel-spinning") is not None


def test_ease_at_the_easiest_level_does_nothing() -> None:
    c = DifficultyController([Knob(id="tol", levels=["10 %", "5 %"])], kinds={"tol": "tolerance"})
    assert c.ease(0.0, "wheel-spinning") is None
    assert c.changes == ()


# --- state and validation --------------------------------------------------------------------


def test_a_teachers_change_is_followed_and_not_rate_limited(pendulum: Lesson) -> None:
    c = controller(pendulum)
    c.observe(ev.KnobChanged(5.0, "distractors", 0, 1, "teacher", actor="teacher"))
    c.observe(ev.StepStarted(6.0, step="x", index=0, instruction=""))
    assert c.levels["distractors"] == 1
    assert c.changes == ()


def test_starting_levels_are_checked(pendulum: Lesson) -> None:
    with pytest.raises(ValueError, match="no knob 'nope'"):
        controller(pendulum, nope=1)
    with pytest.raises(ValueError, match="level 3 of knob 'distractors'"):
        controller(pendulum, distractors=3)


def test_bad_inputs_are_refused(pendulum: Lesson) -> None:
    c = controller(pendulum)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        c.decide(0.0, 1.2, between_steps=True)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        c.decide(0.0, float("nan"), between_steps=True)
    c.decide(10.0, 0.8, between_steps=True)
    with pytest.raises(ValueError, match="backwards"):
        c.decide(9.0, 0.8, between_steps=True)


def test_overridden_band_and_hysteresis(pendulum: Lesson) -> None:
    config = AdaptivityConfig().with_overrides({"band_high": 0.95, "hysteresis": 3})
    c = DifficultyController.for_lesson(pendulum, config)
    assert c.decide(0.0, 0.93, between_steps=True) == []
    assert c.decide(1.0, 0.97, between_steps=True) == []
    assert c.decide(2.0, 0.97, between_steps=True) == []
    assert len(c.decide(3.0, 0.97, between_steps=True)) == 1


# --- properties ------------------------------------------------------------------------------

KINDS: list[KnobKind] = ["geometry", "scaffold", "tolerance", "other"]


@st.composite
def knob_sets(draw: st.DrawFn) -> tuple[list[Knob], dict[str, KnobKind]]:
    n = draw(st.integers(min_value=1, max_value=5))
    knobs, kinds = [], {}
    for i in range(n):
        size = draw(st.integers(min_value=2, max_value=5))
        default = draw(st.integers(min_value=0, max_value=size - 1))
        knobs.append(Knob(id=f"k{i}", levels=list(range(size)), default=default))
        kinds[f"k{i}"] = draw(st.sampled_from(KINDS))
    return knobs, kinds


calls = st.lists(
    st.tuples(
        # seconds since the previous call: often short, so the rate limit is what holds
        st.one_of(
            st.floats(min_value=0.0, max_value=5.0), st.floats(min_value=0.0, max_value=120.0)
        ),
        # predicted success: runs of clearly out-of-band values make knobs move often
        st.one_of(st.sampled_from([0.05, 0.95, 0.99]), st.floats(min_value=0.0, max_value=1.0)),
        st.booleans(),  # between steps
        st.booleans(),  # an explicit ease instead of a prediction
    ),
    max_size=80,
)


def run(
    knobs: list[Knob], kinds: dict[str, KnobKind], script: list[tuple[float, float, bool, bool]]
) -> list[tuple[float, bool, list[KnobDecision]]]:
    c = DifficultyController(knobs, kinds=kinds)
    t = 0.0
    out = []
    for dt, p, between, ease in script:
        t += dt
        if ease:
            d = c.ease(t, "wheel-spinning", between_steps=between)
            out.append((t, between, [] if d is None else [d]))
        else:
            out.append((t, between, c.decide(t, p, between_steps=between)))
    return out


@settings(max_examples=150, deadline=None)
@given(knob_sets(), calls)
def test_controller_invariants(
    knob_set: tuple[list[Knob], dict[str, KnobKind]],
    script: list[tuple[float, float, bool, bool]],
) -> None:
    knobs, kinds = knob_set
    levels = {k.id: k.default for k in knobs}
    size = {k.id: len(k.levels) for k in knobs}
    changes: list[float] = []
    for t, between, decisions in run(knobs, kinds, script):
        assert len(decisions) <= 1
        for d in decisions:
            assert abs(d.to_level - d.from_level) == 1  # one level at a time
            assert d.from_level == levels[d.knob]  # from where it really was
            assert 0 <= d.to_level < size[d.knob]  # within the knob's levels
            if not between:
                assert kinds[d.knob] not in ("geometry", "other")
                if kinds[d.knob] == "scaffold":
                    assert d.to_level < d.from_level  # a scaffold may only appear mid-step
            levels[d.knob] = d.to_level
            changes.append(t)
    # any 300 s window holds at most 3 changes
    for a, b in zip(changes, changes[3:], strict=False):
        assert b - a >= 300.0 - 1e-6


@settings(max_examples=60, deadline=None)
@given(knob_sets(), calls)
def test_controller_is_deterministic(
    knob_set: tuple[list[Knob], dict[str, KnobKind]],
    script: list[tuple[float, float, bool, bool]],
) -> None:
    knobs, kinds = knob_set
    assert run(knobs, kinds, script) == run(knobs, kinds, script)


@settings(max_examples=60, deadline=None)
@given(
    predictions=st.lists(st.floats(min_value=0.70, max_value=0.85), max_size=50),
    between=st.booleans(),
)
def test_predictions_in_the_band_never_move_a_knob(
    pendulum: Lesson, predictions: list[float], between: bool
) -> None:
    c = controller(pendulum)
    for i, p in enumerate(predictions):
        assert c.decide(float(i), p, between_steps=between) == []


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=30.0), min_size=1, max_size=120),
    predicted=st.sampled_from([0.02, 0.99]),
    between=st.lists(st.booleans(), min_size=120, max_size=120),
)
def test_rate_limit_under_constant_pressure(
    gaps: list[float], predicted: float, between: list[bool]
) -> None:
    # ten-level tolerance knobs can always move: only the rate limit stops the controller
    knobs = [Knob(id=f"t{i}", levels=list(range(10)), default=5) for i in range(3)]
    c = DifficultyController(knobs, kinds={k.id: "tolerance" for k in knobs})
    t, changes = 0.0, []
    for gap, b in zip(gaps, between, strict=False):
        t += gap
        changes += [d.t for d in c.decide(t, predicted, between_steps=b)]
    for a, b2 in zip(changes, changes[3:], strict=False):
        assert b2 - a >= 300.0 - 1e-6
    assert len(changes) >= min(3, len(gaps) // 2)


# --- wired into the real runtime (headless, pendulum-lab) ------------------------------------


def test_distractors_appear_in_the_runtime_only_between_steps(pendulum: Lesson) -> None:
    levels = {"timing_tolerance": 2, "answer_tolerance": 2, "scaffolds": 1}
    rt = Runtime(pendulum, knob_levels=levels)
    c = DifficultyController.for_lesson(pendulum, levels=rt.knobs)
    changed: list[ev.KnobChanged] = []
    rt.subscribe(c.observe)
    rt.subscribe(lambda e: changed.append(e) if isinstance(e, ev.KnobChanged) else None)

    def apply(decisions: list[KnobDecision]) -> None:
        for d in decisions:
            rt.set_knob(d.knob, d.to_level, reason=d.reason)

    # a fast learner: the prediction after the step completes is taken between steps
    rt.subscribe(
        lambda e: (
            apply(c.decide(e.t, 0.93, between_steps=True))
            if isinstance(e, ev.StepCompleted)
            else None
        )
    )
    rt.start()
    rt.run_until(5.0)
    apply(c.decide(rt.t, 0.93, between_steps=False))
    apply(c.decide(rt.t, 0.93, between_steps=False))
    assert changed == [] and not rt.world.entities["steel_cube"].visible
    assert rt.handle(ev.Grab(entity="bob")) is None
    hook = rt.world.world_position("pendulum")
    assert rt.handle(ev.Release(entity="bob", position=hook)) is None
    assert rt.step is not None and rt.step.id == "set_length"
    [k] = changed
    assert (k.knob, k.from_level, k.to_level) == ("distractors", 0, 1)
    assert k.reason.startswith("predicted success 0.93 > 0.85 for 3 predictions: harder")
    assert rt.world.entities["steel_cube"].visible
