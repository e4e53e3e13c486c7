"""The difficulty controller: moves a lesson's knobs to keep predicted success in the band.

Aim: predicted success near 0.80, inside 0.70-0.85 (the "85% rule"). The controller moves one
knob one level per decision, only after ``hysteresis`` consecutive out-of-band predictions, at
most ``max_changes`` times in any ``rate_window_s`` seconds, and never changes what is in the
scene in the middle of a step. Pure and deterministic: lesson time ``t`` comes from the caller.

Knob kinds, read from the lesson (:func:`classify_knobs`):

* ``geometry``: gates entities that appear as it gets harder (``only_when.min_level > 0``,
  e.g. distractors). Changes only between steps.
* ``scaffold``: gates entities shown only when easy (``only_when.max_level``, e.g. a formula
  card). May get easier mid-step (the scaffold appears); gets harder only between steps, so a
  scaffold is never taken away while the learner may be reading it.
* ``tolerance``: used by a ``{knob: ...}`` tolerance. Changes any time.
* ``other``: anything else; its effect is unknown, so it changes only between steps.

Which knob moves: harder walks tolerance, scaffold, geometry, other (least visible first);
easier walks the reverse, so easing undoes the most recent kinds of hardening first. Within a
kind, lesson order. Knobs at their bound or not allowed to move now are skipped.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from adaptivity.config import AdaptivityConfig
from engine.core import events as ev
from engine.model.lesson import Knob, KnobRef, Lesson

KnobKind = Literal["geometry", "scaffold", "tolerance", "other"]
Direction = Literal["harder", "easier"]

#: the order in which knobs are made harder; easier walks it backwards
HARDER_ORDER: tuple[KnobKind, ...] = ("tolerance", "scaffold", "geometry", "other")

# Lesson times are multiples of 1/120 s: allow a hair of float error at the window's edge.
_EPS = 1e-9


_V = TypeVar("_V")
#: (analysis, id(lesson)) -> (the lesson, weakly, and what the analysis found)
_PER_LESSON: dict[tuple[str, int], tuple[weakref.ref[Lesson], dict[str, Any]]] = {}


def _per_lesson(fn: Callable[[Lesson], dict[str, _V]]) -> Callable[[Lesson], dict[str, _V]]:
    """Remember a pure analysis of a lesson for as long as that lesson object lives.

    A tutor is built for every session, and ``lesson simulate`` builds thousands; walking the
    whole lesson tree each time cost about 2 ms of a 3 ms build. Loaded lessons are not
    changed in place (a changed lesson is a new object), so the object is the key.
    """

    @functools.wraps(fn)
    def analysed(lesson: Lesson) -> dict[str, _V]:
        key = (fn.__name__, id(lesson))
        hit = _PER_LESSON.get(key)
        if hit is not None and hit[0]() is lesson:
            return dict(hit[1])
        value = fn(lesson)
        gone = weakref.ref(lesson, lambda _ref: _PER_LESSON.pop(key, None))
        _PER_LESSON[key] = (gone, value)
        return dict(value)

    return analysed


@_per_lesson
def classify_knobs(lesson: Lesson) -> dict[str, KnobKind]:
    """What each of the lesson's knobs changes, from how the lesson uses it.

    Geometry wins over scaffold (any gate with ``min_level > 0`` adds objects as it gets
    harder), and both over tolerance, since what the learner sees matters most mid-step.

    Args:
        lesson: a validated lesson.

    Returns:
        Knob id to kind, for every knob in ``lesson.difficulty``, in lesson order.
    """
    geometry: set[str] = set()
    scaffold: set[str] = set()
    for entity in lesson.entities:
        gate = entity.only_when
        if gate is None:
            continue
        if gate.min_level > 0:
            geometry.add(gate.knob)
        elif gate.max_level is not None:
            scaffold.add(gate.knob)
    tolerance = {ref.knob for ref in _knob_refs(lesson)}
    kinds: dict[str, KnobKind] = {}
    for knob in lesson.difficulty:
        if knob.id in geometry:
            kinds[knob.id] = "geometry"
        elif knob.id in scaffold:
            kinds[knob.id] = "scaffold"
        elif knob.id in tolerance:
            kinds[knob.id] = "tolerance"
        else:
            kinds[knob.id] = "other"
    return kinds


@_per_lesson
def knob_steps(lesson: Lesson) -> dict[str, frozenset[str]]:
    """Which steps each knob makes easier or harder, read from how the lesson uses it.

    A tolerance knob touches the steps whose condition (or question) uses it; a scaffold knob
    the steps whose hints point at an entity it shows; a geometry knob that adds grabbable
    look-alikes the steps that ask for a placement. Moving a knob that touches none of a step
    changes nothing about that step, so the controller never moves it for that step.

    Args:
        lesson: a validated lesson.

    Returns:
        Knob id to the ids of the steps it touches, for every knob in ``lesson.difficulty``.
    """
    kinds = classify_knobs(lesson)
    gated: dict[str, set[str]] = {}
    for entity in lesson.entities:
        if entity.only_when is not None:
            gated.setdefault(entity.only_when.knob, set()).add(entity.id)
    touched: dict[str, set[str]] = {k.id: set() for k in lesson.difficulty}
    for step in lesson.steps:
        refs = {r.knob for r in _knob_refs(step.complete_when)}
        if step.ask is not None:
            refs |= {r.knob for r in _knob_refs(lesson.question(step.ask))}
        hint_targets = {t for h in step.hints for t in h.targets}
        for knob in lesson.difficulty:
            kind, entities = kinds[knob.id], gated.get(knob.id, set())
            if (
                knob.id in refs
                or (kind == "scaffold" and bool(entities & hint_targets))
                or (
                    kind == "geometry"
                    and step.complete_when.placed is not None
                    and any(lesson.entity(e).grabbable is not None for e in entities)
                )
            ):
                touched[knob.id].add(step.id)
    return {k: frozenset(v) for k, v in touched.items()}


def _knob_refs(node: Any) -> Iterator[KnobRef]:
    """Every :class:`KnobRef` in a model tree (questions, nested step conditions, ...)."""
    # walk the whole tree rather than known fields, so a new place that takes a knob
    # tolerance in a later format version is classified without changing this module
    if isinstance(node, KnobRef):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _knob_refs(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _knob_refs(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _knob_refs(item)


@dataclass(frozen=True)
class KnobDecision:
    """One knob moved one level, with why.

    Attributes:
        knob: the knob id.
        from_level: its level before (index into ``Knob.levels``, easiest first).
        to_level: its level after; always ``from_level +- 1``.
        reason: a sentence with the numbers, for the teacher and the log.
        predicted: the predicted success that led to it (None for an explicit :meth:`ease`).
        t: lesson time of the decision.
    """

    knob: str
    from_level: int
    to_level: int
    reason: str
    predicted: float | None
    t: float


class DifficultyController:
    """Keeps predicted success in the band by moving knobs one level at a time.

    Wiring: call :meth:`decide` once per *new* prediction (after each learner-model update,
    not every tick: the hysteresis counts predictions), with ``between_steps=True`` from the
    ``StepCompleted`` listener, before the next step is shown; apply each decision with
    ``runtime.set_knob(d.knob, d.to_level, reason=d.reason)``. Subscribe :meth:`observe` so a
    teacher's knob change is seen.
    """

    def __init__(
        self,
        knobs: Sequence[Knob],
        config: AdaptivityConfig | None = None,
        *,
        kinds: Mapping[str, KnobKind] | None = None,
        levels: Mapping[str, int] | None = None,
    ) -> None:
        """Set up the controller.

        Args:
            knobs: the lesson's knobs (``lesson.difficulty``).
            config: thresholds (the defaults when omitted).
            kinds: knob id to kind (see :func:`classify_knobs`); a knob missing here is
                ``other`` and so changes only between steps. :meth:`for_lesson` fills it in.
            levels: starting levels (the runtime's, e.g. restored from the learner store);
                the knobs' defaults otherwise.

        Raises:
            ValueError: a level for an unknown knob, or out of its range.
        """
        self.config = config or AdaptivityConfig()
        self._knobs = list(knobs)
        self._by_id = {k.id: k for k in self._knobs}
        self._kinds: dict[str, KnobKind] = {k.id: (kinds or {}).get(k.id, "other") for k in knobs}
        self._levels = {k.id: k.default for k in self._knobs}
        for knob_id, level in (levels or {}).items():
            if knob_id not in self._by_id:
                raise ValueError(f"no knob '{knob_id}' in this lesson")
            top = len(self._by_id[knob_id].levels) - 1
            if not 0 <= level <= top:
                raise ValueError(f"level {level} of knob '{knob_id}' is not one of 0..{top}")
            self._levels[knob_id] = level
        rank = {kind: i for i, kind in enumerate(HARDER_ORDER)}
        position = {k.id: i for i, k in enumerate(self._knobs)}
        self._harder_order = sorted(self._by_id, key=lambda k: (rank[self._kinds[k]], position[k]))
        self._above = 0
        self._below = 0
        self._changes: list[float] = []
        self._last_t = -math.inf

    @classmethod
    def for_lesson(
        cls,
        lesson: Lesson,
        config: AdaptivityConfig | None = None,
        *,
        levels: Mapping[str, int] | None = None,
    ) -> DifficultyController:
        """A controller for ``lesson``'s knobs, classified from the lesson."""
        return cls(lesson.difficulty, config, kinds=classify_knobs(lesson), levels=levels)

    # --- state -----------------------------------------------------------------------------

    @property
    def levels(self) -> dict[str, int]:
        """Current level of each knob (a copy)."""
        return dict(self._levels)

    @property
    def changes(self) -> tuple[float, ...]:
        """Lesson times of the controller's own changes, oldest first."""
        return tuple(self._changes)

    def kind(self, knob: str) -> KnobKind:
        """The kind of ``knob``."""
        return self._kinds[knob]

    def observe(self, event: ev.LessonEvent) -> None:
        """Follow knob changes made outside the controller (a teacher); others are ignored.

        A teacher's change does not count against the rate limit: the limit protects the
        learner from the engine, not from the teacher.
        """
        if isinstance(event, ev.KnobChanged) and event.knob in self._by_id:
            top = len(self._by_id[event.knob].levels) - 1
            self._levels[event.knob] = max(0, min(event.to_level, top))

    def can_change(self, t: float) -> bool:
        """Whether the rate limit allows a change at ``t``."""
        window = self.config.rate_window_s
        recent = sum(1 for c in self._changes if t - c < window - _EPS)
        return recent < self.config.max_changes

    # --- decisions -------------------------------------------------------------------------

    def decide(
        self,
        t: float,
        predicted_success: float,
        *,
        between_steps: bool,
        touching: Collection[str] | None = None,
        what_if: Callable[[str, int], float] | None = None,
    ) -> list[KnobDecision]:
        """Take one prediction; move one knob one level if it has been out of band long enough.

        Inside the band, the streak resets. Out of band for ``hysteresis`` consecutive
        predictions in one direction, one knob moves one level (harder above the band, easier
        below) when the rate limit and the step boundary allow; otherwise the streak is kept,
        so the move happens at the first allowed prediction that is still out of band.

        With ``what_if`` (the predicted success of the step at one knob's other level), only
        the knobs in ``touching`` (those that touch the step) are candidates, and the move is
        the one whose predicted success lies nearest ``target_success``, taken only if it is
        nearer than staying: a knob whose next level would overshoot the band stays. Without
        it, knobs move in the fixed kind order (tolerance, scaffold, geometry, other).

        Args:
            t: lesson time (never decreasing between calls).
            predicted_success: predicted probability of success on the next step.
            between_steps: True between two steps (geometry may change), False mid-step.
            touching: the knobs that change the step's difficulty (used with ``what_if``).
            what_if: ``(knob, level) -> predicted success`` of the step with that one knob at
                that level; called only when a move is due, so a prediction in band costs
                nothing extra.

        Returns:
            At most one decision; the controller counts it as applied.

        Raises:
            ValueError: a prediction outside [0, 1], or time going backwards.
        """
        if not 0.0 <= predicted_success <= 1.0:
            raise ValueError(f"predicted success must lie in [0, 1] (got {predicted_success})")
        if t < self._last_t - _EPS:
            self._advance(t)  # raises: time went backwards
        self._last_t = max(self._last_t, t)
        cfg = self.config
        if predicted_success > cfg.band_high:
            self._above, self._below = self._above + 1, 0
            if self._above < cfg.hysteresis:
                return []
            direction: Direction = "harder"
        elif predicted_success < cfg.band_low:
            self._above, self._below = 0, self._below + 1
            if self._below < cfg.hysteresis:
                return []
            direction = "easier"
        else:
            self._above = self._below = 0
            return []
        if what_if is not None:
            decision = self._move_nearest(
                t, direction, predicted_success, between_steps, touching or (), what_if
            )
        else:
            decision = self._move(t, direction, "", predicted_success, between_steps)
        return [] if decision is None else [decision]

    def _why(self, direction: Direction, predicted: float) -> str:
        # built only once a move is taken: most predictions decide nothing (online cost)
        cfg = self.config
        streak = self._above if direction == "harder" else self._below
        cmp, edge = (">", cfg.band_high) if direction == "harder" else ("<", cfg.band_low)
        return f"predicted success {predicted:.2f} {cmp} {edge:.2f} for {streak} predictions"

    def _move_nearest(
        self,
        t: float,
        direction: Direction,
        predicted: float,
        between_steps: bool,
        touching: Collection[str],
        what_if: Callable[[str, int], float],
    ) -> KnobDecision | None:
        if not self.can_change(t):
            return None
        target = self.config.target_success
        best: tuple[float, str, int, float] | None = None
        for knob_id in self._harder_order:
            if knob_id not in touching or not self._movable(knob_id, direction, between_steps):
                continue
            old = self._levels[knob_id]
            new = old + 1 if direction == "harder" else old - 1
            p = what_if(knob_id, new)
            gap = abs(p - target)
            if best is None or gap < best[0] - _EPS:
                best = (gap, knob_id, new, p)
        if best is None or best[0] >= abs(predicted - target) - _EPS:
            return None  # no knob of this step, or every move would land farther from target
        _, knob_id, new, p = best
        knob = self._by_id[knob_id]
        old = self._levels[knob_id]
        why = f"{self._why(direction, predicted)}: {direction}, predicted {p:.2f} after"
        return self._commit(t, knob, old, new, why, predicted)

    def ease(
        self,
        t: float,
        reason: str,
        *,
        between_steps: bool = False,
        touching: Collection[str] | None = None,
    ) -> KnobDecision | None:
        """Make it one level easier now, for a reason of the caller's (wheel-spinning).

        Same rules as :meth:`decide`: one level, the rate limit, and geometry only between
        steps (the default assumes mid-step, the safe side).

        Args:
            t: lesson time.
            reason: why, e.g. the wheel-spinning flag's reason.
            between_steps: True between two steps.
            touching: when given, only these knobs (those that touch the learner's step) may
                move: easing a knob of another step would not help with this one.

        Returns:
            The decision, or None if no knob may get easier now.
        """
        self._advance(t)
        if touching is None:
            return self._move(t, "easier", f"{reason}: easier", None, between_steps)
        if not self.can_change(t):
            return None
        for knob_id in self._harder_order[::-1]:
            if knob_id in touching and self._movable(knob_id, "easier", between_steps):
                old = self._levels[knob_id]
                knob = self._by_id[knob_id]
                return self._commit(t, knob, old, old - 1, f"{reason}: easier", None)
        return None

    def _advance(self, t: float) -> None:
        # the rate limit counts changes over lesson time: it only holds if time moves forward
        if t < self._last_t - _EPS:
            raise ValueError(f"lesson time went backwards ({t} after {self._last_t})")
        self._last_t = max(self._last_t, t)

    def _move(
        self,
        t: float,
        direction: Direction,
        why: str,
        predicted: float | None,
        between_steps: bool,
    ) -> KnobDecision | None:
        if not self.can_change(t):
            return None
        knob = self._pick(direction, between_steps)
        if knob is None:
            return None
        if not why:
            why = f"{self._why(direction, predicted or 0.0)}: {direction}"
        old = self._levels[knob.id]
        new = old + 1 if direction == "harder" else old - 1
        return self._commit(t, knob, old, new, why, predicted)

    def _commit(
        self, t: float, knob: Knob, old: int, new: int, why: str, predicted: float | None
    ) -> KnobDecision:
        self._levels[knob.id] = new
        self._changes.append(t)
        self._above = self._below = 0
        reason = f"{why} ({knob.id}: {_label(knob.levels[old])} -> {_label(knob.levels[new])})"
        return KnobDecision(knob.id, old, new, reason, predicted, t)

    def _movable(self, knob_id: str, direction: Direction, between_steps: bool) -> bool:
        level = self._levels[knob_id]
        if direction == "harder":
            if level >= len(self._by_id[knob_id].levels) - 1:
                return False
        elif level <= 0:
            return False
        return between_steps or _may_move_mid_step(self._kinds[knob_id], direction)

    def _pick(self, direction: Direction, between_steps: bool) -> Knob | None:
        order = self._harder_order if direction == "harder" else self._harder_order[::-1]
        for knob_id in order:
            if self._movable(knob_id, direction, between_steps):
                return self._by_id[knob_id]
        return None


def _may_move_mid_step(kind: KnobKind, direction: Direction) -> bool:
    """What may change while the learner is in a step."""
    if kind == "tolerance":
        return True
    # easing a scaffold knob only shows scaffolds; hardening would take one away mid-read
    return kind == "scaffold" and direction == "easier"


def _label(level: float | str) -> str:
    return f"{level:g}" if isinstance(level, float) else str(level)
