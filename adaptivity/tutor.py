"""The tutor: the learner model, the hint policy and the difficulty controller, wired to a
running lesson.

It listens to the runtime's lesson events (answers, completed steps, hints, gaze) to update the
learner model, and every few ticks asks the policies what to do; its decisions go back to the
runtime as unasked hints, delayed hint requests, knob changes and flags, each an event with
its reason (and so an xAPI statement a teacher can read). It decides from lesson time and
events only, so a session replayed from its input decides the same, at the same moments.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from adaptivity.bkt import BktParams
from adaptivity.config import AdaptivityConfig
from adaptivity.difficulty import DifficultyController, KnobDecision
from adaptivity.elo import BktEloPredictor, ItemBank, observe
from adaptivity.hints import Flag, HintPolicy
from adaptivity.store import LearnerRecord
from engine.core import events as ev
from engine.core.conditions import targets
from engine.model.lesson import Lesson, Step

if TYPE_CHECKING:
    from engine.core.runtime import Runtime


def lesson_priors(lesson: Lesson, folder: Path | None = None) -> dict[str, BktParams]:
    """BKT parameters the lesson ships: its ``priors_file`` (if any), then inline ``priors``."""
    settings = lesson.adaptivity
    params: dict[str, BktParams] = {}
    if settings.priors_file and folder is not None:
        from adaptivity.priors import priors_from_yaml

        params.update(priors_from_yaml(folder / settings.priors_file))
    for skill, p in settings.priors.items():
        params[skill] = BktParams(prior=p.prior, learn=p.learn, guess=p.guess, slip=p.slip)
    return params


class Tutor:
    """An :class:`~engine.core.runtime.Advisor` for one learner in one lesson."""

    def __init__(
        self,
        lesson: Lesson,
        *,
        record: LearnerRecord | None = None,
        items: ItemBank | None = None,
        config: AdaptivityConfig | None = None,
        knob_levels: dict[str, int] | None = None,
        folder: Path | None = None,
    ) -> None:
        """Set the tutor up for ``lesson``.

        Args:
            lesson: the lesson (its priors and threshold overrides are used).
            record: what adaptivity remembers of the learner (a new learner otherwise).
            items: the lesson's Elo item difficulties (fresh ones otherwise).
            config: thresholds (defaults, with the lesson's overrides applied).
            knob_levels: the knobs' levels at the start.
            folder: the lesson's folder, to find its priors file.
        """
        base = config or AdaptivityConfig()
        self.config = base.with_overrides(lesson.adaptivity.thresholds)
        self.lesson = lesson
        self.record = record or LearnerRecord("learner")
        self.model = self.record.model
        self.model.mastery = self.config.mastery
        self.model.use_params(lesson_priors(lesson, folder))
        self.items = items or ItemBank()
        self.predictor = BktEloPredictor(self.items)
        self.hints = HintPolicy(self.config)
        for skill in self.model:
            self.hints.carry_over(
                skill, self.model.opportunities(skill), mastered=self.model.mastered(skill)
            )
        self.difficulty = DifficultyController.for_lesson(lesson, self.config, levels=knob_levels)
        self.runtime: Runtime | None = None

    def attach(self, runtime: Runtime) -> None:
        """Start advising ``runtime``."""
        self.runtime = runtime
        runtime.advisor = self
        runtime.subscribe(self.on_event)

    # --- predictions ---------------------------------------------------------------------------

    def p_known(self, step: Step) -> float:
        """The weakest skill of the step: what the learner most likely does not know yet."""
        if not step.skills:
            return 1.0
        return min(self.model.p_known(s) for s in step.skills)

    def predicted_success(self, step: Step) -> float:
        """P(the learner does ``step`` right): BKT for the learner, Elo for the step's own
        difficulty, limited by the weakest skill."""
        if not step.skills:
            return 1.0
        abilities = self.record.abilities
        return min(self.predictor.predict(self.model, abilities, s, step.id) for s in step.skills)

    # --- events --------------------------------------------------------------------------------

    def on_event(self, event: ev.LessonEvent) -> None:
        """Update the model and the policies from one lesson event."""
        self.hints.observe(event)
        self.difficulty.observe(event)
        if isinstance(event, ev.Answered):
            # an answer given after the bottom-out demonstration says nothing of what is known
            correct = event.correct and not self.hints.bottom_out_used(event.step)
            self._evidence(event.t, event.step, event.skills, correct)
            self._rebalance(event.t, between_steps=False)
        elif isinstance(event, ev.StepCompleted):
            step = self._step(event.step)
            if step is not None and step.ask is None:
                # a question step's evidence came with its answers; others count once, and a
                # step solved after the bottom-out demonstration counts as not known
                correct = event.errors == 0 and not self.hints.bottom_out_used(event.step)
                self._evidence(event.t, event.step, event.skills, correct)
            self._rebalance(event.t, between_steps=True)

    def _step(self, step_id: str) -> Step | None:
        return next((s for s in self.lesson.steps if s.id == step_id), None)

    def _evidence(self, t: float, step: str, skills: tuple[str, ...], correct: bool) -> None:
        for skill in skills:
            observe(self.predictor, self.model, self.record.abilities, skill, step, correct)
            flag = self.hints.note_opportunity(skill, self.model.mastered(skill), t=t)
            if flag is not None:
                self._wheel_spinning(t, flag)
        self._emit_flags()

    def _rebalance(self, t: float, *, between_steps: bool) -> None:
        rt = self.runtime
        if rt is None:
            return
        upcoming = rt.step
        if between_steps and upcoming is not None:
            nxt = rt.step_index + 1
            upcoming = rt.lesson.steps[nxt] if nxt < len(rt.lesson.steps) else None
        if upcoming is None:
            return  # the lesson is over: nothing left to tune
        predicted = self.predicted_success(upcoming)
        for decision in self.difficulty.decide(t, predicted, between_steps=between_steps):
            self._apply(decision)

    def _apply(self, decision: KnobDecision) -> None:
        assert self.runtime is not None
        self.runtime.set_knob(
            decision.knob,
            decision.to_level,
            reason=decision.reason,
            actor="adaptivity",
            predicted=decision.predicted,
        )

    def _wheel_spinning(self, t: float, flag: Flag) -> None:
        # stop the drill: show how it is done, and make it one level easier
        rt = self.runtime
        if rt is None or rt.step is None:
            return
        step = rt.step
        rt.show_hint(
            requested=False,
            trigger="wheel-spinning",
            level=len(step.hints),
            reason=flag.reason,
            predicted=self.predicted_success(step),
        )
        eased = self.difficulty.ease(t, flag.reason, between_steps=False)
        if eased is not None:
            self._apply(eased)

    def _emit_flags(self) -> None:
        rt = self.runtime
        if rt is None:
            return
        step = rt.step
        for flag in self.hints.drain_flags():
            is_skill = flag.kind == "wheel-spinning"
            rt.emit(
                ev.LearnerFlagged(
                    flag.t,
                    flag=flag.kind,
                    reason=flag.reason,
                    step=step.id if step is not None else "",
                    skill=flag.subject if is_skill else "",
                )
            )

    # --- the Advisor protocol ------------------------------------------------------------------

    def advise(self, runtime: Runtime) -> None:
        """Offer an unasked hint when the learner looks stuck (guards in the hint policy)."""
        # the runtime shows a delayed request itself; this only lets the policy know it is due
        self.hints.due(runtime.t)
        step = runtime.step
        if step is None or runtime.paused:
            return
        relevant = {t for h in step.hints for t in h.targets} | set(targets(step.complete_when))
        decision = self.hints.proactive(
            runtime.t,
            p_known=self.p_known(step),
            expected_time=step.expected_time,
            relevant=relevant,
        )
        if decision is not None:
            runtime.show_hint(
                requested=False,
                trigger=decision.trigger,
                reason=decision.reason,
                predicted=self.predicted_success(step),
            )
        self._emit_flags()

    def hint_delay(self, runtime: Runtime) -> tuple[float, str]:
        """A short pause before a hint asked for too fast (help abuse); never a refusal."""
        verdict = self.hints.on_request(runtime.t)
        self._emit_flags()
        return (0.0, "") if verdict.grant else (verdict.delay, verdict.reason)
