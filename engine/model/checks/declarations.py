"""Checks of what a lesson declares: metadata, ids, entities (their components, parents,
visibility gates, buttons and the values they set) and asset files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from engine.model.checks.context import _Ctx, _entity, _knob, _needs, _property, _split_ref
from engine.model.components import ACTIONS, Prop
from engine.model.custom import custom_actions
from engine.model.diagnostics import did_you_mean
from engine.model.lesson import (
    Choice,
    Entity,
    Knob,
    Question,
    Skill,
    Step,
)
from engine.model.loader import Loc
from engine.model.units import UnitError, parse_quantity
from engine.paths import ASSETS_DIR

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
