"""Learners in a pool of worker processes, in chunks merged in learner order (the results do
not depend on how many workers run them).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time

from tools.simulate.learner import Learner, LearnerOutcome, Plan

_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def _run_chunk(bounds: tuple[int, int]) -> list[LearnerOutcome]:
    assert _PLAN is not None
    outcomes = []
    for i in range(*bounds):
        started = time.process_time()
        outcome = Learner(_PLAN, i).run()
        outcome.cpu_s = time.process_time() - started
        outcomes.append(outcome)
    return outcomes


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_learners(plan: Plan, learners: int, workers: int) -> list[LearnerOutcome]:
    """Run learners ``0 .. learners-1``; in learner order whatever ``workers`` is."""
    if workers <= 1:
        _init_worker(plan)
        return _run_chunk((0, learners))
    # small chunks keep both workers busy to the end; imap keeps them in order
    size = max(1, math.ceil(learners / (workers * 16)))
    chunks = [(a, min(a + size, learners)) for a in range(0, learners, size)]
    methods = multiprocessing.get_all_start_methods()
    # fork shares the imported engine and the plan with the workers at no cost
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
        return [o for chunk in pool.imap(_run_chunk, chunks) for o in chunk]
