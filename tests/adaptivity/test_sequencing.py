"""Failed manipulations as evidence, knob-aware predictions, skipping mastered steps."""

from __future__ import annotations

import math

import pytest

from adaptivity.attempts import AttemptTracker, attempt_specs
from adaptivity.bkt import BktParams, LearnerModel, SkillState
from adaptivity.config import AdaptivityConfig
from adaptivity.difficulty import DifficultyController, knob_steps
from adaptivity.hints import HintPolicy
from adaptivity.store import LearnerRecord
from adaptivity.tutor import Tutor
from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.model.lesson import Lesson
from engine.model.loader import load_lesson
from engine.session import build_runtime


@pytest.fixture(scope="module")
def pendulum() -> Lesson:
    return load_lesson("pendulum-lab").lesson


def skipping(lesson: Lesson) -> Lesson:
    """The lesson with every step declaring ``skip_when_mastered``."""
    steps = [s.model_copy(update={"skip_when_mastered": True}) for s in lesson.steps]
    return lesson.model_copy(update={"steps": steps})


def mastered_record(*skills: str) -> dict[str, object]:
    model = LearnerModel()
    for skill in skills:
        model.skills[skill] = SkillState(0.99, opportunities=8, correct=8)
    return LearnerRecord("ada", model).to_dict()


# --- attempts ------------------------------------------------------------------------------


def test_attempts_are_read_from_the_lesson(pendulum: Lesson) -> None:
    specs = attempt_specs(pendulum)
    # releasing the bob or a look-alike (a distractor) is an attempt at hanging it
    assert specs["hang_bob"].releases == {"bob", "wooden_ball", "steel_cube"}
    # the tape reads pendulum.length: pressing a length button is an attempt
    assert specs["set_length"].presses == {"length_short", "length_long"}
    assert specs["time_small"].readings == {"stopwatch"}
    # question steps are judged by their answers
    assert "compute_g" not in specs and "explain" not in specs


def test_an_attempt_not_followed_by_completion_failed() -> None:
    from adaptivity.attempts import AttemptSpec

    tracker = AttemptTracker({"hang": AttemptSpec(releases=frozenset({"bob"}))})
    assert tracker.observe(ev.StepStarted(0.0, "hang", 0, "")) is None
    assert tracker.observe(ev.Interacted(1.0, "released", "bob")) is None
    # the same moment: the step may still complete
    assert tracker.observe(ev.Interacted(1.0, "placed", "bob")) is None
    # later lesson time and no completion: the release failed
    assert tracker.poll(1.5) == ("hang", 1.0)
    assert tracker.poll(2.0) is None  # reported once
    assert tracker.observe(ev.Interacted(3.0, "released", "bob")) is None
    assert tracker.observe(ev.StepCompleted(3.0, "hang", 3.0, 0, 0)) is None
    assert tracker.poll(4.0) is None  # that one completed the step
    # a release of something else is not an attempt
    tracker.observe(ev.StepStarted(5.0, "hang", 0, ""))
    tracker.observe(ev.Interacted(5.0, "released", "tape"))
    assert tracker.poll(6.0) is None


def test_a_bob_put_down_beside_the_hook_is_evidence_and_counts(pendulum: Lesson) -> None:
    rt = build_runtime(pendulum, seed=1)
    tutor = rt.advisor
    assert isinstance(tutor, Tutor)
    rt.start()
    before = tutor.model.p_known("experimental-setup")
    here = rt.world.world_position("bob")
    for _ in range(3):
        assert rt.handle(ev.Grab(entity="bob")) is None
        assert rt.handle(ev.Release(entity="bob", position=here)) is None
        rt.run_until(rt.t + 0.5)  # the advisor's next look resolves the attempt
    assert rt.progress.errors == 0  # the runtime itself saw no error
    assert tutor.model.opportunities("experimental-setup") == 3
    assert tutor.hints.opportunities("experimental-setup") == 3
    assert tutor.model.p_known("experimental-setup") < before


# --- wheel-spinning guard ------------------------------------------------------------------


def test_no_wheel_spinning_flag_while_p_known_shows_progress() -> None:
    policy = HintPolicy(AdaptivityConfig(wheel_spin_opportunities=3, wheel_spin_p_known=0.5))
    assert policy.note_opportunity("s", False, t=1.0, p_known=0.3) is None
    assert policy.note_opportunity("s", False, t=2.0, p_known=0.3) is None
    # at the threshold, but the latest answers lifted P(known): progressing, no flag
    assert policy.note_opportunity("s", False, t=3.0, p_known=0.8) is None
    flag = policy.note_opportunity("s", False, t=4.0, p_known=0.35)
    assert flag is not None and flag.kind == "wheel-spinning"
    assert "4 opportunities" in flag.reason and "P(known) 0.35 now" in flag.reason


def test_a_mastery_that_later_answers_take_back_no_longer_guards_the_skill() -> None:
    # lucky guesses can lift P(known) to mastery; failures that pull it back below the
    # "progressing" line mean the mastery was not real: the skill may be flagged again
    policy = HintPolicy(AdaptivityConfig(wheel_spin_opportunities=4, wheel_spin_p_known=0.5))
    assert policy.note_opportunity("s", False, t=1.0, p_known=0.3) is None
    assert policy.note_opportunity("s", True, t=2.0, p_known=0.96) is None
    assert policy.note_opportunity("s", False, t=3.0, p_known=0.7) is None  # still above 0.5
    assert policy.note_opportunity("s", False, t=4.0, p_known=0.62) is None  # still above 0.5
    flag = policy.note_opportunity("s", False, t=5.0, p_known=0.4)
    assert flag is not None and flag.subject == "s"
    assert "5 opportunities" in flag.reason and "mastery reached earlier was lost" in flag.reason


def test_a_mastery_that_holds_keeps_guarding_the_skill() -> None:
    policy = HintPolicy(AdaptivityConfig(wheel_spin_opportunities=2, wheel_spin_p_known=0.5))
    policy.carry_over("s", 20, mastered=True)
    for t, p in enumerate((0.9, 0.7, 0.55, 0.8)):  # slips, but never below 0.5
        assert policy.note_opportunity("s", False, t=float(t), p_known=p) is None
    assert not policy.wheel_spinning("s")


# --- knob-aware predictions and the controller ---------------------------------------------


def test_knobs_touch_the_steps_that_use_them(pendulum: Lesson) -> None:
    touched = knob_steps(pendulum)
    assert touched["timing_tolerance"] == {"time_small", "time_wide"}
    assert touched["answer_tolerance"] == {"compute_g"}
    assert touched["distractors"] == {"hang_bob"}
    assert touched["scaffolds"] == {"compute_g", "explain"}


def test_a_harder_level_lowers_the_predicted_success_by_the_prior_effect(
    pendulum: Lesson,
) -> None:
    step = pendulum.steps[2]  # time_small: timing_tolerance
    default = Tutor(pendulum).predicted_success(step)
    harder = Tutor(pendulum, knob_levels={"timing_tolerance": 2}).predicted_success(step)
    logit = math.log(default / (1 - default)) - AdaptivityConfig().knob_logit_per_level
    assert harder == pytest.approx(1 / (1 + math.exp(-logit)))
    # a knob that does not touch the step changes nothing about it
    other = Tutor(pendulum, knob_levels={"answer_tolerance": 2}).predicted_success(step)
    assert other == pytest.approx(default)


def test_a_step_with_two_skills_needs_both(pendulum: Lesson) -> None:
    # time_small needs measurement and the period: its prediction is the product of theirs
    step = pendulum.steps[2]
    tutor = Tutor(pendulum)
    both = tutor.model.predict("measurement") * tutor.model.predict("pendulum-period")
    assert tutor.predicted_success(step) == pytest.approx(both)
    assert tutor.predicted_success(step) < min(map(tutor.model.predict, step.skills))


def test_what_if_predictions_match_a_tutor_at_those_levels(pendulum: Lesson) -> None:
    step = pendulum.steps[2]  # time_small: timing_tolerance
    tutor = Tutor(pendulum)
    assert tutor.knobs_touching(step) == ("timing_tolerance",)
    for level in (0, 1, 2):
        at = Tutor(pendulum, knob_levels={"timing_tolerance": level}).predicted_success(step)
        assert tutor.predicted_success_at(step, {"timing_tolerance": level}) == pytest.approx(at)
    assert tutor.predicted_success_at(step, {}) == tutor.predicted_success(step)
    assert tutor.predicted_success_at(step, {"distractors": 1}) == tutor.predicted_success(step)
    with pytest.raises(ValueError, match="no knob nope"):
        tutor.predicted_success_at(step, {"nope": 1})


def test_the_controller_picks_the_move_nearest_the_target(pendulum: Lesson) -> None:
    ctl = DifficultyController.for_lesson(pendulum)
    after = {"answer_tolerance": 0.83, "scaffolds": 0.74}

    def what_if(knob: str, level: int) -> float:
        return after[knob]

    touching = ("answer_tolerance", "scaffolds")
    assert ctl.decide(0.0, 0.9, between_steps=True, touching=touching, what_if=what_if) == []
    (move,) = ctl.decide(1.0, 0.9, between_steps=True, touching=touching, what_if=what_if)
    assert (move.knob, move.from_level, move.to_level) == ("answer_tolerance", 1, 2)
    assert "predicted 0.83 after" in move.reason


def test_the_controller_stays_when_every_move_would_overshoot(pendulum: Lesson) -> None:
    ctl = DifficultyController.for_lesson(pendulum)

    def what_if(knob: str, level: int) -> float:
        return 0.5  # one level harder would land farther from 0.80 than 0.87 is

    for t in (0.0, 1.0, 2.0):
        decided = ctl.decide(
            t, 0.87, between_steps=True, touching=("timing_tolerance",), what_if=what_if
        )
        assert decided == []
    # and a knob that touches nothing of the step is never a candidate
    assert ctl.decide(3.0, 0.95, between_steps=True, touching=(), what_if=what_if) == []


def test_a_success_at_an_eased_level_says_less() -> None:
    params = BktParams(prior=0.4, learn=0.2, guess=0.25, slip=0.1)
    plain, eased, harder = (LearnerModel({"s": params}) for _ in range(3))
    p_plain = plain.observe("s", True)
    p_eased = eased.observe("s", True, shift=-1.0)  # one logit easier than usual
    p_harder = harder.observe("s", True, shift=1.0)
    assert p_eased < p_plain < p_harder
    assert 0.0 <= p_eased <= 1.0


# --- skipping mastered steps ---------------------------------------------------------------


def test_a_mastered_step_is_skipped_only_after_its_skill_was_checked(pendulum: Lesson) -> None:
    lesson = skipping(pendulum)
    record = mastered_record("experimental-setup", "measurement")
    rt = build_runtime(lesson, seed=1, learner=record)
    events: list[ev.LessonEvent] = []
    rt.subscribe(events.append)
    rt.start()
    # hang_bob is the first (and only) step of experimental-setup: it is its check, shown
    assert rt.step is not None and rt.step.id == "hang_bob"
    rt.handle(ev.Grab(entity="bob"))
    rt.handle(ev.Release(entity="bob", position=rt.world.world_position("pendulum")))
    # set_length is the first step of measurement in this session: shown too
    assert rt.step is not None and rt.step.id == "set_length"
    assert not [e for e in events if isinstance(e, ev.StepSkipped)]


def test_a_skipped_step_is_done_for_the_learner_with_a_reason(pendulum: Lesson) -> None:
    lesson = skipping(pendulum)
    record = mastered_record("experimental-setup", "measurement")
    rt = build_runtime(lesson, seed=1, learner=record)
    tutor = rt.advisor
    assert isinstance(tutor, Tutor)
    tutor._checked.add("experimental-setup")  # checked earlier in this session
    events: list[ev.LessonEvent] = []
    rt.subscribe(events.append)
    rt.start()
    skipped = [e for e in events if isinstance(e, ev.StepSkipped)]
    assert [e.step for e in skipped] == ["hang_bob"]
    assert "mastered" in skipped[0].reason and "experimental-setup 0.99" in skipped[0].reason
    # the runtime did what the demonstration shows: the bob hangs on the hook
    assert rt.world.entities["bob"].in_zone == "pendulum"
    assert rt.step is not None and rt.step.id == "set_length"
    started = [e.step for e in events if isinstance(e, ev.StepStarted)]
    assert started == ["set_length"]


def test_without_the_declaration_nothing_is_skipped(pendulum: Lesson) -> None:
    record = mastered_record(*(s.id for s in pendulum.metadata.skills))
    rt = build_runtime(pendulum, seed=1, learner=record)
    tutor = rt.advisor
    assert isinstance(tutor, Tutor)
    tutor._checked.update(s.id for s in pendulum.metadata.skills)
    events: list[ev.LessonEvent] = []
    rt.subscribe(events.append)
    rt.start()
    assert not [e for e in events if isinstance(e, ev.StepSkipped)]
    assert rt.step is not None and rt.step.id == "hang_bob"


def _on_compute_g(pendulum: Lesson) -> tuple[Runtime, Tutor]:
    """A runtime with its tutor, on compute_g (it asks g_value: pendulum-period)."""
    rt = build_runtime(pendulum, seed=1)
    tutor = rt.advisor
    assert isinstance(tutor, Tutor)
    rt.start()
    rt.step_index = 3
    rt.emit(ev.StepStarted(rt.t, "compute_g", 3, ""))  # the policies follow the step
    return rt, tutor


def test_a_success_copied_from_the_demonstration_counts_as_a_failed_try(
    pendulum: Lesson,
) -> None:
    rt, tutor = _on_compute_g(pendulum)
    shown: list[ev.HintShown] = []
    rt.subscribe(lambda e: shown.append(e) if isinstance(e, ev.HintShown) else None)
    while not shown or shown[-1].rung != "demonstrate":
        assert rt.handle(ev.RequestHint()) is None
        rt.run_until(rt.t + 5.0)  # read each hint before asking for the next: no abuse
    before = tutor.model.p_known("pendulum-period")
    rt.handle(ev.Answer(question="g_value", response=9.81))
    # incorrect evidence for the model (ASSISTments), and one more try without mastery
    assert tutor.model.opportunities("pendulum-period") == 1
    assert tutor.model.p_known("pendulum-period") < before
    assert tutor.hints.opportunities("pendulum-period") == 1
    assert tutor.model.attempts("pendulum-period") == 1


def test_a_demonstration_reached_by_clicking_through_is_no_wheel_spinning_try(
    pendulum: Lesson,
) -> None:
    rt, tutor = _on_compute_g(pendulum)
    flags: list[ev.LearnerFlagged] = []
    rt.subscribe(lambda e: flags.append(e) if isinstance(e, ev.LearnerFlagged) else None)
    while not tutor.hints.bottom_out_used("compute_g"):
        rt.handle(ev.RequestHint())  # refused while a delayed hint is on its way
        rt.run_until(rt.t + 0.5)  # and the next click comes at once: help abuse
    assert [f.flag for f in flags] and {f.flag for f in flags} == {"help-abuse"}
    before = tutor.model.p_known("pendulum-period")
    rt.handle(ev.Answer(question="g_value", response=9.81))
    # still incorrect evidence, but gaming is flagged as gaming, not as wheel-spinning
    assert tutor.model.p_known("pendulum-period") < before
    assert tutor.model.opportunities("pendulum-period") == 1
    assert tutor.hints.opportunities("pendulum-period") == 0
    assert tutor.model.attempts("pendulum-period") == 0
