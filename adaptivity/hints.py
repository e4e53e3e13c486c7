"""The hint policy: guarded proactive hints, gaming detection and wheel-spinning flags.

Pure and deterministic: the policy reads lesson events (:mod:`engine.core.events`) and the
lesson time ``t`` the caller passes; it never reads a clock or draws a random number, so a
session replayed from its log makes the same decisions at the same moments. It decides; the
caller acts (``Runtime.show_hint``, the difficulty controller, xAPI statements).

Thresholds come from :class:`~adaptivity.config.AdaptivityConfig`; the numbers and their
sources are in ``shared/design/adaptivity.md``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from adaptivity.config import AdaptivityConfig
from engine.core import events as ev

#: trigger names, as they appear in ``HintShown.trigger`` and the xAPI statements
TRIGGER_STUCK = "stuck: errors and low P(known)"
TRIGGER_IDLE = "idle with little gaze on the task"

#: the hint rung that gives the answer away (ASSISTments' bottom-out hint)
BOTTOM_OUT = "demonstrate"

FlagKind = Literal["help-abuse", "rapid-guessing", "wheel-spinning"]

#: events after which no step is running
_STEP_ENDS = frozenset({ev.StepCompleted, ev.LessonCompleted, ev.LessonEnded})

# Lesson times are multiples of 1/120 s, so a difference meant to be exactly 10 s can come out
# a hair below it; compare with this slack so a threshold is met on the tick it is due.
_EPS = 1e-9


@dataclass(frozen=True)
class HintDecision:
    """An unasked hint the policy wants shown now.

    Attributes:
        t: lesson time of the decision.
        step: the step it is for.
        trigger: :data:`TRIGGER_STUCK` or :data:`TRIGGER_IDLE`.
        reason: a sentence with the numbers, for the teacher ("why did she get this hint?").
    """

    t: float
    step: str
    trigger: str
    reason: str


@dataclass(frozen=True)
class RequestVerdict:
    """The answer to a learner's hint request.

    Attributes:
        grant: show the next rung now.
        delay: otherwise, seconds until it is shown (the caller polls :meth:`HintPolicy.due`).
        reason: why it waits ("" when granted).
    """

    grant: bool
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Flag:
    """Something a teacher should know about; logged, never shown to the learner as a reproach.

    Attributes:
        kind: ``help-abuse``, ``rapid-guessing`` or ``wheel-spinning``.
        subject: the step (gaming) or the skill (wheel-spinning).
        t: lesson time it was raised.
        reason: a sentence with the numbers.
    """

    kind: FlagKind
    subject: str
    t: float
    reason: str


@dataclass
class _Step:
    """What the policy tracks during the current step (reset when a step starts)."""

    id: str
    errors: int = 0
    last_error_t: float | None = None
    last_attempt_t: float | None = None
    #: consecutive attempts each less than ``rapid_gap_s`` after the one before
    rapid_run: int = 0
    #: no new hint level before this time (the response to gaming)
    hold_until: float = float("-inf")
    #: a delayed request: show it at this time
    pending_at: float | None = None
    #: the last hint on this step (help abuse is clicking through one step's ladder)
    last_hint_t: float | None = None
    #: start of the idle window: the latest of step start, activity and hint
    idle_since: float = 0.0
    #: dwell seconds inside the idle window, by entity
    gaze: dict[str, float] = field(default_factory=dict)


class HintPolicy:
    """Decides unasked hints, delays abusive requests and raises flags, from lesson events.

    Wiring: subscribe :meth:`observe` to the runtime's events; call :meth:`proactive` each tick
    (or every few ticks); route a learner's hint request through :meth:`on_request` before
    ``Runtime.show_hint``; poll :meth:`due` for delayed requests; call
    :meth:`note_opportunity` after each learner-model update.
    """

    def __init__(self, config: AdaptivityConfig | None = None) -> None:
        """Start with no history.

        Args:
            config: thresholds (the defaults when omitted).
        """
        self.config = config or AdaptivityConfig()
        #: raised flags, oldest first, until :meth:`drain_flags`
        self.flags: list[Flag] = []
        self._step: _Step | None = None
        self._last_hint_t: float | None = None
        self._last_t = 0.0
        self._bottom_out: set[str] = set()
        self._gamed: set[str] = set()
        self._opportunities: dict[str, int] = {}
        self._mastered: set[str] = set()
        self._spinning: set[str] = set()

    # --- events ----------------------------------------------------------------------------

    def observe(self, event: ev.LessonEvent) -> None:
        """Take in one lesson event (in the order the runtime emits them)."""
        t = event.t
        if t > self._last_t:
            self._last_t = t
        # dispatch on the exact class: events are final dataclasses, and this runs for every
        # event of a session (isinstance chains were a measurable share of the online cost)
        kind = type(event)
        if type(event) is ev.StepStarted:
            self._step = _Step(event.step, idle_since=t)
            return
        if kind in _STEP_ENDS:
            self._step = None
            return
        if type(event) is ev.HintShown:
            self._on_hint(event)
            return
        step = self._step
        if step is None:
            return
        if type(event) is ev.Answered:
            self._on_attempt(step, event)
        elif type(event) is ev.Interacted:
            if event.action == "dwelled":
                self._on_dwell(step, event)
            else:
                self._restart_idle(step, t)
        elif type(event) is ev.Measured:
            self._restart_idle(step, t)

    def _on_hint(self, event: ev.HintShown) -> None:
        self._last_hint_t = event.t
        if event.rung == BOTTOM_OUT:
            self._bottom_out.add(event.step)
        step = self._step
        if step is not None and step.id == event.step:
            step.last_hint_t = event.t
            # a hint is a new prompt: the learner gets a fresh idle window to act on it
            self._restart_idle(step, event.t)

    def _on_attempt(self, step: _Step, event: ev.Answered) -> None:
        t = event.t
        self._restart_idle(step, t)
        if not event.correct:
            step.errors += 1
            step.last_error_t = t
        gap = self.config.rapid_gap_s
        if step.last_attempt_t is not None and t - step.last_attempt_t < gap - _EPS:
            step.rapid_run += 1
        else:
            step.rapid_run = 1
        step.last_attempt_t = t
        if step.rapid_run >= self.config.rapid_attempts:
            step.hold_until = max(step.hold_until, t + self.config.gaming_delay_s)
            self._gamed.add(step.id)
            if step.rapid_run == self.config.rapid_attempts:
                # once per run of rapid attempts, not once per attempt: one flag per episode
                self.flags.append(
                    Flag(
                        "rapid-guessing",
                        step.id,
                        t,
                        f"{step.rapid_run} attempts on '{step.id}' each less than "
                        f"{gap:g} s after the previous one; the next hint waits "
                        f"{self.config.gaming_delay_s:g} s",
                    )
                )

    def _on_dwell(self, step: _Step, event: ev.Interacted) -> None:
        seconds = (event.dwell_ms or 0) / 1000.0
        # a dwell is reported when the gaze leaves: count only its part inside the idle window
        inside = max(0.0, min(seconds, event.t - step.idle_since))
        if inside > 0.0:
            step.gaze[event.entity] = step.gaze.get(event.entity, 0.0) + inside

    @staticmethod
    def _restart_idle(step: _Step, t: float) -> None:
        step.idle_since = t
        step.gaze.clear()

    # --- proactive hints -------------------------------------------------------------------

    def proactive(
        self, t: float, *, p_known: float, expected_time: float, relevant: Collection[str]
    ) -> HintDecision | None:
        """An unasked hint, if the learner looks stuck and the guards allow one.

        Guards: at least ``proactive_quiet_s`` since the last hint (asked or not), no delayed
        request waiting, no gaming hold, and the bottom-out rung not yet shown on this step.
        Triggers (the first that holds wins):

        * stuck: at least ``stuck_errors`` errors on the step, one of them since the last hint
          (new evidence, so the policy does not climb the ladder on the same errors), and
          ``p_known < stuck_p_known``;
        * idle: no interaction, answer or hint for more than ``idle_factor * expected_time``
          while gaze dwelt on ``relevant`` entities for less than ``idle_gaze_share`` of it.

        A returned decision counts as shown at ``t`` (the quiet period starts now), so the
        caller should show it: ``runtime.show_hint(requested=False, trigger=d.trigger)``.

        Args:
            t: lesson time now.
            p_known: P(known) for the step (e.g. the lowest over its skills).
            expected_time: the step's expected time in seconds.
            relevant: task-relevant entity ids (hint targets and the step condition's targets).

        Returns:
            The decision, or None.
        """
        if not 0.0 <= p_known <= 1.0:
            raise ValueError(f"p_known must lie in [0, 1] (got {p_known})")
        if not expected_time > 0.0:
            raise ValueError(f"expected_time must be positive (got {expected_time})")
        self._last_t = max(self._last_t, t)
        step = self._step
        if step is None or step.id in self._bottom_out:
            return None
        if step.pending_at is not None or t < step.hold_until - _EPS:
            return None
        cfg = self.config
        last = self._last_hint_t
        if last is not None and t - last < cfg.proactive_quiet_s - _EPS:
            return None
        since = "no earlier hint" if last is None else f"{t - last:.0f} s since the last hint"

        new_error = step.last_error_t is not None and (last is None or step.last_error_t > last)
        if step.errors >= cfg.stuck_errors and new_error and p_known < cfg.stuck_p_known:
            reason = (
                f"{step.errors} errors on '{step.id}' and P(known)={p_known:.2f} < "
                f"{cfg.stuck_p_known:.2f}; {since}"
            )
            return self._fire(t, step, TRIGGER_STUCK, reason)

        idle = t - step.idle_since
        limit = cfg.idle_factor * expected_time
        if idle > limit + _EPS:
            share = min(1.0, sum(step.gaze.get(e, 0.0) for e in relevant) / idle)
            if share < cfg.idle_gaze_share:
                reason = (
                    f"idle {idle:.0f} s on '{step.id}' > {cfg.idle_factor:g} x "
                    f"{expected_time:g} s expected, gaze on the task {share:.0%} < "
                    f"{cfg.idle_gaze_share:.0%} of that time; {since}"
                )
                return self._fire(t, step, TRIGGER_IDLE, reason)
        return None

    def _fire(self, t: float, step: _Step, trigger: str, reason: str) -> HintDecision:
        # count the hint as shown now, so a second call at the same t cannot fire again even
        # before the runtime's HintShown comes back through observe()
        self._last_hint_t = step.last_hint_t = t
        self._restart_idle(step, t)
        return HintDecision(t, step.id, trigger, reason)

    # --- requests --------------------------------------------------------------------------

    def on_request(self, t: float) -> RequestVerdict:
        """Judge a learner's hint request: grant it now, or delay it (help abuse, gaming).

        A delay is the whole response: the hint still comes, ``gaming_delay_s`` later, with no
        message and no penalty. A granted request counts as shown at ``t``.

        Args:
            t: lesson time of the request.
        """
        self._last_t = max(self._last_t, t)
        step = self._step
        if step is None:
            return RequestVerdict(True)
        cfg = self.config
        if step.pending_at is not None:
            return RequestVerdict(
                False, step.pending_at - t, "a hint is already on its way for this step"
            )
        # only this step's hints: asking right after the previous step's hint is a first ask
        last = step.last_hint_t
        if last is not None and t - last < cfg.abuse_gap_s - _EPS:
            reason = (
                f"hint requested {t - last:.1f} s after the previous hint (< "
                f"{cfg.abuse_gap_s:g} s); the next level waits {cfg.gaming_delay_s:g} s"
            )
            self.flags.append(Flag("help-abuse", step.id, t, reason))
            self._gamed.add(step.id)
            # a rapid-guessing hold may already reach further: the later of the two wins
            step.pending_at = max(t + cfg.gaming_delay_s, step.hold_until)
            return RequestVerdict(False, step.pending_at - t, reason)
        if t < step.hold_until - _EPS:
            step.pending_at = step.hold_until
            return RequestVerdict(
                False,
                step.hold_until - t,
                f"rapid guessing on '{step.id}'; the next level waits until "
                f"{cfg.gaming_delay_s:g} s after the last attempt",
            )
        self._last_hint_t = step.last_hint_t = t
        return RequestVerdict(True)

    def due(self, t: float) -> bool:
        """Whether a delayed request is due now; True once per delayed request.

        Call each tick; when True, show the hint as a learner request.
        """
        step = self._step
        if step is None or step.pending_at is None or t < step.pending_at - _EPS:
            return False
        step.pending_at = None
        self._last_hint_t = step.last_hint_t = t
        return True

    # --- bottom-out and wheel-spinning -----------------------------------------------------

    def bottom_out_used(self, step: str) -> bool:
        """Whether the bottom-out (demonstrate) rung was shown on ``step``.

        A step solved after it is incorrect evidence for the learner model (ASSISTments).
        """
        return step in self._bottom_out

    def gamed(self, step: str) -> bool:
        """Whether help abuse or rapid guessing was seen on ``step`` in this session."""
        return step in self._gamed

    def note_opportunity(
        self,
        skill: str,
        mastered: bool,
        *,
        t: float | None = None,
        p_known: float | None = None,
        blamed: bool = True,
    ) -> Flag | None:
        """Count one opportunity on ``skill``; flag wheel-spinning once, from the threshold on.

        Args:
            skill: the skill practised.
            mastered: whether the learner model says it is mastered after this opportunity
                (P(known) >= ``config.mastery``); a mastered skill is not flagged, unless
                later answers pull P(known) back below ``config.wheel_spin_p_known`` (the
                mastery was most likely lucky guesses; then it no longer guards the skill).
            t: lesson time (the latest observed event's when omitted).
            p_known: P(known) after this opportunity; when given, no flag while it is at or
                above ``config.wheel_spin_p_known`` (the learner is progressing); the flag
                can come at a later opportunity once it falls below again.
            blamed: False when the caller does not hold this opportunity against the skill
                (a failed step with several skills, most likely failed through another,
                weaker one): it is counted but cannot flag this skill; a later opportunity
                can.

        Returns:
            The new wheel-spinning flag (also kept in :attr:`flags`), or None. The caller
            responds: demonstrate, ease a level, tell the teacher.
        """
        count = self._opportunities.get(skill, 0) + 1
        self._opportunities[skill] = count
        cfg = self.config
        lost = False
        if mastered:
            self._mastered.add(skill)
        elif p_known is not None and p_known < cfg.wheel_spin_p_known and skill in self._mastered:
            # a mastery that later answers pull back below the "progressing" line was most
            # likely made of lucky guesses: it no longer protects the skill from the flag
            self._mastered.discard(skill)
            lost = True
        limit = cfg.wheel_spin_opportunities
        if not blamed or skill in self._mastered or skill in self._spinning or count < limit:
            return None
        if p_known is not None and p_known >= cfg.wheel_spin_p_known:
            return None
        self._spinning.add(skill)
        now = "" if p_known is None else f", P(known) {p_known:.2f} now"
        if lost:
            now += ", mastery reached earlier was lost"
        flag = Flag(
            "wheel-spinning",
            skill,
            self._last_t if t is None else t,
            f"{count} opportunities on '{skill}' without mastery (P(known) < "
            f"{cfg.mastery:.2f}{now})",
        )
        self.flags.append(flag)
        return flag

    def carry_over(self, skill: str, opportunities: int, *, mastered: bool) -> None:
        """Start counting from a learner's earlier sessions (wheel-spinning spans sessions)."""
        self._opportunities[skill] = max(self._opportunities.get(skill, 0), opportunities)
        if mastered:
            self._mastered.add(skill)

    def opportunities(self, skill: str) -> int:
        """Opportunities counted on ``skill`` so far."""
        return self._opportunities.get(skill, 0)

    def wheel_spinning(self, skill: str) -> bool:
        """Whether ``skill`` has been flagged as wheel-spinning."""
        return skill in self._spinning

    def drain_flags(self) -> list[Flag]:
        """The flags raised since the last drain, oldest first; clears :attr:`flags`."""
        flags, self.flags = self.flags, []
        return flags
