"""Which interactions are attempts at a step, so that a failed manipulation is evidence too.

The runtime reports a wrong answer and an off-target reading (a stopped stopwatch) as errors,
but most failed hands-on attempts are silent: a bob put down beside the hook, a look-alike
that the hook refuses, the wrong length button pressed. None of them completes the step, and
none of them tells the learner model anything unless something counts it. This module reads
the lesson once to know, per step, which interactions are *attempts* at it:

* a ``placed`` condition: releasing the entity it asks for, or a look-alike (a grabbable that
  a geometry knob adds to the scene as it gets harder: a distractor);
* a ``measured`` condition on a discrete instrument (one that reports readings, such as a
  stopwatch or a pH meter): each reading of that instrument;
* a ``measured`` condition on a continuous instrument (a ruler): pressing a button that sets
  the property it reads.

An attempt that completes the step is followed by ``StepCompleted`` at the same lesson time;
an attempt still unresolved when later lesson time (or another attempt) comes is a failure.
Question steps need none of this: every ``Answered`` event says whether it was right.
Pure and deterministic: it reads events only.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core import events as ev
from engine.core.conditions import leaves
from engine.model.lesson import Lesson

#: components whose behaviours report discrete readings (``Measured`` events)
DISCRETE_INSTRUMENTS = ("stopwatch", "ph_meter")


@dataclass(frozen=True)
class AttemptSpec:
    """The interactions that are attempts at one step.

    Attributes:
        releases: grabbables whose release is an attempt (the wanted one, look-alikes).
        readings: discrete instruments whose reading is an attempt.
        presses: buttons that set a property a continuous instrument of the step reads.
    """

    releases: frozenset[str] = frozenset()
    readings: frozenset[str] = frozenset()
    presses: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.releases or self.readings or self.presses)


def attempt_specs(lesson: Lesson) -> dict[str, AttemptSpec]:
    """Per step id, what counts as an attempt; steps with questions or nothing to track are
    left out (their evidence comes from answers, or once from ``StepCompleted``)."""
    entities = {e.id: e for e in lesson.entities}
    look_alikes = frozenset(
        e.id
        for e in lesson.entities
        if e.grabbable is not None and e.only_when is not None and e.only_when.min_level > 0
    )
    specs: dict[str, AttemptSpec] = {}
    for step in lesson.steps:
        if step.ask is not None:
            continue
        releases: set[str] = set()
        readings: set[str] = set()
        presses: set[str] = set()
        for placed in leaves(step.complete_when, "placed"):
            releases.add(placed.entity)
            releases |= look_alikes
        for measured in leaves(step.complete_when, "measured"):
            instrument = entities.get(measured.instrument)
            if instrument is None:
                continue
            if any(getattr(instrument, c, None) is not None for c in DISCRETE_INSTRUMENTS):
                readings.add(instrument.id)
            elif instrument.ruler is not None:
                reads = instrument.ruler.measures
                presses |= {
                    e.id
                    for e in lesson.entities
                    if e.button is not None and any(a.set == reads for a in e.button.actions)
                }
        spec = AttemptSpec(frozenset(releases), frozenset(readings), frozenset(presses))
        if spec:
            specs[step.id] = spec
    return specs


class AttemptTracker:
    """Turns a step's interactions into failed attempts, from lesson events alone.

    Args:
        specs: :func:`attempt_specs` of the lesson.
    """

    __slots__ = ("_pending", "_spec", "_specs", "_step")

    def __init__(self, specs: dict[str, AttemptSpec]) -> None:
        self._specs = specs
        self._spec: AttemptSpec | None = None
        self._step = ""
        self._pending: float | None = None

    def tracks(self, step: str) -> bool:
        """Whether ``step``'s attempts are tracked here."""
        return step in self._specs

    def observe(self, event: ev.LessonEvent) -> tuple[str, float] | None:
        """Take one event; returns ``(step, t)`` of an attempt it shows to have failed."""
        pending = self._pending
        failed = None
        if pending is not None and event.t > pending:
            failed, self._pending = (self._step, pending), None
        kind = type(event)  # events are final dataclasses: exact-class dispatch is cheapest
        if type(event) is ev.StepStarted:
            step = event.step
            self._spec, self._step, self._pending = self._specs.get(step), step, None
            return failed
        spec = self._spec
        if spec is None:
            return failed
        if kind is ev.StepCompleted or kind is ev.LessonEnded:
            self._pending, self._spec = None, None  # the attempt completed the step
            return failed
        attempt = False
        if type(event) is ev.Interacted:
            action, entity = event.action, event.entity
            if action == "released":
                attempt = entity in spec.releases
            elif action == "pressed":
                attempt = entity in spec.presses
        elif type(event) is ev.Measured:
            attempt = event.instrument in spec.readings
        if attempt:
            if self._pending is not None:
                failed = (self._step, self._pending)  # two attempts at one moment: the first failed
            self._pending = event.t
        return failed

    def poll(self, t: float) -> tuple[str, float] | None:
        """An attempt left unresolved before ``t`` failed: returns it (once), or None."""
        pending = self._pending
        if pending is None or t <= pending:
            return None
        self._pending = None
        return self._step, pending
