"""Opportunities from recorded sessions: the engine's xAPI statements, as JSON lines.

Which statements are opportunities, and when one counts as correct, is a rule (see
:func:`read_xapi`); the rest of adaptivity sees only per-skill answer sequences.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from adaptivity.data import Sequences, sequences_from_rows

#: the hint rung whose use makes a solved step count as incorrect (ASSISTments' rule)
BOTTOM_OUT_RUNG = "demonstrate"


def read_xapi(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Sequences]:
    """Per-skill sequences from recorded sessions (xAPI statements as JSON lines).

    Reads what ``lesson run --record`` and the session store write. The opportunity rule:

    * an ``answered`` statement is one opportunity for each skill in its
      ``context.extensions[.../skills]``; only the *first* answer to a question in a session
      counts (later tries follow feedback), and it is correct when ``result.success`` is
      true and no bottom-out hint (rung ``demonstrate``) was shown on its step before it;
    * a step's ``completed`` statement is one opportunity for each of the step's skills that
      no counted answer in that step already covered, correct when the step was completed
      with ``errors == 0`` and without a bottom-out hint, whether the learner asked for it or
      the adaptivity engine offered it.

    Sessions (registrations) of one learner are ordered by their first timestamp, so
    knowledge carries over from one session and lesson to the next. Statements of other
    kinds are ignored; a torn last line (a crash mid-write) is skipped.

    Args:
        paths: JSON-lines files; one may hold several sessions.

    Returns:
        Sequences per skill, one column per learner.
    """
    # lazy: the engine's log vocabulary is needed only here
    from engine.log.jsonl import iter_jsonl
    from engine.log.xapi import ACTIVITY_TYPES, ext

    vocab = _Vocab(
        step=ext("step"),
        skills=ext("skills"),
        learner=ext("learner"),
        rung=ext("hint-rung"),
        errors=ext("errors"),
        step_type=ACTIVITY_TYPES["step"],
    )
    sessions: dict[str, _Session] = {}
    for path in paths:
        for stmt in iter_jsonl(path):
            if isinstance(stmt, dict):
                _take(stmt, sessions, vocab)
    learners: list[str] = []
    skills: list[str] = []
    correct: list[bool] = []
    ordered = sorted(sessions.values(), key=lambda s: (s.learner, s.first, s.registration))
    for session in ordered:
        for skill, ok in session.opportunities:
            learners.append(session.learner)
            skills.append(skill)
            correct.append(ok)
    return sequences_from_rows(
        np.array(learners, dtype=object), np.array(skills, dtype=object), correct
    )


@dataclass(frozen=True)
class _Vocab:
    """The xAPI extension keys and activity type the rule reads."""

    step: str
    skills: str
    learner: str
    rung: str
    errors: str
    step_type: str


class _Session:
    """One registration's opportunities, built statement by statement."""

    def __init__(self, registration: str, learner: str, first: str) -> None:
        self.registration = registration
        self.learner = learner
        self.first = first
        self.opportunities: list[tuple[str, bool]] = []
        self.answered: set[str] = set()
        self.bottom_out: set[str] = set()  # steps where the last rung was shown
        self.covered: dict[str, set[str]] = {}  # step -> skills evidenced by its answers


def _agent_key(agent: Mapping[str, Any]) -> str:
    # the same key as engine.log.xapi.Actor.key
    if agent.get("mbox"):
        return str(agent["mbox"])
    account = agent.get("account") or {}
    return f"{account.get('homePage', '')}|{account.get('name', '')}"


def _take(stmt: Mapping[str, Any], sessions: dict[str, _Session], v: _Vocab) -> None:
    context = stmt.get("context") or {}
    registration = context.get("registration")
    if not registration:
        return
    extensions = context.get("extensions") or {}
    verb = str((stmt.get("verb") or {}).get("id", "")).rsplit("/", 1)[-1]
    session = sessions.get(registration)
    if session is None:
        # system-made statements name their learner in a context extension
        learner = extensions.get(v.learner) or stmt.get("actor") or {}
        session = _Session(registration, _agent_key(learner), str(stmt.get("timestamp", "")))
        sessions[registration] = session
    step = str(extensions.get(v.step, ""))
    skills = [str(s) for s in extensions.get(v.skills, [])]
    result = stmt.get("result") or {}
    if verb in ("asked", "experienced") and v.rung in extensions:
        if extensions[v.rung] == BOTTOM_OUT_RUNG:
            session.bottom_out.add(step)
    elif verb == "answered":
        question = str((stmt.get("object") or {}).get("id", ""))
        if question in session.answered:
            return
        session.answered.add(question)
        ok = bool(result.get("success")) and step not in session.bottom_out
        session.opportunities.extend((skill, ok) for skill in skills)
        session.covered.setdefault(step, set()).update(skills)
    elif verb == "completed":
        definition = (stmt.get("object") or {}).get("definition") or {}
        if definition.get("type") != v.step_type:
            return
        errors = int((result.get("extensions") or {}).get(v.errors, 0) or 0)
        ok = errors == 0 and step not in session.bottom_out
        done = session.covered.get(step, set())
        session.opportunities.extend((skill, ok) for skill in skills if skill not in done)
