"""The report of a simulation: per step, per skill and per profile, the checks that make it
fail, and the speed figures.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, TextIO

from engine.model.lesson import HINT_ORDER
from tools.simulate.learner import LearnerOutcome, Plan
from tools.simulate.profiles import PROFILES
from tools.simulate.recipes import RecipeBook

#: the speed target of issue 5: this many learners ...
TARGET_LEARNERS = 1000
#: ... in at most this many seconds of wall time ...
TARGET_SECONDS = 10.0
#: ... on this many cores
TARGET_CORES = 2
#: the hint levels, 1-based, as the report counts them
LEVELS = (1, 2, 3)


@dataclass
class StepReport:
    """Per-step figures over all learners."""

    id: str
    recipe: str
    reached: int
    completed: int
    median_s: float | None
    p90_s: float | None
    #: (level, asked) -> hints shown
    hints: dict[tuple[int, bool], int]
    dead_ends: int
    knob_changes: int
    flags: dict[str, int]

    def fired(self, level: int) -> int:
        """Hints of ``level`` shown, asked or not."""
        return self.hints.get((level, True), 0) + self.hints.get((level, False), 0)


@dataclass
class SkillReport:
    """Per-skill mastery over all learners."""

    id: str
    mastered: int
    best_p_known: float
    #: fewest sessions in which some learner reaches mastery (None: none within the limit)
    sessions: int | None
    #: learners reaching mastery within the limit
    within_limit: int


@dataclass
class SimulationReport:
    """What ``lesson simulate`` found. ``exit_code`` is 1 when ``failures`` is not empty."""

    lesson: str
    learners: int
    seed: int
    workers: int
    mastery_sessions: int
    profiles: dict[str, int]
    steps: list[StepReport]
    skills: list[SkillReport]
    recipe_notes: list[str]
    failures: list[str]
    outcomes: list[LearnerOutcome]
    adaptivity: bool
    wall_s: float = 0.0
    setup_s: float = 0.0
    ticks_run: int = 0
    ticks_skipped: int = 0
    cpu_s: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every check passed, 1 otherwise."""
        return 1 if self.failures else 0

    @property
    def learners_per_s(self) -> float:
        """Learners simulated per second of wall time."""
        return self.learners / self.wall_s if self.wall_s > 0 else math.inf

    def figures(self) -> dict[str, Any]:
        """Everything except timings: equal for equal lessons, learner counts and seeds."""
        return {
            "lesson": self.lesson,
            "learners": self.learners,
            "seed": self.seed,
            "profiles": self.profiles,
            "steps": [vars(s) for s in self.steps],
            "skills": [vars(s) for s in self.skills],
            "recipe_notes": self.recipe_notes,
            "failures": self.failures,
        }


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def summarise(
    plan: Plan, book: RecipeBook, outcomes: list[LearnerOutcome], *, lesson_id: str, workers: int
) -> SimulationReport:
    """Aggregate learner outcomes into the report and its checks."""
    lesson = plan.lesson
    steps: list[StepReport] = []
    for i, step in enumerate(lesson.steps):
        times = [d for o in outcomes if (d := o.durations[i]) is not None]
        hints: Counter[tuple[int, bool]] = Counter()
        flags: Counter[str] = Counter()
        for o in outcomes:
            for (s, level, asked), n in o.hints.items():
                if s == i:
                    hints[(level, asked)] += n
            for (s, kind), n in o.flags.items():
                if s == i:
                    flags[kind] += n
        recipe = book.recipes.get(i)
        steps.append(
            StepReport(
                id=step.id,
                recipe=recipe.source if recipe is not None else "none",
                reached=sum(o.reached >= i for o in outcomes),
                completed=len(times),
                median_s=statistics.median(times) if times else None,
                p90_s=_p90(times) if times else None,
                hints=dict(sorted(hints.items())),
                dead_ends=sum(o.dead_end == i for o in outcomes),
                knob_changes=sum(o.knob_changes[i] for o in outcomes),
                flags=dict(sorted(flags.items())),
            )
        )
    adaptivity = lesson.adaptivity.enabled
    skills: list[SkillReport] = []
    for skill in plan.skills:
        counts = [o.sessions[skill] for o in outcomes if o.sessions[skill] is not None]
        p = [o.p_known[skill] for o in outcomes if math.isfinite(o.p_known[skill])]
        skills.append(
            SkillReport(
                id=skill,
                mastered=sum(o.mastered[skill] for o in outcomes),
                best_p_known=max(p) if p else math.nan,
                sessions=min(c for c in counts if c is not None) if counts else None,
                within_limit=len(counts),
            )
        )
    failures: list[str] = []
    for st in steps:
        if st.completed == 0:
            if st.reached == 0:
                failures.append(f"step '{st.id}' is unreachable: no learner got to it")
            else:
                why = " (it has no recipe: see 'recipes')" if st.recipe == "none" else ""
                failures.append(
                    f"step '{st.id}' is unreachable: {st.reached} learner(s) got to it, none "
                    f"completed it{why}"
                )
        elif missing := [level for level in LEVELS if st.fired(level) == 0]:
            names = ", ".join(f"{level} ({HINT_ORDER[level - 1]})" for level in missing)
            failures.append(
                f"step '{st.id}': hint level(s) {names} never fired for any profile "
                f"({st.reached} learner(s) got to it)"
            )
    if adaptivity:
        limit = plan.mastery_sessions
        within = f"within {limit} session{'s' if limit > 1 else ''}"
        for k in skills:
            if k.sessions is None:
                failures.append(
                    f"skill '{k.id}': no learner reaches mastery {within} (best P(known) "
                    f"after one session: {k.best_p_known:.3f})"
                )
    profiles = Counter(o.profile for o in outcomes)
    return SimulationReport(
        lesson=lesson_id,
        learners=len(outcomes),
        seed=plan.seed,
        workers=workers,
        mastery_sessions=plan.mastery_sessions,
        profiles={p.name: profiles.get(p.name, 0) for p in PROFILES},
        steps=steps,
        skills=skills,
        recipe_notes=list(book.notes),
        failures=failures,
        outcomes=outcomes,
        adaptivity=adaptivity,
        ticks_run=sum(o.ticks_run for o in outcomes),
        ticks_skipped=sum(o.ticks_skipped for o in outcomes),
        cpu_s=sum(o.cpu_s for o in outcomes),
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "-"


def print_report(report: SimulationReport, out: TextIO) -> None:
    """Write the report as readable tables."""
    n = report.learners
    mix = ", ".join(f"{count} {name}" for name, count in report.profiles.items())
    out.write(f"lesson simulate {report.lesson}: {n} learners ({mix}), seed {report.seed}\n")
    if not report.adaptivity:
        out.write("adaptivity is off in this lesson: no unasked hints, knob changes or mastery\n")
    out.write("\n")
    width = max(len("step"), *(len(s.id) for s in report.steps))
    out.write(
        f"{'step':<{width}}  {'recipe':<11} {'reached':>7} {'done':>5} {'median':>7} "
        f"{'p90':>6}  {'asked 1/2/3':>13}  {'unasked 1/2/3':>13}  {'dead':>5} {'knobs':>5}\n"
    )
    for s in report.steps:
        asked = "/".join(str(s.hints.get((lv, True), 0)) for lv in LEVELS)
        unasked = "/".join(str(s.hints.get((lv, False), 0)) for lv in LEVELS)
        out.write(
            f"{s.id:<{width}}  {s.recipe:<11} {_pct(s.reached, n):>7} "
            f"{_pct(s.completed, n):>5} {_seconds(s.median_s):>7} {_seconds(s.p90_s):>6}  "
            f"{asked:>13}  {unasked:>13}  {s.dead_ends:>5} {s.knob_changes:>5}\n"
        )
    out.write(
        "  reached/done: share of all learners; median/p90: time on the step of those who "
        "completed it;\n  asked/unasked: hints shown per level (1 highlight, 2 concept, "
        "3 demonstrate); dead: learners\n  who gave up there; knobs: difficulty changes made "
        "for the step (as it was shown, or during it).\n\n"
    )
    if report.adaptivity:
        width = max(len("skill"), *(len(k.id) for k in report.skills))
        limit = report.mastery_sessions
        out.write(
            f"{'skill':<{width}}  {'mastered (1 session)':>20}  {'best P(known)':>13}  "
            f"{f'mastered within {limit}':>19}  {'fewest sessions':>15}\n"
        )
        for k in report.skills:
            out.write(
                f"{k.id:<{width}}  {_pct(k.mastered, n):>20}  {k.best_p_known:>13.3f}  "
                f"{_pct(k.within_limit, n):>19}  "
                f"{('-' if k.sessions is None else str(k.sessions)):>15}\n"
            )
        out.write(
            "  sessions beyond the first repeat the learner's own evidence from where its "
            "session ended\n  (the learner store carries the model across sessions).\n\n"
        )
    out.write("profile        completed  median time  dead ends\n")
    for profile in PROFILES:
        mine = [o for o in report.outcomes if o.profile == profile.name]
        if not mine:
            continue
        done = [o.lesson_time for o in mine if o.completed]
        median = _seconds(statistics.median(done)) if done else "-"
        dead = sum(o.dead_end is not None for o in mine)
        out.write(f"{profile.name:<13}  {_pct(len(done), len(mine)):>9}  {median:>11}  {dead:>9}\n")
    out.write("\n")
    for note in report.recipe_notes:
        out.write(f"recipes: {note}\n")
    total = report.ticks_run + report.ticks_skipped
    out.write(
        f"speed: {n} learners in {report.wall_s:.2f} s wall on {report.workers} worker(s), "
        f"{report.learners_per_s:.0f} learners/s ({report.setup_s:.2f} s of it learning "
        f"recipes); {report.cpu_s / n * 1000:.1f} ms CPU per learner; {total / 1e6:.1f} M "
        f"ticks of lesson time: {report.ticks_run / 1e6:.1f} M run, "
        f"{report.ticks_skipped / 1e6:.1f} M skipped\n"
    )
    wall = report.setup_s + (report.wall_s - report.setup_s) * TARGET_LEARNERS / n
    # the CPU figure assumes two cores of this machine's speed with nothing else on them
    cpu = report.setup_s + report.cpu_s / n * TARGET_LEARNERS / TARGET_CORES
    if wall < TARGET_SECONDS:
        verdict = "meets it"
    elif cpu < TARGET_SECONDS:
        verdict = "meets it on idle cores only (this machine was busy)"
    else:
        verdict = "misses it"
    out.write(
        f"speed target ({TARGET_LEARNERS} learners in under {TARGET_SECONDS:g} s on "
        f"{TARGET_CORES} cores): {verdict}: {wall:.1f} s at this wall rate, "
        f"{cpu:.1f} s from CPU time on {TARGET_CORES} idle cores\n"
    )
    if report.failures:
        out.write(f"FAIL: {len(report.failures)} problem(s)\n")
        for failure in report.failures:
            out.write(f"  - {failure}\n")
    else:
        out.write(
            "PASS: every step completed by some learner, every hint level fired on every step, "
            f"every skill mastered within {report.mastery_sessions} session(s) by some learner\n"
        )
