"""BKT: the closed-form update's invariants, parameter validation, the learner model."""

from __future__ import annotations

import json
import math
from itertools import product

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adaptivity.bkt import (
    DEFAULT_MASTERY,
    BktParams,
    LearnerModel,
    ParamBounds,
    SkillState,
    posterior,
    predict_correct,
)

unit = st.floats(0.0, 1.0)
below_half = st.floats(0.0, 0.5, exclude_max=True)


@st.composite
def params(draw: st.DrawFn, forget: bool = False) -> BktParams:
    return BktParams(
        prior=draw(unit),
        learn=draw(unit),
        guess=draw(below_half),
        slip=draw(below_half),
        forget=draw(unit) if forget else 0.0,
    )


@given(params(forget=True), unit, st.booleans())
def test_posterior_and_prediction_stay_probabilities(p: BktParams, pk: float, ok: bool) -> None:
    after = posterior(pk, ok, p)
    assert 0.0 <= after <= 1.0
    assert 0.0 <= predict_correct(pk, p) <= 1.0


@given(params(), unit)
def test_correct_answer_never_lowers_p_known_without_forgetting(p: BktParams, pk: float) -> None:
    # exact, no tolerance: guess + slip < 1 makes the conditioning step raise P(known), and
    # learning only adds (1 - p') * learn; subnormal p_known included
    assert posterior(pk, True, p) >= pk


@given(params(forget=True), unit)
def test_with_forgetting_it_holds_below_the_steady_state(p: BktParams, pk: float) -> None:
    # the precise condition: learn + forget <= 1 and p <= learn / (learn + forget)
    assume(p.learn + p.forget <= 1.0)
    assume(p.forget == 0.0 or pk <= p.learn / (p.learn + p.forget))
    assert posterior(pk, True, p) >= pk - 1e-12


def test_with_forgetting_a_correct_answer_can_lower_p_known_above_the_steady_state() -> None:
    p = BktParams(prior=0.5, learn=0.1, guess=0.2, slip=0.1, forget=0.2)
    assert posterior(1.0, True, p) == pytest.approx(0.8)
    assert posterior(0.9, True, p) < 0.9


@given(params(forget=True), unit)
def test_a_correct_answer_is_better_news_than_a_wrong_one(p: BktParams, pk: float) -> None:
    assume(p.learn + p.forget <= 1.0)  # past that, the chain flips the state every step
    assert posterior(pk, False, p) <= posterior(pk, True, p) + 1e-12


def test_update_matches_the_textbook_formula() -> None:
    p = BktParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1)
    cond = 0.3 * 0.9 / (0.3 * 0.9 + 0.7 * 0.2)
    assert posterior(0.3, True, p) == pytest.approx(cond + (1 - cond) * 0.1)
    cond = 0.3 * 0.1 / (0.3 * 0.1 + 0.7 * 0.8)
    assert posterior(0.3, False, p) == pytest.approx(cond + (1 - cond) * 0.1)
    assert predict_correct(0.3, p) == pytest.approx(0.3 * 0.9 + 0.7 * 0.2)


def test_impossible_evidence_leaves_p_known_alone() -> None:
    # guess 0 and P(known) 0: a correct answer has probability 0; no division by zero
    p = BktParams(prior=0.0, learn=0.0, guess=0.0, slip=0.0)
    assert posterior(0.0, True, p) == 0.0
    assert posterior(1.0, False, p) == 1.0


@pytest.mark.parametrize(
    ("field", "value"),
    [("guess", 0.5), ("slip", 0.7), ("prior", -0.1), ("learn", 1.5), ("forget", math.nan)],
)
def test_params_reject_out_of_range_values(field: str, value: float) -> None:
    values = {"prior": 0.3, "learn": 0.1, "guess": 0.2, "slip": 0.1, field: value}
    with pytest.raises(ValueError, match=field):
        BktParams(**values)


def test_params_reject_non_numbers() -> None:
    with pytest.raises(ValueError, match="prior"):
        BktParams(prior="high", learn=0.1, guess=0.2, slip=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prior"):
        BktParams(prior=True, learn=0.1, guess=0.2, slip=0.1)


def test_bounds_are_configurable_and_below_one_half() -> None:
    p = BktParams(prior=0.3, learn=0.1, guess=0.35, slip=0.1)
    assert not p.within()  # default bound 0.3
    assert p.within(ParamBounds(guess=0.4, slip=0.3))
    with pytest.raises(ValueError):
        ParamBounds(guess=0.5)


@given(params(forget=True))
def test_params_round_trip_through_dicts(p: BktParams) -> None:
    assert BktParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_params_from_dict_names_bad_keys() -> None:
    with pytest.raises(ValueError, match="unknown"):
        BktParams.from_dict({"prior": 0.1, "learn": 0.1, "guess": 0.1, "slip": 0.1, "x": 1})
    with pytest.raises(ValueError, match="missing"):
        BktParams.from_dict({"prior": 0.1})


def test_learner_model_tracks_skills_and_mastery() -> None:
    p = BktParams(prior=0.4, learn=0.3, guess=0.2, slip=0.1)
    model = LearnerModel({"period": p})
    assert model.mastery == DEFAULT_MASTERY
    assert model.p_known("period") == 0.4 and model.opportunities("period") == 0
    assert not model.mastered("period")
    for _ in range(5):
        model.observe("period", True)
    assert model.opportunities("period") == 5
    assert model.skills["period"].correct == 5
    assert model.mastered("period")
    assert model.predict("period") == pytest.approx(predict_correct(model.p_known("period"), p))
    # an unknown skill uses the default parameters
    assert model.p_known("other") == model.default.prior


def test_mastery_threshold_is_configurable() -> None:
    p = BktParams(prior=0.5, learn=0.1, guess=0.2, slip=0.1)
    lenient = LearnerModel({"a": p}, mastery=0.6)
    strict = LearnerModel({"a": p})
    lenient.observe("a", True)
    strict.observe("a", True)
    assert lenient.mastered("a") and not strict.mastered("a")
    with pytest.raises(ValueError):
        LearnerModel(mastery=0.0)


def test_new_params_keep_existing_knowledge() -> None:
    model = LearnerModel()
    model.observe("a", True)
    before = model.p_known("a")
    model.use_params({"a": BktParams(prior=0.01, learn=0.5, guess=0.1, slip=0.1)})
    assert model.p_known("a") == before
    assert model.params("a").learn == 0.5


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()), max_size=40))
def test_learner_model_round_trips_through_json(history: list[tuple[str, bool]]) -> None:
    p = {"a": BktParams(prior=0.2, learn=0.2, guess=0.25, slip=0.1)}
    model = LearnerModel(p, mastery=0.9)
    for skill, ok in history:
        model.observe(skill, ok)
    text = json.dumps(model.to_dict())
    again = LearnerModel.from_dict(json.loads(text), p)
    assert again.to_dict() == model.to_dict()
    assert again.mastery == 0.9
    for skill in model:
        assert again.p_known(skill) == model.p_known(skill)
        assert again.opportunities(skill) == model.opportunities(skill)


def test_saved_state_is_validated() -> None:
    with pytest.raises(ValueError):
        SkillState.from_dict({"p_known": 1.5})
    with pytest.raises(ValueError):
        SkillState.from_dict({"p_known": 0.5, "opportunities": 1, "correct": 2})
    with pytest.raises(ValueError, match="gamed"):
        SkillState.from_dict({"p_known": 0.5, "opportunities": 3, "correct": 2, "gamed": 2})
    # records written before 'gamed' was kept still load
    assert SkillState.from_dict({"p_known": 0.5, "opportunities": 3, "correct": 1}).gamed == 0


def test_gamed_demonstrations_are_evidence_but_not_tries() -> None:
    model = LearnerModel({"s": BktParams(0.5, 0.2, 0.2, 0.1)})
    model.observe("s", False)
    after_wrong = model.p_known("s")
    model.observe("s", False, gamed=True)
    assert model.p_known("s") < after_wrong  # incorrect evidence all the same
    model.observe("s", True)
    assert (model.opportunities("s"), model.attempts("s")) == (3, 2)
    again = LearnerModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.skills["s"].gamed == 1 and again.attempts("s") == 2
    with pytest.raises(ValueError, match="version"):
        LearnerModel.from_dict({"version": 99})


# --- a step that needs several skills (conjunctive) ------------------------------------------

inner = st.floats(1e-3, 1 - 1e-3)  # at exactly 0 or 1 some evidence is impossible
two_or_three = st.lists(st.tuples(params(forget=True), inner), min_size=2, max_size=3)
without_forgetting = st.lists(st.tuples(params(), unit), min_size=2, max_size=3)


def _model(skills: list[tuple[BktParams, float]]) -> tuple[LearnerModel, list[str]]:
    names = [f"s{i}" for i in range(len(skills))]
    model = LearnerModel({n: p for n, (p, _) in zip(names, skills, strict=True)})
    for n, (_, pk) in zip(names, skills, strict=True):
        model.skills[n] = SkillState(pk)
    return model, names


def _by_enumeration(skills: list[tuple[BktParams, float]], correct: bool) -> list[float]:
    """The exact marginal posteriors (then the transition) over every joint state."""
    joint: dict[tuple[bool, ...], float] = {}
    for state in product((False, True), repeat=len(skills)):
        prior = math.prod(pk if k else 1 - pk for (_, pk), k in zip(skills, state, strict=True))
        right = math.prod(
            1 - p.slip if k else p.guess for (p, _), k in zip(skills, state, strict=True)
        )
        joint[state] = prior * (right if correct else 1 - right)
    total = sum(joint.values())
    out = []
    for i, (p, pk) in enumerate(skills):
        cond = sum(w for s, w in joint.items() if s[i]) / total if total > 0 else pk
        out.append(cond * (1 - p.forget) + (1 - cond) * p.learn)
    return out


@given(two_or_three, st.booleans())
def test_a_step_with_several_skills_is_the_exact_joint_posterior(
    skills: list[tuple[BktParams, float]], correct: bool
) -> None:
    model, names = _model(skills)
    expected = _by_enumeration(skills, correct)
    model.observe_step(names, correct)
    for name, want in zip(names, expected, strict=True):
        assert 0.0 <= model.p_known(name) <= 1.0
        assert model.p_known(name) == pytest.approx(want, abs=1e-9)
        assert model.opportunities(name) == 1


@given(without_forgetting)
def test_failing_a_shared_step_lowers_a_skill_at_most_as_much_as_failing_it_alone(
    skills: list[tuple[BktParams, float]],
) -> None:
    # a failure is evidence against each skill, but never more than failing it alone (with
    # forgetting above learning the transition reverses the order: not this property)
    model, names = _model(skills)
    model.observe_step(names, False)
    for name, (p, pk) in zip(names, skills, strict=True):
        alone = posterior(pk, False, p)
        no_evidence = pk * (1 - p.forget) + (1 - pk) * p.learn
        assert alone - 1e-12 <= model.p_known(name) <= no_evidence + 1e-12


def test_a_failure_is_blamed_on_the_skill_most_likely_missing() -> None:
    p = BktParams(0.5, 0.2, 0.2, 0.1)
    model = LearnerModel({"known": p, "unknown": p})
    model.skills["known"] = SkillState(0.9)
    model.skills["unknown"] = SkillState(0.1)
    model.observe_step(("known", "unknown"), False)
    # alone, a failure would take 0.9 to 0.62; shared with a likely unknown step-mate, 0.90
    assert posterior(0.9, False, p) < 0.7 < model.p_known("known")
    assert model.p_known("unknown") < 0.1 + 0.9 * p.learn
    # one skill, or a success: exactly the single-skill update
    one, two = LearnerModel({"s": p}), LearnerModel({"s": p, "t": p})
    one.observe("s", False)
    two.observe_step(("s",), False)
    assert one.p_known("s") == two.p_known("s")
    two.observe_step(("s", "t"), True)
    one.observe("s", True)
    assert one.p_known("s") == two.p_known("s")
