"""How the lesson's parts are used: difficulty knobs that nothing moves or reads, the
adaptivity settings (priors, thresholds), and what is declared but never used.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from adaptivity.config import AdaptivityConfig
from adaptivity.priors import priors_from_yaml
from engine.model.checks.completion import _always_hidden, _unheard
from engine.model.checks.context import _Ctx, _walk
from engine.model.diagnostics import did_you_mean
from engine.model.lesson import (
    Entity,
    KnobRef,
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
