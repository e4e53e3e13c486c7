"""Benchmark: what adaptivity costs per interaction event, in pure Python.

Run from the checkout's root::

    .venv/bin/python bench/online_cost.py                 # 400 sessions, a few seconds
    .venv/bin/python bench/online_cost.py --sessions 100 --seed 7

It builds the pendulum lab's runtime with its Tutor (``engine.session.build_runtime``, as a
real session does) and feeds the Tutor a seeded, lesson-shaped stream of events, one new
learner per session: for each step ``Tutor.before_step`` (the runtime asks it before showing a
step: skip it, or set its knobs between steps; timed as its own call), ``StepStarted``, then
a few seconds apart gaze dwells (``Interacted`` with ``dwell_ms``), manipulations
(``Interacted``), hint requests (the ``Tutor.hint_delay`` verdict, then ``HintShown``) and,
on question steps, answers
(``Answered``, right with probability 0.6, until right), then ``StepCompleted``. Between
events lesson time advances tick by tick and ``Tutor.advise`` is called every 12 ticks, as the
runtime does (10 Hz at 120 Hz). The runtime's current step is set to the stream's step so that
advice and hints refer to it; the rest of the runtime (behaviours, the pendulum) is not run:
only the Tutor is timed.

Each ``Tutor.on_event``, ``Tutor.advise`` and ``Tutor.hint_delay`` call is timed on its own
with ``time.perf_counter_ns``, including whatever decision it makes and applies (an unasked
hint shown through ``Runtime.show_hint``, a knob moved through ``Runtime.set_knob``, a flag
emitted: their events come back to the Tutor inside the same call). The figures are the
median and 99th percentile per kind of call and over all events, in microseconds, against the
targets (median <= 5 us, p99 <= 50 us), and the ratio to a bare BKT update
(``adaptivity.bkt.posterior``) measured in the same run. The cost of an empty call timed the
same way is printed too: it is inside every per-call figure. The garbage collector is
disabled while timing (collected before), so a collection pause is not charged to whichever
call it happens to interrupt; a warm-up pass runs first. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script from anywhere

from adaptivity.bkt import BktParams, posterior  # noqa: E402
from adaptivity.tutor import Tutor  # noqa: E402
from engine.core import events as ev  # noqa: E402
from engine.core.runtime import ADVISOR_EVERY_TICKS, Runtime, StepProgress  # noqa: E402
from engine.model.loader import LoadedLesson, load_lesson  # noqa: E402
from engine.session import build_runtime  # noqa: E402

LESSON = "pendulum-lab"
TARGET_MEDIAN_US, TARGET_P99_US = 5.0, 50.0

Samples = dict[str, list[int]]


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, by linear interpolation."""
    if not ordered:
        return float("nan")
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def timed(samples: Samples | None, kind: str, call: Callable[..., Any], *args: Any) -> Any:
    """Call ``call(*args)``, adding its duration in ns to ``samples[kind]``."""
    start = time.perf_counter_ns()
    result = call(*args)
    elapsed = time.perf_counter_ns() - start
    if samples is not None:
        samples.setdefault(kind, []).append(elapsed)
    return result


class Stream:
    """One synthetic session: a fresh learner's events through one runtime and Tutor.

    Args:
        loaded: the lesson.
        rng: the session's random source.
        samples: where timings go (``None``: a warm-up, nothing is kept).
    """

    def __init__(self, loaded: LoadedLesson, rng: random.Random, samples: Samples | None) -> None:
        self.lesson = loaded.lesson
        self.rng = rng
        self.samples = samples
        self.rt: Runtime = build_runtime(self.lesson, seed=rng.randrange(1 << 30))
        advisor = self.rt.advisor
        assert isinstance(advisor, Tutor), "pendulum-lab has adaptivity enabled"
        self.tutor = advisor
        self.rt.start()  # emits the first StepStarted (untimed; the stream times its own)
        self.entities = [e.id for e in self.lesson.entities]

    def _time(self, kind: str, call: Callable[..., Any], *args: Any) -> Any:
        return timed(self.samples, kind, call, *args)

    def _event(self, kind: str, event: ev.LessonEvent) -> None:
        self._time(kind, self.tutor.on_event, event)

    def _pass(self, seconds: float) -> None:
        """Let lesson time pass, advising every 12 ticks as the runtime does."""
        rt = self.rt
        end = rt.clock.tick + round(seconds / rt.clock.dt)
        while True:
            nxt = (rt.clock.tick // ADVISOR_EVERY_TICKS + 1) * ADVISOR_EVERY_TICKS
            if nxt > end:
                break
            rt.clock.tick = nxt
            self._time("advise", self.tutor.advise, rt)
        rt.clock.tick = end

    def run(self) -> None:
        """Play the whole lesson as events."""
        rt, rng = self.rt, self.rng
        for index, step in enumerate(self.lesson.steps):
            # keep the runtime on the stream's step, so advice and hints refer to it
            rt.step_index = index
            rt.progress = StepProgress(started=rt.t)
            started = rt.t
            # the runtime asks the tutor before showing a step (skip it? tune its knobs between
            # steps); the stream shows it either way
            self._time("before_step", self.tutor.before_step, rt, step)
            self._event("StepStarted", ev.StepStarted(rt.t, step.id, index, step.instruction))
            errors = hints = 0
            question = self.lesson.question(step.ask) if step.ask else None
            actions = 0
            while True:
                self._pass(rng.uniform(1.0, 6.0))
                roll = rng.random()
                if roll < 0.35:
                    entity = rng.choice(self.entities)
                    dwell = rng.randrange(300, 4000)
                    event = ev.Interacted(rt.t, "dwelled", entity, step=step.id, dwell_ms=dwell)
                    self._event("Interacted (dwell)", event)
                elif roll < 0.45:
                    delay, _ = self._time("hint_delay", self.tutor.hint_delay, rt)
                    if delay > 0:
                        self._pass(delay)
                    rung = step.hints[min(hints, len(step.hints) - 1)]
                    hints += 1
                    shown = ev.HintShown(rt.t, step.id, min(hints, len(step.hints)), rung.level, "")
                    self._event("HintShown", shown)
                elif question is not None:
                    correct = rng.random() < 0.6
                    errors += not correct
                    answer = ev.Answered(
                        rt.t,
                        question.id,
                        "x",
                        correct,
                        "",
                        step=step.id,
                        skills=tuple(question.skills),
                        duration=rt.t - started,
                    )
                    self._event("Answered", answer)
                    if correct:
                        break
                else:
                    action = rng.choice(("grabbed", "released", "pressed"))
                    entity = rng.choice(self.entities)
                    self._event("Interacted (other)", ev.Interacted(rt.t, action, entity))
                    actions += 1
                    if actions >= rng.randint(1, 4):
                        break
            done = ev.StepCompleted(
                rt.t, step.id, rt.t - started, hints, errors, skills=tuple(step.skills)
            )
            self._event("StepCompleted", done)


def time_posterior(n: int, batch: int = 1000) -> tuple[list[int], list[float]]:
    """A bare BKT update: timed call by call (like the events), and in batches.

    Returns:
        (per-call ns, timed alone; per-call ns from batches of ``batch`` calls).
    """
    lesson = load_lesson(LESSON).lesson
    p = lesson.adaptivity.priors["pendulum-period"]
    params = BktParams(prior=p.prior, learn=p.learn, guess=p.guess, slip=p.slip)
    rng = random.Random(0)
    answers = [rng.random() < 0.6 for _ in range(batch)]
    alone: list[int] = []
    known = params.prior
    for i in range(n):
        correct = answers[i % batch]
        start = time.perf_counter_ns()
        known = posterior(known, correct, params)
        alone.append(time.perf_counter_ns() - start)
        if known > 0.99 or known < 0.01:
            known = params.prior  # keep it away from the saturated ends
    batched: list[float] = []
    for _ in range(max(1, n // batch)):
        known = params.prior
        start = time.perf_counter_ns()
        for correct in answers:
            known = posterior(known, correct, params)
        batched.append((time.perf_counter_ns() - start) / batch)
    return alone, batched


def timer_overhead(n: int) -> list[int]:
    """An empty call timed exactly like the Tutor's calls."""
    samples: Samples = {}

    def noop(_: object) -> None:
        return None

    for _ in range(n):
        timed(samples, "noop", noop, None)
    return samples["noop"]


def main(argv: list[str] | None = None) -> None:
    """Run the stream, time every call, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=400, help="timed synthetic sessions")
    parser.add_argument("--warmup", type=int, default=30, help="untimed sessions first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    loaded = load_lesson(LESSON)
    rng = random.Random(args.seed)
    for _ in range(args.warmup):
        Stream(loaded, rng, None).run()

    samples: Samples = {}
    gc.collect()
    gc.disable()  # see the module docstring: no collection pauses inside timed calls
    try:
        start = time.perf_counter()
        for _ in range(args.sessions):
            Stream(loaded, rng, samples).run()
        wall = time.perf_counter() - start
        overhead = sorted(timer_overhead(100_000))
        alone, batched = time_posterior(200_000)
    finally:
        gc.enable()

    def us(ns: float) -> float:
        return ns / 1000.0

    events = [k for k in samples if k not in ("advise", "hint_delay")]
    print(
        f"Online cost of adaptivity on {LESSON}: {args.sessions} synthetic sessions "
        f"(seed {args.seed}, {args.warmup} warm-up), {wall:.1f} s; Python "
        f"{platform.python_version()} on one core; gc disabled while timing; "
        "perf_counter_ns around each call"
    )
    print(f"\n   {'call':<26}{'n':>9}{'median us':>11}{'p99 us':>9}{'max us':>9}")
    for kind in [*sorted(events), "hint_delay", "advise"]:
        values = sorted(samples.get(kind, []))
        if not values:
            continue
        print(
            f"   {kind:<26}{len(values):>9}{us(percentile(values, 0.5)):>11.2f}"
            f"{us(percentile(values, 0.99)):>9.2f}{us(values[-1]):>9.1f}"
        )
    every = sorted(x for k in events for x in samples[k])
    calls = sorted(x for k in samples for x in samples[k])
    med, p99 = us(percentile(every, 0.5)), us(percentile(every, 0.99))
    print(
        f"   {'all events (+before_step)':<26}{len(every):>9}{med:>11.2f}{p99:>9.2f}"
        f"{us(every[-1]):>9.1f}"
    )
    print(
        f"   {'all calls':<26}{len(calls):>9}{us(percentile(calls, 0.5)):>11.2f}"
        f"{us(percentile(calls, 0.99)):>9.2f}{us(calls[-1]):>9.1f}"
    )

    def verdict(label: str, values: list[int]) -> None:
        m, q = us(percentile(values, 0.5)), us(percentile(values, 0.99))
        print(
            f"   {label}: median {m:.2f} us (target <= {TARGET_MEDIAN_US:g}: "
            f"{'met' if m <= TARGET_MEDIAN_US else 'MISSED'}), p99 {q:.2f} us (target <= "
            f"{TARGET_P99_US:g}: {'met' if q <= TARGET_P99_US else 'MISSED'})"
        )

    print()
    verdict("all events", every)
    # the overall median depends on the mix (dwells and manipulations are cheap): the events
    # that update the learner model and run the controller, on their own
    model = sorted(samples.get("Answered", []) + samples.get("StepCompleted", []))
    verdict("learner-model events only (Answered, StepCompleted)", model)
    advise = sorted(samples["advise"])
    print(
        f"   advise: median {us(percentile(advise, 0.5)):.2f} us, "
        f"p99 {us(percentile(advise, 0.99)):.2f} us"
    )

    alone.sort()
    batched.sort()
    bare = percentile(batched, 0.5)
    bare_alone = percentile(alone, 0.5)
    noop = percentile(overhead, 0.5)
    print(
        f"\n   bare BKT posterior: {us(bare) * 1000:.0f} ns per call in batches of 1000, "
        f"{us(bare_alone) * 1000:.0f} ns timed alone"
    )
    print(
        f"   empty call timed alone (timer overhead, inside every per-call figure): {noop:.0f} ns"
    )
    print(
        f"   ratio event median / bare posterior: {med * 1000 / bare:.0f}x "
        f"(batched), {med * 1000 / bare_alone:.1f}x (both timed alone); "
        f"learner-model events median / posterior: "
        f"{us(percentile(model, 0.5)) * 1000 / bare:.0f}x; "
        f"advise median / posterior: {us(percentile(advise, 0.5)) * 1000 / bare:.0f}x"
    )


if __name__ == "__main__":
    main()
