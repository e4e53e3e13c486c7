"""Schemas of the built-in entity components, in the A-Frame manner.

An entity is a bag of named components: ``grabbable: {}``, ``snap_zone: {accepts: [bob]}``,
``pendulum: {length: 1 m}``. Each schema here is what an author may write under that name; the
runtime behaviour lives in :mod:`engine.core.behaviours` (pure) and the presentation in
:mod:`engine.scene`. Units follow :mod:`engine.model.units`.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from engine.model.units import (
    Acceleration,
    Angle,
    Concentration,
    Duration,
    Flow,
    Length,
    Mass,
    Volume,
)

Id = str


class Strict(BaseModel):
    """Base of every lesson model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- interaction --------------------------------------------------------------------------


class Grabbable(Strict):
    """The learner can pick the entity up (click on desktop, grip in a headset)."""

    snap_back: bool = Field(False, description="return to its start when released outside a zone")


class SnapZone(Strict):
    """A place that holds a grabbable entity released within ``radius`` of it."""

    accepts: list[Id] = Field(default_factory=list, description="entity ids it takes; empty: any")
    radius: Length = Field(0.15, description="how near a release must be to snap")
    offset: tuple[float, float, float] = Field(
        (0.0, 0.0, 0.0), description="where a held entity sits, metres from the zone"
    )


class ButtonAction(Strict):
    """What pressing a button does to the simulation, declaratively."""

    set: str | None = Field(
        None, description="'<entity>.<property>' to set, e.g. 'pendulum.length'"
    )
    value: float | str | None = Field(
        None, description="the value to set (with a unit where the property has one)"
    )
    call: str | None = Field(
        None,
        description="'<entity>.<action>' to trigger, e.g. 'pendulum.release', 'stopwatch.toggle'",
    )


class Button(Strict):
    """A pressable button (click on desktop, poke or trigger in a headset)."""

    label: str = ""
    actions: list[ButtonAction] = Field(default_factory=list)


class PointOfInterest(Strict):
    """A place the learner visits by walking within ``radius`` of it."""

    title: str
    radius: Length = Field(2.0, gt=0)


class InfoPanel(Strict):
    """A world-space text panel, sized for reading at VR distances."""

    title: str = ""
    body: str = ""
    width: Length = Field(1.2, gt=0)
    timeline: list[TimelineEntry] = Field(
        default_factory=list, description="dated entries shown as a timeline"
    )


class TimelineEntry(Strict):
    """One date on a timeline panel (negative years are BCE)."""

    year: int
    label: str


class Narration(Strict):
    """Spoken text with captions, started when its trigger happens."""

    text: str
    captions: list[str] = Field(
        default_factory=list, description="caption lines; default: the text split into sentences"
    )
    trigger: Literal["visit", "step", "press"] = "visit"
    words_per_minute: float = Field(
        150.0, gt=0, description="pace, which sets how long captions stay"
    )


# --- simulation behaviours ------------------------------------------------------------------


class Pendulum(Strict):
    """A simple pendulum integrated numerically (not the small-angle formula).

    The entity is the pivot; ``bob`` (an entity id) is moved along the swing each tick.
    """

    bob: Id
    length: Length = Field(1.0, gt=0)
    g: Acceleration = Field(9.81, gt=0)
    amplitude: Angle = Field(
        10.0, gt=-180, lt=180, description="release angle from the vertical (under 180°)"
    )
    damping: float = Field(0.0, ge=0, description="linear damping coefficient, 1/s")
    plane_heading: Angle = Field(
        0.0, description="the vertical plane of the swing, degrees about Z"
    )


class Liquid(Strict):
    """What a container holds: a volume and the concentrations of its solutes."""

    volume: Volume = Field(0.0, ge=0)
    solutes: dict[str, Annotated[Concentration, Field(ge=0)]] = Field(
        default_factory=dict, description="species -> concentration, e.g. {HCl: 0.1 mol/L}"
    )
    indicator: str | None = Field(
        None, description="acid-base indicator: phenolphthalein, bromothymol_blue, methyl_orange"
    )


class Container(Strict):
    """A vessel holding a liquid (beaker, flask, burette)."""

    capacity: Volume = Field(..., gt=0)
    liquid: Liquid = Field(default_factory=Liquid)


class Burette(Strict):
    """A burette dispensing its container's liquid into ``into`` while its tap is open."""

    into: Id
    flow: Flow = Field(0.5e-3 / 1.0, gt=0, description="flow with the tap open (default 0.5 mL/s)")
    drop: Volume = Field(
        0.05e-3, gt=0, description="one drop, dispensed by a 'drop' action (default 0.05 mL)"
    )


class PhMeter(Strict):
    """Reads the pH of the container its probe is in."""

    probe_in: Id | None = None
    decimals: int = Field(2, ge=0, le=3)


class Stopwatch(Strict):
    """A stopwatch the learner starts and stops; its reading is the elapsed time."""

    decimals: int = Field(2, ge=0, le=3)


class Ruler(Strict):
    """A tape or ruler that reads a length property of another entity (e.g. a pendulum)."""

    measures: str = Field(..., description="'<entity>.<property>' it reads, e.g. 'pendulum.length'")
    resolution: Length = Field(0.001, gt=0)


class Scale(Strict):
    """A balance reading the mass placed on it (sum of ``mass`` of entities in its snap zone)."""

    resolution: Mass = Field(0.0001, gt=0)


InfoPanel.model_rebuild()


class Prop(NamedTuple):
    """A simulated property: its dimension (a key of ``BASE_UNIT``; None: a plain number) and
    whether a button's ``set`` action may change it."""

    dimension: str | None
    settable: bool = False


#: component -> the properties it simulates, readable as ``{ref: <entity>.<property>}``.
#: The contract between lessons and the runtime: the linter checks refs against it and a test
#: checks that every runtime behaviour provides (and can set) exactly these.
PROPERTIES: dict[str, dict[str, Prop]] = {
    "pendulum": {
        "length": Prop("length", True),
        "g": Prop("acceleration", True),
        "amplitude": Prop("angle", True),
        "damping": Prop(None, True),
        "angle": Prop("angle"),
        "period": Prop("time"),
        "small_angle_period": Prop("time"),
        "measured_period": Prop("time"),
    },
    "container": {"volume": Prop("volume"), "ph": Prop("ph")},
    "burette": {"dispensed": Prop("volume"), "open": Prop(None)},
    "stopwatch": {"elapsed": Prop("time")},
    "ph_meter": {"ph": Prop("ph")},
    "ruler": {"reading": Prop("length")},
    "scale_meter": {"mass": Prop("mass")},
}

#: component -> the actions a button may ``call`` on it (``<entity>.<action>``)
ACTIONS: dict[str, frozenset[str]] = {
    "pendulum": frozenset({"release", "hold"}),
    "burette": frozenset({"open", "close", "toggle", "drop"}),
    "stopwatch": frozenset({"start", "stop", "toggle", "reset"}),
}

#: component name -> schema, for the loader, the linter and the docs
COMPONENTS: dict[str, type[Strict]] = {
    "grabbable": Grabbable,
    "snap_zone": SnapZone,
    "button": Button,
    "point_of_interest": PointOfInterest,
    "info_panel": InfoPanel,
    "narration": Narration,
    "pendulum": Pendulum,
    "container": Container,
    "burette": Burette,
    "ph_meter": PhMeter,
    "stopwatch": Stopwatch,
    "ruler": Ruler,
    "scale": Scale,
}

__all__ = [
    "ACTIONS",
    "COMPONENTS",
    "PROPERTIES",
    "Burette",
    "Button",
    "ButtonAction",
    "Container",
    "Duration",
    "Grabbable",
    "InfoPanel",
    "Liquid",
    "Narration",
    "Pendulum",
    "PhMeter",
    "PointOfInterest",
    "Prop",
    "Ruler",
    "Scale",
    "SnapZone",
    "Stopwatch",
    "Strict",
    "TimelineEntry",
]
