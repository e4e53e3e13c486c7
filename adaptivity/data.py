"""Observation sequences for fitting: time-major arrays, loaders and a synthetic generator.

A skill's data is a :class:`Sequences`: one column per learner, one row per opportunity
(time-major, ``(T, n)``), with each column's length; positions past a column's length are
padding (``mask`` is False there). Loaders build it from a ``learner,skill,correct`` CSV
(:func:`read_csv`) or any row-shaped table (:func:`sequences_from_rows`), and from recorded
sessions (:func:`adaptivity.logs.read_xapi`); :func:`simulate_bkt` makes data with known
parameters. Needs numpy: import it only where fitting happens.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from adaptivity.bkt import BktParams


@dataclass(frozen=True, eq=False)
class Sequences:
    """One skill's observation sequences, time-major.

    Attributes:
        obs: ``(T, n)`` bool, ``obs[t, i]``: learner ``i`` answered opportunity ``t`` correctly.
            False past each column's length.
        lengths: ``(n,)`` int, opportunities per learner (at least 1).
        ids: Learner id per column (any 1-D array), when known; see :attr:`learners`.
        rows: ``(T, n)`` int, index of each observation in the table it came from (-1 for
            padding), when built by :func:`sequences_from_rows`; maps predictions back.
    """

    obs: npt.NDArray[np.bool_]
    lengths: npt.NDArray[np.int64]
    ids: npt.NDArray[Any] | None = None
    rows: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        obs = np.asarray(self.obs, dtype=bool)
        lengths = np.asarray(self.lengths, dtype=np.int64)
        if obs.ndim != 2 or lengths.shape != (obs.shape[1],):
            raise ValueError(
                f"obs must be (T, n) and lengths (n,), got {obs.shape}, {lengths.shape}"
            )
        if lengths.size and (lengths.min() < 1 or lengths.max() > obs.shape[0]):
            raise ValueError("every sequence needs between 1 and T observations")
        if self.ids is not None and len(self.ids) != lengths.size:
            raise ValueError("one learner id per column")
        # padding must read as "incorrect" so identical sequences compare equal bit for bit
        obs = obs & self._mask(obs.shape[0], lengths)
        object.__setattr__(self, "obs", obs)
        object.__setattr__(self, "lengths", lengths)

    @staticmethod
    def _mask(T: int, lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return np.arange(T)[:, None] < lengths[None, :]

    @classmethod
    def from_lists(
        cls, sequences: Iterable[Sequence[bool | int]], learners: Sequence[str] | None = None
    ) -> Sequences:
        """Build from one list of 0/1 (or bool) answers per learner, in time order.

        Empty sequences are dropped (with their learner ids).
        """
        pairs = [
            (list(seq), learners[i] if learners is not None else "")
            for i, seq in enumerate(sequences)
            if len(seq)
        ]
        T = max((len(s) for s, _ in pairs), default=0)
        obs = np.zeros((T, len(pairs)), dtype=bool)
        for i, (seq, _) in enumerate(pairs):
            obs[: len(seq), i] = np.asarray(seq, dtype=bool)
        lengths = np.array([len(s) for s, _ in pairs], dtype=np.int64)
        ids = np.array([name for _, name in pairs], dtype=object) if learners is not None else None
        return cls(obs, lengths, ids)

    @property
    def learners(self) -> tuple[str, ...] | None:
        """Learner ids per column as strings, when known."""
        return tuple(str(x) for x in self.ids) if self.ids is not None else None

    @property
    def mask(self) -> npt.NDArray[np.bool_]:
        """``(T, n)`` bool, True where an observation exists."""
        return self._mask(self.obs.shape[0], self.lengths)

    @property
    def n_sequences(self) -> int:
        """How many learners (columns)."""
        return int(self.lengths.size)

    @property
    def n_observations(self) -> int:
        """How many observations in all."""
        return int(self.lengths.sum())

    def to_lists(self) -> list[list[int]]:
        """One list of 0/1 per learner."""
        return [self.obs[: int(n), i].astype(int).tolist() for i, n in enumerate(self.lengths)]

    def select(self, columns: npt.ArrayLike) -> Sequences:
        """The sub-batch of the given columns (indices or a boolean mask)."""
        idx = np.arange(self.n_sequences)[np.asarray(columns)]
        lengths = self.lengths[idx]
        T = int(lengths.max()) if lengths.size else 0
        ids = self.ids[idx] if self.ids is not None else None
        rows = self.rows[:T, idx] if self.rows is not None else None
        return Sequences(self.obs[:T, idx], lengths, ids, rows)


SkillData = Sequences | Sequence[Sequence[bool | int]]


def as_sequences(data: SkillData) -> Sequences:
    """Accept a :class:`Sequences` or a list of 0/1 lists."""
    return data if isinstance(data, Sequences) else Sequences.from_lists(data)


def _factorize(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Labels and a code per value, ``labels[code] == value``.

    Small non-negative-ish integers (learner numbers, skill codes) are their own codes, offset
    by the minimum, without a sort; labels that never occur just get no rows. Anything else
    goes through ``np.unique``.
    """
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= 4 * values.size + 1024:
            codes = values.astype(np.int64, copy=False)
            return np.arange(lo, hi + 1), codes - lo if lo else codes
    uniques, inverse = np.unique(values, return_inverse=True)
    return uniques, inverse.reshape(-1).astype(np.int64, copy=False)


@dataclass(frozen=True)
class RowBlock:
    """Where one skill's rows of a long table go in its time-major ``(T, n)`` arrays.

    Attributes:
        skill: The skill (``str`` of its label).
        rows: Row indices of the table, grouped by learner, in time order.
        flat: For each of ``rows``, its index in the row-major ``(T, n)`` array.
        shape: ``(T, n)``.
        lengths: Opportunities per learner.
        ids: Learner label per column.
    """

    skill: str
    rows: npt.NDArray[np.int64]
    flat: npt.NDArray[np.int64]
    shape: tuple[int, int]
    lengths: npt.NDArray[np.int64]
    ids: npt.NDArray[Any]

    def sequences(self, correct: npt.NDArray[np.bool_], *, with_rows: bool = True) -> Sequences:
        """The skill's :class:`Sequences` from the table's ``correct`` column."""
        size = self.shape[0] * self.shape[1]
        obs = np.zeros(size, dtype=bool)
        obs[self.flat] = correct[self.rows]
        rows = None
        if with_rows:
            flat_rows = np.full(size, -1, dtype=np.int64)
            flat_rows[self.flat] = self.rows
            rows = flat_rows.reshape(self.shape)
        return Sequences(obs.reshape(self.shape), self.lengths, self.ids, rows)


def group_rows(learners: npt.ArrayLike, skills: npt.ArrayLike) -> list[RowBlock]:
    """Group a long table's rows by skill, then learner, keeping each learner's row order.

    Args:
        learners: Learner label per row.
        skills: Skill label per row (names or integer codes).

    Returns:
        One block per skill that has rows, in label order.
    """
    learner_arr, skill_arr = np.asarray(learners), np.asarray(skills)
    if learner_arr.shape != skill_arr.shape or learner_arr.ndim != 1:
        raise ValueError("learners and skills must be 1-D and of equal length")
    if learner_arr.size == 0:
        return []
    skill_names, skill_code = _factorize(skill_arr)
    learner_names, learner_code = _factorize(learner_arr)
    n_learners = len(learner_names)
    key = skill_code * n_learners + learner_code
    if len(skill_names) < 2**16 and bool(np.all(learner_code[1:] >= learner_code[:-1])):
        # rows already grouped by learner (per-learner logs, most exports): a stable sort by
        # skill alone gives key order, and for 8- and 16-bit keys numpy sorts in linear time
        small = np.uint8 if len(skill_names) < 2**8 else np.uint16
        order = np.argsort(skill_code.astype(small), kind="stable")
    else:
        # a stable sort keeps each learner's opportunities in their original order
        order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    lengths = np.diff(np.r_[starts, key_sorted.size])
    pos = np.arange(key_sorted.size) - np.repeat(starts, lengths)
    seq_skill = key_sorted[starts] // n_learners
    seq_learner = key_sorted[starts] % n_learners
    bounds = np.searchsorted(seq_skill, np.arange(len(skill_names) + 1))
    out: list[RowBlock] = []
    for k, name in enumerate(skill_names):
        a, b = int(bounds[k]), int(bounds[k + 1])
        if a == b:
            continue
        lo, hi = int(starts[a]), int(starts[b]) if b < starts.size else key_sorted.size
        n = b - a
        col = np.repeat(np.arange(n), lengths[a:b])
        out.append(
            RowBlock(
                skill=str(name),
                rows=order[lo:hi],
                flat=pos[lo:hi] * n + col,
                shape=(int(lengths[a:b].max()), n),
                lengths=lengths[a:b],
                ids=learner_names[seq_learner[a:b]],
            )
        )
    return out


def sequences_from_rows(
    learners: npt.ArrayLike, skills: npt.ArrayLike, correct: npt.ArrayLike
) -> dict[str, Sequences]:
    """Group a long table of opportunities into per-skill sequences (vectorised).

    Rows must be in the order the opportunities happened (within each learner); the order
    across learners does not matter. ``Sequences.rows`` keeps each observation's row index.

    Args:
        learners: Learner id per row.
        skills: Skill per row (names, or integer codes: the keys are then ``str(code)``).
        correct: 0/1 or bool per row.

    Returns:
        Sequences per skill, columns sorted by learner id.
    """
    ok = np.asarray(correct).astype(bool)
    if ok.shape != np.shape(learners):
        raise ValueError("learners, skills and correct must be 1-D and of equal length")
    return {block.skill: block.sequences(ok) for block in group_rows(learners, skills)}


def concat(batches: Sequence[Sequences]) -> Sequences:
    """Several batches of one skill side by side (their columns stay separate learners)."""
    if len(batches) == 1:
        return batches[0]
    T = max((b.obs.shape[0] for b in batches), default=0)
    n = sum(b.n_sequences for b in batches)
    obs = np.zeros((T, n), dtype=bool)
    at = 0
    for b in batches:
        obs[: b.obs.shape[0], at : at + b.n_sequences] = b.obs
        at += b.n_sequences
    lengths = np.concatenate([b.lengths for b in batches]) if batches else np.zeros(0, np.int64)
    ids = None
    if all(b.ids is not None for b in batches):
        ids = np.concatenate([np.asarray(b.ids, dtype=object) for b in batches])
    return Sequences(obs, lengths, ids)


_TRUE = {"1", "true", "t", "yes", "y", "correct"}
_FALSE = {"0", "false", "f", "no", "n", "incorrect", "wrong"}


def read_csv(path: str | os.PathLike[str]) -> dict[str, Sequences]:
    """Read a ``learner,skill,correct`` CSV of opportunities (a real dataset's export).

    The first row is a header if it names the columns (``learner``/``user_id``/``student``,
    ``skill``/``skill_name``/``kc``, ``correct``; extra columns are ignored); otherwise the
    file has exactly those three columns. Rows are in time order within each learner.
    ``correct`` is 1/0, true/false, yes/no or correct/incorrect; rows with an empty skill
    are skipped.

    Raises:
        ValueError: A column is missing or a ``correct`` value is not recognised (with the
            line number).
    """
    aliases = {
        "learner": ("learner", "user_id", "user", "student", "learner_id", "student_id"),
        "skill": ("skill", "skill_name", "kc", "knowledge_component"),
        "correct": ("correct", "outcome", "success"),
    }
    learners: list[str] = []
    skills: list[str] = []
    correct: list[bool] = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        first = next(reader, None)
        if first is None:
            return {}
        header = [h.strip().lower() for h in first]
        cols: dict[str, int] = {}
        for name, names in aliases.items():
            found = [i for i, h in enumerate(header) if h in names]
            if found:
                cols[name] = found[0]
        body: Iterable[list[str]] = reader
        start = 2
        if not cols:
            cols = {"learner": 0, "skill": 1, "correct": 2}
            body = _chain([first], reader)
            start = 1
        elif len(cols) < 3:
            missing = sorted(set(aliases) - set(cols))
            raise ValueError(f"{path}:1: missing column(s): {', '.join(missing)}")
        width = max(cols.values()) + 1
        for line, row in enumerate(body, start=start):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) < width:
                raise ValueError(f"{path}:{line}: expected {width} columns, got {len(row)}")
            skill = row[cols["skill"]].strip()
            if not skill:
                continue
            value = row[cols["correct"]].strip().lower()
            if value in _TRUE:
                correct.append(True)
            elif value in _FALSE:
                correct.append(False)
            else:
                raise ValueError(
                    f"{path}:{line}: 'correct' must be 0/1 or true/false, got {value!r}"
                )
            learners.append(row[cols["learner"]].strip())
            skills.append(skill)
    return sequences_from_rows(learners, skills, correct)


def _chain(first: list[list[str]], rest: Iterable[list[str]]) -> Iterable[list[str]]:
    yield from first
    yield from rest


# --- synthetic data --------------------------------------------------------------------------


def simulate_bkt(
    params: BktParams, n_learners: int, n_opportunities: int, seed: int = 0
) -> Sequences:
    """Answers of simulated learners who follow BKT with ``params`` exactly.

    Args:
        params: The true parameters (``forget`` is honoured).
        n_learners: Columns.
        n_opportunities: Rows; every learner gets them all.
        seed: Seed of the random generator (same seed, same data).

    Returns:
        Sequences of equal length ``n_opportunities``.
    """
    rng = np.random.default_rng(seed)
    known = rng.random(n_learners) < params.prior
    obs = np.empty((n_opportunities, n_learners), dtype=bool)
    for t in range(n_opportunities):
        u = rng.random(n_learners)
        obs[t] = np.where(known, u >= params.slip, u < params.guess)
        move = rng.random(n_learners)
        known = np.where(known, move >= params.forget, move < params.learn)
    lengths = np.full(n_learners, n_opportunities, dtype=np.int64)
    return Sequences(obs, lengths)
