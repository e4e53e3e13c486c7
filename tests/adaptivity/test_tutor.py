"""The tutor inside a running lesson: evidence, flags and decisions with their reasons."""

from __future__ import annotations

from adaptivity.bkt import LearnerModel, SkillState
from adaptivity.store import LearnerRecord
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
