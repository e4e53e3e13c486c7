"""The live class view's state: per station, what its statements and status reports say.

Pure bookkeeping (no I/O): :class:`StudentProgress` folds statements one at a time, so the
live view, the per-student report and a restart (replaying stored statements) all agree.
Mastery is Bayesian Knowledge Tracing (:mod:`adaptivity.bkt`) over the learner's graded
opportunities per skill: answers, and completed steps (correct when done without errors), with
the BKT parameters the lesson ships (its priors), else the defaults.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adaptivity.bkt import DEFAULT_PARAMS, BktParams, posterior
from classroom.console import xapi_read as x

#: adaptivity flags -> the alert a teacher sees
FLAG_ALERTS = {
    "help-abuse": "gaming",
    "rapid-guessing": "gaming",
    "wheel-spinning": "wheel-spinning",
}
MAX_ALERTS = 20


@dataclass
class Alert:
    """Something the adaptivity engine wants the teacher to know, with its reason."""

    kind: str  # stuck | wheel-spinning | gaming
    reason: str
    step: str
    lesson_time: float


@dataclass
class StudentProgress:
    """One learner's progress in one lesson, folded from statements."""

    step: str = ""
    step_index: int = -1
    steps_done: int = 0
    steps_skipped: int = 0
    hints: int = 0
    errors: int = 0
    answers: int = 0
    lesson_time: float = 0.0
    started: bool = False
    completed: bool = False
    passed: bool | None = None
    score: float | None = None
    statements: int = 0
    mastery: dict[str, float] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    wrong_answers: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: ids folded in already: a statement reaching the view twice counts once
    seen: set[str] = field(default_factory=set, repr=False)
    #: the lesson's BKT parameters per skill (its shipped priors); defaults for the others
    params: Mapping[str, BktParams] = field(default_factory=dict, repr=False)

    def _observe(self, skills: list[str], correct: bool) -> None:
        for skill in skills:
            params = self.params.get(skill, DEFAULT_PARAMS)
            prior = self.mastery.get(skill, params.prior)
            self.mastery[skill] = posterior(prior, correct, params)

    def _alert(self, kind: str, reason: str, step: str, t: float) -> None:
        self.alerts.append(Alert(kind, reason, step, t))
        del self.alerts[:-MAX_ALERTS]

    def _decide(self, text: str) -> None:
        self.decisions.append(text)
        del self.decisions[:-MAX_ALERTS]

    def add(self, stmt: dict[str, Any]) -> None:
        """Fold one statement in (once per statement id)."""
        sid = str(stmt.get("id", ""))
        if sid in self.seen:
            return
        self.seen.add(sid)
        self.statements += 1
        verb = x.verb(stmt)
        kind = x.object_type(stmt)
        step = str(x.context_ext(stmt, "step") or "")
        skills = [str(s) for s in x.context_ext(stmt, "skills") or []]
        t = x.lesson_time(stmt)
        self.lesson_time = max(self.lesson_time, t)
        result = stmt.get("result", {})
        if verb in ("initialized", "resumed") and kind == "lesson":
            self.started = True
        elif kind == "step" and verb == "experienced":
            self.step = step
            index = x.context_ext(stmt, "step-index")
            self.step_index = int(index) if isinstance(index, int) else self.step_index
        elif kind == "step" and verb == "completed":
            self.steps_done += 1
            errors = x.result_ext(stmt, "errors") or 0
            self._observe(skills, errors == 0)
        elif kind == "hint":
            self.hints += 1
            trigger = str(x.context_ext(stmt, "trigger") or "")
            if x.by_adaptivity(stmt) and trigger.startswith(("stuck", "idle")):
                reason = str(x.context_ext(stmt, "reason") or trigger)
                self._alert("stuck", reason, step, t)
        elif verb == "answered":
            self.answers += 1
            correct = bool(result.get("success"))
            self._observe(skills, correct)
            if not correct:
                self.errors += 1
                question = x.object_id(stmt).rsplit("/", 1)[-1]
                self.wrong_answers[(question, str(result.get("response", "")))] += 1
        elif verb == "flagged":
            flag = str(x.result_ext(stmt, "flag") or "")
            reason = str(x.result_ext(stmt, "reason") or flag)
            self._alert(FLAG_ALERTS.get(flag, flag or "flag"), reason, step, t)
        elif verb == "skipped" and x.by_adaptivity(stmt):
            # adaptivity skipped a step the learner has mastered: a decision, with its reason
            self.steps_skipped += 1
            reason = x.result_ext(stmt, "reason") or ""
            self._decide(f"skipped step {step or '?'} ({reason})")
        elif verb == "adjusted" and x.by_adaptivity(stmt):
            knob = x.result_ext(stmt, "knob")
            frm, to = x.result_ext(stmt, "from-level"), x.result_ext(stmt, "to-level")
            reason = x.result_ext(stmt, "reason") or ""
            self._decide(f"{knob}: {frm} → {to} ({reason})")
        elif kind == "lesson" and verb in ("passed", "failed"):
            self.passed = verb == "passed"
            score = result.get("score", {}).get("scaled")
            self.score = float(score) if isinstance(score, int | float) else None
        elif kind == "lesson" and verb == "completed":
            self.completed = True
        if kind == "lesson" and verb in ("completed", "passed", "failed", "terminated"):
            self.lesson_time = max(self.lesson_time, x.duration_seconds(result.get("duration")))

    def mastery_gained(self) -> dict[str, float]:
        """P(known) now minus the prior, per skill practised."""
        return {k: v - self.params.get(k, DEFAULT_PARAMS).prior for k, v in self.mastery.items()}


@dataclass
class StationLive:
    """What the live view shows for one station: its progress and its last status."""

    station_id: str
    name: str
    learner_id: str | None = None
    learner_name: str = ""
    state: str = "idle"
    status_step: str | None = None
    gaze_entity: str | None = None
    gaze_yaw: float = 0.0
    gaze_pitch: float = 0.0
    revoked: bool = False
    progress: StudentProgress = field(default_factory=StudentProgress)

    @property
    def current_step(self) -> str:
        """The step the station reported last, else the one its statements say."""
        return self.status_step or self.progress.step

    def apply_status(self, status: dict[str, Any]) -> None:
        """Take in a status report (a :class:`classroom.protocol.StatusReport` as a dict)."""
        self.state = str(status.get("state") or self.state)
        self.status_step = status.get("step") or self.status_step
        gaze = status.get("gaze")
        if gaze:
            self.gaze_entity = gaze.get("entity")
            self.gaze_yaw = float(gaze.get("yaw") or 0.0)
            self.gaze_pitch = float(gaze.get("pitch") or 0.0)
        if status.get("lesson_time") is not None:
            self.progress.lesson_time = max(self.progress.lesson_time, float(status["lesson_time"]))
