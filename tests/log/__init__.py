"""Tests of the event log (engine.log), with shared sample sessions.

The helpers live here (not in a conftest) so tests import them explicitly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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
from engine.log.xapi import Actor, SessionContext

LEARNER = Actor.account("https://school.example.org", "learner-0042", "Ada")
TEACHER = Actor.email("teacher@school.example.org", "Mr Teach")
START = datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)


def make_ctx(registration: str | None = None, **overrides: object) -> SessionContext:
    """A session context for the pendulum lesson; a fresh registration unless given."""
    fields: dict[str, object] = {
        "learner": LEARNER,
        "lesson_id": "pendulum-period",
        "lesson_title": "What sets a pendulum's period?",
        "language": "en-GB",
        "registration": registration or str(uuid.uuid4()),
        "started": START,
        "teacher": TEACHER,
    }
    fields.update(overrides)
    return SessionContext(**fields)  # type: ignore[arg-type]


def sample_session() -> list[LessonEvent]:
    """A plausible session touching every event class (and each variant of the mapping)."""
    return [
        LessonStarted(t=0.0),
        NarrationStarted(
            t=0.1, entity="narrator", captions=("Hello.", "Let's begin."), duration=4.2
        ),
        NarrationFinished(t=4.3, entity="narrator"),
        StepStarted(t=4.3, step="hang", index=0, instruction="Hang the bob on the hook."),
        PoiVisited(t=5.0, poi="stand", title="The stand"),
        Interacted(t=6.0, action="dwell", entity="bob", step="hang", dwell_ms=850),
        Interacted(t=7.5, action="grab", entity="bob", step="hang"),
        Interacted(
            t=9.25,
            action="place",
            entity="bob",
            target="hook",
            step="hang",
            position=(0.1, 1.2, -0.4),
        ),
        Interacted(t=9.5, action="move", step="hang", position=(0.0, 1.6, 0.0)),
        Interacted(t=9.6, action="look-around"),
        HintShown(
            t=20.0,
            step="hang",
            level=1,
            rung="highlight",
            text="Look at the hook.",
            targets=("hook",),
            requested=False,
            trigger="idle 2x expected time",
            reason="idle 64 s > 2 x 30 s with 12% gaze on the hook",
            predicted=0.55,
        ),
        HintShown(t=25.0, step="hang", level=2, rung="concept", text="The bob hangs from it."),
        StepCompleted(
            t=30.0, step="hang", duration=25.7, hints_used=2, errors=1, skills=("setup",)
        ),
        LessonPaused(t=31.0),
        LessonResumed(t=31.0),
        KnobChanged(
            t=31.5,
            knob="precision",
            from_level=1,
            to_level=0,
            reason="predicted success 0.62 < 0.70 twice",
            predicted=0.62,
        ),
        LearnerFlagged(
            t=31.55,
            flag="wheel-spinning",
            reason="10 opportunities on 'setup' without mastery (P(known)=0.41)",
            step="hang",
            skill="setup",
        ),
        LearnerFlagged(t=31.56, flag="help-abuse", reason="hint asked 0.8 s after the last"),
        KnobChanged(
            t=31.6, knob="precision", from_level=0, to_level=1, reason="manual", actor="teacher"
        ),
        KnobChanged(
            t=31.7, knob="damping", from_level=0, to_level=1, reason="script", actor="lesson"
        ),
        StepSkipped(
            t=32.0,
            step="length",
            index=1,
            reason="every skill of 'length' is mastered and was checked earlier in this session",
            skills=("setup",),
        ),
        StepStarted(t=32.0, step="time", index=2, instruction="Time ten swings."),
        Measured(
            t=50.0, instrument="stopwatch", quantity="time", value=14.18, unit="s", step="time"
        ),
        Answered(
            t=55.0,
            question="period",
            response=1.42,
            correct=True,
            feedback="Right.",
            step="time",
            skills=("period",),
            duration=12.5,
        ),
        Answered(
            t=57.0,
            question="depends-on",
            response="mass",
            correct=False,
            feedback="Mass does not change the period.",
            step="time",
        ),
        StepCompleted(t=60.0, step="time", duration=28.0, hints_used=0, errors=1),
        LessonCompleted(t=60.0, duration=60.0, steps=2, hints_used=2, errors=2, score=0.75),
        LessonEnded(t=60.5, completed=True, reason="finished"),
        LessonStarted(t=61.0, resumed=True),
        LessonEnded(t=62.0, completed=False),
    ]
