"""Semantic checks of a lesson that pydantic cannot see: references between ids, assets on
disk, and steps that can never complete.

Every problem is located in the file through :meth:`SourceMap.position` and says what to do
about it. Codes are those of :data:`engine.model.diagnostics.CODES`. Warnings (severity
``"warning"``) are for things that load and run but are very likely not what the author meant.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ValidationError

from adaptivity.config import AdaptivityConfig
from adaptivity.priors import priors_from_yaml
from engine.model.components import ACTIONS, PROPERTIES, Liquid, Prop
from engine.model.custom import custom_actions, custom_properties
from engine.model.diagnostics import Diagnostic, Severity, did_you_mean
from engine.model.lesson import (
    Choice,
    Condition,
    Entity,
    Hint,
    Knob,
    KnobRef,
    Measured,
    Placed,
    Question,
    Ref,
    Skill,
    StateCheck,
    Step,
)
from engine.model.lint import lint_lesson
from engine.model.loader import LoadedLesson, Loc
from engine.model.units import BASE_UNIT, UNITS, UnitError, parse_quantity
from engine.paths import ASSETS_DIR
from engine.sim import chemistry

#: instrument component -> the property a ``measured`` condition reads from it
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


def check_lesson(loaded: LoadedLesson, path: str) -> list[Diagnostic]:
    """Every semantic problem of a lesson that parsed and validated, errors and warnings.

    Args:
        loaded: the validated lesson with its source positions.
        path: the path to show in diagnostics (as the author named the file).

    Returns:
        The diagnostics, sorted by position, without duplicates.
    """
    ctx = _Ctx.build(loaded, path)
    for check in (
        _check_metadata,
        _check_ids,
        _check_entities,
        _check_assets,
        _check_questions,
        _check_steps,
        _check_completion,
        _check_display,
        _check_knob_use,
        _check_adaptivity,
        _check_unused,
    ):
        check(ctx)
    # the lint rules (accessibility, comfort, asset budgets) add theirs and apply lint.ignore
    return lint_lesson(loaded, path, ctx.out)


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


# --- metadata and ids -----------------------------------------------------------------------


def _check_metadata(ctx: _Ctx) -> None:
    young, old = ctx.loaded.lesson.metadata.age_range
    if young > old:
        ctx.report(
            ("metadata", "age_range"),
            "bad-value",
            f"age_range is [youngest, oldest]; write [{old}, {young}]",
        )


def _check_ids(ctx: _Ctx) -> None:
    """Ids are unique within each kind (and choice ids within each question)."""
    lesson = ctx.loaded.lesson
    groups: list[tuple[str, Loc, Sequence[Skill | Entity | Question | Knob | Step | Choice]]] = [
        ("skill", ("metadata", "skills"), lesson.metadata.skills),
        ("entity", ("entities",), lesson.entities),
        ("question", ("questions",), lesson.questions),
        ("knob", ("difficulty",), lesson.difficulty),
        ("step", ("steps",), lesson.steps),
    ]
    for i, q in enumerate(lesson.questions):
        groups.append((f"option of question '{q.id}'", ("questions", i, "options"), q.options))
    for what, base, items in groups:
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id not in first:
                first[item.id] = i
                continue
            line = ctx.line((*base, first[item.id], "id"))
            ctx.report(
                (*base, i, "id"),
                "duplicate-id",
                f"'{item.id}' is already the id of the {what} at line {line}; "
                "ids must be unique, so rename one of them",
            )


# --- entities -------------------------------------------------------------------------------


def _check_entities(ctx: _Ctx) -> None:
    for i, entity in enumerate(ctx.loaded.lesson.entities):
        loc: Loc = ("entities", i)
        if entity.parent is not None:
            _check_parent(ctx, loc, entity)
        if entity.only_when is not None:
            _check_gate(ctx, loc, entity)
        _check_interaction(ctx, loc, entity)
        _check_simulation(ctx, loc, entity)
        if entity.button is not None:
            _check_button(ctx, (*loc, "button"), entity)


def _check_parent(ctx: _Ctx, loc: Loc, entity: Entity) -> None:
    assert entity.parent is not None
    if _entity(ctx, (*loc, "parent"), entity.parent, "parent") is None:
        return
    seen, current = {entity.id}, ctx.entities.get(entity.parent)
    while current is not None:
        if current.id in seen:
            ctx.report(
                (*loc, "parent"),
                "bad-value",
                f"'{entity.id}' is its own ancestor (parent chain loops back through "
                f"'{current.id}'); remove one 'parent' from the loop",
            )
            return
        seen.add(current.id)
        current = ctx.entities.get(current.parent) if current.parent else None


def _check_gate(ctx: _Ctx, loc: Loc, entity: Entity) -> None:
    gate = entity.only_when
    assert gate is not None
    gloc: Loc = (*loc, "only_when")
    knob = _knob(ctx, (*gloc, "knob"), gate.knob)
    if knob is None:
        return
    top = len(knob.levels) - 1
    for name in ("min_level", "max_level"):
        level = getattr(gate, name)
        if level is not None and not 0 <= level <= top:
            ctx.report(
                (*gloc, name),
                "bad-value",
                f"knob '{knob.id}' has levels 0..{top}, so {name} {level} is not one "
                f"of them; use a level in 0..{top}",
            )
    if gate.max_level is not None and gate.min_level > gate.max_level:
        ctx.report(
            (*gloc, "max_level"),
            "bad-value",
            f"max_level {gate.max_level} is below min_level {gate.min_level}, so "
            f"'{entity.id}' is never shown; swap them",
        )


def _check_interaction(ctx: _Ctx, loc: Loc, entity: Entity) -> None:
    zone = entity.snap_zone
    for j, eid in enumerate(zone.accepts if zone is not None else ()):
        _needs(ctx, (*loc, "snap_zone", "accepts", j), eid, "snap_zone.accepts")
    if entity.scale_meter is not None and zone is None:
        message = (
            f"the balance '{entity.id}' weighs what is in its snap zone but has no "
            "'snap_zone'; add 'snap_zone: {}' to it"
        )
        ctx.report((*loc, "balance"), "wrong-component", message, key=True)


def _check_simulation(ctx: _Ctx, loc: Loc, entity: Entity) -> None:
    if entity.pendulum is not None:
        bob_loc: Loc = (*loc, "pendulum", "bob")
        if entity.pendulum.bob == entity.id:
            message = "the pendulum entity is the pivot; its 'bob' must be another entity"
            ctx.report(bob_loc, "bad-value", message)
        else:
            _entity(ctx, bob_loc, entity.pendulum.bob, "pendulum bob")
    if entity.burette is not None:
        if entity.container is None:
            message = (
                f"the burette '{entity.id}' dispenses its own liquid but has no 'container'; "
                "add 'container: {capacity: 50 mL, liquid: ...}'"
            )
            ctx.report((*loc, "burette"), "wrong-component", message, key=True)
        _needs(ctx, (*loc, "burette", "into"), entity.burette.into, "burette.into")
    if entity.ph_meter is not None and entity.ph_meter.probe_in is not None:
        probe_loc: Loc = (*loc, "ph_meter", "probe_in")
        _needs(ctx, probe_loc, entity.ph_meter.probe_in, "ph_meter.probe_in")
    if entity.ruler is not None:
        _check_ruler(ctx, (*loc, "ruler", "measures"), entity.ruler.measures)


def _check_ruler(ctx: _Ctx, loc: Loc, measures: str) -> None:
    prop = _property(ctx, loc, measures, "the ruler's 'measures'")
    if prop is not None and prop.dimension != "length":
        ctx.report(
            loc,
            "bad-unit",
            f"a ruler reads lengths, but '{measures}' is a "
            f"{prop.dimension or 'plain number'}; measure a length, e.g. '<pendulum>.length'",
        )


def _check_button(ctx: _Ctx, loc: Loc, entity: Entity) -> None:
    assert entity.button is not None
    for j, action in enumerate(entity.button.actions):
        aloc: Loc = (*loc, "actions", j)
        if (action.set is None) == (action.call is None):
            ctx.report(
                aloc,
                "bad-value",
                "an action has either 'set' (with a 'value') or 'call', "
                "not both or neither; split it into two actions",
            )
        elif action.call is not None:
            parts = _split_ref(ctx, (*aloc, "call"), action.call, "'call'")
            if parts:
                _action(ctx, (*aloc, "call"), *parts)
        elif action.set is not None:
            prop = _property(ctx, (*aloc, "set"), action.set, "'set'", settable=True)
            if prop is not None and _check_set_value(ctx, aloc, action.value, prop):
                entity_id, name = action.set.split(".", 1)
                _check_set_range(ctx, aloc, ctx.entities[entity_id], name, action.value)


def _action(ctx: _Ctx, loc: Loc, entity_id: str, name: str) -> None:
    """Check that a button's ``call`` names an action one of the entity's components has."""
    target = _entity(ctx, loc, entity_id, "entity")
    if target is None:
        return
    known = sorted({a for c in target.components() for a in ACTIONS.get(c, ())})
    known = sorted({*known, *custom_actions(target)})
    if name not in known:
        hint = f"; it has: {', '.join(known)}" if known else "; it has no actions"
        ctx.report(
            loc,
            "unknown-property",
            f"'{entity_id}' has no action '{name}'{did_you_mean(name, known)}{hint}",
        )


def _check_set_value(ctx: _Ctx, loc: Loc, value: float | str | None, prop: Prop) -> bool:
    """Report a missing value or one of the wrong kind; True if it is a fine quantity."""
    if value is None:
        ctx.report(loc, "missing-key", "a 'set' action needs the 'value' to set")
        return False
    if prop.dimension is None:
        if not _is_number(value):
            ctx.report(
                (*loc, "value"),
                "bad-unit",
                f"'{value}' is not a plain number; this "
                "property has no unit, so write just the number",
            )
            return False
        return True
    try:
        parse_quantity(value, prop.dimension)
    except UnitError as exc:
        ctx.report((*loc, "value"), "bad-unit", str(exc))
        return False
    return True


def _check_set_range(
    ctx: _Ctx, loc: Loc, entity: Entity, name: str, value: float | str | None
) -> None:
    """A value the component itself could not take (a 180° pendulum, a 0 m string) would be
    refused when the button is pressed, mid-lesson: say so here. The component's own model
    is the judge, so the rules live in one place."""
    for component in entity.components().values():
        if not isinstance(component, BaseModel) or name not in type(component).model_fields:
            continue
        try:
            type(component).model_validate({**component.model_dump(), name: value})
        except ValidationError as exc:
            why = exc.errors()[0]["msg"]
            ctx.report(
                (*loc, "value"),
                "bad-value",
                f"'{entity.id}.{name}' cannot be set to {value!r}: {why[:1].lower()}{why[1:]}",
            )


def _is_number(value: float | str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


# --- assets ---------------------------------------------------------------------------------


def _check_assets(ctx: _Ctx) -> None:
    floor = ctx.loaded.lesson.environment.floor
    if floor is not None and floor.texture:
        _check_asset(ctx, ("environment", "floor", "texture"), floor.texture, "texture")
    for i, entity in enumerate(ctx.loaded.lesson.entities):
        if entity.model:
            _check_asset(ctx, ("entities", i, "model"), entity.model, "model")
        if entity.material is not None and entity.material.texture:
            _check_asset(
                ctx, ("entities", i, "material", "texture"), entity.material.texture, "texture"
            )


def _check_asset(ctx: _Ctx, loc: Loc, relative: str, what: str) -> None:
    if ctx.loaded.asset_path(relative) is not None:
        return
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts:
        message = (
            f"{what} '{relative}' must be a path inside an assets/ folder, without a "
            "leading '/' or '..'; copy the file into the lesson's assets/ folder"
        )
    else:
        own = Path(ctx.path).parent / "assets" / path
        shared = ASSETS_DIR / path
        message = (
            f"{what} '{relative}' not found; looked for {own} and {shared}; "
            "put the file there or fix the path (it is relative to assets/)"
        )
    ctx.report(loc, "missing-asset", message)


# --- questions and tolerances ---------------------------------------------------------------


def _check_questions(ctx: _Ctx) -> None:
    for i, question in enumerate(ctx.loaded.lesson.questions):
        loc: Loc = ("questions", i)
        _check_skills(ctx, loc, question.skills)
        answer = question.answer if isinstance(question.answer, Ref) else None
        prop = None
        if answer is not None:
            prop = _property(ctx, (*loc, "answer", "ref"), answer.ref, "the answer")
        for j, wrong in enumerate(question.common_wrong):
            if isinstance(wrong.value, Ref):
                _property(
                    ctx, (*loc, "common_wrong", j, "value", "ref"), wrong.value.ref, "the value"
                )
            if wrong.tolerance < 0:
                ctx.report(
                    (*loc, "common_wrong", j, "tolerance"),
                    "bad-value",
                    "a tolerance is a distance and cannot be negative; write e.g. '5 %'",
                )
        if answer is not None and prop is not None:
            _check_answer_unit(ctx, loc, question, answer, prop)
            _coarse_answer(ctx, loc, question, answer)
        _check_tolerance(ctx, (*loc, "tolerance"), question.tolerance, continuous=prop is not None)


def _check_answer_unit(ctx: _Ctx, loc: Loc, question: Question, answer: Ref, prop: Prop) -> None:
    """A numeric answer read from the simulation is asked in a unit of the same kind."""
    if question.unit not in UNITS or prop.dimension is None:
        return  # free-text units ('periods', 'drops') cannot be checked
    unit_dimension = UNITS[question.unit][0]
    if unit_dimension != prop.dimension:
        ctx.report(
            (*loc, "unit"),
            "bad-unit",
            f"the answer '{answer.ref}' is a {prop.dimension}, but '{question.unit}' is a unit "
            f"of {unit_dimension}; use {BASE_UNIT[prop.dimension]} or another unit of that kind",
        )


def _check_skills(ctx: _Ctx, loc: Loc, skills: list[str]) -> None:
    for j, skill in enumerate(skills):
        if skill in skills[:j]:
            ctx.report(
                (*loc, "skills", j),
                "bad-value",
                f"skill '{skill}' is listed twice; each attempt would count twice as "
                "evidence of it: list it once",
            )
        elif skill not in ctx.skills:
            ctx.report(
                (*loc, "skills", j),
                "unknown-skill",
                f"skill '{skill}' is not declared in metadata.skills"
                + (
                    did_you_mean(skill, ctx.skills)
                    or f"; fix the tag or declare it there ({{id: {skill}, name: ...}})"
                ),
            )


def _check_tolerance(ctx: _Ctx, loc: Loc, tolerance: float | KnobRef, *, continuous: bool) -> None:
    """A tolerance is a fraction >= 0, or a knob whose every level is one."""
    if isinstance(tolerance, KnobRef):
        knob = _knob(ctx, (*loc, "knob"), tolerance.knob)
        if knob is not None:
            _check_tolerance_knob(ctx, knob, continuous=continuous)
    elif tolerance < 0:
        ctx.report(
            loc, "bad-value", "a tolerance is a distance and cannot be negative; write e.g. '5 %'"
        )
    elif tolerance == 0 and continuous:
        ctx.report(loc, "never-completes", _ZERO_TOLERANCE, "warning")


_ZERO_TOLERANCE = (
    "a tolerance of 0 on a continuous reading is met only by an exact match, which almost "
    "never happens; allow some slack, e.g. '2 %'"
)


def _check_tolerance_knob(ctx: _Ctx, knob: Knob, *, continuous: bool) -> None:
    k = next(i for i, candidate in enumerate(ctx.loaded.lesson.difficulty) if candidate is knob)
    for level, value in enumerate(knob.levels):
        loc: Loc = ("difficulty", k, "levels", level)
        try:
            fraction = parse_quantity(value, "fraction")
        except UnitError as exc:
            ctx.report(
                loc,
                "bad-unit",
                f"knob '{knob.id}' is used as a tolerance, so each level "
                f"is a fraction such as '5 %'; {exc}",
            )
            continue
        if fraction < 0:
            ctx.report(
                loc,
                "bad-value",
                f"knob '{knob.id}' is used as a tolerance, which cannot "
                "be negative; write e.g. '5 %'",
            )
        elif fraction == 0 and continuous:
            ctx.report(loc, "never-completes", _ZERO_TOLERANCE, "warning")


# --- steps and their conditions -------------------------------------------------------------


def _walk(cond: Condition, loc: Loc) -> Iterator[tuple[Condition, Loc]]:
    """The condition and every condition nested in it, with their locations."""
    yield cond, loc
    for key in ("all", "any"):
        for j, child in enumerate(getattr(cond, key) or ()):
            yield from _walk(child, (*loc, key, j))


def _check_steps(ctx: _Ctx) -> None:
    for i, step in enumerate(ctx.steps):
        loc: Loc = ("steps", i)
        _check_skills(ctx, loc, step.skills)
        if step.ask is not None:
            _question(ctx, (*loc, "ask"), step.ask)
        if step.narration is not None:
            _needs(ctx, (*loc, "narration"), step.narration, "step.narration")
        for cond, cloc in _walk(step.complete_when, (*loc, "complete_when")):
            _check_condition(ctx, cond, cloc)
        for j, hint in enumerate(step.hints):
            _check_hint(ctx, (*loc, "hints", j), hint)


def _check_condition(ctx: _Ctx, cond: Condition, loc: Loc) -> None:
    """References of one condition (nested ones are walked by the caller)."""
    for key in ("pressed", "visited", "heard"):
        if (eid := getattr(cond, key)) is not None:
            _needs(ctx, (*loc, key), eid, key)
    if cond.placed is not None:
        _needs(ctx, (*loc, "placed", "entity"), cond.placed.entity, "placed.entity")
        _needs(ctx, (*loc, "placed", "zone"), cond.placed.zone, "placed.zone")
    elif cond.answered is not None:
        _question(ctx, (*loc, "answered"), cond.answered)
    elif cond.measured is not None:
        _check_measured(ctx, (*loc, "measured"), cond.measured)
    elif cond.state is not None:
        _property(ctx, (*loc, "state", "ref"), cond.state.ref, "the state check's 'ref'")
        if cond.state.min is None and cond.state.max is None:
            message = (
                "a state check with neither 'min' nor 'max' is always true, so the step "
                "completes at once; give a range"
            )
            ctx.report((*loc, "state"), "bad-value", message, "warning")


def _reading(entity: Entity) -> Prop | None:
    """What an instrument entity reads (its first instrument component)."""
    for component, name in INSTRUMENTS.items():
        if component in entity.components():
            return PROPERTIES[component][name]
    return None


def _check_measured(ctx: _Ctx, loc: Loc, measured: Measured) -> None:
    instrument = _needs(ctx, (*loc, "instrument"), measured.instrument, "measured.instrument")
    reads = _reading(instrument) if instrument else None
    if isinstance(measured.target, Ref):
        tloc: Loc = (*loc, "target", "ref")
        target = _property(ctx, tloc, measured.target.ref, "the target")
        if reads and target and reads.dimension != target.dimension:
            ctx.report(
                tloc,
                "bad-unit",
                f"'{measured.instrument}' reads a {reads.dimension} but the target "
                f"'{measured.target.ref}' is a {target.dimension or 'plain number'}; "
                "compare like with like",
            )
    _check_tolerance(ctx, (*loc, "tolerance"), measured.tolerance, continuous=True)


def _check_hint(ctx: _Ctx, loc: Loc, hint: Hint) -> None:
    for k, target in enumerate(hint.targets):
        _entity(ctx, (*loc, "targets", k), target, "hint target")
    demo = hint.demonstration
    if demo is None:
        return
    dloc: Loc = (*loc, "demonstration")
    for key in ("move", "to", "press"):
        if (eid := getattr(demo, key)) is not None:
            _needs(ctx, (*dloc, key), eid, f"demonstration.{key}")
    if demo.look_at is not None:
        _entity(ctx, (*dloc, "look_at"), demo.look_at, "demonstration look_at")
    if (demo.move is None) != (demo.to is None):
        message = "a demonstration moves an entity to a zone: give both 'move' and 'to'"
        ctx.report(dloc, "missing-key", message)
    elif demo == type(demo)():
        message = "an empty demonstration shows nothing; give 'move' and 'to', 'press' or 'look_at'"
        ctx.report(dloc, "missing-key", message)


# --- steps that can never complete ----------------------------------------------------------

Why = tuple[Loc, str]


def _check_completion(ctx: _Ctx) -> None:
    for i, step in enumerate(ctx.steps):
        loc: Loc = ("steps", i, "complete_when")
        for where, why in _never(ctx, step.complete_when, loc, i):
            ctx.report(where, "never-completes", f"step '{step.id}' can never complete: {why}")
        _check_partly_hidden(ctx, step, loc)


def _never(ctx: _Ctx, cond: Condition, loc: Loc, i: int) -> list[Why]:
    """Why ``cond`` (in step ``i``) can never become true; empty when it can."""
    if cond.all is not None:
        children = [w for j, c in enumerate(cond.all) for w in _never(ctx, c, (*loc, "all", j), i)]
        return children + _conflicts(ctx, cond.all, (*loc, "all"))
    if cond.any is not None:
        if not cond.any:
            return [
                ((*loc, "any"), "'any' lists no conditions, so it is never true; list at least one")
            ]
        branches = [_never(ctx, c, (*loc, "any", j), i) for j, c in enumerate(cond.any)]
        # one possible branch is enough; report every branch only when none can happen
        return [w for b in branches for w in b] if all(branches) else []
    found = [((*loc, *sub), why) for sub, eid in _needed(cond) if (why := _always_hidden(ctx, eid))]
    if cond.placed is not None:
        found += _never_placed(ctx, (*loc, "placed"), cond.placed)
    elif cond.answered is not None:
        found += _never_answered(ctx, (*loc, "answered"), cond.answered, i)
    elif cond.heard is not None and (why := _unheard(ctx, cond.heard, i)):
        found.append(((*loc, "heard"), why))
    elif cond.state is not None:
        found += _never_state(ctx, (*loc, "state"), cond.state)
    elif cond.measured is not None:
        found += _never_measured(ctx, (*loc, "measured"), cond.measured)
    return found


def _needed(cond: Condition) -> list[tuple[Loc, str]]:
    """Entities the learner must see to satisfy a simple condition, with where they are named."""
    if cond.placed is not None:
        return [(("placed", "entity"), cond.placed.entity), (("placed", "zone"), cond.placed.zone)]
    if cond.pressed is not None:
        return [(("pressed",), cond.pressed)]
    if cond.visited is not None:
        return [(("visited",), cond.visited)]
    if cond.measured is not None:
        return [(("measured", "instrument"), cond.measured.instrument)]
    return []


def _never_placed(ctx: _Ctx, loc: Loc, placed: Placed) -> list[Why]:
    if placed.entity == placed.zone:
        return [((*loc, "zone"), "an entity cannot be placed in itself; name a different zone")]
    zone = ctx.entities.get(placed.zone)
    accepts = zone.snap_zone.accepts if zone is not None and zone.snap_zone is not None else []
    # an unknown entity is reported as such; 'not accepted' would only repeat it
    if accepts and placed.entity in ctx.entities and placed.entity not in accepts:
        return [
            (
                (*loc, "entity"),
                f"zone '{placed.zone}' accepts only {', '.join(accepts)}, not '{placed.entity}'; "
                f"add '{placed.entity}' to its snap_zone.accepts or place an accepted entity",
            )
        ]
    return []


def _never_answered(ctx: _Ctx, loc: Loc, qid: str, i: int) -> list[Why]:
    if qid not in ctx.questions or any(s.ask == qid for s in ctx.steps[: i + 1]):
        return []
    later = next((s.id for s in ctx.steps[i + 1 :] if s.ask == qid), None)
    when = f" (step '{later}' asks it, but later)" if later else ""
    return [
        (
            loc,
            f"question '{qid}' is not asked by this step or any before it{when}; "
            f"add 'ask: {qid}' to this step",
        )
    ]


def _unheard(ctx: _Ctx, eid: str, i: int, *, here: str = "this step") -> str | None:
    """Why the narration of ``eid`` cannot have played by the end of step ``i``, if so.

    ``here`` is the step the fix names ('this step' for a step that waits to hear it).
    """
    entity = ctx.entities.get(eid)
    if entity is None or entity.narration is None:
        return None
    if any(s.narration == eid for s in ctx.steps[: i + 1]):
        return None  # a step that names it plays it, whatever its trigger
    trigger, fix = entity.narration.trigger, f"or add 'narration: {eid}' to {here}"
    scope = "up to this one " if here == "this step" else ""
    if trigger == "visit" and entity.point_of_interest is None:
        return (
            f"'{eid}' narrates on 'visit' but has no point_of_interest to visit; add "
            f"'point_of_interest: {{title: ...}}' to it {fix}"
        )
    if trigger == "press" and entity.button is None:
        return f"'{eid}' narrates on 'press' but has no button; add 'button: {{}}' to it {fix}"
    if trigger == "step":
        return (
            f"'{eid}' narrates on 'step' but no step {scope}names it in 'narration'; "
            f"add 'narration: {eid}' to {here}"
            + (" or an earlier one" if i > 0 and here == "this step" else "")
        )
    return None


def _lookup(ctx: _Ctx, ref: str) -> Prop | None:
    """The property a ref names, or None (bad refs are reported by the reference checks)."""
    eid, _, name = ref.partition(".")
    return _properties(ctx, eid).get(name)


def _bounds(state: StateCheck) -> tuple[float, float]:
    low = -math.inf if state.min is None else state.min
    return low, math.inf if state.max is None else state.max


def _span(low: float, high: float, unit: str) -> str:
    """An interval in words: 'at most 2 s', 'at least 0 s', 'between 0 and 14 pH'."""
    if math.isinf(high):
        return f"at least {low:g} {unit}"
    if math.isinf(low):
        return f"at most {high:g} {unit}"
    return f"between {low:g} and {high:g} {unit}"


def _never_state(ctx: _Ctx, loc: Loc, state: StateCheck) -> list[Why]:
    low, high = _bounds(state)
    if low > high:
        why = f"min {low:g} is above max {high:g}, so no value lies between; swap them"
        return [((*loc, "min"), why)]
    prop = _lookup(ctx, state.ref)
    dimension = prop.dimension if prop is not None else None
    if dimension not in PHYSICAL_RANGE:
        return []
    floor, ceiling = PHYSICAL_RANGE[dimension]
    if low <= ceiling and high >= floor:
        return _never_ph(ctx, loc, state) if dimension == "ph" else []
    unit = BASE_UNIT[dimension]
    why = (
        f"'{state.ref}' is a {dimension}, always {_span(floor, ceiling, unit)}, never "
        f"{_span(low, high, unit)}; fix the range (min and max are in {unit})"
    )
    return [((*loc, "min" if low > ceiling else "max"), why)]


def _never_ph(ctx: _Ctx, loc: Loc, state: StateCheck) -> list[Why]:
    """A container's pH range the lesson's liquids can never reach (an end point past what
    the burette holds, a burette of water, a flask nothing flows into)."""
    container = state.ref.partition(".")[0]
    reach = _reachable_ph(ctx, container)
    if reach is None:
        return []
    (lowest, highest), source = reach
    low, high = _bounds(state)
    if low <= highest + 1e-9 and high >= lowest - 1e-9:
        return []
    can = f"{lowest:.2f}" if highest - lowest < 0.005 else f"{lowest:.2f} to {highest:.2f}"
    why = (
        f"'{state.ref}' can only be {can} ({source}), never {_span(low, high, 'pH')}; "
        "fix the range or the liquids"
    )
    return [((*loc, "min" if low > highest else "max"), why)]


#: volumes of titrant tried between none and all of a burette (the pH curve is smooth)
_TITRATION_STEPS = 200


def _reachable_ph(ctx: _Ctx, container: str) -> tuple[tuple[float, float], str] | None:
    """The lowest and highest pH a container's liquid can take, and where from; None when
    the check does not apply (no such container, several inflows, unknown chemistry)."""
    entity = ctx.entities.get(container)
    if entity is None or entity.container is None:
        return None
    inflows = [
        e for e in ctx.entities.values() if e.burette is not None and e.burette.into == container
    ]
    if len(inflows) > 1:
        return None
    try:
        own = _solution(entity.container.liquid)
        if not inflows:
            if own.empty:
                return None
            value = chemistry.ph(own)
            return (value, value), f"nothing flows into '{container}'"
        burette = inflows[0]
        refilled = any(e.burette is not None and e.burette.into == burette.id for e in inflows)
        if burette.container is None or refilled:
            return None
        titrant = _solution(burette.container.liquid)
        values = []
        for k in range(_TITRATION_STEPS + 1):
            mixture = own.copy()
            mixture.pour_in(titrant.copy().take(titrant.volume * k / _TITRATION_STEPS))
            values.append(chemistry.ph(mixture))
    except (ValueError, KeyError):
        return None  # unknown species or the like: reported by their own checks
    found = [v for v in values if math.isfinite(v)]
    if not found:
        return None
    added = burette.container.liquid.volume * 1000
    source = f"its own liquid with 0 to {added:g} mL from '{burette.id}'"
    return (min(found), max(found)), source if added else f"'{burette.id}' is empty"


def _solution(liquid: Liquid) -> chemistry.Solution:
    return chemistry.Solution.from_concentrations(
        liquid.volume, dict(liquid.solutes), liquid.indicator
    )


def _never_measured(ctx: _Ctx, loc: Loc, measured: Measured) -> list[Why]:
    instrument = ctx.entities.get(measured.instrument)
    reads = _reading(instrument) if instrument is not None else None
    target, tolerance = measured.target, measured.tolerance
    if reads is None or reads.dimension not in PHYSICAL_RANGE or isinstance(target, Ref):
        return []
    if isinstance(tolerance, KnobRef):
        return []  # the widest level decides; knob levels are checked on their own
    floor, ceiling = PHYSICAL_RANGE[reads.dimension]
    slack = abs(target) * tolerance
    if target + slack >= floor and target - slack <= ceiling:
        return []
    unit = BASE_UNIT[reads.dimension]
    why = (
        f"'{measured.instrument}' reads a {reads.dimension}, always "
        f"{_span(floor, ceiling, unit)}, so it never reads {target:g} {unit}; fix the target"
    )
    return [((*loc, "target"), why)]


def _all_leaves(conds: list[Condition], loc: Loc) -> Iterator[tuple[Condition, Loc]]:
    """The conditions of an 'all', with nested 'all's flattened into it."""
    for j, cond in enumerate(conds):
        if cond.all is not None:
            yield from _all_leaves(cond.all, (*loc, j, "all"))
        else:
            yield cond, (*loc, j)


def _conflicts(ctx: _Ctx, conds: list[Condition], loc: Loc) -> list[Why]:
    """Parts of an 'all' that cannot hold at the same time."""
    found: list[Why] = []
    zones: dict[str, str] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for cond, cloc in _all_leaves(conds, loc):
        if cond.placed is not None:
            entity, zone = cond.placed.entity, cond.placed.zone
            if zones.setdefault(entity, zone) != zone:
                found.append(
                    (
                        (*cloc, "placed", "zone"),
                        f"'all' needs '{entity}' in both '{zones[entity]}' and '{zone}' at "
                        "once, but an entity is in one zone at a time; use 'any' or two steps",
                    )
                )
        elif cond.state is not None and (bounds := _bounds(cond.state))[0] <= bounds[1]:
            ref = cond.state.ref
            low, high = ranges.get(ref, (-math.inf, math.inf))
            ranges[ref] = (max(low, bounds[0]), min(high, bounds[1]))
            if ranges[ref][0] > ranges[ref][1]:
                found.append(
                    (
                        (*cloc, "state"),
                        f"'all' needs '{ref}' in [{low:g}, {high:g}] and in "
                        f"[{bounds[0]:g}, {bounds[1]:g}] at once, and they do not overlap",
                    )
                )
    return found


# --- instruments that round more than the tolerance allows ------------------------------------


def _display_step(entity: Entity) -> tuple[float, str] | None:
    """The step an instrument's settled reading is rounded to, and the field that sets it."""
    if entity.ph_meter is not None:
        return 10.0**-entity.ph_meter.decimals, "ph_meter.decimals"
    if entity.stopwatch is not None:
        return 10.0**-entity.stopwatch.decimals, "stopwatch.decimals"
    if entity.ruler is not None:
        return entity.ruler.resolution, "ruler.resolution"
    if entity.scale_meter is not None:
        return entity.scale_meter.resolution, "scale_meter.resolution"
    return None


def _check_display(ctx: _Ctx) -> None:
    """A ``measured`` condition whose instrument rounds by more than the tolerance.

    A settled reading is the true value rounded to the display (a pH meter showing one
    decimal reads 2.96 as 3.0). When half a display step is more than the tolerance allows
    at the values the target can take, a reading taken at many of those values can never
    pass, however long the learner waits: the step completes only by luck.
    """
    for i, step in enumerate(ctx.steps):
        _check_display_in(ctx, step.complete_when, ("steps", i, "complete_when"), {})


def _check_display_in(
    ctx: _Ctx, cond: Condition, loc: Loc, ranges: dict[str, tuple[float, float]]
) -> None:
    if cond.all is not None:
        # what the other parts of an 'all' require holds when the reading is compared
        inner = dict(ranges)
        for part, _ in _all_leaves(cond.all, (*loc, "all")):
            if part.state is not None:
                low, high = _bounds(part.state)
                was = inner.get(part.state.ref, (-math.inf, math.inf))
                inner[part.state.ref] = (max(was[0], low), min(was[1], high))
        for j, child in enumerate(cond.all):
            _check_display_in(ctx, child, (*loc, "all", j), inner)
    elif cond.any is not None:
        for j, child in enumerate(cond.any):
            _check_display_in(ctx, child, (*loc, "any", j), ranges)
    elif cond.measured is not None:
        _coarse_display(ctx, (*loc, "measured"), cond.measured, ranges)


def _coarse_display(
    ctx: _Ctx, loc: Loc, measured: Measured, ranges: dict[str, tuple[float, float]]
) -> None:
    instrument = ctx.entities.get(measured.instrument)
    smallest = _smallest_target(ctx, measured.target, ranges)
    if instrument is None or smallest is None:
        return
    message = _rounding(ctx, instrument, measured.tolerance, smallest, "a settled reading")
    if message is not None:
        key = ("tolerance",) if "tolerance" in measured.model_fields_set else ()
        ctx.report((*loc, *key), "never-completes", message, "warning")


def _coarse_answer(ctx: _Ctx, loc: Loc, question: Question, answer: Ref) -> None:
    """A numeric answer read off a pH meter whose display is coarser than the tolerance."""
    container, _, prop = answer.ref.partition(".")
    meters = [
        e
        for e in ctx.entities.values()
        if e.ph_meter is not None and e.ph_meter.probe_in in (None, container)
    ]
    smallest = _smallest_target(ctx, answer, {})
    if prop != "ph" or not meters or smallest is None:
        return
    finest = min(meters, key=lambda e: 10.0**-e.ph_meter.decimals if e.ph_meter else 1.0)
    message = _rounding(ctx, finest, question.tolerance, smallest, "what the learner reads")
    if message is not None:
        key = ("tolerance",) if "tolerance" in question.model_fields_set else ()
        ctx.report((*loc, *key), "never-completes", message, "warning")


def _rounding(
    ctx: _Ctx,
    instrument: Entity,
    tolerance: float | KnobRef,
    smallest: tuple[float, str],
    what: str,
) -> str | None:
    """Why ``instrument``'s rounding can exceed ``tolerance`` at the target's smallest size,
    or None when it cannot."""
    shown = _display_step(instrument)
    if shown is None:
        return None
    step, field_name = shown
    if isinstance(tolerance, KnobRef):
        knob = ctx.knobs.get(tolerance.knob)
        if knob is None:
            return None  # reported as an unknown knob
        try:
            tightest = min(parse_quantity(v, "fraction") for v in knob.levels)
        except (UnitError, ValueError):
            return None  # reported with the knob
        where = f"{tightest * 100:g} %, knob '{knob.id}' at its tightest level"
    else:
        tightest = tolerance
        where = f"{tightest * 100:g} %"
    magnitude, origin = smallest
    allowed, half = tightest * magnitude, step / 2
    if tightest <= 0 or half <= allowed + 1e-12:
        return None  # a zero tolerance has its own warning
    reads = _reading(instrument)
    unit = BASE_UNIT.get(reads.dimension, "") if reads and reads.dimension else ""
    # the share of true values near that size whose rounded reading misses the tolerance
    missed = 1.0 - 2.0 * allowed / step
    return (
        f"'{instrument.id}' rounds to {step:g}{' ' + unit if unit else ''} ({field_name}), so "
        f"{what} can be off by {half:g}, but the tolerance ({where}) allows only "
        f"{allowed:.2g} at {magnitude:.3g}{origin}: about {missed:.0%} of true values there "
        "are never close enough, however carefully they are read. Show finer readings or "
        "widen the tolerance"
    )


def _smallest_target(
    ctx: _Ctx, target: float | Ref, ranges: dict[str, tuple[float, float]]
) -> tuple[float, str] | None:
    """The smallest size the target can have when compared, and where that comes from;
    None when the lesson does not say (a pendulum's period depends on buttons pressed)."""
    if not isinstance(target, Ref):
        return abs(target), ""
    container, _, prop = target.ref.partition(".")
    if prop != "ph":
        return None
    reach = _reachable_ph(ctx, container)
    low, high = ranges.get(target.ref, (-math.inf, math.inf))
    if reach is not None:
        low, high = max(low, reach[0][0]), min(high, reach[0][1])
    if not math.isfinite(low) or low > high or low <= 0:
        return None
    scale = abs(target.scale)
    return low * scale, f", the lowest '{target.ref}' can be there"


# --- difficulty knobs -----------------------------------------------------------------------


def _shown_levels(ctx: _Ctx, entity: Entity) -> dict[str, set[int]]:
    """For each knob gating the entity or an ancestor, the levels at which it is shown."""
    shown: dict[str, set[int]] = {}
    seen: set[str] = set()
    current: Entity | None = entity
    while current is not None and current.id not in seen:
        seen.add(current.id)
        gate = current.only_when
        knob = ctx.knobs.get(gate.knob) if gate is not None else None
        if gate is not None and knob is not None:
            top = len(knob.levels) - 1 if gate.max_level is None else gate.max_level
            levels = set(range(len(knob.levels))) & set(range(gate.min_level, top + 1))
            shown[knob.id] = shown.get(knob.id, levels) & levels
        current = ctx.entities.get(current.parent) if current.parent else None
    return shown


def _always_hidden(ctx: _Ctx, eid: str) -> str | None:
    """Why ``eid`` is hidden at every level of some knob, if it is."""
    entity = ctx.entities.get(eid)
    if entity is None:
        return None
    for kid, levels in _shown_levels(ctx, entity).items():
        if not levels:
            return (
                f"'{eid}' is hidden at every level of knob '{kid}' (its only_when gate, with "
                "its parents', leaves no level); widen the gate"
            )
    return None


def _check_partly_hidden(ctx: _Ctx, step: Step, loc: Loc) -> None:
    """Warn when a needed entity is hidden at some knob levels (the step stalls there)."""
    for cond, cloc in _walk(step.complete_when, loc):
        if "any" in cloc:
            continue  # another branch may not need the hidden entity
        for sub, eid in _needed(cond):
            entity = ctx.entities.get(eid)
            for kid, levels in _shown_levels(ctx, entity).items() if entity else ():
                hidden = sorted(set(range(len(ctx.knobs[kid].levels))) - levels)
                if levels and hidden:
                    ctx.report(
                        (*cloc, *sub),
                        "never-completes",
                        f"at level(s) {', '.join(map(str, hidden))} of knob '{kid}', '{eid}' "
                        f"is hidden, so step '{step.id}' cannot complete there; widen its "
                        "only_when gate if that is not intended",
                        "warning",
                    )


def _knob_users(ctx: _Ctx) -> tuple[dict[str, list[tuple[int, int | None]]], set[str]]:
    """Gates ``(min_level, max_level)`` per knob, and the knobs whose values are used."""
    gates: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    for entity in ctx.loaded.lesson.entities:
        if entity.only_when is not None:
            gate = entity.only_when
            gates[gate.knob].append((gate.min_level, gate.max_level))
    tolerances: list[float | KnobRef] = [q.tolerance for q in ctx.loaded.lesson.questions]
    for step in ctx.steps:
        for cond, _ in _walk(step.complete_when, ()):
            if cond.measured is not None:
                tolerances.append(cond.measured.tolerance)
    return gates, {t.knob for t in tolerances if isinstance(t, KnobRef)}


def _check_knob_use(ctx: _Ctx) -> None:
    """Warn about knobs, and knob levels, that change nothing."""
    gates, valued = _knob_users(ctx)
    for k, knob in enumerate(ctx.loaded.lesson.difficulty):
        if knob.id not in gates and knob.id not in valued:
            ctx.report(
                ("difficulty", k, "id"),
                "unused",
                f"no entity's only_when and no tolerance uses knob '{knob.id}', so its levels "
                "change nothing; use it or remove it",
                "warning",
            )
            continue
        for level in range(1, len(knob.levels)):
            if knob.id in valued and knob.levels[level] != knob.levels[level - 1]:
                continue
            if any(low == level or high == level - 1 for low, high in gates[knob.id]):
                continue
            ctx.report(
                ("difficulty", k, "levels", level),
                "unused",
                f"level {level} of knob '{knob.id}' changes nothing from level {level - 1}: "
                "no tolerance value differs and no only_when gate starts or ends there; "
                "gate an entity on it or remove the level",
                "warning",
            )


# --- adaptivity ------------------------------------------------------------------------------


def _check_adaptivity(ctx: _Ctx) -> None:
    """Priors for declared skills, a priors file that loads, thresholds the tutor accepts.

    Each of these would otherwise stop the lesson as it starts (the tutor reads them when it
    is built), far from the line that is wrong.
    """
    settings = ctx.loaded.lesson.adaptivity
    for skill in settings.priors:
        if skill not in ctx.skills:
            ctx.report(
                ("adaptivity", "priors", skill),
                "unknown-skill",
                f"priors for skill '{skill}', which is not declared in metadata.skills"
                + (did_you_mean(skill, ctx.skills) or "; fix the id or declare the skill there"),
                key=True,
            )
    if settings.priors_file:
        _check_priors_file(ctx, settings.priors_file)
    _check_thresholds(ctx, settings.thresholds)


def _check_priors_file(ctx: _Ctx, relative: str) -> None:
    loc = ("adaptivity", "priors_file")
    folder = ctx.loaded.folder.resolve()
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder):
        ctx.report(loc, "bad-value", f"priors_file '{relative}' is outside the lesson folder")
        return
    if not path.is_file():
        ctx.report(
            loc,
            "bad-value",
            f"priors_file '{relative}' does not exist in the lesson folder; write it with "
            f"'lesson fit LOG... -o {relative}' or remove the key",
        )
        return
    try:
        priors_from_yaml(path)
    except (ValueError, OSError) as exc:
        # the loader names the file by its full path: name it as the author wrote it
        ctx.report(loc, "bad-value", str(exc).replace(str(path), f"priors_file '{relative}'"))


def _check_thresholds(ctx: _Ctx, thresholds: dict[str, float | int]) -> None:
    base = AdaptivityConfig()
    known = {f.name for f in dataclasses.fields(AdaptivityConfig)}
    fine: dict[str, float | int] = {}
    for name, value in thresholds.items():
        try:
            base.with_overrides({name: value})
        except ValueError as exc:
            unknown = name not in known
            ctx.report(
                ("adaptivity", "thresholds", name),
                "unknown-key" if unknown else "bad-value",
                str(exc),
                key=unknown,
            )
        else:
            fine[name] = value
    if len(fine) < len(thresholds):
        return  # the rules between thresholds are checked once each one is right
    try:
        base.with_overrides(fine)
    except ValueError as exc:
        ctx.report(("adaptivity", "thresholds"), "bad-value", str(exc), key=True)


# --- things declared but never used ---------------------------------------------------------


def _check_unused(ctx: _Ctx) -> None:
    lesson = ctx.loaded.lesson
    asked = {s.ask for s in lesson.steps}
    for i, question in enumerate(lesson.questions):
        if question.id not in asked:
            ctx.report(
                ("questions", i, "id"),
                "unused",
                f"no step asks question '{question.id}', "
                f"so it is never shown; add 'ask: {question.id}' to a step or remove it",
                "warning",
            )
    tagged = {s for step in lesson.steps for s in step.skills}
    tagged |= {s for question in lesson.questions for s in question.skills}
    for i, skill in enumerate(lesson.metadata.skills):
        if skill.id not in tagged:
            ctx.report(
                ("metadata", "skills", i, "id"),
                "unused",
                f"no step or question is tagged with skill '{skill.id}', so the learner "
                "model never measures it; tag one or remove the skill",
                "warning",
            )
    _check_unplayed(ctx, lesson.entities)


def _check_unplayed(ctx: _Ctx, entities: Iterable[Entity]) -> None:
    last = len(ctx.steps) - 1
    for i, entity in enumerate(entities):
        if entity.narration is not None and (why := _unheard(ctx, entity.id, last, here="a step")):
            ctx.report(
                ("entities", i, "narration"),
                "unused",
                f"this narration never plays: {why}",
                "warning",
                key=True,
            )
        if entity.only_when is not None and (why := _always_hidden(ctx, entity.id)):
            ctx.report(
                ("entities", i, "only_when"), "unused", f"never shown: {why}", "warning", key=True
            )
