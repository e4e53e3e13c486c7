"""The policy benchmark's printed report, from every learner's :class:`Outcome`: figures
and ratios per profile, with the targets of issue #3 beside them (printed, never asserted).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
from collections.abc import Sequence

from bench.learners import PROFILES
from bench.policy_practice import (
    BAND,
    DOING,
    FIXED_RUNS,
    LESSON,
    MAX_RUNS,
    MAX_SPIN_RUNS,
    WINDOW,
    Outcome,
    Priors,
)

TARGET_RATIO, TARGET_BAND, TARGET_DETECT, TARGET_FALSE = 0.8, 0.70, 0.90, 0.05


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _mean(xs: Sequence[float]) -> float:
    return statistics.fmean(xs) if xs else math.nan


def _ratio_ci(pairs: list[tuple[float, float]], seed: int = 0) -> tuple[float, float, float]:
    """mean(on) / mean(off) with a paired bootstrap 95% interval over learners."""
    if not pairs:
        return math.nan, math.nan, math.nan
    off = _mean([b for _, b in pairs])
    if off <= 0.0:
        return math.nan, math.nan, math.nan  # everyone knew everything: no ratio to take
    ratio = _mean([a for a, _ in pairs]) / off
    rng = random.Random(seed)
    boots = []
    for _ in range(1000):
        sample = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        den = _mean([b for _, b in sample])
        # a resample of only learners who knew everything (0 s both ways) has no ratio: with
        # few learners per profile that happens, and it used to divide by zero
        if den > 0.0:
            boots.append(_mean([a for a, _ in sample]) / den)
    boots.sort()
    if not boots:
        return ratio, math.nan, math.nan
    return ratio, boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]


def report(
    results: list[Outcome],
    args: argparse.Namespace,
    wall: float,
    *,
    pilot: tuple[int, int, Priors] | None = None,
) -> None:
    """Print the figures; ``pilot``: with ``--priors pilot``, the pilot's learners per
    profile, first seed and fitted priors (printed in the header)."""
    by: dict[tuple[str, bool], list[Outcome]] = {}
    for r in results:
        by.setdefault((r.profile, r.adaptive), []).append(r)
    profiles = [p for p in args.profiles if (p, True) in by]
    learners = [p for p in profiles if not PROFILES[p].spins]
    spinners = [p for p in profiles if PROFILES[p].spins]

    each = "one per step" if args.guidance_per_step else "one on every step"
    guidance = f"{args.guidance}-level guidance knobs, {each} (what-if), "
    guidance = guidance if args.guidance else ""
    if args.threshold:
        guidance += f"tutor thresholds {', '.join(args.threshold)} (what-if), "
    if pilot is not None:
        pilots, first, priors = pilot
        fitted = "; ".join(
            f"{s} {p:.2f}/{learn:.2f}/{g:.2f}/{sl:.2f}" for s, p, learn, g, sl in priors
        )
        guidance += (
            f"priors fitted on a pilot of {pilots} learners per profile (seeds {first}.."
            f"{first + pilots - 1}, adaptivity off; prior/learn/guess/slip: {fitted}) "
            "(what-if), "
        )
    print(
        f"\nPolicy simulation on {LESSON}: {args.learners} learners per profile (seeds "
        f"{args.seed}..{args.seed + args.learners - 1}), continuity={args.continuity}, "
        f"{'every step skip_when_mastered (what-if), ' if args.skip_mastered else ''}"
        f"{guidance}"
        f"knob effect {args.knob_effect:g} logit/level, {len(results)} practices in "
        f"{wall:.0f} s wall ({args.jobs} jobs)"
    )

    if args.yardstick == "declared":
        _declared_report(by, learners)
    else:
        _truth_report(by, learners)

    print(
        f"\n2. Predicted success at step start in {BAND[0]:.2f}-{BAND[1]:.2f}; 'reach': the share "
        "of step starts at which some setting of the step's own knobs would have put it in "
        "the band (no controller can do better with this lesson's knobs)"
    )
    print(
        f"   {'profile':<14}{'steps on':>9}{'in band':>9}{'below':>8}{'above':>8}{'reach':>8}"
        f"   | off (passive tutor): {'in band':>8}{'below':>8}{'above':>8}{'reach':>8}"
    )
    totals = {True: [0, 0, 0, 0, 0], False: [0, 0, 0, 0, 0]}

    def shares(rs: list[Outcome], adaptive: bool) -> tuple[int, float, float, float, float]:
        preds = [x for r in rs for x in r.predicted]
        n = len(preds)
        inside = sum(BAND[0] <= x <= BAND[1] for x in preds)
        below = sum(x < BAND[0] for x in preds)
        reach = sum(x for r in rs for x in r.reachable)
        t = totals[adaptive]
        for i, v in enumerate((n, inside, below, n - inside - below, reach)):
            t[i] += v
        return n, inside / n, below / n, (n - inside - below) / n, reach / n

    for p in profiles:
        n, a, b, c, reach_on = shares(by[(p, True)], True)
        _, d, e, f, reach_off = shares(by[(p, False)], False)
        print(
            f"   {p:<14}{n:>9}{a:>9.1%}{b:>8.1%}{c:>8.1%}{reach_on:>8.1%}   | {'':>21}"
            f"{d:>8.1%}{e:>8.1%}{f:>8.1%}{reach_off:>8.1%}"
        )
    on_t, off_t = totals[True], totals[False]
    band_on = on_t[1] / on_t[0]
    print(
        f"   {'all':<14}{on_t[0]:>9}{band_on:>9.1%}{on_t[2] / on_t[0]:>8.1%}"
        f"{on_t[3] / on_t[0]:>8.1%}{on_t[4] / on_t[0]:>8.1%}   | {'':>21}"
        f"{off_t[1] / off_t[0]:>8.1%}{off_t[2] / off_t[0]:>8.1%}{off_t[3] / off_t[0]:>8.1%}"
        f"{off_t[4] / off_t[0]:>8.1%}"
        f"   target >= {TARGET_BAND:.0%}: {_verdict(band_on >= TARGET_BAND)}"
    )

    print(
        f"\n3. Wheel-spinning flags on the blocked skill within {WINDOW} opportunities, counted "
        "as true attempts (failed manipulations included) and as the learner model counts them "
        f"(its evidence events, across sessions); spinners practise until flagged or past both "
        f"windows, at most {MAX_SPIN_RUNS} runs"
    )
    for adaptive in (True, False):
        label = "on " if adaptive else "off"
        spins = [r for p in spinners for r in by[(p, adaptive)]]
        n = len(spins) or 1

        def hit(r: Outcome, which: int) -> bool:
            return any(
                s == r.blocked and (t if which == 1 else m) <= WINDOW for s, t, m in r.spin_flags
            )

        true_hits = [r for r in spins if hit(r, 1)]
        model_hits = [r for r in spins if hit(r, 2)]
        ever = [r for r in spins if any(f[0] == r.blocked for f in r.spin_flags)]
        rate = len(true_hits) / n
        note = (
            f"target >= {TARGET_DETECT:.0%}: {_verdict(rate >= TARGET_DETECT)}"
            if adaptive
            else "(off: what the passive tutor would have flagged)"
        )
        print(
            f"   {label} detected within {WINDOW} true opportunities {len(true_hits)}/{len(spins)} "
            f"= {rate:.0%}  {note}"
        )
        print(
            f"       within {WINDOW} opportunities as the model counts them {len(model_hits)}/"
            f"{len(spins)} = {len(model_hits) / n:.0%}; flagged at all {len(ever)}/{len(spins)}; "
            f"blocked skill at mastery in the model at the end "
            f"{sum(r.blocked_model_mastered for r in spins)}/{len(spins)}"
        )
        per_skill: dict[str, list[int]] = {}
        for r in spins:
            row = per_skill.setdefault(r.blocked or "?", [0, 0, 0, 0])
            row[0] += r in true_hits
            row[1] += r in model_hits
            row[2] += r.blocked_model_mastered
            row[3] += 1
        print("       by blocked skill (within true / within model count / model at mastery / n):")
        for skill, (a, b, c, d) in sorted(per_skill.items()):
            print(f"         {skill:<27} {a}/{b}/{c}/{d}")
        counted = [f[2] for r in spins for f in r.spin_flags if f[0] == r.blocked]
        trues = [f[1] for r in spins for f in r.spin_flags if f[0] == r.blocked]
        if trues:
            print(
                f"       at the flag: true opportunities median {statistics.median(trues):g}, "
                f"the model's count median {statistics.median(counted):g}"
            )
        others = [r for p in learners for r in by[(p, adaptive)]]
        alarms = [r for r in others if r.spin_flags]
        fa = len(alarms) / len(others) if others else math.nan
        per = ", ".join(
            f"{p} {sum(bool(r.spin_flags) for r in by[(p, adaptive)])}/{len(by[(p, adaptive)])}"
            for p in learners
        )
        verdict = (
            f"target <= {TARGET_FALSE:.0%}: {_verdict(fa <= TARGET_FALSE)}" if adaptive else ""
        )
        print(f"       false alarms {len(alarms)}/{len(others)} = {fa:.1%} ({per})  {verdict}")
        alike = [r for r in others if r.unknown_at_window]
        per = ", ".join(
            f"{p} {sum(bool(r.unknown_at_window) for r in by[(p, adaptive)])}"
            f"/{len(by[(p, adaptive)])}"
            for p in learners
        )
        print(
            f"       look like spinners at the window: {len(alike)}/{len(others)} = "
            f"{len(alike) / len(others) if others else math.nan:.1%} ({per}) had a skill truly "
            f"unknown at each of its first {WINDOW} opportunities (their outcomes there are drawn "
            f"as a spinner's are; flagged {sum(bool(r.spin_flags) for r in alike)} of them)"
        )
        knew = [r for r in others if r.flagged_known]
        print(
            f"       flagged on a skill they truly knew at the flag: {len(knew)}/{len(others)} = "
            f"{len(knew) / len(others) if others else math.nan:.1%} (the others flagged had not "
            "learnt it yet: wheel-spinning by Beck & Gong's definition, whatever their profile)"
        )
        _pair_alarms([r for p in profiles for r in by[(p, adaptive)]], adaptive)

    print("\n4. Other figures, mean per learner (on / off)")
    print(
        f"   {'profile':<14}{'hints asked':>13}{'offered':>9}{'knob moves':>11}"
        f"{'rapid-guess':>13}{'help-abuse':>12}{'declared mastery (truly)':>27}"
    )
    mismatches = 0
    for p in profiles:
        on, off = by[(p, True)], by[(p, False)]
        mismatches += sum(r.mismatches for r in on + off)
        declared = [r for r in on if r.declared_at is not None]
        truly = sum(bool(r.declared_truly) for r in declared)
        asked_on = _mean([r.hints_requested for r in on])
        asked_off = _mean([r.hints_requested for r in off])
        print(
            f"   {p:<14}{asked_on:>6.1f} /{asked_off:>5.1f}"
            f"{_mean([r.hints_offered for r in on]):>9.1f}"
            f"{_mean([r.knob_changes for r in on]):>11.1f}"
            f"{_mean([r.flags['rapid-guessing'] for r in on]):>13.1f}"
            f"{_mean([r.flags['help-abuse'] for r in on]):>12.1f}"
            f"{f'{len(declared)}/{len(on)} ({truly})':>27}"
        )
    print(f"   outcome/runtime mismatches: {mismatches} (expected 0)")

    print(
        "\n5. Where the practice time goes, mean lesson seconds per learner (on / off): the "
        "tutor acts on stalls (unasked hints) and hints (delays for gaming), not on thinking "
        "or acting"
    )
    print(f"   {'profile':<14}" + "".join(f"{name:>16}" for name in (*DOING, "total")))
    for p in profiles:
        on, off = by[(p, True)], by[(p, False)]
        cells = []
        for doing in DOING:
            spent_on = _mean([r.time_by.get(doing, 0.0) for r in on])
            spent_off = _mean([r.time_by.get(doing, 0.0) for r in off])
            cells.append(f"{spent_on:>7.0f} /{spent_off:>6.0f}")
        cells.append(
            f"{_mean([r.lesson_time for r in on]):>7.0f} /"
            f"{_mean([r.lesson_time for r in off]):>6.0f}"
        )
        print(f"   {p:<14}" + "".join(f"{c:>16}" for c in cells))

    _calibration(results, profiles)


def _calibration(results: list[Outcome], profiles: list[str]) -> None:
    """Is the predicted success honest? Mean prediction against the observed success rate,
    log loss and Brier score, per profile and by the number of skills, then a reliability
    table: the band and the controller are only as good as this."""

    def row(label: str, attempts: list[tuple[float, bool, bool]]) -> None:
        if not attempts:
            return
        n = len(attempts)
        clip = [(min(max(p, 1e-6), 1 - 1e-6), ok) for p, ok, _ in attempts]
        loss = -sum(math.log(p if ok else 1 - p) for p, ok in clip) / n
        brier = sum((p - ok) ** 2 for p, ok in clip) / n
        print(
            f"   {label:<22}{n:>8}{_mean([p for p, _ in clip]):>10.3f}"
            f"{sum(ok for _, ok in clip) / n:>10.3f}{loss:>10.3f}{brier:>9.3f}"
        )

    print(
        "\n6. Calibration: the tutor's predicted success just before each attempt against the "
        "outcome, adaptivity on (copied demonstrations left out)"
    )
    print(f"   {'attempts':<22}{'n':>8}{'mean P':>10}{'observed':>10}{'log loss':>10}{'Brier':>9}")
    on = {
        p: [a for r in results if r.profile == p and r.adaptive for a in r.attempts]
        for p in profiles
    }
    every = [a for p in profiles for a in on[p]]
    for p in profiles:
        row(p, on[p])
    row("one skill", [a for a in every if not a[2]])
    row("several skills", [a for a in every if a[2]])
    row("all", every)
    edges = (0.0, 0.2, 0.4, 0.6, 0.7, 0.85, 1.0)
    cells = []
    for low, high in itertools.pairwise(edges):
        inside = [(p, ok) for p, ok, _ in every if low <= p < high or (high == 1.0 and p == 1.0)]
        if inside:
            observed = sum(ok for _, ok in inside) / len(inside)
            cells.append(
                f"{low:.2f}-{high:.2f}: {_mean([p for p, _ in inside]):.2f} -> {observed:.2f}"
                f" (n={len(inside)})"
            )
    print("   reliability (predicted range: mean predicted -> observed): " + "; ".join(cells))


def _truth_report(by: dict[tuple[str, bool], list[Outcome]], learners: list[str]) -> None:
    """Section 1: time until every skill is truly known, on vs off."""
    print("\n1. Time to mastery (cumulative lesson time until every skill is truly known)")
    print(
        f"   {'profile':<14}{'mastered on/off':>16}{'mean on':>10}{'mean off':>10}"
        f"{'median on':>11}{'median off':>11}{'runs on/off':>13}   ratio on/off [95% CI]"
    )
    all_pairs: list[tuple[float, float]] = []
    for p in learners:
        on_seed = {r.seed: r for r in by[(p, True)]}
        off_seed = {r.seed: r for r in by[(p, False)]}
        # a learner that hits the cap counts with its (lower-bound) practice time
        pairs = [
            (
                on_seed[s].mastered_at or on_seed[s].lesson_time,
                off_seed[s].mastered_at or off_seed[s].lesson_time,
            )
            for s in sorted(on_seed)
        ]
        all_pairs += pairs
        m_on = sum(r.mastered_at is not None for r in on_seed.values())
        m_off = sum(r.mastered_at is not None for r in off_seed.values())
        ratio, lo, hi = _ratio_ci(pairs)
        runs_on, runs_off = (
            _mean([r.runs for r in on_seed.values()]),
            _mean([r.runs for r in off_seed.values()]),
        )
        runs = f"{runs_on:.1f}/{runs_off:.1f}"
        print(
            f"   {p:<14}{f'{m_on}/{m_off} of {len(on_seed)}':>16}"
            f"{_mean([a for a, _ in pairs]):>9.0f}s{_mean([b for _, b in pairs]):>9.0f}s"
            f"{statistics.median([a for a, _ in pairs]):>10.0f}s"
            f"{statistics.median([b for _, b in pairs]):>10.0f}s{runs:>13}"
            f"   {ratio:.3f} [{lo:.3f}, {hi:.3f}]"
        )
    ratio, lo, hi = _ratio_ci(all_pairs)
    print(
        f"   {'all (not ws)':<14}{'':>16}{_mean([a for a, _ in all_pairs]):>9.0f}s"
        f"{_mean([b for _, b in all_pairs]):>9.0f}s{'':>34}   {ratio:.3f} [{lo:.3f}, {hi:.3f}]"
        f"   target <= {TARGET_RATIO}: {_verdict(ratio <= TARGET_RATIO)}"
    )


def _equal_effectiveness(off: list[Outcome], share: float) -> tuple[int, float] | None:
    """The fewest fixed runs after which at least ``share`` of ``off`` truly know every
    skill, and their mean lesson time; None if no number up to :data:`FIXED_RUNS` does."""
    for k in range(1, FIXED_RUNS + 1):
        ends = [r.per_run[k - 1] for r in off]
        if sum(ok for _, ok in ends) / len(ends) >= share:
            return k, _mean([t for t, _ in ends])
    return None


def _declared_report(by: dict[tuple[str, bool], list[Outcome]], learners: list[str]) -> None:
    """Section 1 with ``--yardstick declared``: mastery learning against a fixed number of
    runs, compared at equal effectiveness (the share of learners who truly know every skill
    when their practice ends)."""
    print(
        "\n1. Mastery learning vs a fixed sequence (what-if yardstick): on, each learner "
        f"practises until the tutor declares every skill mastered (at most {MAX_RUNS} runs); "
        f"off, every learner runs the lesson a fixed number of times (1..{FIXED_RUNS}); "
        "compared at equal effectiveness: the share who truly know every skill when they stop"
    )
    on = [r for p in learners for r in by[(p, True)]]
    off = [r for p in learners for r in by[(p, False)]]

    def on_figures(r: Outcome) -> tuple[float, bool]:
        if r.declared_at is not None:
            return r.declared_at, bool(r.declared_truly)
        return r.lesson_time, r.per_run[-1][1] if r.per_run else False

    for p in learners:
        figures = [on_figures(r) for r in by[(p, True)]]
        declared = sum(r.declared_at is not None for r in by[(p, True)])
        share, mean_on = sum(ok for _, ok in figures) / len(figures), _mean([t for t, _ in figures])
        fixed = _equal_effectiveness(by[(p, False)], share)
        versus = "no fixed number of runs is as effective"
        if fixed is not None:
            runs = "run" if fixed[0] == 1 else "runs"
            versus = f"as effective as {fixed[0]} fixed {runs} ({fixed[1]:.0f}s): ratio "
            versus += f"{mean_on / fixed[1]:.3f}"
        print(
            f"   on  {p:<14} declared {declared}/{len(figures)}, truly knew everything when "
            f"they stopped {sum(ok for _, ok in figures)}/{len(figures)}, mean "
            f"{mean_on:.0f}s; {versus}"
        )
    figures = [on_figures(r) for r in on]
    share_on = sum(ok for _, ok in figures) / len(figures)
    time_on = _mean([t for t, _ in figures])
    print(f"   on  all: {share_on:.1%} truly know everything, mean {time_on:.0f}s")
    chosen = _equal_effectiveness(off, share_on)
    for k in range(1, FIXED_RUNS + 1):
        ends = [r.per_run[k - 1] for r in off]
        share = sum(ok for _, ok in ends) / len(ends)
        per = ", ".join(
            f"{p} {sum(r.per_run[k - 1][1] for r in by[(p, False)])}/{len(by[(p, False)])}"
            for p in learners
        )
        mark = "  <- equal effectiveness" if chosen is not None and k == chosen[0] else ""
        mean = _mean([t for t, _ in ends])
        print(f"   off {k:>2} runs: {share:.1%} ({per}), mean {mean:.0f}s{mark}")
    if chosen is None:
        print(f"   no fixed number of runs up to {FIXED_RUNS} is as effective as mastery learning")
        return
    k, mean = chosen
    print(
        f"   ratio on/off at equal effectiveness ({k} runs): {time_on / mean:.3f}   "
        f"(what-if yardstick; target <= {TARGET_RATIO} stated for the default one)"
    )


def _pair_alarms(results: list[Outcome], adaptive: bool) -> None:
    """False alarms counted per (learner, skill) pair, the unit Beck & Gong define
    wheel-spinning on, for every profile (a spinner's blocked skill left out: it is the
    positive the detection figure counts).

    A pair is wheel-spinning at the window when its skill was truly unknown at each of its
    first :data:`WINDOW` opportunities; every other pair practised is a negative, and a flag
    on it is a false alarm. The per-learner figure above counts a learner with one such flag
    among four skills as one alarm; this one counts the pair.
    """
    pairs = sum(len(r.practised) for r in results)
    positives = sum(len(r.unknown_at_window & r.practised) for r in results)
    flagged = [(r, s) for r in results for s in {f[0] for f in r.spin_flags} if s != r.blocked]
    caught = sum(s in r.unknown_at_window for r, s in flagged)
    false = [(r, s) for r, s in flagged if s not in r.unknown_at_window]
    negatives = pairs - positives
    rate = len(false) / negatives if negatives else math.nan
    known = sum(s in r.flagged_known for r, s in false)
    verdict = f"(per pair: {_verdict(rate <= TARGET_FALSE)} against {TARGET_FALSE:.0%})"
    print(
        f"       per (learner, skill) pair, every profile: {pairs} pairs practised, {positives} "
        f"truly unknown through the window (flagged {caught}); false alarms {len(false)}/"
        f"{negatives} = {rate:.1%} of the others {verdict if adaptive else ''}"
        f"{'' if not false else f', {known} of them on a skill truly known at the flag'}"
    )
