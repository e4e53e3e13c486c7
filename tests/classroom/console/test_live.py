"""Folding statements into a learner's progress (the live view's and the reports' logic)."""

from __future__ import annotations

import uuid
from typing import Any

from classroom.console.live import StudentProgress
from engine.log.xapi import ADAPTIVITY_AGENT, CUSTOM_VERBS, ext
from tests.classroom.console.recorded import STRUGGLING, facts, load


def test_each_statement_counts_once_whatever_the_order_of_arrival() -> None:
    stmts = load(STRUGGLING)
    once, twice = StudentProgress(), StudentProgress()
    for s in stmts:
        once.add(s)
    for s in stmts + stmts[::-1]:
        twice.add(s)
    f = facts(stmts)
    for p in (once, twice):
        assert (p.steps_done, p.hints, p.errors, p.answers) == (
            f.steps_completed,
            f.hints,
            f.errors,
            f.answers,
        )
        assert p.statements == len(stmts)
    assert once.mastery == twice.mastery


def test_adaptivity_decisions_are_kept_with_their_reasons() -> None:
    learner = {"objectType": "Agent", "account": {"homePage": "https://x.org", "name": "s1"}}
    skip: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": ADAPTIVITY_AGENT.to_xapi(),
        "verb": {"id": CUSTOM_VERBS + "skipped"},
        "object": {"id": "https://peripatos.dev/lessons/pendulum-lab/steps/set_length"},
        "context": {"extensions": {ext("step"): "set_length", ext("learner"): learner}},
        "result": {"extensions": {ext("reason"): "P(known)=0.97 >= 0.95 on measurement"}},
    }
    p = StudentProgress()
    p.add(skip)
    assert p.steps_skipped == 1
    assert p.decisions == ["skipped step set_length (P(known)=0.97 >= 0.95 on measurement)"]
    # the same verb from the learner is not adaptivity's decision
    p.add({**skip, "id": str(uuid.uuid4()), "actor": learner})
    assert p.steps_skipped == 1


def test_mastery_follows_the_lessons_bkt_parameters() -> None:
    from adaptivity.bkt import DEFAULT_PARAMS, BktParams, posterior

    params = {"measurement": BktParams(prior=0.6, learn=0.3, guess=0.3, slip=0.1)}
    progress = StudentProgress(params=params)
    progress._observe(["measurement", "other"], True)
    assert progress.mastery["measurement"] == posterior(0.6, True, params["measurement"])
    assert progress.mastery["other"] == posterior(DEFAULT_PARAMS.prior, True, DEFAULT_PARAMS)
    gained = progress.mastery_gained()
    assert gained["measurement"] == progress.mastery["measurement"] - 0.6
    assert gained["other"] == progress.mastery["other"] - DEFAULT_PARAMS.prior
