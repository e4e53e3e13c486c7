"""Fitting: EM recovers known parameters; loaders read CSVs and real engine session logs."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptivity.bkt import BktParams, ParamBounds, posterior, predict_correct
from adaptivity.data import Sequences, concat
from adaptivity.fit import (
    fit_bkt,
    fit_skills,
    log_likelihood,
    mean_absolute_error,
    predict_rows,
    predict_sequences,
    priors_from_yaml,
    priors_to_yaml,
    read_csv,
    read_xapi,
    sequences_from_rows,
    simulate_bkt,
)
from engine.core import events as ev
from engine.log.jsonl import JsonlWriter
from engine.log.xapi import ADAPTIVITY_AGENT, Actor, SessionContext, StatementSequence
from tools.fit_cli import fit_command

TRUE = BktParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1)

# --- the EM fit ---------------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(
    st.floats(0.1, 0.6),
    st.floats(0.05, 0.3),
    st.floats(0.05, 0.25),
    st.floats(0.05, 0.2),
    st.integers(0, 2**16),
)
def test_fit_recovers_known_parameters(
    prior: float, learn: float, guess: float, slip: float, seed: int
) -> None:
    # stated error: 2,000 learners x 20 opportunities recover every parameter within 0.06
    # (the worst of 80 random draws was 0.036, on the prior)
    true = BktParams(prior=prior, learn=learn, guess=guess, slip=slip)
    data = simulate_bkt(true, 2000, 20, seed=seed)
    fit = fit_skills({"s": data}, restarts=3, seed=seed)["s"]
    p = fit.params
    for name in ("prior", "learn", "guess", "slip"):
        assert abs(getattr(p, name) - getattr(true, name)) <= 0.06, name
    assert mean_absolute_error(p, true) <= 0.03
    assert fit.converged
    # EM maximises the likelihood: the fit explains the data at least as well as the truth
    assert fit.log_likelihood >= log_likelihood(true, data) - 1e-6


def test_fit_reports_the_likelihood_of_what_it_returns() -> None:
    data = {"a": simulate_bkt(TRUE, 500, 12, seed=1), "b": simulate_bkt(TRUE, 300, 8, seed=2)}
    for skill, fit in fit_skills(data, restarts=2, seed=0).items():
        assert fit.log_likelihood == pytest.approx(log_likelihood(fit.params, data[skill]))
        assert fit.n_sequences == data[skill].n_sequences
        assert fit.n_observations == data[skill].n_observations
        assert 1 <= fit.iterations <= 100 and 0 <= fit.restart < 2


def test_fit_is_deterministic_for_a_seed() -> None:
    data = {"a": simulate_bkt(TRUE, 400, 10, seed=3)}
    assert fit_bkt(data, restarts=3, seed=7) == fit_bkt(data, restarts=3, seed=7)


def test_variable_length_sequences_and_lists() -> None:
    full = simulate_bkt(TRUE, 1500, 15, seed=4).to_lists()
    rng = np.random.default_rng(0)
    ragged = [seq[: int(rng.integers(1, 16))] for seq in full]
    fit = fit_skills({"a": ragged}, restarts=3)["a"]
    seqs = Sequences.from_lists(ragged)
    assert seqs.n_observations == sum(len(s) for s in ragged)
    assert fit.log_likelihood == pytest.approx(log_likelihood(fit.params, seqs))
    assert mean_absolute_error(fit.params, TRUE) < 0.05


def test_duplicated_learners_count_twice() -> None:
    # identical sequences are fitted once with a weight: the weights must be exact
    base = simulate_bkt(TRUE, 300, 10, seed=5)
    once = fit_skills({"a": base}, restarts=2, seed=1, tol=1e-8)["a"]
    twice = fit_skills({"a": concat([base, base])}, restarts=2, seed=1, tol=1e-8)["a"]
    assert twice.log_likelihood == pytest.approx(2 * once.log_likelihood, rel=1e-6)
    assert mean_absolute_error(once.params, twice.params) < 1e-4


def test_guess_and_slip_stay_within_their_bounds() -> None:
    sloppy = BktParams(prior=0.3, learn=0.1, guess=0.45, slip=0.4)
    data = {"a": simulate_bkt(sloppy, 800, 10, seed=6)}
    p = fit_bkt(data, restarts=3)["a"]
    assert p.guess <= 0.3 and p.slip <= 0.3
    tight = fit_bkt(data, restarts=3, bounds=ParamBounds(guess=0.1, slip=0.05))["a"]
    assert tight.guess <= 0.1 and tight.slip <= 0.05


def test_skills_without_data_are_left_out() -> None:
    assert fit_bkt({"empty": []}) == {}
    with pytest.raises(ValueError):
        fit_bkt({"a": [[1]]}, restarts=0)


# exact zeros take another code path; guess or slip of 1e-15 with P(known) as small makes the
# update ill-conditioned (1 ulp becomes 0.1), so the non-zero ones start at 1e-4
emission = st.one_of(st.just(0.0), st.floats(1e-4, 0.49))


@settings(max_examples=40, deadline=None)
@given(
    st.builds(BktParams, st.floats(0, 1), st.floats(0, 1), emission, emission, st.floats(0, 1)),
    st.lists(st.lists(st.booleans(), min_size=1, max_size=12), min_size=1, max_size=8),
)
def test_batch_prediction_matches_the_online_update(
    params: BktParams, sequences: list[list[bool]]
) -> None:
    pred = predict_sequences(params, Sequences.from_lists(sequences))
    for i, seq in enumerate(sequences):
        pk = params.prior
        for t, ok in enumerate(seq):
            assert pred[t, i] == pytest.approx(predict_correct(pk, params), abs=1e-9)
            pk = posterior(pk, ok, params)
        assert np.isnan(pred[len(seq) :, i]).all()


def test_simulation_is_seeded_and_shaped() -> None:
    a = simulate_bkt(TRUE, 50, 7, seed=9)
    assert a.obs.shape == (7, 50) and (a.lengths == 7).all()
    assert (a.obs == simulate_bkt(TRUE, 50, 7, seed=9).obs).all()
    rate = simulate_bkt(BktParams(1.0, 0.0, 0.2, 0.1), 20000, 1, seed=1).obs.mean()
    assert rate == pytest.approx(0.9, abs=0.01)


# --- sequences and loaders ----------------------------------------------------------------


def test_rows_group_by_skill_and_learner_in_order() -> None:
    learners = ["b", "a", "b", "a", "b", "a"]
    skills = ["x", "x", "y", "x", "x", "y"]
    correct = [1, 0, 1, 1, 0, 1]
    data = sequences_from_rows(learners, skills, correct)
    assert data["x"].learners == ("a", "b")
    assert data["x"].to_lists() == [[0, 1], [1, 0]]
    assert data["y"].to_lists() == [[1], [1]]
    rows = data["x"].rows
    assert rows is not None and rows[:, 0].tolist() == [1, 3] and rows[:, 1].tolist() == [0, 4]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**16), st.booleans())
def test_row_predictions_follow_each_learners_history(seed: int, string_ids: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    learners = rng.integers(0, 7, n) * (1000 if seed % 2 else 1)  # dense and sparse ids
    skills = rng.choice(["add", "sub", "mul"], n)
    correct = rng.random(n) < 0.6
    ids = learners.astype(str) if string_ids else learners
    params = {
        "add": TRUE,
        "sub": BktParams(0.6, 0.05, 0.1, 0.2),
        "mul": BktParams(0.1, 0.3, 0.25, 0.05, forget=0.1),
    }
    pred = predict_rows(params, ids, skills, correct)
    # the same thing, one row at a time with the online update
    state: dict[tuple[str, str], float] = {}
    for i in range(n):
        k = (str(ids[i]), str(skills[i]))
        p = params[k[1]]
        pk = state.get(k, p.prior)
        assert pred[i] == pytest.approx(predict_correct(pk, p), abs=1e-12)
        state[k] = posterior(pk, bool(correct[i]), p)
    with pytest.raises(KeyError, match="no parameters"):
        predict_rows({}, ids, skills, correct)


def test_sequences_validate_their_shape() -> None:
    with pytest.raises(ValueError):
        Sequences(np.zeros((3, 2), bool), np.array([4, 1]))
    seqs = Sequences(np.ones((3, 2), bool), np.array([3, 1]))
    assert seqs.obs[1:, 1].sum() == 0  # padding reads as incorrect
    assert seqs.mask.sum() == seqs.n_observations == 4
    assert seqs.select([1]).to_lists() == [[1]]


def test_read_csv_with_header(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "order,user_id,skill_name,correct\n1,s1,add,1\n2,s1,add,false\n3,s2,add,yes\n4,s2,,1\n"
    )
    data = read_csv(path)
    assert list(data) == ["add"]
    assert data["add"].to_lists() == [[1, 0], [1]]


def test_read_csv_without_header_and_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("s1,add,1\ns1,add,0\n")
    assert read_csv(plain)["add"].to_lists() == [[1, 0]]
    bad = tmp_path / "bad.csv"
    bad.write_text("learner,skill,correct\ns1,add,maybe\n")
    with pytest.raises(ValueError, match=r"bad\.csv:2"):
        read_csv(bad)
    missing = tmp_path / "missing.csv"
    missing.write_text("learner,correct\ns1,1\n")
    with pytest.raises(ValueError, match="skill"):
        read_csv(missing)


def _context(learner: str, minute: int) -> SessionContext:
    return SessionContext(
        learner=Actor.account("https://peripatos.dev/learners", learner),
        lesson_id="pendulum-lab",
        lesson_title="Pendulum",
        language="en",
        registration=str(uuid.uuid4()),
        started=datetime(2026, 3, 1, 9, minute, tzinfo=UTC),
    )


def _write(path: Path, ctx: SessionContext, events: list[ev.LessonEvent]) -> None:
    seq = StatementSequence(ctx)
    with JsonlWriter(path) as out:
        for e in events:
            for stmt in seq(e):
                out.write(stmt)


def test_read_xapi_applies_the_opportunity_rule(tmp_path: Path) -> None:
    ctx = _context("ada", 0)
    _write(
        tmp_path / "a.jsonl",
        ctx,
        [
            ev.LessonStarted(0.0),
            # solved cleanly: correct
            ev.StepCompleted(5.0, "hang", 5.0, hints_used=0, errors=0, skills=("setup",)),
            # an error on the step: incorrect
            ev.StepCompleted(9.0, "length", 4.0, hints_used=0, errors=1, skills=("measure",)),
            # a proactive bottom-out demonstration from the adaptivity engine: incorrect
            ev.HintShown(10.0, "time", 3, "demonstrate", "watch", requested=False, trigger="t"),
            ev.StepCompleted(12.0, "time", 3.0, hints_used=3, errors=0, skills=("measure",)),
            # first answer wrong, the retry ignored; the step adds only uncovered skills
            ev.Answered(20.0, "g", 1.0, False, "no", step="g", skills=("period",)),
            ev.Answered(25.0, "g", 9.8, True, "yes", step="g", skills=("period",)),
            ev.StepCompleted(25.0, "g", 13.0, 0, 1, skills=("period", "algebra")),
        ],
    )
    data = read_xapi([tmp_path / "a.jsonl"])
    assert data["setup"].to_lists() == [[1]]
    assert data["measure"].to_lists() == [[0, 0]]
    assert data["period"].to_lists() == [[0]]
    assert data["algebra"].to_lists() == [[0]]  # completed with an error
    assert data["setup"].learners == (ctx.learner.key,)
    assert ADAPTIVITY_AGENT.key not in data["measure"].learners  # type: ignore[operator]


def test_read_xapi_orders_a_learners_sessions_in_time(tmp_path: Path) -> None:
    later, earlier = _context("bo", 30), _context("bo", 5)
    step = ev.StepCompleted(1.0, "s", 1.0, 0, 0, skills=("k",))
    wrong = ev.StepCompleted(1.0, "s", 1.0, 0, 2, skills=("k",))
    _write(tmp_path / "later.jsonl", later, [ev.LessonStarted(0.0), step])
    _write(tmp_path / "earlier.jsonl", earlier, [ev.LessonStarted(0.0), wrong])
    _write(tmp_path / "other.jsonl", _context("cy", 0), [ev.LessonStarted(0.0), step])
    with open(tmp_path / "later.jsonl", "a") as f:
        f.write('{"torn": ')  # a crash mid-write leaves half a line: skipped
    data = read_xapi(sorted(tmp_path.glob("*.jsonl")))
    by_learner = dict(zip(data["k"].learners or (), data["k"].to_lists(), strict=True))
    assert by_learner[later.learner.key] == [0, 1]
    assert by_learner[_context("cy", 0).learner.key] == [1]


def test_read_xapi_on_a_recorded_engine_session(tmp_path: Path) -> None:
    """A real session: the pendulum lab driven by a scripted learner, recorded by the engine."""
    from engine.core.script import Action, LogicPilot, ScriptDriver, load_script
    from engine.log.store import SessionStore
    from engine.model.loader import load_lesson
    from engine.paths import LESSONS_DIR
    from engine.session import LessonSession

    walkthrough = load_script(LESSONS_DIR / "pendulum-lab" / "scripts" / "walkthrough.yaml")
    # the whole hint ladder on the first step (waits: quick repeats count as help abuse), then
    # a wrong answer before the right one on the g question
    ladder = [Action(request_hint={}), Action(wait=3.0)] * 3
    wrong = [Action(answer={"question": "g_value", "response": 0.098})]
    script = ladder + walkthrough[:7] + wrong + walkthrough[7:]
    session = LessonSession(
        load_lesson("pendulum-lab"),
        SessionStore(tmp_path / "s.sqlite"),
        learner="ada",
        record=tmp_path / "ada.jsonl",
    )
    session.start()
    ScriptDriver(session.runtime, LogicPilot(), handle=session.handle).run(script)
    session.close()
    assert session.runtime.completed

    data = read_xapi([tmp_path / "ada.jsonl"])
    assert set(data) == {
        "experimental-setup",
        "measurement",
        "pendulum-period",
        "small-angle-approximation",
    }
    assert data["experimental-setup"].to_lists() == [[0]]  # solved after the demonstration
    assert data["measurement"].to_lists() == [[1, 1, 1]]
    assert data["pendulum-period"].to_lists() == [[1, 0]]  # timing right, first answer wrong
    assert data["small-angle-approximation"].to_lists() == [[1, 1]]

    # the CLI fits and writes priors from the same log
    output = tmp_path / "priors.yaml"
    out, err = io.StringIO(), io.StringIO()
    assert fit_command([tmp_path / "ada.jsonl"], output, out=out, err=err) == 0
    priors = priors_from_yaml(output)
    assert set(priors) == set(data)
    assert "few learners" in out.getvalue()


def test_fit_command_reports_problems(tmp_path: Path) -> None:
    err = io.StringIO()
    assert fit_command([tmp_path / "nope.jsonl"], tmp_path / "p.yaml", err=err) == 2
    assert "not found" in err.getvalue()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert fit_command([empty], tmp_path / "p.yaml", err=err) == 1
    csv = tmp_path / "d.csv"
    csv.write_text("learner,skill,correct\n" + "".join(f"s{i},add,{i % 2}\n" for i in range(40)))
    out = io.StringIO()
    assert fit_command([csv], tmp_path / "p.yaml", out=out, err=err) == 0
    assert "add" in out.getvalue()


def test_priors_file_round_trips(tmp_path: Path) -> None:
    priors = {
        "pendulum-period": BktParams(0.31234567, 0.14, 0.2, 0.1),
        "measurement": BktParams(0.5, 0.2, 0.22, 0.08),
    }
    path = priors_to_yaml(
        priors,
        tmp_path / "lesson" / "priors.yaml",
        evidence={"measurement": {"learners": 12, "opportunities": 40}},
        comment="fitted for a test",
    )
    text = path.read_text()
    assert text.startswith("# fitted for a test")
    back = priors_from_yaml(path)
    assert back["pendulum-period"].prior == 0.3123
    assert back["measurement"] == priors["measurement"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nskills:\n  a: {prior: 0.1, learn: 0.1, guess: 0.7, slip: 0.1}\n")
    with pytest.raises(ValueError, match=r"bad.yaml: skills.a: guess"):
        priors_from_yaml(bad)
    assert json.dumps({k: v.to_dict() for k, v in back.items()})
