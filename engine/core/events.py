"""Events of a running lesson: what the learner did (interactions) and what the lesson did.

Interactions go *into* the runtime from a rig (desktop, headset, headless script, replay);
lesson events come *out* of it, for presentation and for the event log. All are plain frozen
dataclasses with a ``t`` (lesson time in seconds, from the fixed-step clock), so a session
can be replayed from its log. Pure: no Panda3D.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

# --- interactions (rig -> runtime) ---------------------------------------------------------


@dataclass(frozen=True)
class Interaction:
    """Base of everything a learner does."""

    kind: ClassVar[str] = "interaction"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the kind, for logs and replay."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Grab(Interaction):
    kind: ClassVar[str] = "grab"
    entity: str


@dataclass(frozen=True)
class Release(Interaction):
    """Let go of the held entity at ``position`` (world metres)."""

    kind: ClassVar[str] = "release"
    entity: str
    position: tuple[float, float, float]


@dataclass(frozen=True)
class Press(Interaction):
    kind: ClassVar[str] = "press"
    entity: str


@dataclass(frozen=True)
class Answer(Interaction):
    """An answer: a choice id for choice questions, a number for numeric ones."""

    kind: ClassVar[str] = "answer"
    question: str
    response: str | float


@dataclass(frozen=True)
class RequestHint(Interaction):
    kind: ClassVar[str] = "request_hint"


@dataclass(frozen=True)
class Move(Interaction):
    """The learner's head moved to ``position`` (world metres), facing ``heading`` degrees."""

    kind: ClassVar[str] = "move"
    position: tuple[float, float, float]
    heading: float = 0.0


@dataclass(frozen=True)
class Dwell(Interaction):
    """The learner looked at an entity for ``dwell_ms``: sent once the gaze leaves, if >= 300 ms."""

    kind: ClassVar[str] = "dwell"
    entity: str
    dwell_ms: int


@dataclass(frozen=True)
class Pause(Interaction):
    kind: ClassVar[str] = "pause"


@dataclass(frozen=True)
class Resume(Interaction):
    kind: ClassVar[str] = "resume"


INTERACTIONS: dict[str, type[Interaction]] = {
    c.kind: c for c in (Grab, Release, Press, Answer, RequestHint, Move, Dwell, Pause, Resume)
}


def interaction_from_dict(data: dict[str, Any]) -> Interaction:
    """Rebuild an interaction from :meth:`Interaction.to_dict` output.

    Raises:
        ValueError: an unknown kind, or fields the kind does not have or lacks (a damaged
            record: say what is wrong rather than fail somewhere inside the runtime).
    """
    fields = dict(data)
    kind = fields.pop("kind", None)
    cls = INTERACTIONS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(INTERACTIONS)
        raise ValueError(f"unknown interaction kind {kind!r} (known: {known})")
    names = {f.name for f in dataclasses.fields(cls)}
    needed = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    unknown, missing = sorted(set(fields) - names), sorted(needed - set(fields))
    if unknown or missing:
        problems = [f"no field {', '.join(unknown)}"] if unknown else []
        problems += [f"needs {', '.join(missing)}"] if missing else []
        raise ValueError(f"interaction '{kind}': {'; '.join(problems)}")
    for key in ("position",):
        if key in fields and isinstance(fields[key], list):
            fields[key] = tuple(fields[key])
    return cls(**fields)


# --- lesson events (runtime -> presentation and log) ---------------------------------------


@dataclass(frozen=True)
class LessonEvent:
    """Base of everything the lesson reports; ``t`` is lesson time in seconds."""

    kind: ClassVar[str] = "event"
    t: float


@dataclass(frozen=True)
class LessonStarted(LessonEvent):
    kind: ClassVar[str] = "lesson_started"
    resumed: bool = False


@dataclass(frozen=True)
class LessonPaused(LessonEvent):
    kind: ClassVar[str] = "lesson_paused"


@dataclass(frozen=True)
class LessonResumed(LessonEvent):
    kind: ClassVar[str] = "lesson_resumed"


@dataclass(frozen=True)
class StepStarted(LessonEvent):
    kind: ClassVar[str] = "step_started"
    step: str
    index: int
    instruction: str


@dataclass(frozen=True)
class StepCompleted(LessonEvent):
    kind: ClassVar[str] = "step_completed"
    step: str
    duration: float
    hints_used: int
    errors: int
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepSkipped(LessonEvent):
    """Adaptivity skipped a step (its skills are mastered), with the reason; the runtime did
    what the step's demonstration shows, so the scene is as if the learner had done it."""

    kind: ClassVar[str] = "step_skipped"
    step: str
    index: int
    reason: str
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Interacted(LessonEvent):
    """A manipulation the runtime accepted (grab, release, place, press, move, dwell)."""

    kind: ClassVar[str] = "interacted"
    action: str
    entity: str = ""
    target: str = ""
    step: str = ""
    dwell_ms: int | None = None
    position: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Answered(LessonEvent):
    kind: ClassVar[str] = "answered"
    question: str
    response: str | float
    correct: bool
    feedback: str
    step: str = ""
    skills: tuple[str, ...] = ()
    duration: float = 0.0


@dataclass(frozen=True)
class Measured(LessonEvent):
    """An instrument produced a reading (stopwatch stopped, pH settled, ruler read)."""

    kind: ClassVar[str] = "measured"
    instrument: str
    quantity: str
    value: float
    unit: str
    step: str = ""


@dataclass(frozen=True)
class HintShown(LessonEvent):
    """A hint rung shown: asked for by the learner or offered proactively by a policy."""

    kind: ClassVar[str] = "hint_shown"
    step: str
    level: int
    rung: str
    text: str
    targets: tuple[str, ...] = ()
    requested: bool = True
    trigger: str = "learner request"
    #: why a policy offered it, with its numbers ("2 errors and P(known)=0.31 < 0.40")
    reason: str = ""
    #: the learner model's predicted success when it was offered
    predicted: float | None = None


@dataclass(frozen=True)
class PoiVisited(LessonEvent):
    kind: ClassVar[str] = "poi_visited"
    poi: str
    title: str


@dataclass(frozen=True)
class NarrationStarted(LessonEvent):
    kind: ClassVar[str] = "narration_started"
    entity: str
    captions: tuple[str, ...]
    duration: float


@dataclass(frozen=True)
class NarrationFinished(LessonEvent):
    kind: ClassVar[str] = "narration_finished"
    entity: str


@dataclass(frozen=True)
class KnobChanged(LessonEvent):
    """A difficulty knob moved (by adaptivity or a teacher), with the reason."""

    kind: ClassVar[str] = "knob_changed"
    knob: str
    from_level: int
    to_level: int
    reason: str
    actor: str = "adaptivity"
    #: the predicted success that triggered the change (None when not model-driven)
    predicted: float | None = None


@dataclass(frozen=True)
class LearnerFlagged(LessonEvent):
    """Adaptivity noticed a pattern a teacher should know about, with its reason.

    ``kind`` is one of ``help-abuse``, ``rapid-guessing``, ``wheel-spinning``.
    """

    kind: ClassVar[str] = "learner_flagged"
    flag: str
    reason: str
    step: str = ""
    skill: str = ""


@dataclass(frozen=True)
class LessonCompleted(LessonEvent):
    kind: ClassVar[str] = "lesson_completed"
    duration: float
    steps: int
    hints_used: int
    errors: int
    score: float = field(default=1.0)


@dataclass(frozen=True)
class LessonEnded(LessonEvent):
    """The session ended (completed or not)."""

    kind: ClassVar[str] = "lesson_ended"
    completed: bool
    reason: str = ""
