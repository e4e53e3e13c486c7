"""Lesson events as xAPI 1.0.3 statements.

Every :class:`~engine.core.events.LessonEvent` maps to one statement (two for
:class:`~engine.core.events.LessonCompleted`: ``completed`` then ``passed`` or ``failed``).
Mapping is a pure function of the event, the :class:`SessionContext` and the statement's
sequence number, so re-simulating a session from its log rebuilds byte-identical statements
with the same ids, and an LRS that receives one twice keeps one.

ADL verbs come first; Peripatos-only notions (``adjusted``, ``measured``) use verbs under
:data:`CUSTOM_VERBS`. Extension keys are IRIs under :data:`EXTENSIONS`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from engine.core.events import (
    Answered,
    HintShown,
    Interacted,
    KnobChanged,
    LearnerFlagged,
    LessonCompleted,
    LessonEnded,
    LessonEvent,
    LessonPaused,
    LessonResumed,
    LessonStarted,
    Measured,
    NarrationFinished,
    NarrationStarted,
    PoiVisited,
    StepCompleted,
    StepSkipped,
    StepStarted,
)

#: the project's home: system agents' account homePage and the root of every Peripatos IRI
HOME_PAGE = "https://peripatos.dev"
#: activity ids: ``{LESSONS}/<lesson>[/steps/<id>|/entities/<id>|/questions/<id>]``
LESSONS = f"{HOME_PAGE}/lessons"
ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
CUSTOM_VERBS = f"{HOME_PAGE}/xapi/verbs/"
EXTENSIONS = f"{HOME_PAGE}/xapi/extensions/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
CUSTOM_ACTIVITIES = f"{HOME_PAGE}/xapi/activity-types/"

#: verb short name -> IRI; the display word is the short name
VERBS: dict[str, str] = {
    **{
        name: ADL_VERBS + name
        for name in (
            "initialized",
            "terminated",
            "suspended",
            "resumed",
            "experienced",
            "answered",
            "attempted",
            "asked",
            "interacted",
            "mastered",
            "completed",
            "passed",
            "failed",
            "scored",
        )
    },
    # ADL has no verb for reading an instrument, moving a difficulty knob or skipping a step
    "skipped": CUSTOM_VERBS + "skipped",
    "measured": CUSTOM_VERBS + "measured",
    "adjusted": CUSTOM_VERBS + "adjusted",
    "flagged": CUSTOM_VERBS + "flagged",
}

ACTIVITY_TYPES: dict[str, str] = {
    "lesson": ADL_ACTIVITIES + "lesson",
    "step": CUSTOM_ACTIVITIES + "step",
    "question": ADL_ACTIVITIES + "cmi.interaction",
    "entity": CUSTOM_ACTIVITIES + "entity",
    "narration": ADL_ACTIVITIES + "media",
    "hint": CUSTOM_ACTIVITIES + "hint",
    "knob": CUSTOM_ACTIVITIES + "difficulty-knob",
}


def ext(name: str) -> str:
    """The IRI of a Peripatos extension key, e.g. ``ext("step")``."""
    return EXTENSIONS + name


@dataclass(frozen=True)
class Actor:
    """An xAPI Agent: a learner, a teacher, or one of the system's own agents.

    Exactly one identifier is set: ``mbox`` (``mailto:`` IRI) or an account
    (``account_home_page`` + ``account_name``), the form to use for school-issued ids.

    Attributes:
        name: Display name; optional (leave it empty for pseudonymous learners).
        mbox: A ``mailto:`` IRI.
        account_home_page: The account system's home page (an IRL).
        account_name: The id within that system.
    """

    name: str = ""
    mbox: str = ""
    account_home_page: str = ""
    account_name: str = ""

    def __post_init__(self) -> None:
        has_account = bool(self.account_home_page or self.account_name)
        if bool(self.mbox) == has_account:
            raise ValueError("an Actor needs exactly one identifier: mbox or an account")
        if self.mbox and not self.mbox.startswith("mailto:"):
            raise ValueError(f"mbox must be a mailto: IRI, got {self.mbox!r}")
        if has_account and not (self.account_home_page and self.account_name):
            raise ValueError("an account needs both a home page and a name")

    @classmethod
    def account(cls, home_page: str, name: str, display_name: str = "") -> Actor:
        """A learner known by an account: ``Actor.account("https://school.example", "s-17")``."""
        return cls(name=display_name, account_home_page=home_page, account_name=name)

    @classmethod
    def email(cls, address: str, display_name: str = "") -> Actor:
        """A learner known by an e-mail address (with or without ``mailto:``)."""
        mbox = address if address.startswith("mailto:") else f"mailto:{address}"
        return cls(name=display_name, mbox=mbox)

    @property
    def key(self) -> str:
        """A stable string identifying this agent, for storage and look-ups."""
        return self.mbox or f"{self.account_home_page}|{self.account_name}"

    def to_xapi(self) -> dict[str, Any]:
        """The Agent object of a statement."""
        out: dict[str, Any] = {"objectType": "Agent"}
        if self.name:
            out["name"] = self.name
        if self.mbox:
            out["mbox"] = self.mbox
        else:
            out["account"] = {"homePage": self.account_home_page, "name": self.account_name}
        return out


#: the agent behind statements the runtime makes on its own behalf
RUNTIME_AGENT = Actor.account(HOME_PAGE, "lesson-runtime", "Peripatos lesson runtime")
#: the agent behind proactive hints and difficulty changes
ADAPTIVITY_AGENT = Actor.account(HOME_PAGE, "adaptivity-engine", "Peripatos adaptivity engine")


@dataclass(frozen=True)
class SessionContext:
    """What every statement of one learner session shares.

    Attributes:
        learner: The learner.
        lesson_id: The lesson's id (kebab-case; it becomes part of activity IRIs).
        lesson_title: The lesson's title, in ``language``.
        language: The lesson's BCP 47 language tag; keys every language map of lesson text.
        registration: The session's UUID (``context.registration``; seeds statement ids).
        started: Wall-clock instant of lesson time 0 (timezone-aware); statement timestamp =
            ``started + event.t``.
        teacher: Who a ``KnobChanged`` with ``actor="teacher"`` is attributed to, if known.
        passing_score: Scaled score needed to pass; ``None``: completing the lesson passes.
        revision: The lesson's revision, recorded as ``context.revision`` when set.
    """

    learner: Actor
    lesson_id: str
    lesson_title: str
    language: str
    registration: str
    started: datetime
    teacher: Actor | None = None
    passing_score: float | None = None
    revision: str = ""

    def __post_init__(self) -> None:
        if self.started.tzinfo is None or self.started.utcoffset() is None:
            raise ValueError("SessionContext.started must be timezone-aware (use UTC)")
        # normalised once so every statement of the session spells them the same way
        object.__setattr__(self, "registration", str(uuid.UUID(self.registration)))
        object.__setattr__(self, "started", self.started.astimezone(UTC))
        if not self.lesson_id:
            raise ValueError("SessionContext.lesson_id is empty")

    def rebased(self, t: float, now: datetime) -> SessionContext:
        """A copy whose lesson time ``t`` falls at wall-clock ``now``.

        For a session resumed after a break: statements after the resume get real
        timestamps. Statements already logged keep theirs (their ids do not change).
        """
        return replace(self, started=now - timedelta(seconds=t))

    @property
    def lesson_iri(self) -> str:
        """The lesson's activity id."""
        return f"{LESSONS}/{_seg(self.lesson_id)}"

    def activity_iri(self, kind: str, ident: str) -> str:
        """``<lesson>/<kind>/<ident>``, e.g. ``activity_iri("steps", "hang")``."""
        return f"{self.lesson_iri}/{kind}/{_seg(ident)}"

    def timestamp(self, t: float) -> str:
        """ISO 8601 UTC timestamp, milliseconds, of lesson time ``t``."""
        when = self.started + timedelta(seconds=max(0.0, t))
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"

    def statement_id(self, seq: int) -> str:
        """The deterministic id of this session's statement number ``seq``."""
        return str(uuid.uuid5(uuid.UUID(self.registration), str(seq)))


def _seg(ident: str) -> str:
    # ids are meant to be IRI-safe already; quoting keeps stray characters from breaking IRIs
    return quote(ident, safe="-._~")


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration with 0.01 s precision (the xAPI requirement), e.g. ``PT1M2.5S``.

    Args:
        seconds: Non-negative number of seconds; negatives and non-finite values give ``PT0S``.
    """
    if not math.isfinite(seconds) or seconds <= 0:
        return "PT0S"
    # beyond ~1e306 s the product overflows to inf; such a duration is a bug upstream anyway
    centis = round(seconds * 100) if math.isfinite(seconds * 100) else round(seconds) * 100
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    secs, frac = divmod(rest, 100)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or frac or out == "PT":
        out += f"{secs}.{frac:02d}".rstrip("0").rstrip(".") + "S"
    return out


def _num(x: float) -> float | str:
    # JSON has no NaN/Infinity; an LRS would reject the whole statement, so spell them out
    return float(x) if math.isfinite(x) else str(x)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    # xAPI forbids nulls; empty strings, lists and maps only add noise
    return {k: v for k, v in d.items() if v is not None and v != "" and v != [] and v != {}}


# --- statement assembly ---------------------------------------------------------------------


class _Builder:
    """Helpers bound to one context; kept private so the public surface is two functions."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx

    def lang(self, text: str) -> dict[str, str] | None:
        return {self.ctx.language: text} if text else None

    def activity(
        self, iri: str, kind: str, name: str = "", description: str = "", **extra: Any
    ) -> dict[str, Any]:
        definition = _clean(
            {
                "type": ACTIVITY_TYPES[kind],
                "name": self.lang(name),
                "description": self.lang(description),
                **extra,
            }
        )
        return {"objectType": "Activity", "id": iri, "definition": definition}

    def lesson(self) -> dict[str, Any]:
        return self.activity(self.ctx.lesson_iri, "lesson", self.ctx.lesson_title)

    def step(self, step: str, description: str = "") -> dict[str, Any]:
        return self.activity(self.ctx.activity_iri("steps", step), "step", step, description)

    def entity(self, entity: str, name: str = "") -> dict[str, Any]:
        return self.activity(self.ctx.activity_iri("entities", entity), "entity", name)

    def statement(
        self,
        event: LessonEvent,
        seq: int,
        verb: str,
        obj: dict[str, Any],
        *,
        actor: Actor | None = None,
        result: dict[str, Any] | None = None,
        step: str = "",
        skills: tuple[str, ...] = (),
        extensions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        ctx = self.ctx
        actor = actor or ctx.learner
        ctx_ext = _clean(
            {
                ext("event"): event.kind,
                ext("lesson-time"): _num(event.t),
                ext("step"): step,
                ext("skills"): list(skills),
                # a system-made statement still has to be findable from its learner
                ext("learner"): ctx.learner.to_xapi() if actor != ctx.learner else None,
                **(extensions or {}),
            }
        )
        context: dict[str, Any] = _clean(
            {
                "registration": ctx.registration,
                "platform": "Peripatos",
                "language": ctx.language,
                "revision": ctx.revision,
                "extensions": ctx_ext,
            }
        )
        if obj["id"] != ctx.lesson_iri:
            context["contextActivities"] = {"parent": [self.lesson()]}
        stmt: dict[str, Any] = {
            "id": ctx.statement_id(seq),
            "actor": actor.to_xapi(),
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": obj,
            "context": context,
            "timestamp": ctx.timestamp(event.t),
        }
        if result:
            stmt["result"] = _clean(result)
        return stmt


def _result_ext(values: dict[str, Any]) -> dict[str, Any] | None:
    return _clean({ext(k): v for k, v in values.items()}) or None


# One function per event class; each returns the event's statements given the first seq.
_Mapper = Callable[[_Builder, Any, int], list[dict[str, Any]]]


def _lesson_started(b: _Builder, e: LessonStarted, seq: int) -> list[dict[str, Any]]:
    return [b.statement(e, seq, "resumed" if e.resumed else "initialized", b.lesson())]


def _lesson_paused(b: _Builder, e: LessonPaused, seq: int) -> list[dict[str, Any]]:
    return [b.statement(e, seq, "suspended", b.lesson())]


def _lesson_resumed(b: _Builder, e: LessonResumed, seq: int) -> list[dict[str, Any]]:
    return [b.statement(e, seq, "resumed", b.lesson())]


def _step_started(b: _Builder, e: StepStarted, seq: int) -> list[dict[str, Any]]:
    return [
        b.statement(
            e,
            seq,
            "experienced",
            b.step(e.step, e.instruction),
            step=e.step,
            extensions={ext("step-index"): e.index},
        )
    ]


def _step_completed(b: _Builder, e: StepCompleted, seq: int) -> list[dict[str, Any]]:
    result = {
        "completion": True,
        "duration": iso_duration(e.duration),
        "extensions": _result_ext({"hints-used": e.hints_used, "errors": e.errors}),
    }
    return [
        b.statement(
            e, seq, "completed", b.step(e.step), result=result, step=e.step, skills=e.skills
        )
    ]


def _step_skipped(b: _Builder, e: StepSkipped, seq: int) -> list[dict[str, Any]]:
    # adaptivity's decision, like a knob change: the actor is the adaptivity engine
    values = {"reason": e.reason, "step-index": e.index}
    result = {"extensions": _result_ext(values)}
    return [
        b.statement(
            e,
            seq,
            "skipped",
            b.step(e.step),
            actor=ADAPTIVITY_AGENT,
            result=result,
            step=e.step,
            skills=e.skills,
        )
    ]


def _interacted(b: _Builder, e: Interacted, seq: int) -> list[dict[str, Any]]:
    if e.entity:
        obj = b.entity(e.entity)
    elif e.step:
        obj = b.step(e.step)
    else:
        obj = b.lesson()
    values = {
        "action": e.action,
        "target": e.target,
        "dwell-ms": e.dwell_ms,
        "position": [_num(c) for c in e.position] if e.position is not None else None,
    }
    result = {"extensions": _result_ext(values)}
    return [b.statement(e, seq, "interacted", obj, step=e.step, result=result)]


def _answered(b: _Builder, e: Answered, seq: int) -> list[dict[str, Any]]:
    numeric = not isinstance(e.response, str)
    obj = b.activity(
        b.ctx.activity_iri("questions", e.question),
        "question",
        e.question,
        interactionType="numeric" if numeric else "choice",
    )
    # xAPI responses are strings; repr keeps a float exact and round-trippable
    response = repr(float(e.response)) if numeric else str(e.response)
    result = {
        "success": e.correct,
        "response": response,
        "duration": iso_duration(e.duration) if e.duration > 0 else None,
        "extensions": _result_ext({"feedback": e.feedback}),
    }
    return [b.statement(e, seq, "answered", obj, result=result, step=e.step, skills=e.skills)]


def _measured(b: _Builder, e: Measured, seq: int) -> list[dict[str, Any]]:
    values = {"quantity": e.quantity, "value": _num(e.value), "unit": e.unit}
    return [
        b.statement(
            e,
            seq,
            "measured",
            b.entity(e.instrument),
            step=e.step,
            result={"extensions": _result_ext(values)},
        )
    ]


def _hint_shown(b: _Builder, e: HintShown, seq: int) -> list[dict[str, Any]]:
    obj = b.activity(
        b.ctx.activity_iri("steps", e.step) + f"/hints/{e.level}", "hint", description=e.text
    )
    extensions = {
        ext("hint-level"): e.level,
        ext("hint-rung"): e.rung,
        ext("hint-targets"): list(e.targets),
        ext("trigger"): e.trigger,
        ext("reason"): e.reason or None,
        ext("predicted-success"): e.predicted,
    }
    extensions = {k: v for k, v in extensions.items() if v is not None}
    if e.requested:
        return [b.statement(e, seq, "asked", obj, step=e.step, extensions=extensions)]
    return [
        b.statement(
            e, seq, "experienced", obj, actor=ADAPTIVITY_AGENT, step=e.step, extensions=extensions
        )
    ]


def _poi_visited(b: _Builder, e: PoiVisited, seq: int) -> list[dict[str, Any]]:
    return [b.statement(e, seq, "experienced", b.entity(e.poi, e.title))]


def _narration(b: _Builder, entity: str) -> dict[str, Any]:
    return b.activity(b.ctx.activity_iri("entities", entity) + "/narration", "narration")


def _narration_started(b: _Builder, e: NarrationStarted, seq: int) -> list[dict[str, Any]]:
    # the captions are lesson content (already in the lesson file): log their count, not text
    values = {"duration": iso_duration(e.duration), "captions": len(e.captions)}
    return [
        b.statement(e, seq, "experienced", _narration(b, e.entity), extensions=_result_ext(values))
    ]


def _narration_finished(b: _Builder, e: NarrationFinished, seq: int) -> list[dict[str, Any]]:
    return [b.statement(e, seq, "completed", _narration(b, e.entity), result={"completion": True})]


def _knob_changed(b: _Builder, e: KnobChanged, seq: int) -> list[dict[str, Any]]:
    if e.actor == "teacher" and b.ctx.teacher is not None:
        actor = b.ctx.teacher
    elif e.actor == "adaptivity":
        actor = ADAPTIVITY_AGENT
    else:
        actor = RUNTIME_AGENT
    obj = b.activity(b.ctx.activity_iri("knobs", e.knob), "knob", e.knob)
    values = {
        "knob": e.knob,
        "from-level": e.from_level,
        "to-level": e.to_level,
        "reason": e.reason,
        "changed-by": e.actor,
        "predicted-success": e.predicted,
    }
    result = {"extensions": _result_ext(values)}
    return [b.statement(e, seq, "adjusted", obj, actor=actor, result=result)]


def _learner_flagged(b: _Builder, e: LearnerFlagged, seq: int) -> list[dict[str, Any]]:
    # the object is the step (or the lesson): what the learner was doing when flagged
    obj = b.activity(b.ctx.activity_iri("steps", e.step), "step", e.step) if e.step else b.lesson()
    values = {"flag": e.flag, "reason": e.reason, "skill": e.skill or None}
    result = {"extensions": _result_ext(values)}
    return [b.statement(e, seq, "flagged", obj, actor=ADAPTIVITY_AGENT, result=result)]


def _lesson_completed(b: _Builder, e: LessonCompleted, seq: int) -> list[dict[str, Any]]:
    summary = _result_ext({"steps": e.steps, "hints-used": e.hints_used, "errors": e.errors})
    duration = iso_duration(e.duration)
    score = _num(e.score)
    scaled = min(1.0, max(-1.0, score)) if isinstance(score, float) else None
    threshold = b.ctx.passing_score
    passed = threshold is None or (scaled is not None and scaled >= threshold)
    completed = b.statement(
        e,
        seq,
        "completed",
        b.lesson(),
        result={"completion": True, "duration": duration, "extensions": summary},
    )
    verdict = b.statement(
        e,
        seq + 1,
        "passed" if passed else "failed",
        b.lesson(),
        result={
            "success": passed,
            "completion": True,
            "duration": duration,
            "score": {"scaled": scaled} if scaled is not None else None,
            "extensions": summary,
        },
    )
    return [completed, verdict]


def _lesson_ended(b: _Builder, e: LessonEnded, seq: int) -> list[dict[str, Any]]:
    values = {"completed": e.completed, "end-reason": e.reason}
    return [
        b.statement(
            e,
            seq,
            "terminated",
            b.lesson(),
            result={"duration": iso_duration(e.t), "extensions": _result_ext(values)},
        )
    ]


_MAPPERS: dict[type[LessonEvent], _Mapper] = {
    LessonStarted: _lesson_started,
    LessonPaused: _lesson_paused,
    LessonResumed: _lesson_resumed,
    StepStarted: _step_started,
    StepCompleted: _step_completed,
    StepSkipped: _step_skipped,
    Interacted: _interacted,
    Answered: _answered,
    Measured: _measured,
    HintShown: _hint_shown,
    PoiVisited: _poi_visited,
    NarrationStarted: _narration_started,
    NarrationFinished: _narration_finished,
    KnobChanged: _knob_changed,
    LearnerFlagged: _learner_flagged,
    LessonCompleted: _lesson_completed,
    LessonEnded: _lesson_ended,
}

#: the event classes that have a statement mapping (all of engine.core.events)
MAPPED_EVENTS: tuple[type[LessonEvent], ...] = tuple(_MAPPERS)


def statements_for(event: LessonEvent, ctx: SessionContext, seq: int = 0) -> list[dict[str, Any]]:
    """All statements for one event, numbered from ``seq``.

    Most events give one statement; ``LessonCompleted`` gives ``completed`` (number ``seq``)
    then ``passed``/``failed`` with the score (number ``seq + 1``).

    Args:
        event: A lesson event.
        ctx: The session the event belongs to.
        seq: The session-wide number of the first statement; it determines the statement id.

    Returns:
        JSON-ready statement dicts.

    Raises:
        TypeError: The event class has no mapping.
    """
    for cls in type(event).__mro__:
        mapper = _MAPPERS.get(cls)
        if mapper is not None:
            return mapper(_Builder(ctx), event, seq)
    raise TypeError(f"no xAPI mapping for {type(event).__name__}")


def statement_for(event: LessonEvent, ctx: SessionContext, seq: int = 0) -> dict[str, Any]:
    """The main statement for one event (the first of :func:`statements_for`).

    Args:
        event: A lesson event.
        ctx: The session the event belongs to.
        seq: The statement's session-wide number; it determines the statement id.

    Returns:
        A JSON-ready statement dict.
    """
    return statements_for(event, ctx, seq)[0]


class StatementSequence:
    """Numbers a session's statements as events arrive: the stateful face of the mapping.

    Args:
        ctx: The session.
        next_seq: The number of the next statement (the count already logged, on resume).
    """

    def __init__(self, ctx: SessionContext, next_seq: int = 0) -> None:
        self.ctx = ctx
        self.next_seq = next_seq

    def __call__(self, event: LessonEvent) -> list[dict[str, Any]]:
        """The statements for ``event``, numbered after the previous ones."""
        out = statements_for(event, self.ctx, self.next_seq)
        self.next_seq += len(out)
        return out
