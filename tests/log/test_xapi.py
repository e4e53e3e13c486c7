"""Lesson events -> xAPI statements: every event kind, valid, deterministic, unique ids."""

from __future__ import annotations

import copy
import inspect
import json
import math
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import events
from engine.core.events import (
    Answered,
    HintShown,
    Interacted,
    KnobChanged,
    LessonCompleted,
    LessonEnded,
    LessonEvent,
    LessonStarted,
    Measured,
    StepCompleted,
)
from engine.log import (
    ADAPTIVITY_AGENT,
    MAPPED_EVENTS,
    RUNTIME_AGENT,
    Actor,
    StatementSequence,
    ext,
    iso_duration,
    statement_for,
    statements_for,
    validate_statement,
)

from . import LEARNER, START, TEACHER, make_ctx, sample_session

ADL = "http://adlnet.gov/expapi/verbs/"
CUSTOM = "https://peripatos.dev/xapi/verbs/"


def all_event_classes() -> list[type[LessonEvent]]:
    return [
        c
        for _, c in inspect.getmembers(events, inspect.isclass)
        if issubclass(c, LessonEvent) and c is not LessonEvent
    ]


def session_statements(ctx: Any = None) -> list[dict[str, Any]]:
    seq = StatementSequence(ctx or make_ctx())
    return [s for e in sample_session() for s in seq(e)]


def test_every_event_class_has_a_mapping_and_the_sample_covers_it() -> None:
    classes = set(all_event_classes())
    assert classes == set(MAPPED_EVENTS), "a LessonEvent was added without an xAPI mapping"
    assert {type(e) for e in sample_session()} == classes


def test_every_statement_of_a_session_is_valid_json_and_xapi() -> None:
    for stmt in session_statements():
        assert validate_statement(stmt) == [], stmt
        json.dumps(stmt, allow_nan=False)


@pytest.mark.parametrize(
    ("event", "verbs"),
    [
        (LessonStarted(t=0.0), [ADL + "initialized"]),
        (LessonStarted(t=0.0, resumed=True), [ADL + "resumed"]),
        (events.LessonPaused(t=1.0), [ADL + "suspended"]),
        (events.LessonResumed(t=1.0), [ADL + "resumed"]),
        (events.StepStarted(t=1.0, step="s", index=0, instruction="Do it."), [ADL + "experienced"]),
        (StepCompleted(t=1.0, step="s", duration=2.0, hints_used=0, errors=0), [ADL + "completed"]),
        (Interacted(t=1.0, action="grab", entity="bob"), [ADL + "interacted"]),
        (
            Answered(t=1.0, question="q", response="a", correct=True, feedback=""),
            [ADL + "answered"],
        ),
        (
            Measured(t=1.0, instrument="ruler", quantity="length", value=0.5, unit="m"),
            [CUSTOM + "measured"],
        ),
        (HintShown(t=1.0, step="s", level=1, rung="highlight", text="Look."), [ADL + "asked"]),
        (
            HintShown(t=1.0, step="s", level=1, rung="highlight", text="Look.", requested=False),
            [ADL + "experienced"],
        ),
        (events.PoiVisited(t=1.0, poi="p", title="P"), [ADL + "experienced"]),
        (
            events.NarrationStarted(t=1.0, entity="n", captions=("a",), duration=1.0),
            [ADL + "experienced"],
        ),
        (events.NarrationFinished(t=2.0, entity="n"), [ADL + "completed"]),
        (KnobChanged(t=1.0, knob="k", from_level=0, to_level=1, reason="r"), [CUSTOM + "adjusted"]),
        (
            events.LearnerFlagged(t=1.0, flag="rapid-guessing", reason="3 answers in 4 s"),
            [CUSTOM + "flagged"],
        ),
        (
            LessonCompleted(t=9.0, duration=9.0, steps=1, hints_used=0, errors=0, score=0.9),
            [ADL + "completed", ADL + "passed"],
        ),
        (LessonEnded(t=9.5, completed=True), [ADL + "terminated"]),
    ],
)
def test_verbs(event: LessonEvent, verbs: list[str]) -> None:
    stmts = statements_for(event, make_ctx())
    assert [s["verb"]["id"] for s in stmts] == verbs
    for s in stmts:
        assert validate_statement(s) == []


def test_same_events_give_identical_statements_and_ids_are_uuid5_of_registration_and_seq() -> None:
    reg = str(uuid.uuid4())
    first = session_statements(make_ctx(reg))
    again = session_statements(make_ctx(reg))
    assert first == again
    ids = [s["id"] for s in first]
    assert len(set(ids)) == len(ids)
    assert ids == [str(uuid.uuid5(uuid.UUID(reg), str(n))) for n in range(len(ids))]
    other = session_statements(make_ctx())
    assert not set(ids) & {s["id"] for s in other}


def test_timestamp_is_start_plus_lesson_time_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    ctx = make_ctx(started=datetime(2026, 3, 14, 10, 0, 0, tzinfo=paris))
    stmt = statement_for(Interacted(t=75.1234, action="grab", entity="bob"), ctx)
    assert stmt["timestamp"] == "2026-03-14T09:01:15.123Z"
    when = datetime.fromisoformat(stmt["timestamp"].replace("Z", "+00:00"))
    assert when == ctx.started + timedelta(seconds=75.123)
    with pytest.raises(ValueError, match="timezone"):
        make_ctx(started=datetime(2026, 3, 14, 10, 0, 0))


def test_rebased_context_puts_lesson_time_at_now() -> None:
    ctx = make_ctx()
    now = START + timedelta(days=2)
    later = ctx.rebased(100.0, now)
    stmt = statement_for(events.LessonResumed(t=100.0), later, seq=40)
    assert stmt["timestamp"] == now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert stmt["id"] == statement_for(events.LessonResumed(t=100.0), ctx, seq=40)["id"]


def test_context_registration_parent_language_and_step() -> None:
    ctx = make_ctx()
    stmts = session_statements(ctx)
    lesson_iri = "https://peripatos.dev/lessons/pendulum-period"
    for s in stmts:
        c = s["context"]
        assert c["registration"] == ctx.registration
        assert c["language"] == "en-GB"
        assert c["extensions"][ext("event")]
        if s["object"]["id"] == lesson_iri:
            assert "contextActivities" not in c
        else:
            assert c["contextActivities"]["parent"][0]["id"] == lesson_iri
            assert s["object"]["id"].startswith(lesson_iri + "/")
        for lang_map in _language_maps(s):
            assert set(lang_map) <= {"en-GB", "en-US"}
    narration = next(s for s in stmts if s["verb"]["id"] == ADL + "experienced")
    assert narration["object"]["id"] == lesson_iri + "/entities/narrator/narration"
    answered = [s for s in stmts if s["verb"]["id"] == ADL + "answered"]
    assert [a["object"]["id"] for a in answered] == [
        lesson_iri + "/questions/period",
        lesson_iri + "/questions/depends-on",
    ]
    assert all(a["context"]["extensions"][ext("step")] == "time" for a in answered)


def _language_maps(obj: Any) -> list[dict[str, str]]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("name", "description", "display") and isinstance(v, dict):
                out.append(v)
            else:
                out.extend(_language_maps(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_language_maps(v))
    return out


def test_answered_result() -> None:
    ctx = make_ctx()
    num = statement_for(
        Answered(t=1, question="period", response=1.42, correct=True, feedback="Yes", duration=3.0),
        ctx,
    )
    assert num["result"] == {
        "success": True,
        "response": "1.42",
        "duration": "PT3S",
        "extensions": {ext("feedback"): "Yes"},
    }
    assert num["object"]["definition"]["interactionType"] == "numeric"
    choice = statement_for(
        Answered(t=1, question="q", response="mass", correct=False, feedback=""), ctx
    )
    assert choice["result"] == {"success": False, "response": "mass"}
    assert choice["object"]["definition"]["interactionType"] == "choice"


def test_step_completed_and_interacted_results() -> None:
    ctx = make_ctx()
    done = statement_for(
        StepCompleted(t=9, step="hang", duration=65.5, hints_used=2, errors=1, skills=("a", "b")),
        ctx,
    )
    assert done["result"]["duration"] == "PT1M5.5S"
    assert done["result"]["completion"] is True
    assert done["result"]["extensions"] == {ext("hints-used"): 2, ext("errors"): 1}
    assert done["context"]["extensions"][ext("skills")] == ["a", "b"]
    dwell = statement_for(Interacted(t=1, action="dwell", entity="bob", dwell_ms=450), ctx)
    assert dwell["result"]["extensions"] == {ext("action"): "dwell", ext("dwell-ms"): 450}
    assert dwell["object"]["id"].endswith("/entities/bob")


def test_measured_keeps_value_and_unit_and_survives_nan() -> None:
    ctx = make_ctx()
    m = statement_for(Measured(t=1, instrument="ph-meter", quantity="pH", value=7.01, unit=""), ctx)
    assert m["result"]["extensions"] == {ext("quantity"): "pH", ext("value"): 7.01}
    bad = statement_for(
        Measured(t=1, instrument="ph-meter", quantity="pH", value=math.nan, unit="pH"), ctx
    )
    assert bad["result"]["extensions"][ext("value")] == "nan"
    assert validate_statement(bad) == []


def test_system_actors() -> None:
    ctx = make_ctx()
    proactive = statement_for(
        HintShown(
            t=1, step="s", level=1, rung="highlight", text="Look", requested=False, trigger="idle"
        ),
        ctx,
    )
    assert proactive["actor"] == ADAPTIVITY_AGENT.to_xapi()
    assert proactive["actor"]["account"]["homePage"] == "https://peripatos.dev"
    assert proactive["actor"]["name"] == "Peripatos adaptivity engine"
    assert proactive["context"]["extensions"][ext("trigger")] == "idle"
    assert proactive["context"]["extensions"][ext("learner")] == LEARNER.to_xapi()
    asked = statement_for(HintShown(t=1, step="s", level=2, rung="concept", text="Why"), ctx)
    assert asked["actor"] == LEARNER.to_xapi()
    assert ext("learner") not in asked["context"]["extensions"]

    def knob(actor: str, c: Any = ctx) -> dict[str, Any]:
        e = KnobChanged(
            t=1, knob="precision", from_level=2, to_level=1, reason="P<0.7", actor=actor
        )
        return statement_for(e, c)

    k = knob("adaptivity")
    assert k["actor"] == ADAPTIVITY_AGENT.to_xapi()
    assert k["result"]["extensions"] == {
        ext("knob"): "precision",
        ext("from-level"): 2,
        ext("to-level"): 1,
        ext("reason"): "P<0.7",
        ext("changed-by"): "adaptivity",
    }
    assert knob("teacher")["actor"] == TEACHER.to_xapi()
    assert knob("teacher", make_ctx(teacher=None))["actor"] == RUNTIME_AGENT.to_xapi()
    assert RUNTIME_AGENT.name == "Peripatos lesson runtime"


def test_lesson_completed_passes_or_fails_with_score() -> None:
    e = LessonCompleted(t=9, duration=9, steps=3, hints_used=1, errors=0, score=0.75)
    done, verdict = statements_for(e, make_ctx(), seq=10)
    assert done["verb"]["id"] == ADL + "completed"
    assert verdict["verb"]["id"] == ADL + "passed"
    assert verdict["result"]["score"] == {"scaled": 0.75}
    assert verdict["result"]["success"] is True
    assert done["id"] != verdict["id"]
    _, failed = statements_for(e, make_ctx(passing_score=0.8))
    assert failed["verb"]["id"] == ADL + "failed"
    assert failed["result"]["success"] is False


def test_actor_needs_exactly_one_identifier() -> None:
    assert Actor.email("a@b.org").to_xapi() == {"objectType": "Agent", "mbox": "mailto:a@b.org"}
    with pytest.raises(ValueError):
        Actor()
    with pytest.raises(ValueError):
        Actor(mbox="mailto:a@b.org", account_home_page="https://x", account_name="y")
    with pytest.raises(ValueError):
        Actor(mbox="a@b.org")
    with pytest.raises(ValueError):
        Actor(account_home_page="https://x")


@pytest.mark.parametrize(
    ("seconds", "iso"),
    [
        (0, "PT0S"),
        (-1, "PT0S"),
        (math.nan, "PT0S"),
        (1.5, "PT1.5S"),
        (0.004, "PT0S"),
        (0.006, "PT0.01S"),
        (59.999, "PT1M"),
        (3600, "PT1H"),
        (3725.25, "PT1H2M5.25S"),
        (90000, "PT25H"),
    ],
)
def test_iso_duration(seconds: float, iso: str) -> None:
    assert iso_duration(seconds) == iso


# --- the validator itself ----------------------------------------------------------------

BROKEN = {
    "null value": lambda s: s["result"].__setitem__("response", None),
    "verb id not IRI": lambda s: s["verb"].__setitem__("id", "answered"),
    "object id not IRI": lambda s: s["object"].__setitem__("id", "not an iri"),
    "http IRI without host": lambda s: s["object"].__setitem__("id", "https:/x"),
    "missing actor": lambda s: s.pop("actor"),
    "missing verb": lambda s: s.pop("verb"),
    "missing id": lambda s: s.pop("id"),
    "two identifiers": lambda s: s["actor"].__setitem__("mbox", "mailto:a@b.org"),
    "mbox without mailto": lambda s: s.__setitem__("actor", {"mbox": "a@b.org"}),
    "account without homePage": lambda s: s["actor"]["account"].pop("homePage"),
    "scaled above 1": lambda s: s["result"].__setitem__("score", {"scaled": 1.5}),
    "raw above max": lambda s: s["result"].__setitem__("score", {"raw": 5, "min": 0, "max": 1}),
    "duration in words": lambda s: s["result"].__setitem__("duration", "1.5 seconds"),
    "duration without T": lambda s: s["result"].__setitem__("duration", "P1.5S"),
    "timestamp without zone": lambda s: s.__setitem__("timestamp", "2026-03-14T09:26:53.589"),
    "timestamp -00:00": lambda s: s.__setitem__("timestamp", "2026-03-14T09:26:53-00:00"),
    "timestamp 30 February": lambda s: s.__setitem__("timestamp", "2026-02-30T09:26:53Z"),
    "language tag with space": lambda s: s["verb"].__setitem__("display", {"en US": "x"}),
    "display not a map": lambda s: s["verb"].__setitem__("display", "answered"),
    "extension key not IRI": lambda s: s["result"].__setitem__("extensions", {"dwell": 5}),
    "unknown property": lambda s: s.__setitem__("foo", 1),
    "unknown result property": lambda s: s["result"].__setitem__("foo", 1),
    "id not UUID": lambda s: s.__setitem__("id", "1234"),
    "registration not UUID": lambda s: s["context"].__setitem__("registration", "abc"),
    "success not bool": lambda s: s["result"].__setitem__("success", "yes"),
    "response not string": lambda s: s["result"].__setitem__("response", 1.5),
    "unknown interactionType": lambda s: s["object"]["definition"].__setitem__(
        "interactionType", "slider"
    ),
    "context language": lambda s: s["context"].__setitem__("language", "e n"),
    "NaN number": lambda s: s["result"].__setitem__("extensions", {ext("v"): math.nan}),
    "anonymous group without members": lambda s: s.__setitem__("actor", {"objectType": "Group"}),
    "parent not an activity": lambda s: s["context"]["contextActivities"].__setitem__(
        "parent", [{"objectType": "Agent", "mbox": "mailto:a@b.org"}]
    ),
    "version 2": lambda s: s.__setitem__("version", "2.0.0"),
}


def answered_statement() -> dict[str, Any]:
    return statement_for(
        Answered(t=3, question="q", response=2.0, correct=True, feedback="ok", step="s"),
        make_ctx(),
    )


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_validator_flags_broken_statements(name: str) -> None:
    stmt = copy.deepcopy(answered_statement())
    assert validate_statement(stmt) == []
    BROKEN[name](stmt)
    problems = validate_statement(stmt)
    assert problems, f"{name} passed validation"
    assert all(":" in p for p in problems)


def test_validator_accepts_lrs_additions_and_rejects_non_objects() -> None:
    stmt = answered_statement()
    stmt["stored"] = "2026-03-14T09:27:00.000000+00:00"
    stmt["authority"] = {"objectType": "Agent", "mbox": "mailto:lrs@example.org"}
    stmt["version"] = "1.0.3"
    assert validate_statement(stmt) == []
    assert validate_statement([stmt]) != []
    loose = answered_statement()
    del loose["id"], loose["timestamp"]
    assert validate_statement(loose, strict=False) == []


# --- properties over arbitrary events -----------------------------------------------------

lesson_time = st.floats(min_value=0, max_value=1e7, allow_nan=False)
ANY_EVENT = st.one_of(*[st.builds(cls, t=lesson_time) for cls in all_event_classes()])


@settings(max_examples=300, deadline=None)
@given(event=ANY_EVENT, seq=st.integers(min_value=0, max_value=2**40))
def test_any_event_maps_to_valid_statements(event: LessonEvent, seq: int) -> None:
    ctx = make_ctx("0b7e6a0c-8d2f-4f43-9a51-3c9d5e7f1a22")
    stmts = statements_for(event, ctx, seq)
    assert stmts
    for s in stmts:
        assert validate_statement(s) == [], (event, s)
        json.dumps(s, allow_nan=False)
    assert stmts == statements_for(event, ctx, seq)


@settings(max_examples=50, deadline=None)
@given(session=st.lists(ANY_EVENT, max_size=40))
def test_ids_are_unique_within_a_session(session: list[LessonEvent]) -> None:
    seq = StatementSequence(make_ctx())
    ids = [s["id"] for e in session for s in seq(e)]
    assert len(ids) == len(set(ids)) == seq.next_seq
