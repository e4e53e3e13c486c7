"""Semantic checks of a lesson that pydantic cannot see: references between ids, assets on
disk, and steps that can never complete.

Every problem is located in the file through :meth:`SourceMap.position` and says what to do
about it. Codes are those of :data:`engine.model.diagnostics.CODES`. Warnings (severity
``"warning"``) are for things that load and run but are very likely not what the author meant.

The checks, by what they look at: :mod:`~engine.model.checks.declarations` (metadata, ids,
entities, assets), :mod:`~engine.model.checks.steps` (questions, tolerances, the references
of conditions and hints), :mod:`~engine.model.checks.completion` (steps that can never
complete, or only by luck), :mod:`~engine.model.checks.usage` (knobs, adaptivity settings,
what is never used); :mod:`~engine.model.checks.context` holds what they share.
"""

from __future__ import annotations

from engine.model.checks.completion import _check_completion, _check_display
from engine.model.checks.context import INSTRUMENTS, NEEDS, PHYSICAL_RANGE, _Ctx
from engine.model.checks.declarations import (
    _check_assets,
    _check_entities,
    _check_ids,
    _check_metadata,
)
from engine.model.checks.steps import _check_questions, _check_steps
from engine.model.checks.usage import _check_adaptivity, _check_knob_use, _check_unused
from engine.model.components import PROPERTIES
from engine.model.diagnostics import Diagnostic
from engine.model.lint import lint_lesson
from engine.model.loader import LoadedLesson

__all__ = ["INSTRUMENTS", "NEEDS", "PHYSICAL_RANGE", "PROPERTIES", "check_lesson"]


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
