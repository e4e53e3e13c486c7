"""HintPolicy: guarded proactive hints, help abuse, rapid guessing and wheel-spinning.

Timelines are the runtime's own lesson events with explicit lesson times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from adaptivity.config import AdaptivityConfig
from adaptivity.hints import (
    TRIGGER_IDLE,
    TRIGGER_STUCK,
    Flag,
    HintDecision,
    HintPolicy,
    RequestVerdict,
)
from engine.core import events as ev
from engine.core.clock import DEFAULT_DT
from engine.core.conditions import targets
from engine.core.runtime import Runtime
from engine.model.loader import load_lesson

STEP = "compute_g"
RELEVANT = {"stopwatch", "pendulum"}


def start(t: float, step: str = STEP, index: int = 0) -> ev.StepStarted:
    return ev.StepStarted(t, step=step, index=index, instruction="Compute g.")


def wrong(t: float, step: str = STEP) -> ev.Answered:
    return ev.Answered(t, question="g_value", response=4.2, correct=False, feedback="", step=step)


def right(t: float, step: str = STEP) -> ev.Answered:
    return ev.Answered(t, question="g_value", response=9.8, correct=True, feedback="", step=step)


def hint(
    t: float, level: int = 1, rung: str = "highlight", *, requested: bool = True
) -> ev.HintShown:
    return ev.HintShown(t, step=STEP, level=level, rung=rung, text="", requested=requested)


def dwell(t: float, entity: str, ms: int) -> ev.Interacted:
    return ev.Interacted(t, action="dwelled", entity=entity, step=STEP, dwell_ms=ms)


def grab(t: float, entity: str = "bob_small") -> ev.Interacted:
    return ev.Interacted(t, action="grabbed", entity=entity, step=STEP)


def feed(policy: HintPolicy, *events: ev.LessonEvent) -> HintPolicy:
    for e in events:
        policy.observe(e)
    return policy


def ask(
    policy: HintPolicy, t: float, p: float = 0.31, expected: float = 30.0
) -> HintDecision | None:
    return policy.proactive(t, p_known=p, expected_time=expected, relevant=RELEVANT)


# --- stuck: errors and a low P(known) --------------------------------------------------------


def test_stuck_learner_gets_a_hint_with_the_numbers() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(5.0), wrong(9.0))
    decision = ask(policy, 9.5)
    assert decision == HintDecision(
        9.5,
        STEP,
        TRIGGER_STUCK,
        "2 errors on 'compute_g' and P(known)=0.31 < 0.40; no earlier hint",
    )


def test_one_error_or_a_high_p_known_is_not_stuck() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(5.0))
    assert ask(policy, 6.0) is None
    policy.observe(wrong(7.0))
    assert ask(policy, 8.0, p=0.40) is None  # the threshold is strict: 0.40 is not < 0.40
    assert ask(policy, 8.0, p=0.39) is not None


def test_quiet_period_counts_from_the_last_hint_of_any_kind() -> None:
    policy = feed(HintPolicy(), start(0.0), hint(20.0), wrong(21.0), wrong(22.0))
    assert ask(policy, 25.0) is None
    assert ask(policy, 29.9) is None
    decision = ask(policy, 30.0)
    assert decision is not None
    assert decision.reason.endswith("10 s since the last hint")


def test_quiet_period_is_met_on_the_tick_it_is_due() -> None:
    # lesson time is tick * dt: 10 s after tick 2401 is tick 3601, whatever the float rounding
    policy = feed(HintPolicy(), start(0.0), hint(2401 * DEFAULT_DT), wrong(21.0), wrong(22.0))
    assert ask(policy, 3600 * DEFAULT_DT) is None
    assert ask(policy, 3601 * DEFAULT_DT) is not None


def test_the_same_errors_do_not_climb_the_ladder_without_new_evidence() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(5.0), wrong(9.0))
    assert ask(policy, 10.0) is not None
    policy.observe(hint(10.0, requested=False))
    assert ask(policy, 25.0) is None  # quiet period over, but no error since the hint
    policy.observe(wrong(26.0))
    decision = ask(policy, 26.0)
    assert decision is not None
    assert decision.reason == (
        "3 errors on 'compute_g' and P(known)=0.31 < 0.40; 16 s since the last hint"
    )


def test_a_decision_counts_as_shown_so_it_cannot_fire_twice_at_once() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(5.0), wrong(9.0))
    assert ask(policy, 10.0) is not None
    policy.observe(wrong(11.0))  # new evidence, but inside the quiet period
    assert ask(policy, 10.0) is None
    assert ask(policy, 19.9) is None
    assert ask(policy, 20.0) is not None


def test_errors_are_per_step() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(5.0), wrong(9.0), start(10.0, "next", 1))
    assert ask(policy, 11.0) is None
    outside = feed(HintPolicy(), wrong(1.0), wrong(2.0))  # before any step: not counted
    outside.observe(start(2.5))
    assert ask(outside, 3.0) is None


# --- idle with little gaze on the task -------------------------------------------------------


def test_idle_with_little_gaze_on_the_task_gets_a_hint() -> None:
    policy = feed(
        HintPolicy(),
        start(0.0),
        grab(5.0),  # the idle window starts at the last interaction
        dwell(40.0, "stopwatch", 10_000),
        dwell(60.0, "window", 30_000),  # looking away does not count
    )
    assert ask(policy, 65.0) is None  # idle 60 s is not more than 2 x 30 s
    decision = ask(policy, 66.0)
    assert decision is not None
    assert decision.trigger == TRIGGER_IDLE
    assert decision.reason == (
        "idle 61 s on 'compute_g' > 2 x 30 s expected, gaze on the task 16% < 30% of that "
        "time; no earlier hint"
    )


def test_idle_but_looking_at_the_task_gets_no_hint() -> None:
    policy = feed(
        HintPolicy(),
        start(0.0),
        dwell(30.0, "pendulum", 15_000),
        dwell(50.0, "stopwatch", 5_000),
    )
    assert ask(policy, 65.0) is None  # 20 s of 65 s = 31% on the task


def test_dwell_is_clipped_to_the_idle_window() -> None:
    # a 40 s dwell reported at 55 s started at 15 s; the window opened at 50 s: only 5 s count
    policy = feed(HintPolicy(), start(0.0), grab(50.0), dwell(55.0, "pendulum", 40_000))
    decision = ask(policy, 111.0)
    assert decision is not None
    assert "idle 61 s" in decision.reason
    assert "gaze on the task 8%" in decision.reason


def test_answers_and_hints_restart_the_idle_window() -> None:
    policy = feed(HintPolicy(), start(0.0), right(50.0))
    assert ask(policy, 100.0) is None
    assert ask(policy, 110.5) is not None
    policy = feed(HintPolicy(), start(0.0), hint(50.0))
    assert ask(policy, 100.0) is None
    assert ask(policy, 110.5) is not None


def test_after_an_idle_hint_the_window_restarts() -> None:
    policy = feed(HintPolicy(), start(0.0))
    first = ask(policy, 61.0)
    assert first is not None and first.trigger == TRIGGER_IDLE
    policy.observe(hint(61.0, requested=False))
    assert ask(policy, 100.0) is None
    assert ask(policy, 121.5) is not None


def test_no_proactive_hint_after_the_bottom_out_or_outside_a_step() -> None:
    policy = feed(HintPolicy(), start(0.0), hint(1.0, 3, "demonstrate"), wrong(20.0), wrong(21.0))
    assert ask(policy, 30.0) is None
    assert ask(HintPolicy(), 100.0) is None
    policy = feed(HintPolicy(), start(0.0), wrong(1.0), wrong(2.0))
    policy.observe(ev.StepCompleted(3.0, step=STEP, duration=3.0, hints_used=0, errors=2))
    assert ask(policy, 4.0) is None


# --- help abuse and rapid guessing -----------------------------------------------------------


def test_help_abuse_delays_the_next_level_and_flags_once() -> None:
    policy = feed(HintPolicy(), start(0.0))
    assert policy.on_request(9.0) == RequestVerdict(True)
    policy.observe(hint(9.0))
    verdict = policy.on_request(10.0)
    reason = "hint requested 1.0 s after the previous hint (< 2 s); the next level waits 3 s"
    assert verdict == RequestVerdict(False, 3.0, reason)
    assert policy.flags == [Flag("help-abuse", STEP, 10.0, reason)]
    # asking again while it waits changes nothing and raises no second flag
    again = policy.on_request(11.0)
    assert (again.grant, again.delay) == (False, 2.0)
    assert len(policy.flags) == 1
    assert ask(policy, 12.0) is None  # no unasked hint while one is on its way
    assert not policy.due(12.9)
    assert policy.due(13.0)
    assert not policy.due(13.1)  # once
    policy.observe(hint(13.0, 2, "concept"))
    assert policy.on_request(15.0).grant  # 2 s later is not abuse
    assert policy.drain_flags() == [Flag("help-abuse", STEP, 10.0, reason)]
    assert policy.flags == [] and policy.drain_flags() == []


def test_a_granted_request_counts_before_its_hint_event_arrives() -> None:
    policy = feed(HintPolicy(), start(0.0))
    assert policy.on_request(5.0).grant
    assert not policy.on_request(5.0).grant


def test_a_hint_on_the_previous_step_is_not_help_abuse() -> None:
    policy = feed(HintPolicy(), start(0.0), hint(10.0), start(10.5, "next", 1))
    assert policy.on_request(11.0).grant
    assert policy.flags == []


def test_a_new_step_drops_a_waiting_request() -> None:
    policy = feed(HintPolicy(), start(0.0), hint(1.0))
    assert not policy.on_request(2.0).grant
    policy.observe(start(2.5, "next", 1))
    assert not policy.due(10.0)


def test_rapid_guessing_is_flagged_once_and_holds_the_next_hint() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(1.0), wrong(3.0))
    assert policy.flags == []
    policy.observe(wrong(5.0))
    assert policy.flags == [
        Flag(
            "rapid-guessing",
            STEP,
            5.0,
            "3 attempts on 'compute_g' each less than 5 s after the previous one; "
            "the next hint waits 3 s",
        )
    ]
    policy.observe(wrong(7.0))  # the same run goes on: no second flag, the hold extends
    assert len(policy.flags) == 1
    # stuck by the numbers (4 errors, low P(known)), but guessing: the hint waits
    assert ask(policy, 9.0) is None
    verdict = policy.on_request(9.0)
    assert not verdict.grant and verdict.delay == 1.0
    assert "rapid guessing" in verdict.reason
    assert policy.due(10.0)


def test_attempts_five_seconds_apart_are_not_rapid() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(1.0), wrong(6.0), wrong(11.0), wrong(16.0))
    assert policy.flags == []
    assert ask(policy, 16.0) is not None


def test_a_new_run_of_rapid_attempts_is_a_new_flag() -> None:
    policy = feed(HintPolicy(), start(0.0), wrong(1.0), wrong(2.0), wrong(3.0), wrong(20.0))
    policy.observe(wrong(21.0))
    policy.observe(wrong(22.0))
    assert [f.t for f in policy.flags] == [3.0, 22.0]


# --- bottom-out and wheel-spinning -----------------------------------------------------------


def test_bottom_out_is_remembered_per_step() -> None:
    policy = feed(HintPolicy(), start(0.0), hint(1.0), hint(5.0, 2, "concept"))
    assert not policy.bottom_out_used(STEP)
    policy.observe(hint(9.0, 3, "demonstrate", requested=False))
    policy.observe(start(10.0, "next", 1))
    assert policy.bottom_out_used(STEP)
    assert not policy.bottom_out_used("next")


def test_wheel_spinning_is_flagged_at_ten_opportunities_once() -> None:
    policy = feed(HintPolicy(), start(42.0))
    flags = [policy.note_opportunity("pendulum-period", False) for _ in range(9)]
    assert flags == [None] * 9
    flag = policy.note_opportunity("pendulum-period", False)
    assert flag == Flag(
        "wheel-spinning",
        "pendulum-period",
        42.0,
        "10 opportunities on 'pendulum-period' without mastery (P(known) < 0.95)",
    )
    assert policy.note_opportunity("pendulum-period", False, t=50.0) is None
    assert policy.wheel_spinning("pendulum-period")
    assert policy.opportunities("pendulum-period") == 11
    assert policy.drain_flags() == [flag]


def test_a_mastered_skill_never_spins() -> None:
    policy = HintPolicy()
    for i in range(30):
        assert policy.note_opportunity("timing", i == 4) is None
    assert not policy.wheel_spinning("timing")


def test_overrides_change_the_thresholds() -> None:
    config = AdaptivityConfig().with_overrides({"stuck_errors": 3, "wheel_spin_opportunities": 2})
    policy = feed(HintPolicy(config), start(0.0), wrong(5.0), wrong(12.0))
    assert ask(policy, 13.0) is None
    policy.observe(wrong(19.0))
    assert ask(policy, 19.0) is not None
    assert policy.note_opportunity("s", False) is None
    assert policy.note_opportunity("s", False) is not None


# --- properties over generated sessions ------------------------------------------------------

TICK = 0.25


@dataclass
class Run:
    """What a simulated session produced: every decision, in order."""

    decisions: list[tuple[str, float, str]] = field(default_factory=list)
    proactive: list[float] = field(default_factory=list)
    hints: list[float] = field(default_factory=list)


def learner_action(t: float, kind: str, arg: int) -> ev.LessonEvent | str:
    if kind == "wrong":
        return wrong(t)
    if kind == "right":
        return right(t)
    if kind == "grab":
        return grab(t)
    if kind == "dwell":
        return dwell(t, ("pendulum", "window")[arg % 2], 300 + 400 * arg)
    return "request"


def simulate(actions: list[tuple[int, str, int]], p_known: float) -> Run:
    """Drive a policy like the runtime would: events, then the tick's polls, hints fed back."""
    policy = HintPolicy()
    run = Run()
    by_tick: dict[int, list[tuple[str, int]]] = {}
    for tick, kind, arg in actions:
        by_tick.setdefault(tick, []).append((kind, arg))
    level = 0

    def show(t: float, requested: bool) -> None:
        nonlocal level
        level = min(level + 1, 3)
        rung = ("highlight", "concept", "demonstrate")[level - 1]
        policy.observe(hint(t, level, rung, requested=requested))
        run.hints.append(t)

    policy.observe(start(0.0))
    last = max(by_tick, default=0) + 400
    for tick in range(1, last):
        t = tick * TICK
        for kind, arg in by_tick.get(tick, []):
            action = learner_action(t, kind, arg)
            if action == "request":
                verdict = policy.on_request(t)
                run.decisions.append(("request", t, f"{verdict.grant} {verdict.delay}"))
                if verdict.grant:
                    show(t, True)
            else:
                assert isinstance(action, ev.LessonEvent)
                policy.observe(action)
        if policy.due(t):
            run.decisions.append(("due", t, ""))
            show(t, True)
        decision = policy.proactive(t, p_known=p_known, expected_time=20.0, relevant={"pendulum"})
        if decision is not None:
            run.decisions.append(("proactive", t, decision.reason))
            run.proactive.append(t)
            show(t, False)
    run.decisions.extend(("flag", f.t, f.reason) for f in policy.drain_flags())
    return run


actions_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=1200),
        st.sampled_from(["wrong", "wrong", "right", "grab", "dwell", "request"]),
        st.integers(min_value=0, max_value=20),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(actions_strategy, st.floats(min_value=0.0, max_value=1.0))
def test_proactive_hints_never_come_within_the_quiet_period(
    actions: list[tuple[int, str, int]], p_known: float
) -> None:
    run = simulate(actions, p_known)
    quiet = AdaptivityConfig().proactive_quiet_s
    for t in run.proactive:
        earlier = [h for h in run.hints if h < t]
        assert not earlier or t - max(earlier) >= quiet - 1e-9
    gaps = [b - a for a, b in zip(run.proactive, run.proactive[1:], strict=False)]
    assert all(g >= quiet - 1e-9 for g in gaps)


@settings(max_examples=40, deadline=None)
@given(actions_strategy, st.floats(min_value=0.0, max_value=1.0))
def test_the_same_session_gives_the_same_decisions(
    actions: list[tuple[int, str, int]], p_known: float
) -> None:
    assert simulate(actions, p_known).decisions == simulate(actions, p_known).decisions


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=300, max_value=20_000), min_size=1, max_size=20),
    st.sampled_from(["pendulum", "window"]),
)
def test_gaze_covering_the_window_counts_in_full(looks_ms: list[int], entity: str) -> None:
    # back-to-back dwells, each reported when the gaze leaves, cover the whole idle window:
    # on the task that is 100% (no idle hint); elsewhere it is 0% (a hint once idle is long)
    policy = feed(HintPolicy(), start(0.0))
    t = 0.0
    for ms in looks_ms:
        t += ms / 1000.0
        policy.observe(dwell(t, entity, ms))
    expected = t / 2.5  # idle (t) is more than 2 x expected time
    decision = policy.proactive(t, p_known=0.9, expected_time=expected, relevant={"pendulum"})
    if entity == "pendulum":
        assert decision is None
    else:
        assert decision is not None and "gaze on the task 0%" in decision.reason


# --- wired into the real runtime (headless, pendulum-lab) ------------------------------------


def test_an_idle_learner_in_the_runtime_gets_an_unasked_highlight() -> None:
    rt = Runtime(load_lesson("pendulum-lab").lesson)
    policy = HintPolicy()
    shown: list[ev.HintShown] = []
    rt.subscribe(policy.observe)
    rt.subscribe(lambda e: shown.append(e) if isinstance(e, ev.HintShown) else None)
    rt.start()
    step = rt.step
    assert step is not None and step.id == "hang_bob" and step.expected_time == 30.0
    relevant = {t for h in step.hints for t in h.targets} | set(targets(step.complete_when))
    assert relevant == {"bob", "pendulum"}
    rt.run_until(20.0)
    assert rt.handle(ev.Dwell("bob", 5_000)) is None  # 5 s of 60 s on the task: 8%
    while not shown and rt.t < 120.0:
        rt.tick()
        d = policy.proactive(rt.t, p_known=0.5, expected_time=step.expected_time, relevant=relevant)
        if d is not None:
            rt.show_hint(requested=False, trigger=d.trigger)
            assert "gaze on the task 8% < 30%" in d.reason
    [h] = shown
    assert (h.step, h.rung, h.requested, h.trigger) == (
        "hang_bob",
        "highlight",
        False,
        TRIGGER_IDLE,
    )
    assert 60.0 < h.t <= 60.0 + 2 * DEFAULT_DT  # the first tick after 2 x 30 s


def test_wheel_spinning_counts_carry_over_from_earlier_sessions() -> None:
    policy = HintPolicy(AdaptivityConfig())
    policy.carry_over("period", 9, mastered=False)
    assert policy.opportunities("period") == 9
    flag = policy.note_opportunity("period", False, t=1.0)
    assert flag is not None and flag.kind == "wheel-spinning" and "10 opportunities" in flag.reason
    policy.carry_over("setup", 30, mastered=True)
    assert policy.note_opportunity("setup", False, t=2.0) is None  # mastered before: no flag


def test_an_opportunity_not_blamed_is_counted_but_never_flags() -> None:
    policy = HintPolicy(AdaptivityConfig(wheel_spin_opportunities=2))
    assert policy.note_opportunity("s", False, t=1.0, p_known=0.2, blamed=False) is None
    assert policy.note_opportunity("s", False, t=2.0, p_known=0.2, blamed=False) is None
    assert policy.opportunities("s") == 2
    flag = policy.note_opportunity("s", False, t=3.0, p_known=0.2)
    assert flag is not None and "3 opportunities on 's'" in flag.reason
