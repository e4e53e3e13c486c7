"""Elo-style difficulty per item and ability per skill, and the combined success prediction.

An *item* is anything a learner can succeed or fail at that has its own difficulty: a step,
a question, or a scene variant of one (``"place-bob@scaffolds=0"``). Items share one
:class:`ItemBank` (per lesson); each learner has :class:`Abilities` (per skill). After each
outcome both move by ``K * (outcome - predicted)``, with an uncertainty-decaying
``K = a / (1 + b * n)``: fast while a rating has few observations, then stable (Pelanek 2016,
"Applications of the Elo rating system in adaptive educational systems").

For choosing what comes next, :class:`BktEloPredictor` combines the learner's BKT estimate
with the item's relative difficulty, ``logit P(correct) = logit(P_BKT) - (d_item - mean d)``.
Both predictors follow the :class:`Predictor` protocol, so another model (a logistic one, say)
can take their place. Pure Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from adaptivity.bkt import LearnerModel

_CLIP = 1e-6  # logit(0) is -inf: predictions stay in [1e-6, 1 - 1e-6] before the logit


def logit(p: float) -> float:
    """log(p / (1 - p)), with ``p`` clipped to [1e-6, 1 - 1e-6]."""
    p = min(max(p, _CLIP), 1.0 - _CLIP)
    return math.log(p / (1.0 - p))


def sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)), without overflow for large ``|x|``."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True, slots=True)
class KSchedule:
    """The step size ``K(n) = a / (1 + b * n)`` after ``n`` earlier updates of a rating.

    Attributes:
        a: The first update's step (in logits per unit of surprise).
        b: How fast the step shrinks as observations accumulate.
    """

    a: float = 1.0
    b: float = 0.05

    def __post_init__(self) -> None:
        if self.a <= 0 or self.b < 0:
            raise ValueError(f"K schedule needs a > 0 and b >= 0, got a={self.a}, b={self.b}")

    def k(self, n: int) -> float:
        """The step for a rating updated ``n`` times before."""
        return self.a / (1.0 + self.b * n)


@dataclass(slots=True)
class Rating:
    """One Elo rating: its value (logits) and how many updates shaped it."""

    value: float = 0.0
    count: int = 0

    def to_list(self) -> list[float | int]:
        """``[value, count]``, compact for JSON."""
        return [self.value, self.count]

    @classmethod
    def from_data(cls, data: Any) -> Rating:
        """A rating from :meth:`to_list` output (or a ``{"value", "count"}`` dict)."""
        if isinstance(data, Mapping):
            value, count = data["value"], data.get("count", 0)
        else:
            value, count = data
        value, count = float(value), int(count)
        if not math.isfinite(value) or count < 0:
            raise ValueError(f"bad rating {data!r}")
        return cls(value, count)


class ItemBank:
    """Difficulty per item, shared by every learner of a lesson.

    Difficulties are in logits; an item never rated counts as average (relative difficulty 0).

    Args:
        schedule: The items' K schedule.
    """

    __slots__ = ("_total", "items", "schedule")

    def __init__(self, schedule: KSchedule | None = None) -> None:
        self.schedule = schedule or KSchedule()
        self.items: dict[str, Rating] = {}
        self._total = 0.0  # sum of difficulties, kept so the mean costs O(1)

    def add(self, item: str, difficulty: float = 0.0) -> None:
        """Register ``item`` with a starting difficulty (e.g. authored), if it is new."""
        if item not in self.items:
            self.items[item] = Rating(difficulty)
            self._total += difficulty

    @property
    def mean(self) -> float:
        """Mean difficulty of the registered items (0 when there are none)."""
        return self._total / len(self.items) if self.items else 0.0

    def difficulty(self, item: str) -> float:
        """The item's difficulty (the mean for an unknown item)."""
        rating = self.items.get(item)
        return rating.value if rating is not None else self.mean

    def relative(self, item: str) -> float:
        """``d_item - mean d``: positive for harder than average."""
        rating = self.items.get(item)
        if rating is None:
            return 0.0
        return rating.value - self._total / len(self.items)  # the mean, without a call

    def update(self, item: str, surprise: float) -> None:
        """Move the item's difficulty by ``K * surprise``.

        Args:
            item: The item (registered at difficulty 0 if new).
            surprise: ``predicted - outcome``: positive when the learner did worse than
                expected, i.e. the item is harder than thought.
        """
        rating = self.items.get(item)
        if rating is None:
            rating = self.items[item] = Rating()
        step = self.schedule.k(rating.count) * surprise
        rating.value += step
        rating.count += 1
        self._total += step

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "version": 1,
            "k": {"a": self.schedule.a, "b": self.schedule.b},
            "items": {name: r.to_list() for name, r in sorted(self.items.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemBank:
        """A bank from :meth:`to_dict` output.

        Raises:
            ValueError: The data is not a saved item bank.
        """
        if data.get("version") != 1:
            raise ValueError(f"unsupported item bank version {data.get('version')!r}")
        k = data.get("k") or {}
        bank = cls(KSchedule(float(k.get("a", 1.0)), float(k.get("b", 0.05))))
        for name, rating in dict(data.get("items", {})).items():
            r = Rating.from_data(rating)
            bank.items[str(name)] = r
            bank._total += r.value
        return bank


class Abilities:
    """One learner's Elo ability per skill, in logits (0: average).

    Args:
        schedule: The abilities' K schedule.
    """

    __slots__ = ("schedule", "skills")

    def __init__(self, schedule: KSchedule | None = None) -> None:
        self.schedule = schedule or KSchedule()
        self.skills: dict[str, Rating] = {}

    def ability(self, skill: str) -> float:
        """The learner's ability on ``skill`` (0 if never rated)."""
        rating = self.skills.get(skill)
        return rating.value if rating is not None else 0.0

    def update(self, skill: str, surprise: float) -> None:
        """Move the ability by ``K * surprise``, ``surprise = outcome - predicted``."""
        rating = self.skills.get(skill)
        if rating is None:
            rating = self.skills[skill] = Rating()
        rating.value += self.schedule.k(rating.count) * surprise
        rating.count += 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "version": 1,
            "k": {"a": self.schedule.a, "b": self.schedule.b},
            "skills": {name: r.to_list() for name, r in sorted(self.skills.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Abilities:
        """Abilities from :meth:`to_dict` output.

        Raises:
            ValueError: The data is not saved abilities.
        """
        if data.get("version") != 1:
            raise ValueError(f"unsupported abilities version {data.get('version')!r}")
        k = data.get("k") or {}
        out = cls(KSchedule(float(k.get("a", 1.0)), float(k.get("b", 0.05))))
        for name, rating in dict(data.get("skills", {})).items():
            out.skills[str(name)] = Rating.from_data(rating)
        return out


@runtime_checkable
class Predictor(Protocol):
    """Predicts a learner's success on an item and learns from outcomes.

    ``update`` must be called *before* the learner model observes the same outcome (so the
    prediction it learns from is the one made before the answer); :func:`observe` does both
    in that order.
    """

    def predict(self, model: LearnerModel, abilities: Abilities, skill: str, item: str) -> float:
        """P(correct) of this learner on ``item``, which exercises ``skill``."""
        ...

    def update(
        self, model: LearnerModel, abilities: Abilities, skill: str, item: str, correct: bool
    ) -> float:
        """Learn from one outcome; returns the prediction made before it."""
        ...


class EloPredictor:
    """Plain Elo: ``P(correct) = sigmoid(ability_skill - d_item)``.

    Args:
        items: The lesson's item bank (updated in place).
    """

    def __init__(self, items: ItemBank) -> None:
        self.items = items

    def predict(self, model: LearnerModel, abilities: Abilities, skill: str, item: str) -> float:
        """P(correct) from the ability and the item's absolute difficulty."""
        return sigmoid(abilities.ability(skill) - self.items.difficulty(item))

    def update(
        self, model: LearnerModel, abilities: Abilities, skill: str, item: str, correct: bool
    ) -> float:
        """Move the ability up and the difficulty down on success (and vice versa)."""
        p = self.predict(model, abilities, skill, item)
        outcome = 1.0 if correct else 0.0
        abilities.update(skill, outcome - p)
        self.items.update(item, p - outcome)
        return p


class BktEloPredictor:
    """BKT for the learner, Elo for the item: ``logit P = logit(P_BKT) - (d_item - mean d)``.

    Item difficulties learn from this combined prediction's errors, so they come to mean
    "harder or easier than BKT alone expects". Abilities are kept up to date with plain Elo
    as well, so both predictors can be asked at any time.

    Args:
        items: The lesson's item bank (updated in place).
    """

    def __init__(self, items: ItemBank) -> None:
        self.items = items

    def predict(
        self,
        model: LearnerModel,
        abilities: Abilities,
        skill: str,
        item: str,
        *,
        offset: float = 0.0,
    ) -> float:
        """The combined P(correct); ``offset`` (logits) is added to the item's difficulty, e.g.
        the expected effect of the difficulty knobs' current levels on the step."""
        return sigmoid(logit(model.predict(skill)) - self.items.relative(item) - offset)

    def update(
        self,
        model: LearnerModel,
        abilities: Abilities,
        skill: str,
        item: str,
        correct: bool,
        *,
        offset: float = 0.0,
    ) -> float:
        """Move the item's difficulty by the combined prediction's error.

        With the knobs' ``offset`` in the prediction, the item's own difficulty learns what
        the offset does not explain, so it stays comparable across knob levels.
        """
        # one lookup of the item for both predictions (this runs on every answer)
        items = self.items
        rating = items.items.get(item)
        mean = items.mean
        difficulty = rating.value if rating is not None else mean
        relative = difficulty - mean if rating is not None else 0.0
        p = sigmoid(logit(model.predict(skill)) - relative - offset)
        elo = sigmoid(abilities.ability(skill) - difficulty - offset)
        outcome = 1.0 if correct else 0.0
        items.update(item, p - outcome)
        abilities.update(skill, outcome - elo)
        return p

    def predict_step(
        self,
        model: LearnerModel,
        skills: Sequence[str],
        item: str,
        *,
        offset: float = 0.0,
    ) -> float:
        """P(correct) on ``item``, a step that needs every one of ``skills``.

        The product of the skills' BKT predictions (the step needs each, as the learner
        model's update assumes), moved by the item's relative difficulty and ``offset``.
        """
        if len(skills) == 1:
            p = model.predict(skills[0])
        else:
            p = math.prod(model.predict(s) for s in skills)
        return sigmoid(logit(p) - self.items.relative(item) - offset)

    def update_step(
        self,
        model: LearnerModel,
        abilities: Abilities,
        skills: Sequence[str],
        item: str,
        correct: bool,
        *,
        offset: float = 0.0,
    ) -> float:
        """Learn from one attempt at a step: the item moves once, by the error of
        :meth:`predict_step`; each skill's ability by plain Elo. Call it before the learner
        model observes the attempt. Returns the prediction made before it.

        One attempt is one outcome of the step, however many skills it needs: moving the
        item once per skill, by each skill's own prediction, counted a two-skill step's
        failures twice and read the product's expected failures as the step being harder.
        """
        p = self.predict_step(model, skills, item, offset=offset)
        difficulty = self.items.difficulty(item)
        outcome = 1.0 if correct else 0.0
        for skill in skills:
            abilities.update(
                skill, outcome - sigmoid(abilities.ability(skill) - difficulty - offset)
            )
        self.items.update(item, p - outcome)
        return p


def observe(
    predictor: Predictor,
    model: LearnerModel,
    abilities: Abilities,
    skill: str,
    item: str,
    correct: bool,
) -> float:
    """Record one outcome everywhere, in the right order; returns the prediction made before it."""
    p = predictor.update(model, abilities, skill, item, correct)
    model.observe(skill, correct)
    return p
