"""The simulated learners' profiles: what each kind of learner knows and how it behaves.

See the package docstring (``tools.simulate``) for how a learner uses them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """A kind of simulated learner.

    Attributes:
        name: the profile's name in the report.
        prior: P(a skill is known at the start).
        learn: P(an unknown skill is learnt at an attempt).
        guess: P(an attempt succeeds on a skill that is not known).
        slip: P(an attempt fails on a skill that is known).
        pace: think time as a multiple of the step's expected time.
        stall: P(an idle stretch at the start of a step with an unknown skill).
        help: P(asking for a hint after a failed attempt).
        hint_first: P(clicking through the hint ladder at the start of a step).
        reading: seconds spent on a hint, uniform in this range.
        uptake: P(a concept hint is read closely enough to teach).
        rapid: retries come 1-4 s apart (rapid guessing).
        always_wrong: never succeeds on its own (only by copying a demonstration).
        random: each turn picks recipe, wrong attempt, hint or idling at random.
    """

    name: str
    prior: float = 0.0
    learn: float = 0.0
    guess: float = 0.0
    slip: float = 0.0
    pace: float = 1.0
    stall: float = 0.0
    help: float = 0.0
    hint_first: float = 0.0
    reading: tuple[float, float] = (3.0, 8.0)
    uptake: float = 1.0
    rapid: bool = False
    always_wrong: bool = False
    random: bool = False


PROFILES: tuple[Profile, ...] = (
    Profile("expert", prior=0.9, learn=0.5, guess=0.3, slip=0.03, pace=0.5, help=0.05,
            reading=(2.0, 4.0)),
    Profile("novice", prior=0.25, learn=0.25, guess=0.2, slip=0.1, pace=1.3, stall=0.4,
            help=0.4, hint_first=0.05),
    Profile("always-wrong", pace=0.8, stall=0.2, help=1.0, always_wrong=True),
    Profile("random", pace=1.0, stall=0.25, help=0.3, hint_first=0.1, reading=(1.0, 6.0),
            random=True),
    Profile("gamer", prior=0.4, learn=0.25, guess=0.2, slip=0.1, pace=0.3, stall=0.05,
            help=0.8, hint_first=0.6, reading=(0.3, 1.5), uptake=0.3, rapid=True),
)  # fmt: skip

#: a non-rapid learner always asks for a hint after this many failures on one step
ASK_AFTER = 3
