"""Step completion conditions, evaluated against the runtime's facts.

A condition is data (``placed``, ``pressed``, ``visited``, ``answered``, ``heard``,
``measured``, ``state``, ``all``, ``any``); :func:`holds` decides it from a :class:`Facts`
view, so the step machine, the linter's reachability checks and simulated learners share one
definition of "done".
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from engine.model.lesson import Condition, KnobRef, Ref


class Facts(Protocol):
    """What a condition may look at (the runtime implements this)."""

    def in_zone(self, entity: str) -> str | None:
        """The snap zone an entity sits in."""
        ...

    def was_pressed(self, button: str) -> bool:
        """The button was pressed during the current step."""
        ...

    def was_visited(self, poi: str) -> bool:
        """The point of interest has been visited."""
        ...

    def answered_correctly(self, question: str) -> bool:
        """The question has been answered correctly."""
        ...

    def was_heard(self, narration: str) -> bool:
        """The narration played to its end."""
        ...

    def measurement(self, instrument: str) -> float | None:
        """The instrument's current measurement, None when it has none."""
        ...

    def value(self, ref: str) -> float:
        """A simulated property, ``entity.property``."""
        ...

    def knob_value(self, knob: str) -> float:
        """The numeric value of a knob's current level."""
        ...


def resolve(value: float | Ref, facts: Facts) -> float:
    """A literal, or a reference into the simulation scaled."""
    if isinstance(value, Ref):
        return facts.value(value.ref) * value.scale
    return float(value)


def tolerance(value: float | KnobRef, facts: Facts) -> float:
    """A relative tolerance, literal or from a knob's current level."""
    if isinstance(value, KnobRef):
        return facts.knob_value(value.knob)
    return float(value)


def within(measured: float, target: float, rel_tol: float) -> bool:
    """``measured`` lies within ``rel_tol`` (relative) of ``target``; exact when target is 0."""
    if not (math.isfinite(measured) and math.isfinite(target)):
        return False
    return abs(measured - target) <= rel_tol * abs(target) + 1e-12


def holds(cond: Condition, facts: Facts) -> bool:
    """Whether ``cond`` is true now."""
    if cond.all is not None:
        return all(holds(c, facts) for c in cond.all)
    if cond.any is not None:
        return any(holds(c, facts) for c in cond.any)
    if cond.placed is not None:
        return facts.in_zone(cond.placed.entity) == cond.placed.zone
    if cond.pressed is not None:
        return facts.was_pressed(cond.pressed)
    if cond.visited is not None:
        return facts.was_visited(cond.visited)
    if cond.answered is not None:
        return facts.answered_correctly(cond.answered)
    if cond.heard is not None:
        return facts.was_heard(cond.heard)
    if cond.measured is not None:
        m = cond.measured
        reading = facts.measurement(m.instrument)
        if reading is None:
            return False
        return within(reading, resolve(m.target, facts), tolerance(m.tolerance, facts))
    if cond.state is not None:
        v = facts.value(cond.state.ref)
        lo, hi = cond.state.min, cond.state.max
        return (lo is None or v >= lo) and (hi is None or v <= hi)
    raise AssertionError(f"unhandled condition {cond.kind}")  # the model guarantees one key


def needs_tick(cond: Condition) -> bool:
    """Whether the condition depends on simulated state, so must be re-checked every tick."""
    if cond.all is not None or cond.any is not None:
        return any(needs_tick(c) for c in (cond.all or cond.any or []))
    return cond.measured is not None or cond.state is not None or cond.heard is not None


def reads(cond: Condition) -> set[str]:
    """The simulated properties (``entity.property``) a condition reads: ``state`` refs and
    ``measured`` targets (an instrument's measurement itself is not a property)."""
    if cond.all is not None or cond.any is not None:
        return {r for c in (cond.all or cond.any or []) for r in reads(c)}
    if cond.state is not None:
        return {cond.state.ref}
    if cond.measured is not None and isinstance(cond.measured.target, Ref):
        return {cond.measured.target.ref}
    return set()


def targets(cond: Condition) -> list[str]:
    """Entity ids a condition is about (what a highlight hint points at by default)."""
    if cond.all is not None or cond.any is not None:
        return [t for c in (cond.all or cond.any or []) for t in targets(c)]
    if cond.placed is not None:
        return [cond.placed.entity, cond.placed.zone]
    if cond.measured is not None:
        return [cond.measured.instrument]
    single = cond.pressed or cond.visited or cond.heard
    return [single] if single else []


def leaves(cond: Condition, kind: str) -> list[Any]:
    """Every ``kind`` predicate (e.g. ``"measured"``) in a condition tree, nested ones too."""
    if cond.all is not None or cond.any is not None:
        return [leaf for c in (cond.all or cond.any or []) for leaf in leaves(c, kind)]
    value = getattr(cond, kind)
    return [value] if value is not None else []
