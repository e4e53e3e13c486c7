"""What every check shares: the lesson's id indexes and the diagnostics found so far
(:class:`_Ctx`), which components each reference needs, and how a reference is resolved.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from engine.model.components import PROPERTIES, Prop
from engine.model.custom import custom_properties
from engine.model.diagnostics import Diagnostic, Severity, did_you_mean
from engine.model.lesson import (
    Condition,
    Entity,
    Knob,
    Question,
    Step,
)
from engine.model.loader import LoadedLesson, Loc

INSTRUMENTS: dict[str, str] = {
    "stopwatch": "elapsed",
    "ph_meter": "ph",
    "ruler": "reading",
    "scale_meter": "mass",
}

#: values a quantity can physically take, to catch state checks that can never hold
PHYSICAL_RANGE: dict[str, tuple[float, float]] = {
    "ph": (0.0, 14.0),
    "length": (0.0, math.inf),
    "time": (0.0, math.inf),
    "volume": (0.0, math.inf),
    "mass": (0.0, math.inf),
}

#: field names whose YAML key differs (the entity field ``scale_meter`` is written ``balance``)
_YAML_NAME = {"scale_meter": "balance"}


def _yaml_name(component: str) -> str:
    return _YAML_NAME.get(component, component)


class Need(NamedTuple):
    """What an entity named in some place must have, and what to tell an author who forgot."""

    role: str
    components: tuple[str, ...]
    why: str


#: where an entity is named -> the component it needs there
NEEDS: dict[str, Need] = {
    "snap_zone.accepts": Need(
        "accepted entity", ("grabbable",), "so it can never be put here; add 'grabbable: {}' to it"
    ),
    "burette.into": Need(
        "burette target", ("container",), "so there is nothing to pour into; point at a vessel"
    ),
    "ph_meter.probe_in": Need(
        "probe vessel", ("container",), "so there is no liquid to read; point at a vessel"
    ),
    "placed.entity": Need(
        "placed entity", ("grabbable",), "so it cannot be picked up; add 'grabbable: {}' to it"
    ),
    "placed.zone": Need("zone", ("snap_zone",), "so nothing fits in it; add 'snap_zone: {}' to it"),
    "pressed": Need(
        "pressed entity", ("button",), "so it cannot be pressed; add 'button: {label: ...}' to it"
    ),
    "visited": Need(
        "visited entity",
        ("point_of_interest",),
        "so it cannot be visited; add 'point_of_interest: {title: ...}' to it",
    ),
    "heard": Need(
        "narrator",
        ("narration",),
        "so there is nothing to hear; add 'narration: {text: ...}' to it",
    ),
    "measured.instrument": Need(
        "instrument", tuple(INSTRUMENTS), "so it has no reading; name an instrument instead"
    ),
    "step.narration": Need(
        "narrator",
        ("narration",),
        "so there is nothing to play; add 'narration: {text: ...}' to it",
    ),
    "demonstration.move": Need(
        "demonstrated entity", ("grabbable",), "so it cannot be moved; demonstrate a grabbable one"
    ),
    "demonstration.to": Need(
        "demonstration zone", ("snap_zone",), "so nothing can be put there; move it to a snap zone"
    ),
    "demonstration.press": Need(
        "demonstrated button", ("button",), "so it cannot be pressed; press one with a button"
    ),
}


@dataclass
class _Ctx:
    """What every check needs: the lesson, id indexes and the diagnostics found so far."""

    loaded: LoadedLesson
    path: str
    out: list[Diagnostic] = field(default_factory=list)
    entities: dict[str, Entity] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    knobs: dict[str, Knob] = field(default_factory=dict)
    skills: set[str] = field(default_factory=set)
    namesakes: dict[str, list[Entity]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, loaded: LoadedLesson, path: str) -> _Ctx:
        """Index ids; the first of duplicated ids wins (duplicates are reported separately)."""
        lesson = loaded.lesson
        ctx = cls(loaded, path, skills={s.id for s in lesson.metadata.skills})
        for e in lesson.entities:
            ctx.entities.setdefault(e.id, e)
            ctx.namesakes[e.id].append(e)
        for q in lesson.questions:
            ctx.questions.setdefault(q.id, q)
        for k in lesson.difficulty:
            ctx.knobs.setdefault(k.id, k)
        return ctx

    @property
    def steps(self) -> list[Step]:
        return self.loaded.lesson.steps

    def line(self, loc: Loc) -> int:
        return self.loaded.source.position(loc)[0]

    def report(
        self, loc: Loc, code: str, message: str, severity: Severity = "error", *, key: bool = False
    ) -> None:
        line, column = self.loaded.source.position(loc, key=key)
        self.out.append(Diagnostic(self.path, line, column, code, message, severity))


# --- references -----------------------------------------------------------------------------


def _unknown(name: str, what: str, known: Iterable[str], section: str) -> str:
    """``'x' is not a <what>`` and what to do: take the close match, or declare the id."""
    hint = did_you_mean(name, known)
    fix = hint if hint else f"; fix the id or declare it under '{section}'"
    return f"'{name}' is not {what}{fix}"


def _either(components: Iterable[str]) -> str:
    names = [f"'{_yaml_name(c)}'" for c in components]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _entity(ctx: _Ctx, loc: Loc, eid: str, role: str) -> Entity | None:
    """The entity ``eid``, or None after reporting ``unknown-entity``."""
    found = ctx.entities.get(eid)
    if found is None:
        message = _unknown(eid, "an entity", ctx.entities, "entities")
        ctx.report(loc, "unknown-entity", f"{role} {message}")
    return found


def _needs(ctx: _Ctx, loc: Loc, eid: str, where: str) -> Entity | None:
    """The entity ``eid`` if it exists and has what :data:`NEEDS` asks at ``where``."""
    need = NEEDS[where]
    if _entity(ctx, loc, eid, need.role) is None:
        return None
    # with a duplicated id, any namesake will do: the duplicate-id error is the one to fix
    for entity in ctx.namesakes[eid]:
        if any(c in entity.components() for c in need.components):
            return entity
    message = f"{need.role} '{eid}' has no {_either(need.components)} component, {need.why}"
    ctx.report(loc, "wrong-component", message)
    return None


def _question(ctx: _Ctx, loc: Loc, qid: str) -> Question | None:
    found = ctx.questions.get(qid)
    if found is None:
        ctx.report(loc, "unknown-question", _unknown(qid, "a question", ctx.questions, "questions"))
    return found


def _knob(ctx: _Ctx, loc: Loc, kid: str) -> Knob | None:
    found = ctx.knobs.get(kid)
    if found is None:
        message = _unknown(kid, "a difficulty knob", ctx.knobs, "difficulty")
        ctx.report(loc, "unknown-knob", message)
    return found


def _properties(ctx: _Ctx, eid: str) -> dict[str, Prop]:
    """Every simulated property the components of entity ``eid`` (and namesakes) provide."""
    props: dict[str, Prop] = {}
    for entity in ctx.namesakes.get(eid, ()):
        for component in entity.components():
            props.update(PROPERTIES.get(component, {}))
        props.update(custom_properties(entity))
    return props


def _split_ref(ctx: _Ctx, loc: Loc, text: str, role: str) -> tuple[str, str] | None:
    eid, dot, rest = text.partition(".")
    if not (eid and dot and rest):
        ctx.report(
            loc,
            "bad-value",
            f"{role} '{text}' should read '<entity>.<name>', e.g. 'pendulum.length'",
        )
        return None
    return eid, rest


def _property(ctx: _Ctx, loc: Loc, text: str, role: str, *, settable: bool = False) -> Prop | None:
    """Check an ``'<entity>.<property>'`` reference; the property, or None after reporting."""
    parts = _split_ref(ctx, loc, text, role)
    entity = parts and _entity(ctx, loc, parts[0], "entity")
    if not parts or entity is None:
        return None
    name, props = parts[1], _properties(ctx, entity.id)
    if not props:
        ctx.report(
            loc,
            "unknown-property",
            f"'{entity.id}' simulates nothing (it has no {_either(PROPERTIES)} component); "
            "refer to an entity that has one",
        )
        return None
    allowed = [p for p, prop in props.items() if prop.settable or not settable]
    if name not in allowed:
        kind = "settable property" if settable else "property"
        ctx.report(
            loc,
            "unknown-property",
            f"'{entity.id}' has no {kind} '{name}'"
            + (did_you_mean(name, allowed) or f"; use one of: {', '.join(allowed)}"),
        )
        return None
    return props[name]


def _walk(cond: Condition, loc: Loc) -> Iterator[tuple[Condition, Loc]]:
    """The condition and every condition nested in it, with their locations."""
    yield cond, loc
    for key in ("all", "any"):
        for j, child in enumerate(getattr(cond, key) or ()):
            yield from _walk(child, (*loc, key, j))


def _reading(entity: Entity) -> Prop | None:
    """What an instrument entity reads (its first instrument component)."""
    for component, name in INSTRUMENTS.items():
        if component in entity.components():
            return PROPERTIES[component][name]
    return None
