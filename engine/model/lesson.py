"""The lesson format, version 1: pydantic models of a ``lesson.yaml`` file.

Coordinates: metres, right-handed, **Z up**, Y forward, X right (Panda3D's convention; glTF's
Y-up models are converted on load). Rotations are ``[heading, pitch, roll]`` in degrees:
heading turns about Z (counter-clockwise seen from above), pitch about X, roll about Y.

A lesson reads top-down like markup: ``metadata``, ``environment``, ``lights``, ``entities``
(each a bag of components), ``questions``, ``difficulty`` knobs and the ordered ``steps``.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import Field, StrictFloat, StrictInt, field_validator, model_validator

from engine.model.components import (
    Burette,
    Button,
    Container,
    Grabbable,
    Id,
    InfoPanel,
    Narration,
    Pendulum,
    PhMeter,
    PointOfInterest,
    Ruler,
    Scale,
    SnapZone,
    Stopwatch,
    Strict,
)
from engine.model.units import Duration, Fraction, Length, Mass

FORMAT_VERSION: Literal[1] = 1
Vec3 = tuple[float, float, float]
Color = str


# --- metadata -------------------------------------------------------------------------------


class Skill(Strict):
    """A knowledge component the lesson teaches; steps and questions are tagged with these."""

    id: Id
    name: str
    description: str = ""


class Metadata(Strict):
    """Who the lesson is for and what it teaches."""

    id: Id = Field(..., pattern=r"^[a-z0-9][a-z0-9-]*$", description="folder-safe id, kebab-case")
    title: str
    summary: str
    language: str = Field("en", description="BCP 47 language tag")
    subject: str
    age_range: tuple[int, int] = Field(..., description="[youngest, oldest] in years")
    estimated_minutes: float = Field(..., gt=0)
    skills: list[Skill] = Field(..., min_length=1)


# --- scene ----------------------------------------------------------------------------------


class Floor(Strict):
    size: tuple[Length, Length] = (20.0, 20.0)
    color: Color = "#8a8a80"
    texture: str | None = None


class Room(Strict):
    """Four walls around the origin; omit for an open site."""

    width: Length = 8.0
    depth: Length = 8.0
    height: Length = 3.0
    wall_color: Color = "#d8d4c8"


class Environment(Strict):
    """The surroundings: a preset fills in sky, floor and room, any of which can be overridden."""

    preset: Literal["lab", "site", "studio"] = "studio"
    sky: Color | None = None
    floor: Floor | None = None
    room: Room | None = None


class Light(Strict):
    type: Literal["ambient", "directional", "point"]
    color: Color = "#ffffff"
    intensity: float = Field(1.0, ge=0)
    direction: Vec3 = (0.3, 0.6, -1.0)
    position: Vec3 = (0.0, 0.0, 3.0)


class Player(Strict):
    """Where the learner starts, and their eye height when standing."""

    position: Vec3 = (0.0, -3.0, 0.0)
    heading: float = Field(0.0, description="degrees about Z; 0 looks along +Y")
    pitch: float = Field(
        0.0, ge=-60, le=60, description="initial gaze, degrees; negative looks down"
    )
    eye_height: Length = 1.6


class Geometry(Strict):
    """A primitive shape; unused dimensions are ignored (A-Frame's ``geometry``)."""

    primitive: Literal["box", "sphere", "cylinder", "cone", "plane", "torus"]
    width: Length = Field(1.0, gt=0)
    depth: Length = Field(1.0, gt=0)
    height: Length = Field(1.0, gt=0)
    radius: Length = Field(0.5, gt=0)
    tube: Length = Field(0.1, gt=0, description="torus tube radius")
    segments: int = Field(24, ge=3, le=128)


class Material(Strict):
    """Metallic-roughness PBR material."""

    color: Color = "#cccccc"
    metallic: float = Field(0.0, ge=0, le=1)
    roughness: float = Field(0.6, ge=0, le=1)
    emissive: Color | None = None
    opacity: float = Field(1.0, ge=0, le=1)
    texture: str | None = Field(None, description="image under assets/, e.g. textures/marble.png")


class Text(Strict):
    """A text label attached to the entity."""

    value: str
    size: Length = Field(0.08, gt=0, description="letter height")
    color: Color = "#111111"
    offset: Vec3 = (0.0, 0.0, 0.0)
    billboard: bool = Field(True, description="always face the viewer")


class KnobGate(Strict):
    """Show an entity only at some levels of a difficulty knob (distractors, scaffolds)."""

    knob: Id
    min_level: int = 0
    max_level: int | None = None


class Entity(Strict):
    """A thing in the scene: a transform, a look, and named components."""

    id: Id = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")
    name: str = ""
    parent: Id | None = None
    position: Vec3 = (0.0, 0.0, 0.0)
    rotation: Vec3 = Field((0.0, 0.0, 0.0), description="[heading, pitch, roll] in degrees")
    scale: float | Vec3 = 1.0

    @field_validator("scale")
    @classmethod
    def _scale_not_flat(cls, value: float | Vec3) -> float | Vec3:
        # a zero scales the entity flat (invisible, and a singular transform); a negative
        # uniform scale turns it inside out: neither is what an author means
        if isinstance(value, int | float):
            if value <= 0:
                raise ValueError(f"scale must be greater than 0 (got {value:g})")
        elif any(c == 0 for c in value):
            raise ValueError(f"no scale component may be 0 (got {list(value)})")
        return value

    geometry: Geometry | None = None
    model: str | None = Field(None, description="glTF/GLB file under assets/")
    material: Material | None = None
    text: Text | None = None
    mass: Mass | None = None
    visible: bool = True
    only_when: KnobGate | None = None

    grabbable: Grabbable | None = None
    snap_zone: SnapZone | None = None
    button: Button | None = None
    point_of_interest: PointOfInterest | None = None
    info_panel: InfoPanel | None = None
    narration: Narration | None = None
    pendulum: Pendulum | None = None
    container: Container | None = None
    burette: Burette | None = None
    ph_meter: PhMeter | None = None
    stopwatch: Stopwatch | None = None
    ruler: Ruler | None = None
    scale_meter: Scale | None = Field(None, alias="balance")
    custom: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="components from plugins, by name: {spinner: {rpm: 30}} (see the guide)",
    )

    @model_validator(mode="after")
    def _one_look(self) -> Entity:
        if self.geometry is not None and self.model is not None:
            raise ValueError("an entity has either 'geometry' or 'model', not both")
        return self

    def components(self) -> dict[str, Any]:
        """The components this entity has, by name (only those that are set)."""
        names = (
            "grabbable",
            "snap_zone",
            "button",
            "point_of_interest",
            "info_panel",
            "narration",
            "pendulum",
            "container",
            "burette",
            "ph_meter",
            "stopwatch",
            "ruler",
            "scale_meter",
        )
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


# --- logic ----------------------------------------------------------------------------------


class Ref(Strict):
    """A value read from the running simulation: ``{ref: pendulum.period, scale: 10}``."""

    ref: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_-]*\.[a-z_]+$")
    scale: float = 1.0


class KnobRef(Strict):
    """A value taken from the current level of a difficulty knob."""

    knob: Id


Tolerance: TypeAlias = Fraction | KnobRef


class Placed(Strict):
    entity: Id
    zone: Id


class Measured(Strict):
    """An instrument's reading lies within tolerance of a target."""

    instrument: Id
    target: float | Ref
    tolerance: Tolerance = Field(0.05, description="relative, e.g. '5 %', or a knob")


class StateCheck(Strict):
    """A simulated property lies in [min, max]."""

    ref: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_-]*\.[a-z_]+$")
    min: float | None = None
    max: float | None = None


class Condition(Strict):
    """A predicate over events and state. Exactly one key per condition; nest with all/any."""

    placed: Placed | None = None
    pressed: Id | None = None
    visited: Id | None = None
    answered: Id | None = Field(None, description="question answered correctly")
    heard: Id | None = Field(None, description="narration played to the end")
    measured: Measured | None = None
    state: StateCheck | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        keys = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(keys) != 1:
            raise ValueError(
                "a condition has exactly one of: placed, pressed, visited, answered, heard, "
                f"measured, state, all, any (found {', '.join(keys) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        """The single key this condition uses."""
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


class Demonstration(Strict):
    """A bottom-out hint acted out in the scene: a ghost moves an entity or presses a button."""

    move: Id | None = None
    to: Id | None = None
    press: Id | None = None
    look_at: Id | None = None


class Hint(Strict):
    """One rung of a step's hint ladder."""

    level: Literal["highlight", "concept", "demonstrate"]
    text: str = ""
    targets: list[Id] = Field(default_factory=list, description="entities to highlight")
    demonstration: Demonstration | None = None


HINT_ORDER = ("highlight", "concept", "demonstrate")


class Step(Strict):
    """One thing the learner does, with how the lesson knows it is done and how it helps."""

    id: Id
    title: str = ""
    instruction: str
    skills: list[Id] = Field(default_factory=list)
    expected_time: Duration = Field(60.0, gt=0)
    ask: Id | None = Field(None, description="a question shown with this step")
    narration: Id | None = Field(
        None, description="an entity whose narration plays when the step starts"
    )
    complete_when: Condition
    hints: list[Hint] = Field(..., min_length=3)
    skip_when_mastered: bool = Field(
        False,
        description=(
            "adaptivity may skip this step when the learner has mastered every one of its "
            "skills; the runtime then does what the step's demonstration shows, so later "
            "steps find the scene as if the learner had done it"
        ),
    )

    @field_validator("hints")
    @classmethod
    def _ladder(cls, hints: list[Hint]) -> list[Hint]:
        levels = [HINT_ORDER.index(h.level) for h in hints]
        if levels != sorted(levels) or {h.level for h in hints} != set(HINT_ORDER):
            raise ValueError(
                "the hint ladder climbs highlight -> concept -> demonstrate, "
                "with each level at least once"
            )
        return hints


class Choice(Strict):
    id: Id
    text: str
    correct: bool = False
    feedback: str = Field("", description="shown when this option is chosen")


class WrongAnswer(Strict):
    """Feedback for a common wrong numeric answer."""

    value: float | Ref
    tolerance: Fraction = 0.05
    feedback: str


class Question(Strict):
    """A multiple-choice or numeric question, answered in the scene."""

    id: Id
    prompt: str
    kind: Literal["choice", "numeric"]
    skills: list[Id] = Field(default_factory=list)
    options: list[Choice] = Field(default_factory=list)
    answer: float | Ref | None = None
    unit: str = ""
    tolerance: Tolerance = 0.05
    common_wrong: list[WrongAnswer] = Field(default_factory=list)
    correct_feedback: str = "Correct."
    wrong_feedback: str = "Not quite. Try again."

    @model_validator(mode="after")
    def _answerable(self) -> Question:
        if self.kind == "choice":
            if len(self.options) < 2:
                raise ValueError("a choice question needs at least two options")
            if not any(o.correct for o in self.options):
                raise ValueError("a choice question needs an option with 'correct: true'")
        elif self.answer is None:
            raise ValueError("a numeric question needs an 'answer'")
        return self


class Knob(Strict):
    """A difficulty knob with ordered levels, easiest first; adaptivity moves it."""

    id: Id
    description: str = ""
    levels: list[float | str] = Field(..., min_length=2)
    default: int = 0

    @model_validator(mode="after")
    def _default_in_range(self) -> Knob:
        if not 0 <= self.default < len(self.levels):
            raise ValueError(
                f"default level {self.default} is not one of 0..{len(self.levels) - 1}"
            )
        return self


class SkillPriors(Strict):
    """Bayesian Knowledge Tracing parameters of one skill (e.g. fitted by ``lesson fit``)."""

    prior: float = Field(..., ge=0, le=1, description="P(known) before any practice")
    learn: float = Field(..., ge=0, le=1, description="P(learning) at each opportunity")
    guess: float = Field(..., ge=0, lt=0.5, description="P(correct) when not known")
    slip: float = Field(..., ge=0, lt=0.5, description="P(wrong) when known")


class AdaptivitySettings(Strict):
    """How this lesson adapts: on or off, skill priors, and threshold overrides."""

    enabled: bool = True
    priors: dict[Id, SkillPriors] = Field(
        default_factory=dict, description="BKT parameters per skill id (defaults otherwise)"
    )
    priors_file: str | None = Field(
        None, description="a priors YAML written by 'lesson fit', relative to the lesson folder"
    )
    thresholds: dict[str, StrictInt | StrictFloat] = Field(
        default_factory=dict,
        description="overrides of adaptivity's thresholds, e.g. {proactive_quiet_s: 15}",
    )


class Completion(Strict):
    title: str = "Lesson complete"
    message: str = ""


class LintSettings(Strict):
    """Lint settings: warnings this lesson silences, by code (the guide lists every code)."""

    ignore: list[str] = Field(
        default_factory=list,
        description="warning codes to silence here, e.g. [no-captions]; errors always show",
    )


class Lesson(Strict):
    """A whole lesson file."""

    format: Literal[1] = FORMAT_VERSION
    metadata: Metadata
    environment: Environment = Field(default_factory=Environment)
    player: Player = Field(default_factory=Player)
    lights: list[Light] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    difficulty: list[Knob] = Field(default_factory=list)
    steps: list[Step] = Field(..., min_length=1)
    completion: Completion = Field(default_factory=Completion)
    adaptivity: AdaptivitySettings = Field(default_factory=AdaptivitySettings)
    lint: LintSettings = Field(default_factory=LintSettings)

    def entity(self, entity_id: Id) -> Entity:
        """The entity with this id (KeyError if none)."""
        for e in self.entities:
            if e.id == entity_id:
                return e
        raise KeyError(entity_id)

    def question(self, question_id: Id) -> Question:
        """The question with this id (KeyError if none)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def knob(self, knob_id: Id) -> Knob:
        """The knob with this id (KeyError if none)."""
        for k in self.difficulty:
            if k.id == knob_id:
                return k
        raise KeyError(knob_id)
