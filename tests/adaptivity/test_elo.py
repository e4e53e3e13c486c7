"""Elo ratings, the combined BKT + Elo prediction, and the Predictor protocol."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adaptivity.bkt import BktParams, LearnerModel
from adaptivity.elo import (
    Abilities,
    BktEloPredictor,
    EloPredictor,
    ItemBank,
    KSchedule,
    Predictor,
    logit,
    observe,
    sigmoid,
)

PARAMS = {"swing": BktParams(prior=0.3, learn=0.1, guess=0.2, slip=0.1)}


@given(st.floats(-800.0, 800.0))
def test_sigmoid_never_overflows_and_stays_in_the_unit_interval(x: float) -> None:
    assert 0.0 <= sigmoid(x) <= 1.0


@given(st.floats(1e-6, 1 - 1e-6))
def test_logit_inverts_sigmoid(p: float) -> None:
    assert sigmoid(logit(p)) == pytest.approx(p, rel=1e-9, abs=1e-12)


def test_logit_clips_the_ends() -> None:
    assert math.isfinite(logit(0.0)) and math.isfinite(logit(1.0))


def test_k_decays_with_experience() -> None:
    k = KSchedule(a=1.0, b=0.05)
    assert k.k(0) == 1.0
    assert k.k(20) == pytest.approx(0.5)
    assert all(k.k(n + 1) < k.k(n) for n in range(50))
    with pytest.raises(ValueError):
        KSchedule(a=0.0)


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.floats(-1, 1)), max_size=60))
def test_item_bank_keeps_its_mean_exact(updates: list[tuple[str, float]]) -> None:
    bank = ItemBank()
    for item, surprise in updates:
        bank.update(item, surprise)
    values = [r.value for r in bank.items.values()]
    expected = sum(values) / len(values) if values else 0.0
    assert bank.mean == pytest.approx(expected, abs=1e-9)
    for item in bank.items:
        assert bank.relative(item) == pytest.approx(bank.difficulty(item) - expected, abs=1e-9)
    assert bank.relative("never-seen") == 0.0


def test_elo_learns_which_items_are_hard() -> None:
    rng = random.Random(3)
    true = {"easy": -1.5, "medium": 0.0, "hard": 1.5}
    bank = ItemBank()
    predictor = EloPredictor(bank)
    for _ in range(300):
        ability = rng.gauss(0.0, 1.0)
        model, abilities = LearnerModel(), Abilities()
        for item in rng.sample(list(true), 3):
            correct = rng.random() < sigmoid(ability - true[item])
            p = predictor.update(model, abilities, "skill", item, correct)
            assert 0.0 < p < 1.0
    d = {item: bank.difficulty(item) for item in true}
    assert d["easy"] < d["medium"] < d["hard"]
    assert d["hard"] - d["easy"] == pytest.approx(3.0, abs=0.8)


def test_combined_prediction_is_bkt_for_an_average_item() -> None:
    bank = ItemBank()
    bank.add("only")
    model = LearnerModel(PARAMS)
    predictor = BktEloPredictor(bank)
    p = predictor.predict(model, Abilities(), "swing", "only")
    assert p == pytest.approx(model.predict("swing"))


def test_combined_prediction_shifts_by_relative_difficulty() -> None:
    bank = ItemBank()
    bank.add("easy", -1.0)
    bank.add("hard", 1.0)
    model = LearnerModel(PARAMS)
    predictor = BktEloPredictor(bank)
    base = logit(model.predict("swing"))
    hard = predictor.predict(model, Abilities(), "swing", "hard")
    easy = predictor.predict(model, Abilities(), "swing", "easy")
    assert hard == pytest.approx(sigmoid(base - 1.0))
    assert easy == pytest.approx(sigmoid(base + 1.0))
    assert predictor.predict(model, Abilities(), "swing", "new") == pytest.approx(
        model.predict("swing")
    )


def test_observe_predicts_before_the_model_learns() -> None:
    bank = ItemBank()
    model, abilities = LearnerModel(PARAMS), Abilities()
    predictor = BktEloPredictor(bank)
    before = predictor.predict(model, abilities, "swing", "hang@0")
    p = observe(predictor, model, abilities, "swing", "hang@0", False)
    assert p == before
    assert model.opportunities("swing") == 1
    assert bank.difficulty("hang@0") > 0.0  # failing an item makes it look harder
    assert abilities.ability("swing") < 0.0


def test_a_step_with_several_skills_is_predicted_and_rated_as_one_outcome() -> None:
    params = {**PARAMS, "time": BktParams(prior=0.6, learn=0.1, guess=0.2, slip=0.1)}
    bank, model, abilities = ItemBank(), LearnerModel(params), Abilities()
    bank.add("other", 0.0)
    predictor = BktEloPredictor(bank)
    both = model.predict("swing") * model.predict("time")
    assert predictor.predict_step(model, ["swing", "time"], "step") == pytest.approx(both)
    one = predictor.predict_step(model, ["swing"], "other")
    assert one == predictor.predict(model, abilities, "swing", "other")
    p = predictor.update_step(model, abilities, ["swing", "time"], "step", False)
    assert p == pytest.approx(both)
    # the item moved once, by the step's error; each skill's ability moved too
    assert bank.items["step"].count == 1
    assert bank.difficulty("step") == pytest.approx(KSchedule().k(0) * both)
    assert abilities.ability("swing") < 0.0 and abilities.ability("time") < 0.0
    # an offset (the knobs) is part of the prediction the item learns from
    harder = predictor.predict_step(model, ["swing", "time"], "step", offset=0.5)
    assert harder < predictor.predict_step(model, ["swing", "time"], "step")


def test_both_predictors_follow_the_protocol() -> None:
    assert isinstance(EloPredictor(ItemBank()), Predictor)
    assert isinstance(BktEloPredictor(ItemBank()), Predictor)


def test_ratings_round_trip_through_json() -> None:
    bank = ItemBank(KSchedule(a=0.8, b=0.1))
    abilities = Abilities()
    predictor = EloPredictor(bank)
    model = LearnerModel()
    for i in range(20):
        predictor.update(model, abilities, f"s{i % 3}", f"item{i % 4}", i % 2 == 0)
    bank2 = ItemBank.from_dict(json.loads(json.dumps(bank.to_dict())))
    ab2 = Abilities.from_dict(json.loads(json.dumps(abilities.to_dict())))
    assert bank2.to_dict() == bank.to_dict()
    assert bank2.mean == pytest.approx(bank.mean)
    assert bank2.schedule == KSchedule(a=0.8, b=0.1)
    assert ab2.to_dict() == abilities.to_dict()
    with pytest.raises(ValueError, match="version"):
        ItemBank.from_dict({"version": 2})
    with pytest.raises(ValueError):
        Abilities.from_dict({"version": 1, "skills": {"a": [math.inf, 1]}})
