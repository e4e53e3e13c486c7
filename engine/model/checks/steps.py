"""Checks of questions, tolerances and steps: every reference a condition or hint makes, and
the units and tolerances of what is compared.
"""

from __future__ import annotations

from engine.model.checks.completion import _coarse_answer
from engine.model.checks.context import (
    _Ctx,
    _entity,
    _knob,
    _needs,
    _property,
    _question,
    _reading,
    _walk,
)
from engine.model.components import Prop
from engine.model.diagnostics import did_you_mean
from engine.model.lesson import (
    Condition,
    Hint,
    Knob,
    KnobRef,
    Measured,
    Question,
    Ref,
)
from engine.model.loader import Loc
from engine.model.units import BASE_UNIT, UNITS, UnitError, parse_quantity

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
