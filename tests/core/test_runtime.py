"""The step machine, interactions and behaviours, without any rendering."""

from __future__ import annotations

import math

import pytest

from engine.core import events as ev
from engine.core.clock import FixedClock
from engine.core.runtime import Runtime
from tests.core.conftest import Recorder


def hang_bob(rt: Runtime) -> None:
    assert rt.handle(ev.Grab(entity="bob")) is None
    hook = rt.world.world_position("pendulum")
    assert rt.handle(ev.Release(entity="bob", position=hook)) is None


def test_start_shows_first_step(lab: tuple[Runtime, Recorder]) -> None:
    _rt, rec = lab
    started = rec.of(ev.StepStarted)
    assert [s.step for s in started] == ["hang_bob"]
    assert rec.of(ev.LessonStarted)[0].t == 0.0


def test_placing_bob_on_hook_completes_setup_and_hangs_it(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    hang_bob(rt)
    assert rt.in_zone("bob") == "pendulum"
    assert [e.step for e in rec.of(ev.StepCompleted)] == ["hang_bob"]
    assert rt.step is not None and rt.step.id == "set_length"
    # the bob hangs a string length (0.5 m) below the hook, held at its 10° release angle
    pivot, bob = rt.world.world_position("pendulum"), rt.world.world_position("bob")
    assert math.dist(pivot, bob) == pytest.approx(0.5, abs=1e-9)
    assert bob[2] < pivot[2]


def test_release_far_from_zone_does_not_snap(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    rt.handle(ev.Grab(entity="bob"))
    rt.handle(ev.Release(entity="bob", position=(2.0, 2.0, 1.0)))
    assert rt.in_zone("bob") is None
    assert rt.world.world_position("bob") == (2.0, 2.0, 1.0)
    assert rt.step is not None and rt.step.id == "hang_bob"


def test_zone_refuses_entities_it_does_not_accept(pendulum) -> None:  # type: ignore[no-untyped-def]
    rt = Runtime(pendulum.lesson, knob_levels={"distractors": 1})
    rt.start()
    assert rt.handle(ev.Grab(entity="wooden_ball")) is None
    rt.handle(ev.Release(entity="wooden_ball", position=rt.world.world_position("pendulum")))
    assert rt.in_zone("wooden_ball") is None
    # snap_back: the distractor returns to the bench
    assert rt.world.world_position("wooden_ball") == rt.world.entities["wooden_ball"].start_position


def test_cannot_grab_walls_or_hidden_distractors(lab: tuple[Runtime, Recorder]) -> None:
    rt, _ = lab
    assert rt.handle(ev.Grab(entity="bench")) == "'bench' cannot be picked up"
    assert rt.handle(ev.Grab(entity="wooden_ball")) == "'wooden_ball' is not in the scene"
    assert rt.world.held is None


def test_button_sets_length_and_tape_measures_it(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    hang_bob(rt)
    assert rt.value("tape.reading") == pytest.approx(0.5)
    rt.handle(ev.Press(entity="length_long"))
    assert rt.value("pendulum.length") == pytest.approx(1.0)
    assert rt.readout("tape") == "100.0 cm"
    assert rt.step is not None and rt.step.id == "time_small"


def test_timing_ten_swings_needs_the_simulated_period(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    hang_bob(rt)
    rt.handle(ev.Press(entity="length_long"))
    rt.handle(ev.Press(entity="release_small"))
    rt.handle(ev.Press(entity="stopwatch"))
    rt.run_until(rt.t + 12.0)  # far too short for ten swings
    rt.handle(ev.Press(entity="stopwatch"))
    assert rt.step is not None and rt.step.id == "time_small"
    assert rt.progress.errors == 1  # an off-target measurement is a failed attempt
    rt.handle(ev.Press(entity="stopwatch_reset"))
    start = rt.t
    rt.handle(ev.Press(entity="stopwatch"))
    period = rt.value("pendulum.period")
    assert period == pytest.approx(2 * math.pi * math.sqrt(1.0 / 9.81) * 1.0019, rel=1e-3)
    rt.run_until(start + 10 * period)
    rt.handle(ev.Press(entity="stopwatch"))
    measured = rec.of(ev.Measured)
    assert measured[-1].value == pytest.approx(10 * period, abs=0.02)
    assert rt.step is not None and rt.step.id == "compute_g"


def test_numeric_answer_feedback_for_common_mistakes(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    rt.step_index = 3  # jump to compute_g: grading depends only on the question
    rt.handle(ev.Answer(question="g_value", response=0.098))
    rt.handle(ev.Answer(question="g_value", response=1.56))
    rt.handle(ev.Answer(question="g_value", response=3.0))
    rt.handle(ev.Answer(question="g_value", response=9.9))
    answers = rec.of(ev.Answered)
    assert [a.correct for a in answers] == [False, False, False, True]
    assert "divide the ten-swing time by 10" in answers[0].feedback
    assert "4π²L/T²" in answers[1].feedback
    assert answers[2].feedback.startswith("Not quite")
    assert rt.progress.errors == 0  # a new step started after the right answer
    assert rt.tally.errors == 3


def test_answer_to_a_question_not_on_screen_is_refused(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    assert rt.handle(ev.Answer(question="wide_swing", response="longer_path")) is not None
    assert rec.of(ev.Answered) == []


def test_knob_sets_tolerance(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    rt.step_index = 3
    rt.handle(ev.Answer(question="g_value", response=9.81 * 1.07))  # 7 % off: wrong at 5 %
    rt.set_knob("answer_tolerance", 0, reason="test: easier")
    rt.handle(ev.Answer(question="g_value", response=9.81 * 1.07))  # right at 10 %
    assert [a.correct for a in rec.of(ev.Answered)] == [False, True]
    change = rec.of(ev.KnobChanged)[0]
    assert (change.knob, change.from_level, change.to_level, change.reason) == (
        "answer_tolerance",
        1,
        0,
        "test: easier",
    )


def test_knob_gates_distractors(lab: tuple[Runtime, Recorder]) -> None:
    rt, _ = lab
    assert not rt.world.entities["wooden_ball"].visible
    rt.set_knob("distractors", 1, reason="harder")
    assert rt.world.entities["wooden_ball"].visible
    assert "wooden_ball" in rt.world.dirty


def test_hint_ladder_climbs_and_stays_at_the_bottom(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    for _ in range(4):
        rt.handle(ev.RequestHint())
    hints = rec.of(ev.HintShown)
    assert [h.rung for h in hints] == ["highlight", "concept", "demonstrate", "demonstrate"]
    assert hints[0].targets == ("bob", "pendulum")
    assert all(h.requested and h.trigger == "learner request" for h in hints)
    hang_bob(rt)
    assert rec.of(ev.StepCompleted)[0].hints_used == 3


def test_walking_to_a_poi_visits_it_and_plays_narration(site: tuple[Runtime, Recorder]) -> None:
    rt, rec = site
    assert rec.of(ev.NarrationStarted)[0].entity == "guide"  # the welcome step's narration
    rt.run_until(rec.of(ev.NarrationStarted)[0].duration + 0.1)
    assert rt.step is not None and rt.step.id == "visit_stoa"
    rt.handle(ev.Move(position=(-5.0, 4.0, 0.0)))  # 4 m from the stoa: outside its 3.5 m radius
    assert rec.of(ev.PoiVisited) == []
    rt.handle(ev.Move(position=(-6.0, 4.0, 0.0)))
    assert [v.poi for v in rec.of(ev.PoiVisited)] == ["stoa"]
    narration = rec.of(ev.NarrationStarted)[-1]
    assert narration.entity == "stoa" and len(narration.captions) == 3
    assert rt.step is not None and rt.step.id == "visit_temple"


def test_pause_stops_lesson_time(site: tuple[Runtime, Recorder]) -> None:
    rt, rec = site
    for _ in range(30):
        rt.advance(1 / 30)
    t = rt.t
    assert t == pytest.approx(1.0, abs=rt.clock.dt)
    rt.handle(ev.Pause())
    assert rt.advance(5.0) == 0 and rt.t == t
    assert rt.handle(ev.Move(position=(0, 0, 0))) == "the lesson is paused"
    rt.handle(ev.Resume())
    rt.advance(0.2)
    assert rt.t == pytest.approx(t + 0.2, abs=rt.clock.dt)
    assert [type(e) for e in rec.events if isinstance(e, ev.LessonPaused | ev.LessonResumed)] == [
        ev.LessonPaused,
        ev.LessonResumed,
    ]


def test_a_long_hitch_is_not_simulated_in_one_go() -> None:
    clock = FixedClock()
    assert clock.advance(5.0) == 30  # a 5 s freeze costs at most a quarter second of catch-up


def test_clock_runs_fixed_ticks_whatever_the_frame_rate() -> None:
    a, b = FixedClock(), FixedClock()
    ticks_a = sum(a.advance(1 / 30) for _ in range(30))
    ticks_b = sum(b.advance(1 / 144) for _ in range(144))
    assert ticks_a == ticks_b == 120


def test_world_positions_compose_parents_rotation_and_scale() -> None:
    from engine.core.world import EntityState, World

    parent = EntityState("p", None, (1.0, 2.0, 0.0), (90.0, 0.0, 0.0), (1.0, 2.0, 0.0),
                         scale=(2.0, 2.0, 2.0))  # fmt: skip
    child = EntityState("c", "p", (1.0, 0.0, 0.5), (0.0, 0.0, 0.0), (1.0, 0.0, 0.5))
    world = World({"p": parent, "c": child})
    # scaled by 2, then turned 90 degrees about Z (+X becomes +Y), then moved to the parent
    assert world.world_position("c") == pytest.approx((1.0, 4.0, 1.0))
    world.set_world_position("c", (0.0, 2.0, 0.0))
    assert world.world_position("c") == pytest.approx((0.0, 2.0, 0.0))


def test_dropping_an_object_is_not_a_failed_attempt(site: tuple[Runtime, Recorder]) -> None:
    rt, rec = site
    rt.step_index = 4  # 'ostracize': put the ostrakon in the urn
    rt.handle(ev.Grab(entity="ostrakon"))
    rt.handle(ev.Release(entity="ostrakon", position=(40.0, 40.0, 0.5)))  # dropped: exploring
    assert rt.progress.errors == 0
    rt.handle(ev.Grab(entity="ostrakon"))
    rt.handle(ev.Release(entity="ostrakon", position=rt.world.world_position("urn")))
    assert rt.step is not None and rt.step.id == "read_timeline"
    assert rec.of(ev.StepCompleted)[-1].errors == 0
