"""The tutor inside a running lesson: evidence, flags and decisions with their reasons."""

from __future__ import annotations

from adaptivity.bkt import LearnerModel, SkillState, posterior
from adaptivity.config import AdaptivityConfig
from adaptivity.store import LearnerRecord
from adaptivity.tutor import Tutor
from engine.core import events as ev
from engine.model.loader import load_lesson
from engine.session import build_runtime


def test_wheel_spinning_spans_sessions_and_gets_help() -> None:
    loaded = load_lesson("pendulum-lab")
    model = LearnerModel()
    # nine earlier opportunities on the skill, never learnt
    model.skills["pendulum-period"] = SkillState(0.05, opportunities=9, correct=2)
    record = LearnerRecord("spinner", model).to_dict()
    rt = build_runtime(loaded.lesson, learner=record, folder=loaded.folder)
    events: list[ev.LessonEvent] = []
    rt.subscribe(events.append)
    rt.start()
    rt.step_index = 3  # compute_g asks g_value (skill pendulum-period)
    rt.handle(ev.Answer(question="g_value", response=1.0))
    flags = [e for e in events if isinstance(e, ev.LearnerFlagged)]
    assert [(f.flag, f.skill) for f in flags] == [("wheel-spinning", "pendulum-period")]
    assert "10 opportunities on 'pendulum-period'" in flags[0].reason
    demos = [e for e in events if isinstance(e, ev.HintShown) and e.rung == "demonstrate"]
    assert demos and not demos[0].requested and demos[0].trigger == "wheel-spinning"
    eased = [e for e in events if isinstance(e, ev.KnobChanged)]
    assert eased and eased[-1].to_level < eased[-1].from_level


def test_an_answer_copied_from_the_demonstration_is_not_evidence_of_knowing() -> None:
    loaded = load_lesson("pendulum-lab")
    rt = build_runtime(loaded.lesson, folder=loaded.folder)
    tutor = rt.advisor
    rt.start()
    rt.step_index = 3
    before = tutor.model.p_known("pendulum-period")  # type: ignore[union-attr]
    for _ in range(3):
        rt.show_hint(requested=True, trigger="test")
    rt.handle(ev.Answer(question="g_value", response=9.81))
    assert tutor.model.p_known("pendulum-period") < before  # type: ignore[union-attr]


def test_the_wheel_spinning_count_goes_on_where_the_last_session_left_it() -> None:
    # demonstrations reached by gaming are evidence for the model but not tries of its own:
    # in a session they are left out of the wheel-spinning count, and so across sessions
    loaded = load_lesson("pendulum-lab")
    model = LearnerModel()
    model.skills["pendulum-period"] = SkillState(0.05, opportunities=11, correct=2, gamed=3)
    record = LearnerRecord("spinner", model).to_dict()
    rt = build_runtime(loaded.lesson, learner=record, folder=loaded.folder)
    tutor = rt.advisor
    assert tutor is not None
    assert tutor.hints.opportunities("pendulum-period") == 8  # type: ignore[attr-defined]


def _failed_two_skill_step(margin: float) -> list[str]:
    """Skills flagged when a step needing a half-known and an unknown skill fails at their
    tenth opportunity."""
    loaded = load_lesson("pendulum-lab")
    model = LearnerModel()
    model.skills["measurement"] = SkillState(0.45, opportunities=9, correct=4)
    model.skills["pendulum-period"] = SkillState(0.1, opportunities=9, correct=1)
    tutor = Tutor(
        loaded.lesson,
        record=LearnerRecord("learner", model),
        config=AdaptivityConfig(wheel_spin_blame_margin=margin),
        folder=loaded.folder,
    )
    skills = ("measurement", "pendulum-period")
    tutor.on_event(ev.StepStarted(1.0, "time_small", 4, "Time ten swings."))
    tutor.on_event(ev.Answered(2.0, "q", "x", False, "", step="time_small", skills=skills))
    # the model shares the failure out by Bayes: most of it on the period, likely unknown
    assert model.opportunities("measurement") == model.opportunities("pendulum-period") == 10
    alone = {
        s: posterior(p, False, model.params(s))
        for s, p in (("measurement", 0.45), ("pendulum-period", 0.1))
    }
    spared = {s: model.p_known(s) - alone[s] for s in alone}  # above a lone failure's
    assert 0.0 <= spared["pendulum-period"] < 0.05 and spared["measurement"] > 0.2
    return [f.subject for f in tutor.hints.flags if f.kind == "wheel-spinning"]


def test_a_failed_step_flags_each_skill_by_default() -> None:
    assert _failed_two_skill_step(1.0) == ["measurement", "pendulum-period"]


def test_a_failed_step_can_flag_only_its_weakest_skill() -> None:
    # the learner is stuck on the period, not on measuring: only that one is flagged
    assert _failed_two_skill_step(0.0) == ["pendulum-period"]
    # within the margin of the weakest, a step-mate is still flagged
    assert _failed_two_skill_step(0.5) == ["measurement", "pendulum-period"]
