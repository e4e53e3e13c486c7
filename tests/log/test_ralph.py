"""Statements for every event kind, posted to a real LRS (Ralph) on loopback and read back.

Needs Ralph's virtual environment ($PERIPATOS_RALPH_VENV, default ``.venv-ralph`` at the
checkout's root), made once by ``python -m tools.ralph``. Nothing is downloaded here, and a
missing environment fails the test, with that command in the message, rather than skipping.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from engine.core.events import (
    Answered,
    HintShown,
    Interacted,
    KnobChanged,
    LessonEvent,
    Measured,
    StepStarted,
)
from engine.log import (
    ADAPTIVITY_AGENT,
    MAPPED_EVENTS,
    StatementSequence,
    validate_statement,
)
from tools.ralph import LrsError, RalphServer, default_venv, missing_ralph_message, ralph_executable

from . import LEARNER, make_ctx, sample_session

#: one LRS user per stored batch: Ralph's file backend keeps one POST per user (see RalphServer)
USERS = ("session", "again", "random", "rejects")


@pytest.fixture(scope="module")
def lrs() -> Iterator[RalphServer]:
    venv = default_venv()
    ralph = ralph_executable(venv)
    if not ralph.exists():
        pytest.fail(missing_ralph_message(venv), pytrace=False)
    with RalphServer(ralph, users=USERS) as server:
        yield server


def _without_lrs_fields(stmt: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stmt.items() if k not in ("stored", "authority", "version")}


def test_every_event_kind_is_accepted_and_read_back(lrs: RalphServer) -> None:
    ctx = make_ctx()
    events = sample_session()
    assert {type(e) for e in events} == set(MAPPED_EVENTS)
    seq = StatementSequence(ctx)
    stmts = [s for e in events for s in seq(e)]
    status, ids = lrs.post_statements(stmts, user="session")
    assert status == 200
    assert ids == [s["id"] for s in stmts]

    back = lrs.get_statements(user="session", registration=ctx.registration, limit="7")
    assert len(back) == len(stmts)  # paged through "more" links, 7 at a time
    by_id = {s["id"]: s for s in back}
    for sent in stmts:
        got = by_id[sent["id"]]
        assert _without_lrs_fields(got) == sent  # stored exactly as sent
        assert validate_statement(got) == []  # and still valid with the LRS's additions

    # the LRS finds each actor's statements by its identifier (learner, system agents, teacher)
    # (Ralph 5.1's file backend ignores the verb and activity filters, so those are not asked)
    per_actor = Counter(json.dumps(_ifi(s["actor"]), sort_keys=True) for s in stmts)
    assert json.dumps(_ifi(LEARNER.to_xapi()), sort_keys=True) in per_actor
    assert json.dumps(_ifi(ADAPTIVITY_AGENT.to_xapi()), sort_keys=True) in per_actor
    for agent, count in per_actor.items():
        assert len(lrs.get_statements(user="session", agent=agent)) == count, agent


def _ifi(agent: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in agent.items() if k in ("mbox", "account")}


def test_resending_is_idempotent_and_a_changed_statement_conflicts(lrs: RalphServer) -> None:
    ctx = make_ctx()
    seq = StatementSequence(ctx)
    stmts = [s for e in sample_session() for s in seq(e)]
    assert lrs.post_statements(stmts, user="again")[0] == 200
    # a client that lost the answer sends the same batch again: deterministic ids make it a no-op
    again = StatementSequence(make_ctx(ctx.registration))
    rebuilt = [s for e in sample_session() for s in again(e)]
    assert rebuilt == stmts
    assert lrs.post_statements(rebuilt, user="again") == (204, [])
    assert len(lrs.get_statements(user="again", registration=ctx.registration)) == len(stmts)
    changed = copy.deepcopy(stmts[3])
    changed["timestamp"] = "2030-01-01T00:00:00.000Z"
    with pytest.raises(LrsError) as err:
        lrs.post_statements([changed], user="again")
    assert err.value.status == 409


def _random_events(rng: random.Random, n: int) -> list[LessonEvent]:
    words = ["bob", "hook", "Über-Pendel", "振り子", "a b/c?d#e", "", "x" * 200, 'it\'s "quoted"']
    out: list[LessonEvent] = []
    t = 0.0
    for _ in range(n):
        t += rng.choice([0.0, 1 / 120, 0.5, 30.0])
        w, v = rng.choice(words), rng.choice(words)
        num = rng.choice([0.0, -1.5, 1e-9, 3.14159, 1e12, float("nan"), float("inf")])
        out.append(
            rng.choice(
                [
                    StepStarted(t=t, step=w or "s", index=rng.randrange(9), instruction=v),
                    Interacted(
                        t=t,
                        action=w or "grab",
                        entity=v,
                        step=w,
                        dwell_ms=rng.choice([None, 300, 10**6]),
                        position=rng.choice([None, (num, 1.0, -2.0)]),
                    ),
                    Answered(
                        t=t,
                        question=w or "q",
                        response=v if rng.random() < 0.5 else num,
                        correct=rng.random() < 0.5,
                        feedback=v,
                        duration=abs(num) % 1e5,
                    ),
                    Measured(t=t, instrument=w or "ruler", quantity=v, value=num, unit=w),
                    HintShown(
                        t=t,
                        step=w,
                        level=rng.randrange(1, 4),
                        rung=v,
                        text=w,
                        targets=(w, v),
                        requested=rng.random() < 0.5,
                        trigger=v,
                    ),
                    KnobChanged(
                        t=t,
                        knob=w or "k",
                        from_level=1,
                        to_level=2,
                        reason=v,
                        actor=rng.choice(["adaptivity", "teacher", "lesson"]),
                    ),
                ]
            )
        )
    return out


def test_odd_values_are_accepted_by_a_real_lrs(lrs: RalphServer) -> None:
    ctx = make_ctx(language="de")
    seq = StatementSequence(ctx)
    stmts = [s for e in _random_events(random.Random(20260314), 300) for s in seq(e)]
    assert all(validate_statement(s) == [] for s in stmts)
    status, ids = lrs.post_statements(stmts, user="random")
    assert status == 200 and len(ids) == len(stmts)
    back = lrs.get_statements(user="random", registration=ctx.registration)
    assert {s["id"]: _without_lrs_fields(s) for s in back} == {s["id"]: s for s in stmts}


#: breakages Ralph refuses with 422: our validator must refuse each of them too
RALPH_REJECTS = {
    "missing actor": lambda s: s.pop("actor"),
    "actor with two identifiers": lambda s: s["actor"].__setitem__("mbox", "mailto:a@b.org"),
    "account without homePage": lambda s: s["actor"]["account"].pop("homePage"),
    "verb without id": lambda s: s["verb"].pop("id"),
    "id not a UUID": lambda s: s.__setitem__("id", "1234"),
    "anonymous group without members": lambda s: s.__setitem__("actor", {"objectType": "Group"}),
}


@pytest.mark.parametrize("name", sorted(RALPH_REJECTS))
def test_validator_refuses_what_the_lrs_refuses(lrs: RalphServer, name: str) -> None:
    stmt = copy.deepcopy(StatementSequence(make_ctx())(sample_session()[5])[0])
    stmt["id"] = str(uuid.uuid4())
    RALPH_REJECTS[name](stmt)
    with pytest.raises(LrsError) as err:
        lrs.post_statements([stmt], user="rejects")
    assert err.value.status in (400, 422), err.value.body
    assert validate_statement(stmt) != []
