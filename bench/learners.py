"""Simulated learners: a generative knowledge model plus a few behaviour traits per profile.

Used by ``bench/policy_simulation.py`` (and meant for a later ``lesson simulate``). This module
knows nothing about scenes or the runtime: it answers "does this attempt at a step with these
skills succeed?", "does the learner learn from it?", and "how long does the learner think,
stall, or wait before asking for help?". Turning an outcome into interactions is the caller's
job.

The knowledge model (the simulator's ground truth, never shown to the tutor)
----------------------------------------------------------------------------
* Each skill is either known or not (BKT's two states). Before the first opportunity a skill is
  known with probability ``profile.prior``.
* An *attempt* at a step is one opportunity for each of the step's skills. It succeeds with
  the product over the step's skills of ``1 - slip`` (known) or ``guess`` (not known): skills
  are conjunctive, a step with two skills needs both. A logit ``shift`` from the caller (easier
  or harder difficulty knobs, an attention cue) moves that probability; see :func:`shifted`.
* After the outcome is drawn (BKT's order: answer, then transition), each unknown skill of the
  step becomes known with probability ``profile.learn``. There is no forgetting.
* Hints, as the profiles experience them:

  - ``highlight`` (attention cue): :data:`HIGHLIGHT_LOGIT` added to the success logit of the
    step's later attempts; no learning.
  - ``concept``: read with probability ``profile.hint_uptake``; if read, one extra learning
    opportunity (chance ``profile.learn``) on each unknown skill of the step, at once.
  - ``demonstrate`` (bottom-out): the next attempt copies the demonstration and succeeds,
    but it teaches only :data:`DEMO_LEARN_FACTOR` times the usual learning chance.

* A wheel-spinner has one *blocked* skill (drawn uniformly from the lesson's skills unless
  given): it is never known at the start and its learning chance is 0 everywhere, hints
  included. Its other skills behave like a slow learner's.

Behaviour (times in lesson seconds, scaled by the step's ``expected_time``)
-----------------------------------------------------------------------------
* Think time before a step's first attempt: ``pace * expected * U(0.3, 0.6)``; before a retry
  ``pace * expected * U(0.1, 0.3)``, or ``U(1, 4)`` s for a ``rapid`` profile (rapid guessing).
* Stall: at the start of a step with an unknown skill, with probability ``profile.stall`` the
  learner stands idle for ``expected * U(1, 4)`` (the lesson's struggling script idles 2.3x),
  glancing at random visible entities (a look every ``U(1.5, 4)`` s), unless a hint comes.
* Asking for help: after a failed attempt with probability ``profile.help_seeking``, and always
  after :data:`GIVE_UP_AFTER` failures on one step; a ``hint_first`` share of steps starts
  with the learner clicking through the whole ladder (help abuse, ``U(0.3, 1.5)`` s apart).
* Reading a hint takes ``U(3, 8)`` s (``U(0.3, 1.5)`` for a ``rapid`` profile).

Every number here was set before any simulation was run, from the lesson's own priors (its
"typical" learner: prior 0.4-0.7, learn 0.25-0.3, guess 0.2-0.3, slip 0.1) spread into
profiles; none was fitted to make a policy look good. Three seeded random streams (initial
state, outcomes and learning, behaviour) keep one learner's knowledge draws independent of its
behavioural draws, so the same seed gives the same learner under any policy.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

#: logit added to a step's success by a highlight hint (attention cue), for the rest of the step
HIGHLIGHT_LOGIT = 0.5
#: a copied demonstration teaches this fraction of the usual learning chance
DEMO_LEARN_FACTOR = 0.5
#: after this many failures on one step every profile asks for hints until it is done
GIVE_UP_AFTER = 4
#: a stall lasts this many times the step's expected time (uniform)
STALL_RANGE = (1.0, 4.0)


@dataclass(frozen=True)
class Profile:
    """A kind of learner: knowledge parameters (true, not the tutor's) and behaviour traits.

    Attributes:
        name: the profile's name.
        prior: P(a skill is known before its first opportunity).
        learn: P(an unknown skill becomes known at an opportunity).
        guess: P(success on a skill that is not known).
        slip: P(failure on a skill that is known).
        pace: think time as a multiple of the step's expected time (1: as the author expects).
        stall: P(standing idle at the start of a step with an unknown skill).
        help_seeking: P(asking for a hint after a failed attempt).
        hint_first: P(clicking through the hint ladder at the start of a step).
        hint_uptake: P(actually reading a concept hint, so that it can teach).
        rapid: retries come 1-4 s apart (rapid guessing) and hints are skimmed.
        spins: a wheel-spinner: one skill can never be learnt.
    """

    name: str
    prior: float
    learn: float
    guess: float
    slip: float
    pace: float
    stall: float
    help_seeking: float
    hint_first: float = 0.0
    hint_uptake: float = 1.0
    rapid: bool = False
    spins: bool = False


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("fast", prior=0.6, learn=0.45, guess=0.25, slip=0.05, pace=0.6, stall=0.1,
                help_seeking=0.1),
        Profile("slow", prior=0.3, learn=0.15, guess=0.2, slip=0.12, pace=1.4, stall=0.5,
                help_seeking=0.3),
        Profile("gamer", prior=0.4, learn=0.25, guess=0.2, slip=0.1, pace=0.3, stall=0.05,
                help_seeking=0.8, hint_first=0.6, hint_uptake=0.3, rapid=True),
        Profile("wheel-spinner", prior=0.3, learn=0.15, guess=0.2, slip=0.12, pace=1.3,
                stall=0.5, help_seeking=0.3, spins=True),
    )
}  # fmt: skip


def logit(p: float) -> float:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))


def shifted(p: float, shift: float) -> float:
    """``p`` moved by ``shift`` logits (0 leaves it exactly unchanged)."""
    if shift == 0.0:
        return p
    return 1.0 / (1.0 + math.exp(-(logit(p) + shift)))


@dataclass(frozen=True)
class Attempt:
    """One attempt (an opportunity on each of its skills), as the simulator saw it.

    Attributes:
        skills: the step's skills.
        p_correct: the success probability it was drawn with.
        correct: whether it succeeded.
        learnt: skills that became known right after it.
        demonstrated: it copied a bottom-out demonstration.
    """

    skills: tuple[str, ...]
    p_correct: float
    correct: bool
    learnt: tuple[str, ...]
    demonstrated: bool


@dataclass
class SimulatedLearner:
    """One seeded learner: a true knowledge state that evolves, and behavioural draws.

    Args:
        profile: what kind of learner.
        skills: the skills of the lesson(s) it will practise.
        seed: the learner's seed (same seed, same learner, same draws).
        blocked: for a wheel-spinner, the skill it never learns (drawn from ``skills`` if
            omitted; ignored for other profiles).
    """

    profile: Profile
    skills: tuple[str, ...]
    seed: int
    blocked: str | None = None
    known: dict[str, bool] = field(init=False)
    #: attempts per skill so far (true opportunities, failed manipulations included)
    opportunities: dict[str, int] = field(init=False)
    trajectory: list[Attempt] = field(init=False)
    _outcomes: random.Random = field(init=False, repr=False)
    _behaviour: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.skills = tuple(self.skills)
        # string seeds are hashed with SHA-512 by random.seed: stable across runs and machines
        state = random.Random(f"{self.seed}/state")
        self._outcomes = random.Random(f"{self.seed}/outcomes")
        self._behaviour = random.Random(f"{self.seed}/behaviour")
        if self.profile.spins:
            if self.blocked is None:
                self.blocked = state.choice(self.skills)
            elif self.blocked not in self.skills:
                raise ValueError(f"blocked skill '{self.blocked}' is not one of {self.skills}")
        else:
            self.blocked = None
        # draw every skill's start state even for the blocked one, so that the other skills'
        # draws do not depend on which skill is blocked
        self.known = {s: state.random() < self.profile.prior for s in self.skills}
        if self.blocked is not None:
            self.known[self.blocked] = False
        self.opportunities = dict.fromkeys(self.skills, 0)
        self.trajectory = []

    # --- knowledge ---------------------------------------------------------------------------

    @property
    def mastered(self) -> bool:
        """Whether every skill is truly known."""
        return all(self.known.values())

    def learn_chance(self, skill: str, factor: float = 1.0) -> float:
        """P(learning ``skill`` at one opportunity), 0 for the blocked skill."""
        if skill == self.blocked:
            return 0.0
        return min(1.0, self.profile.learn * factor)

    def p_correct(
        self, skills: Sequence[str], *, shift: float = 0.0, demonstrated: bool = False
    ) -> float:
        """P(the next attempt at a step with ``skills`` succeeds).

        Args:
            skills: the step's skills (all needed).
            shift: logits added for the conditions of the attempt (knobs, a highlight).
            demonstrated: the learner copies a demonstration: it succeeds.
        """
        if demonstrated:
            return 1.0
        p = 1.0
        for skill in skills:
            p *= (1.0 - self.profile.slip) if self.known[skill] else self.profile.guess
        return shifted(p, shift)

    def attempt(
        self, skills: Sequence[str], *, shift: float = 0.0, demonstrated: bool = False
    ) -> Attempt:
        """Make one attempt: draw its outcome, then the learning it brings.

        Args:
            skills: the step's skills.
            shift: see :meth:`p_correct`.
            demonstrated: it copies a demonstration (succeeds, teaches less).

        Returns:
            What happened (also appended to :attr:`trajectory`).
        """
        skills = tuple(skills)
        p = self.p_correct(skills, shift=shift, demonstrated=demonstrated)
        correct = self._outcomes.random() < p
        factor = DEMO_LEARN_FACTOR if demonstrated else 1.0
        learnt = self._learn(skills, factor)
        for skill in skills:
            self.opportunities[skill] += 1
        record = Attempt(skills, p, correct, learnt, demonstrated)
        self.trajectory.append(record)
        return record

    def read_concept_hint(self, skills: Sequence[str]) -> tuple[str, ...]:
        """A concept hint for a step with ``skills``: maybe read, then a learning chance.

        Returns:
            The skills learnt from it.
        """
        if self._outcomes.random() >= self.profile.hint_uptake:
            return ()
        return self._learn(tuple(skills), 1.0)

    def _learn(self, skills: tuple[str, ...], factor: float) -> tuple[str, ...]:
        learnt = []
        for skill in skills:
            # draw for every unknown skill, blocked or not, so the draws stay aligned
            if not self.known[skill] and self._outcomes.random() < self.learn_chance(skill, factor):
                self.known[skill] = True
                learnt.append(skill)
        return tuple(learnt)

    # --- behaviour ---------------------------------------------------------------------------

    def think_time(self, expected: float, *, retry: bool) -> float:
        """Seconds of thought before an attempt at a step with ``expected`` seconds."""
        rng, pace = self._behaviour, self.profile.pace
        if retry:
            if self.profile.rapid:
                return rng.uniform(1.0, 4.0)
            return pace * expected * rng.uniform(0.1, 0.3)
        return pace * expected * rng.uniform(0.3, 0.6)

    def stall_time(self, skills: Sequence[str], expected: float) -> float:
        """How long the learner stands idle at the start of a step (0: no stall)."""
        rng = self._behaviour
        # draw both numbers every time so a known step does not shift later draws
        stalls = rng.random() < self.profile.stall
        length = expected * rng.uniform(*STALL_RANGE)
        unknown = any(not self.known[s] for s in skills)
        return length if stalls and unknown else 0.0

    def glance_gap(self) -> float:
        """Seconds between two glances while stalled."""
        return self._behaviour.uniform(1.5, 4.0)

    def asks_after_failure(self, failures: int) -> bool:
        """Whether the learner asks for a hint after its ``failures``-th failure on a step."""
        wants = self._behaviour.random() < self.profile.help_seeking
        return wants or failures >= GIVE_UP_AFTER

    def asks_after_stall(self) -> bool:
        """Whether a stall that no hint ended turns into a hint request."""
        return self._behaviour.random() < self.profile.help_seeking

    def clicks_through(self) -> bool:
        """Whether the learner starts the step by clicking through the hint ladder."""
        return self._behaviour.random() < self.profile.hint_first

    def reading_time(self) -> float:
        """Seconds spent on a hint before acting again."""
        if self.profile.rapid:
            return self._behaviour.uniform(0.3, 1.5)
        return self._behaviour.uniform(3.0, 8.0)

    def uniform(self, low: float, high: float) -> float:
        """A behavioural draw (hand movements, reaction times)."""
        return self._behaviour.uniform(low, high)

    def choose(self, options: Sequence[str]) -> str:
        """A behavioural choice among ``options`` (which wrong answer, where to look)."""
        return self._behaviour.choice(list(options))

    def pick_outcome_detail(self) -> float:
        """A uniform number for how an outcome is realised (e.g. the timing error)."""
        return self._behaviour.random()


def drill(
    learner: SimulatedLearner,
    steps: Sequence[Sequence[str]],
    *,
    max_attempts: int = 10_000,
) -> int | None:
    """Practise ``steps`` in order, over and over, each until it succeeds, with no hints.

    A scene-free stand-in for repeating a lesson, for tests and quick checks.

    Args:
        learner: the learner (its state changes).
        steps: each step's skills, in lesson order.
        max_attempts: give up after this many attempts.

    Returns:
        Attempts made until every skill was truly known, or None if the cap came first.
    """
    attempts = 0
    while attempts < max_attempts:
        for skills in steps:
            while True:
                if learner.mastered:
                    return attempts
                if attempts >= max_attempts:
                    return None
                attempts += 1
                if learner.attempt(skills).correct:
                    break
    return None
