"""Fast-forwarding a lesson's runtime: the ticks that provably change nothing are jumped over.

``lesson simulate`` runs thousands of learners through a lesson's logic with no rendering; most
of their lesson time is spent waiting (reading, thinking, timing ten swings), and ticking the
runtime 120 times a lesson-second through those waits would cost most of the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from adaptivity.tutor import Tutor
from engine.core import events as ev
from engine.core.behaviours import FOREVER, Behaviour
from engine.core.conditions import reads
from engine.core.runtime import ADVISOR_EVERY_TICKS, Runtime


class FastForward:
    """Runs a runtime's fixed ticks, jumping over runs of ticks that provably change nothing.

    ``Runtime.tick()`` ticks the behaviours that are ticking, ends narrations that are due,
    re-checks a step condition that reads the simulation, shows a delayed hint that is due,
    and consults the advisor every :data:`ADVISOR_EVERY_TICKS` ticks. Right after anything
    happened (an event, or :meth:`touch` after an interaction) ticks are run for real up to
    the next advice tick. Otherwise the facts a condition reads can only change through the
    behaviours that tick, and each of those says how many of its next ticks are *quiet*
    (:meth:`~engine.core.behaviours.Behaviour.quiet_ticks`: no event, no measurement, no
    readable property changed except its :meth:`~engine.core.behaviours.Behaviour.volatile`
    ones; a swinging pendulum, a running stopwatch and a settled pH meter are quiet for
    ever, a settling one until the tick it settles). Unless the step's condition reads one of
    those volatile properties, the quiet ticks before the next due timer are jumped over:
    the behaviours :meth:`~engine.core.behaviours.Behaviour.advance` in one go, the clock is
    set, and the due tick itself is run for real. Due timers are the end of a narration, a
    delayed hint, the end of the behaviours' quiet run, and an advice tick at which the
    advisor could act.

    The advisor's ticks are timers too. For the :class:`~adaptivity.tutor.Tutor`, an advice
    tick can only act (show an unasked hint, emit a pending flag) once the hint policy's
    quiet period since the last hint is over and, unless the step has ``stuck_errors``
    errors, the learner has been idle for ``idle_factor`` times the step's expected time;
    both clocks restart on events this helper sees (the policy's own rules, from its public
    config). Advice ticks before that lower bound are skipped; from it on, every advice tick
    runs. The bound ignores the policy's other guards (gaze, gaming holds, the bottom-out
    rung), which only delay a hint further, so it is never late. Other advisors are
    consulted on every advice tick.

    The events are those of ticking through, at the same ticks; the behaviours' state after a
    jump is theirs after the same ticks (bit for bit for the instruments; to 1e-9 rad for a
    pendulum's closed-form swing). The runtime is not modified.
    """

    def __init__(self, runtime: Runtime) -> None:
        """Take over advancing ``runtime`` (interactions still go to ``runtime.handle``)."""
        self.rt = runtime
        self.behaviours = [b for bs in runtime.behaviours.values() for b in bs]
        self.tutor = runtime.advisor if isinstance(runtime.advisor, Tutor) else None
        self.dirty = True
        #: ticks run for real, and ticks skipped over
        self.ran = 0
        self.skipped = 0
        self._last_hint = -math.inf
        self._idle_since = 0.0
        self._errors = 0
        #: per step index: the simulated properties its condition reads
        self._reads: dict[int, set[str]] = {}
        runtime.subscribe(self._on_event)

    def _on_event(self, event: ev.LessonEvent) -> None:
        self.dirty = True
        # what restarts the hint policy's quiet and idle clocks (adaptivity/hints.py)
        if isinstance(event, ev.StepStarted):
            self._idle_since, self._errors = event.t, 0
        elif isinstance(event, ev.HintShown):
            self._last_hint = self._idle_since = event.t
        elif isinstance(event, ev.Answered):
            self._idle_since = event.t
            self._errors += not event.correct
        elif isinstance(event, ev.Measured) or (
            isinstance(event, ev.Interacted) and event.action != "dwelled"
        ):
            self._idle_since = event.t

    def touch(self) -> None:
        """Something was done to the runtime (an interaction): tick the next tick for real."""
        self.dirty = True

    def _first_tick(self, t: float) -> int:
        """The first tick after now whose lesson time reaches ``t`` (the runtime's own test)."""
        clock = self.rt.clock
        k = max(clock.tick + 1, int(t / clock.dt) - 1)
        while k * clock.dt < t:
            k += 1
        return k

    def _advice_from(self) -> float:
        """Lesson time before which the Tutor's advice cannot act (see the class docstring)."""
        tutor, step = self.tutor, self.rt.step
        if tutor is None or tutor.hints.flags:
            return -math.inf
        if step is None:
            return math.inf
        cfg = tutor.config
        quiet = self._last_hint + cfg.proactive_quiet_s
        if self._errors >= cfg.stuck_errors:
            return quiet
        return max(quiet, self._idle_since + cfg.idle_factor * step.expected_time)

    def _quiet(self, ticking: list[Behaviour]) -> int:
        """How many of the next ticks the ticking behaviours leave quiet for this step."""
        if not ticking:
            return FOREVER
        rt = self.rt
        step = rt.step
        read: set[str] = set()
        if step is not None:
            index = rt.step_index
            if index not in self._reads:
                self._reads[index] = reads(step.complete_when)
            read = self._reads[index]
        quiet = FOREVER
        for b in ticking:
            if read and any(f"{b.entity}.{p}" in read for p in b.volatile()):
                return 0  # the condition watches what moves: every tick must be checked
            quiet = min(quiet, b.quiet_ticks(rt.clock.dt))
            if quiet <= 0:
                return 0
        return quiet

    def run_until(self, t: float, stop: Callable[[], bool] | None = None) -> bool:
        """Advance to lesson time ``t`` (as ``Runtime.run_until``), or until ``stop()`` holds.

        ``stop`` is checked after every tick that ran for real (skipped ticks change nothing
        it could read).

        Returns:
            Whether it stopped because ``stop()`` held (or the lesson completed).
        """
        rt, clock = self.rt, self.rt.clock
        target = clock.tick + clock.ticks_until(t)
        every = ADVISOR_EVERY_TICKS if rt.advisor is not None else 0
        while clock.tick < target:
            if rt.completed or (stop is not None and stop()):
                return True
            ticking = [b for b in self.behaviours if b.ticking]
            quiet = 0 if self.dirty else self._quiet(ticking)
            if quiet <= 0:
                # real ticks up to the next advisor tick (it may act on what just happened),
                # or one tick with no advisor; then look again
                self.dirty = False
                end = min(target, (clock.tick // every + 1) * every if every else clock.tick + 1)
                while clock.tick < end:
                    rt.tick()
                    self.ran += 1
                    if rt.completed or (stop is not None and stop()):
                        return True
                continue
            due = min(target, clock.tick + quiet + 1)
            if every:
                advice = (clock.tick // every + 1) * every
                start = self._advice_from()
                if start == math.inf:
                    advice = target
                elif start - 1e-6 > advice * clock.dt:
                    # 1 us of slack: the policy's own comparisons allow 1e-9 s either way
                    advice = -(-self._first_tick(start - 1e-6) // every) * every
                due = min(due, advice)
            for ends in rt.narrating.values():
                due = min(due, self._first_tick(ends))
            if rt.pending_hint is not None:
                due = min(due, self._first_tick(rt.pending_hint[0]))
            jump = due - 1 - clock.tick
            if jump > 0:
                for b in ticking:
                    b.advance(jump, clock.dt)
                self.skipped += jump
                clock.tick = due - 1
            rt.tick()
            self.ran += 1
        return rt.completed or (stop is not None and stop())
