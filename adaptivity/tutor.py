"""The tutor: the learner model, the hint policy and the difficulty controller, wired to a
running lesson.

It listens to the runtime's lesson events (answers, completed steps, hints, gaze) to update the
learner model, and every few ticks asks the policies what to do; its decisions go back to the
runtime as unasked hints, delayed hint requests, knob changes and flags, each an event with
its reason (and so an xAPI statement a teacher can read). It decides from lesson time and
events only, so a session replayed from its input decides the same, at the same moments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from adaptivity.attempts import AttemptTracker, attempt_specs
from adaptivity.bkt import BktParams
from adaptivity.config import AdaptivityConfig
from adaptivity.difficulty import DifficultyController, KnobDecision, knob_steps
from adaptivity.elo import BktEloPredictor, ItemBank
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


#: the events that change the learner model or the knobs the tutor predicts with
_MODEL_EVENTS = frozenset({ev.Answered, ev.StepCompleted, ev.KnobChanged})


def _relevant(step: Step) -> frozenset[str]:
    """The entities a learner on ``step`` should be looking at: its hints' targets and the
    objects its condition names."""
    return frozenset({t for h in step.hints for t in h.targets} | set(targets(step.complete_when)))


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
            # the learner's own tries, as counted in a session (gamed ones left out), so the
            # wheel-spinning count goes on where the last session left it
            self.hints.carry_over(
                skill, self.model.attempts(skill), mastered=self.model.mastered(skill)
            )
        self.difficulty = DifficultyController.for_lesson(lesson, self.config, levels=knob_levels)
        self.runtime: Runtime | None = None
        self._steps = {s.id: s for s in lesson.steps}
        # what the learner should be looking at on each step (for "idle"): asked 10 times a
        # second by advise, so worked out once
        self._relevant = {s.id: _relevant(s) for s in lesson.steps}
        self._attempts = AttemptTracker(attempt_specs(lesson))
        # knob-aware predictions: which knobs touch each step, and by how much their current
        # levels move its difficulty (logits; kept up to date on every KnobChanged)
        self._defaults = {k.id: k.default for k in lesson.difficulty}
        self._knob_touches: dict[str, tuple[str, ...]] = {s.id: () for s in lesson.steps}
        for knob, steps in knob_steps(lesson).items():
            for step_id in steps:
                self._knob_touches[step_id] += (knob,)
        self._levels = dict(self._defaults)
        self._levels.update(knob_levels or {})
        self._offsets: dict[str, float] = {}
        self._update_offsets()
        #: skills with evidence in this session: a mastered skill is checked once per session
        #: before its practice is skipped, so a mastery the model got wrong is found out
        self._checked: set[str] = set()

    def _update_offsets(self) -> None:
        effect = self.config.knob_logit_per_level
        levels, defaults = self._levels, self._defaults
        self._offsets = {
            step: effect * sum(levels[k] - defaults[k] for k in knobs)
            for step, knobs in self._knob_touches.items()
            if knobs
        }

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
        difficulty, the knobs' current levels; a step with several skills needs each of
        them (the product of their BKT predictions, as the model's update assumes)."""
        return self._predict(step.id, step.skills, self._offsets.get(step.id, 0.0))

    def knobs_touching(self, step: Step) -> tuple[str, ...]:
        """The knobs whose level changes ``step``'s difficulty (see ``knob_steps``)."""
        return self._knob_touches.get(step.id, ())

    def predicted_success_at(self, step: Step, levels: Mapping[str, int]) -> float:
        """:meth:`predicted_success` were the knobs at ``levels`` (others as they are now).

        What a teacher's "what if it were easier?" or a benchmark's "could any setting put
        this step in the band?" asks; nothing changes.

        Raises:
            ValueError: a knob that is not one of the lesson's.
        """
        if not levels.keys() <= self._levels.keys():  # asked on every controller move
            unknown = set(levels) - set(self._levels)
            raise ValueError(f"no knob {', '.join(sorted(unknown))} in this lesson")
        effect, now, defaults = self.config.knob_logit_per_level, self._levels, self._defaults
        offset = effect * sum(
            levels.get(k, now[k]) - defaults[k] for k in self._knob_touches.get(step.id, ())
        )
        return self._predict(step.id, step.skills, offset)

    def _predict(self, step: str, skills: list[str] | tuple[str, ...], offset: float) -> float:
        if not skills:
            return 1.0
        # several skills: the product, which the policy benchmark found better calibrated
        # than the weakest alone (40 learners per profile, 965 attempts at two-skill steps:
        # log loss 0.70 against 0.78; mean 0.53 and 0.63, observed 0.41)
        return self.predictor.predict_step(self.model, skills, step, offset=offset)

    def _what_if(self, step: Step) -> tuple[tuple[str, ...], Callable[[str, int], float]]:
        """The knobs touching ``step`` and the step's predicted success at another level."""

        def what_if(knob: str, level: int) -> float:
            return self.predicted_success_at(step, {knob: level})

        return self.knobs_touching(step), what_if

    # --- events --------------------------------------------------------------------------------

    def on_event(self, event: ev.LessonEvent) -> None:
        """Update the model and the policies from one lesson event."""
        failed = self._attempts.observe(event)
        if failed is not None:
            self._failed_attempt(*failed)
        self.hints.observe(event)
        kind = type(event)
        if kind not in _MODEL_EVENTS:
            return  # most events (gaze, manipulations, step starts) only feed the policies
        if isinstance(event, ev.Answered):
            # an answer given after the bottom-out demonstration says nothing of what is known
            copied = event.correct and self.hints.bottom_out_used(event.step)
            correct = event.correct and not copied
            self._evidence(event.t, event.step, event.skills, correct, copied=copied)
            self._rebalance(event.t)
        elif isinstance(event, ev.StepCompleted):
            step = self._steps.get(event.step)
            if step is not None and step.ask is None:
                # a question step's evidence came with its answers. A tracked step's failed
                # attempts were evidence as they failed: this is the one that succeeded. An
                # untracked step counts once, right only without errors. Solved after the
                # bottom-out demonstration, it counts as not known either way.
                copied = self.hints.bottom_out_used(step.id)
                if self._attempts.tracks(step.id):
                    correct = not copied
                else:
                    correct = event.errors == 0 and not copied
                self._evidence(event.t, event.step, event.skills, correct, copied=copied)
            # the next step's knobs are set when it is entered (before_step), between steps
        elif isinstance(event, ev.KnobChanged):
            self.difficulty.observe(event)
            if event.knob in self._levels:
                self._levels[event.knob] = event.to_level
                self._update_offsets()

    def _failed_attempt(self, step_id: str, t: float) -> None:
        step = self._steps.get(step_id)
        if step is None:
            return
        self._evidence(t, step.id, tuple(step.skills), False)
        rt = self.runtime
        if rt is not None and rt.step is step:
            self._rebalance(t)

    def _evidence(
        self, t: float, step: str, skills: tuple[str, ...], correct: bool, *, copied: bool = False
    ) -> None:
        """One opportunity on each of ``skills``: Elo, BKT, then the wheel-spinning count.

        ``copied``: a success that copied the bottom-out demonstration. It is incorrect
        evidence for the model (ASSISTments' rule). It counts towards wheel-spinning like any
        other failure (Beck & Gong count every problem not mastered), unless the learner got
        to the demonstration by gaming the hints (help abuse or rapid guessing flagged on the
        step): clicking through to the answer is gaming, flagged as such, not a try of its
        own, so it does not make the learner a wheel-spinner too.
        """
        model, abilities, predictor = self.model, self.record.abilities, self.predictor
        offset = self._offsets.get(step, 0.0)
        hints = self.hints
        gamed = copied and hints.gamed(step)
        self._checked.update(skills)
        # the predictor learns from its prediction made before the answer, then BKT
        predictor.update_step(model, abilities, skills, step, correct, offset=offset)
        model.observe_step(skills, correct, shift=offset, gamed=gamed)
        if not gamed:
            self._count_opportunities(t, skills, correct)
        if hints.flags:
            self._emit_flags()

    def _count_opportunities(self, t: float, skills: tuple[str, ...], correct: bool) -> None:
        """The wheel-spinning count of each skill, after the model took the evidence in.

        A step needs every one of its skills, so a failure is most likely its weakest one's.
        The model shares it out by Bayes (``LearnerModel.observe_step``), which keeps a skill
        shown elsewhere above ``wheel_spin_p_known``; on top of that, a skill whose P(known)
        is more than ``wheel_spin_blame_margin`` above the step's weakest cannot be flagged
        from it. Sparing all but the weakest also spares a skill the learner is really stuck
        on when a step-mate looks weaker: the default (1) flags each; see docs/adaptivity.md
        for the trade-off.
        """
        model, mastery = self.model, self.model.mastery
        ceiling = math.inf
        if not correct and len(skills) > 1:
            ceiling = min(map(model.p_known, skills)) + self.config.wheel_spin_blame_margin
        for skill in skills:
            p_known = model.p_known(skill)
            flag = self.hints.note_opportunity(
                skill, p_known >= mastery, t=t, p_known=p_known, blamed=p_known <= ceiling
            )
            if flag is not None:
                self._wheel_spinning(t, flag)

    def _rebalance(self, t: float) -> None:
        """Mid-step: a new prediction for the current step after a learner-model update."""
        rt = self.runtime
        if rt is None or rt.step is None:
            return  # the lesson is over: nothing left to tune
        self._tune(t, rt.step, between_steps=False)

    def _tune(self, t: float, step: Step, *, between_steps: bool) -> None:
        predicted = self.predicted_success(step)
        cfg = self.config
        if cfg.band_low <= predicted <= cfg.band_high:
            self.difficulty.decide(t, predicted, between_steps=between_steps)  # resets streaks
            return
        touching, what_if = self._what_if(step)
        for decision in self.difficulty.decide(
            t,
            predicted,
            between_steps=between_steps,
            touching=touching,
            what_if=what_if,
        ):
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
        eased = self.difficulty.ease(
            t, flag.reason, between_steps=False, touching=self._knob_touches.get(step.id, ())
        )
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

    def before_step(self, runtime: Runtime, step: Step) -> str | None:
        """Called as ``step`` is about to be shown: skip it, or tune its knobs first.

        A step that declares ``skip_when_mastered`` is skipped when the learner model has
        every one of its skills at mastery *and* each of them has already been practised in
        this session: the first step of a mastered skill in a session is its check (a mastery
        the model got wrong, from lucky guesses, shows there and the practice comes back),
        the later ones are skipped while it holds. The reason names the skills with their
        P(known). Otherwise this is the moment between two steps: geometry may change, so
        the controller takes its prediction for the step here.

        Returns:
            Why the step is skipped, or None to show it.
        """
        model = self.model
        if (
            step.skip_when_mastered
            and step.skills
            and all(s in self._checked and model.mastered(s) for s in step.skills)
        ):
            known = ", ".join(f"{s} {model.p_known(s):.2f}" for s in step.skills)
            return (
                f"every skill of '{step.id}' is mastered and was checked earlier in this "
                f"session (P(known) {known} >= {self.config.mastery:.2f})"
            )
        self._tune(runtime.t, step, between_steps=True)
        return None

    def advise(self, runtime: Runtime) -> None:
        """Offer an unasked hint when the learner looks stuck (guards in the hint policy)."""
        # runs 10 times a second: read the clock once, and emit flags only when there are any
        t = runtime.t
        failed = self._attempts.poll(t)
        if failed is not None:
            self._failed_attempt(*failed)
        # the runtime shows a delayed request itself; this only lets the policy know it is due
        hints = self.hints
        hints.due(t)
        step = runtime.step
        if step is None or runtime.paused:
            return
        decision = hints.proactive(
            t,
            p_known=self.p_known(step),
            expected_time=step.expected_time,
            relevant=self._relevant.get(step.id) or _relevant(step),
        )
        if decision is not None:
            runtime.show_hint(
                requested=False,
                trigger=decision.trigger,
                reason=decision.reason,
                predicted=self.predicted_success(step),
            )
        if hints.flags:
            self._emit_flags()

    def hint_delay(self, runtime: Runtime) -> tuple[float, str]:
        """A short pause before a hint asked for too fast (help abuse); never a refusal."""
        verdict = self.hints.on_request(runtime.t)
        self._emit_flags()
        return (0.0, "") if verdict.grant else (verdict.delay, verdict.reason)
