"""Bayesian Knowledge Tracing: per-skill P(known), updated in closed form on every opportunity.

A skill is either known or not. Before an opportunity the learner knows it with probability
``p``; a learner who knows it answers correctly unless they *slip*, one who does not
answers correctly only by a *guess*. After the answer, P(known) is conditioned on it
(Bayes), then the learner may *learn* the skill (or, if ``forget > 0``, forget it) before
the next opportunity. Pure Python floats: one update costs well under a microsecond, so it
runs on every interaction of a live lesson.

Monotonicity (the property the tests check): with ``forget == 0`` a correct answer never
lowers P(known), for every ``p`` in [0, 1], as long as ``guess + slip <= 1`` (always true
here: both are below 0.5). The conditioning step gives ``p' >= p`` exactly because
``guess / (1 - slip) <= 1``, and learning only adds ``(1 - p') * learn >= 0``. With
``forget > 0`` it holds only while ``p <= learn / (learn + forget)`` (the steady state the
forgetting pulls towards) and ``learn + forget <= 1``; above it, forgetting can outweigh the
evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

#: Cognitive Tutor's convention: a skill is mastered once P(known) reaches 0.95
DEFAULT_MASTERY = 0.95
#: guess and slip must stay below this: at 0.5 an answer says nothing about knowledge
HARD_LIMIT = 0.5


@dataclass(frozen=True, slots=True)
class ParamBounds:
    """Upper bounds on guess and slip that keep a fitted model meaningful.

    Without them EM can settle on degenerate models (guess 0.6: "knowing" makes you worse),
    see Baker, Corbett & Aleven 2008 on contextual guess and slip. 0.3 is the usual cap.

    Attributes:
        guess: Largest allowed P(correct | not known), below 0.5.
        slip: Largest allowed P(incorrect | known), below 0.5.
    """

    guess: float = 0.3
    slip: float = 0.3

    def __post_init__(self) -> None:
        for name in ("guess", "slip"):
            value = getattr(self, name)
            if not 0.0 < value < HARD_LIMIT:
                raise ValueError(f"bound on {name} must lie in (0, {HARD_LIMIT}), got {value!r}")


DEFAULT_BOUNDS = ParamBounds()


@dataclass(frozen=True, slots=True)
class BktParams:
    """One skill's BKT parameters.

    Attributes:
        prior: P(known) before the first opportunity.
        learn: P(not known -> known) between two opportunities.
        guess: P(correct | not known); below 0.5.
        slip: P(incorrect | known); below 0.5.
        forget: P(known -> not known) between two opportunities; 0 in standard BKT.

    Raises:
        ValueError: A value is not a probability, or guess or slip is 0.5 or more.
    """

    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0
    # guess / (1 - slip): conditioning on a correct answer in ratio form, which keeps the
    # update exactly monotone in floating point (see the module docstring)
    _odds_correct: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("prior", "learn", "guess", "slip", "forget"):
            value = _probability(name, getattr(self, name))
            object.__setattr__(self, name, value)
        for name in ("guess", "slip"):
            if getattr(self, name) >= HARD_LIMIT:
                raise ValueError(
                    f"{name} must be below {HARD_LIMIT} (got {getattr(self, name)!r}): "
                    "otherwise a correct answer is not evidence of knowing the skill"
                )
        object.__setattr__(self, "_odds_correct", self.guess / (1.0 - self.slip))

    def within(self, bounds: ParamBounds = DEFAULT_BOUNDS) -> bool:
        """Whether guess and slip respect ``bounds``."""
        return self.guess <= bounds.guess and self.slip <= bounds.slip

    def to_dict(self) -> dict[str, float]:
        """The parameters as a JSON-ready dict (``forget`` only when non-zero)."""
        out = {"prior": self.prior, "learn": self.learn, "guess": self.guess, "slip": self.slip}
        if self.forget:
            out["forget"] = self.forget
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BktParams:
        """Parameters from :meth:`to_dict` output (or a priors file entry).

        Raises:
            ValueError: A key is missing or unknown, or a value is out of range.
        """
        keys = {"prior", "learn", "guess", "slip", "forget"}
        unknown = set(data) - keys
        if unknown:
            raise ValueError(f"unknown BKT parameter(s): {', '.join(sorted(unknown))}")
        missing = keys - {"forget"} - set(data)
        if missing:
            raise ValueError(f"missing BKT parameter(s): {', '.join(sorted(missing))}")
        return cls(**{k: data[k] for k in keys if k in data})


def _probability(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}") from None
    if isinstance(value, bool) or not 0.0 <= out <= 1.0:  # NaN fails the range test too
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return out


#: used for a skill that has no fitted or authored parameters
DEFAULT_PARAMS = BktParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1)


def posterior(p_known: float, correct: bool, params: BktParams) -> float:
    """P(known) before the next opportunity, given this opportunity's answer.

    Args:
        p_known: P(known) before this opportunity, in [0, 1].
        correct: Whether the learner answered correctly.
        params: The skill's parameters.

    Returns:
        The updated P(known), in [0, 1].
    """
    if correct:
        # ratio form: p / (p + (1 - p) * g / (1 - s)); the denominator never exceeds 1
        den = p_known + (1.0 - p_known) * params._odds_correct
        cond = p_known / den if den > 0.0 else p_known
    else:
        num = p_known * params.slip
        den = num + (1.0 - p_known) * (1.0 - params.guess)
        cond = num / den if den > 0.0 else p_known
    return cond * (1.0 - params.forget) + (1.0 - cond) * params.learn


@lru_cache(maxsize=256)
def _shifted(params: BktParams, shift: float) -> BktParams:
    """``params`` with guess and 1 - slip moved by ``-shift`` logits (clipped to stay valid).

    Cached: a lesson has a few knob levels, so a few shifts, and building validated
    parameters costs more than the update itself.
    """

    def move(p: float) -> float:
        p = min(max(p, 1e-6), 1.0 - 1e-6)
        x = math.log(p / (1.0 - p)) - shift
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))

    # keep guess below 1 - slip (a success must stay evidence of knowing)
    guess = min(move(params.guess), 0.49)
    slip = min(1.0 - move(1.0 - params.slip), 0.49)
    return replace(params, guess=guess, slip=slip)


def predict_correct(p_known: float, params: BktParams) -> float:
    """P(correct) at an opportunity where P(known) is ``p_known``."""
    return p_known * (1.0 - params.slip) + (1.0 - p_known) * params.guess


@dataclass(slots=True)
class SkillState:
    """What the learner model knows about one learner and one skill.

    Attributes:
        p_known: P(known) before the next opportunity.
        opportunities: Opportunities observed so far.
        correct: How many of them were answered correctly.
        gamed: How many of them copied a bottom-out demonstration that the learner got to
            by gaming the hints (evidence of not knowing, so incorrect, but not a try of
            the learner's own: the wheel-spinning count leaves them out).
    """

    p_known: float
    opportunities: int = 0
    correct: int = 0
    gamed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "p_known": self.p_known,
            "opportunities": self.opportunities,
            "correct": self.correct,
            "gamed": self.gamed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SkillState:
        """A state from :meth:`to_dict` output.

        Raises:
            ValueError: P(known) is not a probability or the counts are inconsistent.
        """
        p = float(data["p_known"])
        n, k = int(data.get("opportunities", 0)), int(data.get("correct", 0))
        c = int(data.get("gamed", 0))  # absent in records written before it was kept
        if not 0.0 <= p <= 1.0 or math.isnan(p):
            raise ValueError(f"p_known must be in [0, 1], got {p!r}")
        if not 0 <= k <= n:
            raise ValueError(f"need 0 <= correct <= opportunities, got {k} of {n}")
        if not 0 <= c <= n - k:
            raise ValueError(f"need 0 <= gamed <= incorrect opportunities, got {c} of {n - k}")
        return cls(p, n, k, c)


class LearnerModel:
    """One learner's knowledge: BKT state per skill, with the skills' parameters.

    Parameters belong to skills (a lesson ships them); the state belongs to the learner and
    travels across lessons through :class:`~adaptivity.store.LearnerStore`. A skill seen for
    the first time starts at its parameters' prior.

    Args:
        params: Parameters per skill; more can be added later with :meth:`use_params`.
        default: Parameters for skills without their own.
        mastery: P(known) at which a skill counts as mastered (0.95 by default).

    Example:
        >>> model = LearnerModel({"period": BktParams(0.2, 0.2, 0.2, 0.1)})
        >>> model.observe("period", True) > 0.2
        True
    """

    __slots__ = ("_params", "default", "mastery", "skills")

    def __init__(
        self,
        params: Mapping[str, BktParams] | None = None,
        *,
        default: BktParams = DEFAULT_PARAMS,
        mastery: float = DEFAULT_MASTERY,
    ) -> None:
        if not 0.0 < mastery <= 1.0:
            raise ValueError(f"mastery threshold must be in (0, 1], got {mastery!r}")
        self._params: dict[str, BktParams] = dict(params or {})
        self.default = default
        self.mastery = mastery
        self.skills: dict[str, SkillState] = {}

    def params(self, skill: str) -> BktParams:
        """The parameters used for ``skill``."""
        return self._params.get(skill, self.default)

    def use_params(self, params: Mapping[str, BktParams]) -> None:
        """Add or replace skills' parameters (e.g. a lesson's fitted priors).

        A learner's existing P(known) is kept: new parameters change how it moves from now on.
        """
        self._params.update(params)

    def state(self, skill: str) -> SkillState:
        """The skill's state, created at the prior on first use."""
        st = self.skills.get(skill)
        if st is None:
            st = self.skills[skill] = SkillState(self.params(skill).prior)
        return st

    def observe(
        self, skill: str, correct: bool, *, shift: float = 0.0, gamed: bool = False
    ) -> float:
        """Record one opportunity on ``skill`` and return the new P(known).

        Args:
            skill: the skill practised.
            correct: whether the attempt succeeded.
            shift: how much harder than usual this opportunity was, in logits of P(correct)
                (a difficulty knob's level; negative: easier). Guess and slip move with it
                before the update, so a success at an eased level says less about
                knowing, and a failure at a harder one less about not knowing.
            gamed: the step was solved by copying a bottom-out demonstration reached by
                gaming the hints; pass ``correct=False`` with it (evidence of not knowing).
                Counted apart, so :meth:`attempts` can leave it out.
        """
        st, params = self._opportunity(skill, shift)
        st.p_known = posterior(st.p_known, correct, params)
        st.opportunities += 1
        if correct:
            st.correct += 1
        elif gamed:
            st.gamed += 1
        return st.p_known

    def _opportunity(self, skill: str, shift: float) -> tuple[SkillState, BktParams]:
        """The skill's state (created at its prior) and the parameters of an opportunity
        ``shift`` logits harder than usual."""
        st = self.skills.get(skill)
        params = self._params.get(skill, self.default)
        if st is None:
            st = self.skills[skill] = SkillState(params.prior)
        return st, _shifted(params, shift) if shift else params

    def observe_step(
        self,
        skills: tuple[str, ...] | list[str],
        correct: bool,
        *,
        shift: float = 0.0,
        gamed: bool = False,
    ) -> None:
        """Record one attempt at a step that needs every one of ``skills`` (conjunctive).

        A success needs each skill, so each is conditioned on it as on its own (the exact
        posterior, given independent skills). A failure is shared out by Bayes over the
        joint states: a skill is blamed as much as it could have caused the failure, so a
        skill known well hardly moves when its step-mate is likely unknown, and takes the
        whole blame (exactly :meth:`observe`'s update) when the step-mates surely succeed.
        Then each skill may be learnt, as after any opportunity. With one skill this is
        :meth:`observe`. Arguments as there.

        This is conjunctive knowledge tracing (Koedinger, Pavlik, Stamper, Nixon & Ritter
        2011, "Avoiding problem selection thrashing with conjunctive knowledge tracing"):
        lowering every skill of a failed step alike made the Cognitive Tutor assign
        problems for skills the learner already had, as it made our detector flag them.
        """
        if correct or len(skills) == 1:
            for skill in skills:
                self.observe(skill, correct, shift=shift, gamed=gamed)
            return
        states: list[SkillState] = []
        params: list[BktParams] = []
        success: list[float] = []  # P(this skill's part is done right)
        for skill in skills:
            st, p = self._opportunity(skill, shift)
            states.append(st)
            params.append(p)
            success.append(st.p_known * (1.0 - p.slip) + (1.0 - st.p_known) * p.guess)
        for i, (st, p) in enumerate(zip(states, params, strict=True)):
            others = math.prod(success[:i]) * math.prod(success[i + 1 :])
            # P(fail | known) = 1 - (1 - slip) * others; P(fail) = 1 - P(right) * others
            fail_if_known = 1.0 - (1.0 - p.slip) * others
            fail = 1.0 - success[i] * others
            cond = st.p_known * fail_if_known / fail if fail > 0.0 else st.p_known
            st.p_known = cond * (1.0 - p.forget) + (1.0 - cond) * p.learn
            st.opportunities += 1
            if gamed:
                st.gamed += 1

    def p_known(self, skill: str) -> float:
        """P(known) of ``skill`` now (its prior if never practised)."""
        st = self.skills.get(skill)
        return st.p_known if st is not None else self.params(skill).prior

    def predict(self, skill: str) -> float:
        """P(correct) at the next opportunity on ``skill``."""
        # predict_correct(p_known, params) written out: this runs for every prediction the
        # tutor makes, and two method calls cost more than the arithmetic
        params = self._params.get(skill, self.default)
        st = self.skills.get(skill)
        p = st.p_known if st is not None else params.prior
        return p * (1.0 - params.slip) + (1.0 - p) * params.guess

    def mastered(self, skill: str) -> bool:
        """Whether P(known) of ``skill`` has reached the mastery threshold."""
        return self.p_known(skill) >= self.mastery

    def opportunities(self, skill: str) -> int:
        """Opportunities observed on ``skill``."""
        st = self.skills.get(skill)
        return st.opportunities if st is not None else 0

    def attempts(self, skill: str) -> int:
        """Opportunities on ``skill`` that were tries of the learner's own (gamed ones left
        out): what the wheel-spinning count counts."""
        st = self.skills.get(skill)
        return st.opportunities - st.gamed if st is not None else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.skills)

    def to_dict(self) -> dict[str, Any]:
        """The learner's state as a JSON-ready dict (parameters are not included)."""
        return {
            "version": 1,
            "mastery": self.mastery,
            "skills": {name: st.to_dict() for name, st in sorted(self.skills.items())},
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        params: Mapping[str, BktParams] | None = None,
        *,
        default: BktParams = DEFAULT_PARAMS,
        mastery: float | None = None,
    ) -> LearnerModel:
        """Rebuild a learner from :meth:`to_dict` output.

        Args:
            data: The saved state.
            params: Parameters per skill (they are not saved with the learner).
            default: Parameters for skills without their own.
            mastery: Override the saved mastery threshold.

        Raises:
            ValueError: The data is not a saved learner model.
        """
        if data.get("version") != 1:
            raise ValueError(f"unsupported learner model version {data.get('version')!r}")
        threshold = mastery if mastery is not None else float(data.get("mastery", DEFAULT_MASTERY))
        model = cls(params, default=default, mastery=threshold)
        for name, st in dict(data.get("skills", {})).items():
            model.skills[str(name)] = SkillState.from_dict(st)
        return model
