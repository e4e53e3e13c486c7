"""Steps that can never complete, or only by luck: conditions no state of the lesson can
satisfy (an unreachable zone, pH or range, an unasked question, an unheard narration, an
entity hidden at every level) and instruments that round more than the tolerance allows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from engine.model.checks.context import PHYSICAL_RANGE, _Ctx, _properties, _reading, _walk
from engine.model.components import Liquid, Prop
from engine.model.lesson import (
    Condition,
    Entity,
    KnobRef,
    Measured,
    Placed,
    Question,
    Ref,
    StateCheck,
    Step,
)
from engine.model.loader import Loc
from engine.model.units import BASE_UNIT, UnitError, parse_quantity
from engine.sim import chemistry

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
    if prop != "ph" or not meters:
        return
    smallest = _smallest_target(ctx, answer, {})
    if smallest is None:
        return
    finest = min(meters, key=lambda e: (_display_step(e) or (math.inf, ""))[0])
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
