"""Fitting BKT from logs: vectorised EM (Baum-Welch) over time-major arrays.

All skills and all random restarts are fitted together: each (skill, restart) pair is a
*group*, each distinct answer sequence of a skill one column per restart, weighted by how
many learners produced it (identical sequences have identical posteriors, so they are
computed once). Columns are sorted by length, so at time ``t`` the columns still running are
a prefix: variable-length sequences need no masked arithmetic. Columns are processed in
cache-sized blocks; a group that has converged leaves the arrays.

The E-step is the scaled forward-backward for a two-state chain with ``forget = 0``: the
forward pass filters P(known) in odds form, and the backward pass smooths it with
``gamma_t = gamma_{t+1} * a_t / pred_{t+1}`` (no forgetting means a learner who knows the
skill at ``t`` knew it at ``t + 1``). The M-step is closed form; guess and slip are clipped to
their bounds, which is the exact constrained maximiser (each is a Bernoulli rate with a
concave objective), so every iteration still raises the likelihood. A group stops when its
log-likelihood changes by less than ``tol`` nats (after at least three E-steps, as pyBKT
does). The restart with the highest log-likelihood wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from adaptivity.bkt import DEFAULT_BOUNDS, BktParams, ParamBounds
from adaptivity.data import (
    Sequences,
    SkillData,
    as_sequences,
    read_csv,
    sequences_from_rows,
    simulate_bkt,
)
from adaptivity.logs import read_xapi
from adaptivity.predict import (
    log_likelihood,
    mean_absolute_error,
    predict_rows,
    predict_sequences,
    predict_skills,
)
from adaptivity.priors import priors_from_yaml, priors_to_yaml

__all__ = [
    "SkillFit",
    "fit_bkt",
    "fit_skills",
    "log_likelihood",
    "mean_absolute_error",
    "predict_rows",
    "predict_sequences",
    "predict_skills",
    "priors_from_yaml",
    "priors_to_yaml",
    "read_csv",
    "read_xapi",
    "sequences_from_rows",
    "simulate_bkt",
]

_EPS = 1e-6  # keeps prior and learn off 0 and 1, where the recursions divide by zero
_EMISSION_EPS = 1e-4  # keeps guess and slip off 0, so per-step likelihood ratios stay finite
_RENORM = 16  # fold the running product of per-step likelihoods into a log this often
_FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SkillFit:
    """The outcome of fitting one skill.

    Attributes:
        params: The fitted parameters (``forget`` is 0).
        log_likelihood: Log-likelihood of the data under ``params`` (nats).
        iterations: E-steps run by the winning restart.
        converged: Whether that restart met the tolerance before ``max_iter``.
        restart: Which restart won (0-based).
        n_sequences: Learners with data on the skill.
        n_observations: Opportunities observed.
    """

    params: BktParams
    log_likelihood: float
    iterations: int
    converged: bool
    restart: int
    n_sequences: int
    n_observations: int


def fit_bkt(
    sequences_by_skill: Mapping[str, SkillData],
    restarts: int = 5,
    seed: int = 0,
    *,
    bounds: ParamBounds = DEFAULT_BOUNDS,
    tol: float = 1e-3,
    max_iter: int = 100,
) -> dict[str, BktParams]:
    """Fit BKT parameters per skill by EM with random restarts.

    Args:
        sequences_by_skill: Per skill, a :class:`~adaptivity.data.Sequences` or one list of
            0/1 answers per learner, in time order.
        restarts: Random initialisations per skill; the best log-likelihood wins.
        seed: Seed for the initialisations (same data and seed, same result).
        bounds: Upper bounds on guess and slip.
        tol: Stop a restart when its log-likelihood changes by less than this (nats).
        max_iter: Most E-steps per restart.

    Returns:
        Parameters per skill (skills without observations are left out).
    """
    fits = fit_skills(sequences_by_skill, restarts, seed, bounds=bounds, tol=tol, max_iter=max_iter)
    return {skill: f.params for skill, f in fits.items()}


def fit_skills(
    sequences_by_skill: Mapping[str, SkillData],
    restarts: int = 5,
    seed: int = 0,
    *,
    bounds: ParamBounds = DEFAULT_BOUNDS,
    tol: float = 1e-3,
    max_iter: int = 100,
) -> dict[str, SkillFit]:
    """Like :func:`fit_bkt`, with the log-likelihood and convergence of each skill."""
    if restarts < 1 or max_iter < 1:
        raise ValueError("restarts and max_iter must be at least 1")
    data = {s: as_sequences(d) for s, d in sequences_by_skill.items()}
    data = {s: d for s, d in data.items() if d.n_sequences}
    if not data:
        return {}
    skills = list(data)
    problem = _Problem.build([data[s] for s in skills], restarts)
    init = _initial_params(len(skills) * restarts, bounds, np.random.default_rng(seed))
    result = _run_em(problem, init, bounds, tol, max_iter)
    out: dict[str, SkillFit] = {}
    for k, skill in enumerate(skills):
        groups = slice(k * restarts, (k + 1) * restarts)
        best = int(np.argmax(result.ll[groups]))
        g = k * restarts + best
        params = BktParams(
            prior=float(result.params[0, g]),
            learn=float(result.params[1, g]),
            guess=float(result.params[2, g]),
            slip=float(result.params[3, g]),
        )
        out[skill] = SkillFit(
            params=params,
            log_likelihood=float(result.ll[g]),
            iterations=int(result.iterations[g]),
            converged=bool(result.converged[g]),
            restart=best,
            n_sequences=data[skill].n_sequences,
            n_observations=data[skill].n_observations,
        )
    return out


def _initial_params(groups: int, bounds: ParamBounds, rng: np.random.Generator) -> _FloatArray:
    # the ranges pyBKT draws from, within our bounds: rows prior, learn, guess, slip
    return np.stack(
        [
            rng.uniform(0.05, 0.95, groups),
            rng.uniform(0.01, 0.4, groups),
            rng.uniform(0.01, bounds.guess, groups),
            rng.uniform(0.01, bounds.slip, groups),
        ]
    )


# --- the packed problem ----------------------------------------------------------------------


@dataclass
class _Problem:
    """All groups' columns, longest first: obs ``(T, N)`` and per-column data ``(N,)``."""

    obs: npt.NDArray[np.bool_]
    lengths: npt.NDArray[np.int64]
    weight: _FloatArray
    correct: _FloatArray
    group: npt.NDArray[np.int64]
    n_groups: int
    # per-group constants: sequences, observations and correct answers (weighted)
    seq_total: _FloatArray = field(init=False)
    obs_total: _FloatArray = field(init=False)
    correct_total: _FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.seq_total = self.sums(np.ones(self.lengths.size))
        self.obs_total = self.sums(self.lengths.astype(np.float64))
        self.correct_total = self.sums(self.correct)

    @classmethod
    def build(cls, data: list[Sequences], restarts: int) -> _Problem:
        obs_parts, len_parts, w_parts, grp_parts = [], [], [], []
        T = max(d.obs.shape[0] for d in data)
        for k, seqs in enumerate(data):
            obs, lengths, counts = _distinct(seqs)
            padded = np.zeros((T, obs.shape[1]), dtype=bool)
            padded[: obs.shape[0]] = obs
            for r in range(restarts):
                obs_parts.append(padded)
                len_parts.append(lengths)
                w_parts.append(counts)
                grp_parts.append(np.full(lengths.size, k * restarts + r, dtype=np.int64))
        lengths = np.concatenate(len_parts)
        order = np.argsort(-lengths, kind="stable")
        obs = np.concatenate(obs_parts, axis=1)[:, order]
        return cls(
            obs=obs,
            lengths=lengths[order],
            weight=np.concatenate(w_parts)[order],
            correct=obs.sum(axis=0, dtype=np.float64),
            group=np.concatenate(grp_parts)[order],
            n_groups=len(data) * restarts,
        )

    def keep(self, columns: npt.NDArray[np.bool_]) -> _Problem:
        """The problem restricted to some columns (their order is kept)."""
        T = int(self.lengths[columns].max()) if columns.any() else 0
        return _Problem(
            obs=self.obs[:T, columns],
            lengths=self.lengths[columns],
            weight=self.weight[columns],
            correct=self.correct[columns],
            group=self.group[columns],
            n_groups=self.n_groups,
        )

    def sums(self, values: _FloatArray) -> _FloatArray:
        """Weighted per-group sums of a per-column quantity."""
        sums = np.bincount(self.group, weights=self.weight * values, minlength=self.n_groups)
        return sums.astype(np.float64, copy=False)


def _distinct(seqs: Sequences) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], _FloatArray]:
    """The distinct sequences of a batch and how many learners produced each."""
    packed = np.packbits(seqs.obs, axis=0, bitorder="little")  # (ceil(T/8), n)
    keys: npt.NDArray[np.generic]
    if packed.shape[0] <= 7:
        # up to 56 opportunities: bits and length fit one integer, which sorts fastest
        code = seqs.lengths.astype(np.uint64) << np.uint64(56)
        for i in range(packed.shape[0]):
            code |= packed[i].astype(np.uint64) << np.uint64(8 * i)
        keys = code
    else:
        length_bytes = seqs.lengths.astype("<i4").view(np.uint8).reshape(-1, 4)
        rows = np.ascontiguousarray(np.concatenate([packed.T, length_bytes], axis=1))
        keys = rows.view(np.dtype((np.void, rows.shape[1]))).ravel()
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    return seqs.obs[:, first], seqs.lengths[first], counts.astype(np.float64)


# --- EM ----------------------------------------------------------------------------------------


@dataclass
class _EmResult:
    params: _FloatArray  # (4, G): prior, learn, guess, slip of the last E-step
    ll: _FloatArray  # (G,)
    iterations: npt.NDArray[np.int64]
    converged: npt.NDArray[np.bool_]


def _run_em(
    problem: _Problem, params: _FloatArray, bounds: ParamBounds, tol: float, max_iter: int
) -> _EmResult:
    G = problem.n_groups
    params = params.copy()
    ll = np.full(G, -np.inf)
    iterations = np.zeros(G, dtype=np.int64)
    converged = np.zeros(G, dtype=bool)
    running = np.ones(G, dtype=bool)
    lower = np.array([_EPS, _EPS, _EMISSION_EPS, _EMISSION_EPS])[:, None]
    upper = np.array([1 - _EPS, 1 - _EPS, bounds.guess, bounds.slip])[:, None]
    for it in range(max_iter):
        stats = _e_step(problem, params)
        new_ll = stats.ll
        iterations[running] = it + 1
        # pyBKT's rule: at least three E-steps, then stop once the change is below tol
        done = running & (np.abs(new_ll - ll) < tol) if it >= 2 else np.zeros(G, dtype=bool)
        ll = np.where(running, new_ll, ll)
        converged |= done
        running &= ~done
        if it == max_iter - 1 or not running.any():
            break
        stepped = np.clip(_m_step(stats, params), lower, upper)
        params[:, running] = stepped[:, running]
        if done.any():
            problem = problem.keep(running[problem.group])
    return _EmResult(params, ll, iterations, converged)


@dataclass
class _Stats:
    """Weighted per-group sums from one E-step."""

    ll: _FloatArray
    n_seq: _FloatArray
    gamma_first: _FloatArray  # sum of P(known) at the first opportunity
    gamma_last: _FloatArray  # ... at the last one
    gamma: _FloatArray  # ... over all opportunities
    gamma_correct: _FloatArray  # ... over correctly answered ones
    obs: _FloatArray  # opportunities
    correct: _FloatArray  # correct answers


def _block_size(T: int) -> int:
    # two (T, block) float arrays should stay cache-sized; tiny blocks cost Python overhead
    return int(min(16384, max(1024, 262144 // max(T, 1))))


def _e_step(problem: _Problem, params: _FloatArray) -> _Stats:
    N = problem.lengths.size
    prior, learn, guess, slip = params
    # odds-form filter: q = 1 + pred * (ratio - 1), ratio = P(obs | known) / P(obs | unknown)
    per_group = np.stack(
        [prior, learn, 1.0 - learn, (1.0 - slip) / guess - 1.0, slip / (1.0 - guess) - 1.0]
    )
    ll = np.zeros(N)
    g_sum = np.empty(N)
    g_right = np.empty(N)
    g_first = np.empty(N)
    g_last = np.empty(N)
    T = problem.obs.shape[0]
    block = _block_size(T)
    A = np.empty((T, block))
    P = np.empty((T, block))
    for b0 in range(0, N, block):
        cols = slice(b0, min(N, b0 + block))
        _e_block(
            problem.obs[:, cols],
            problem.lengths[cols],
            per_group[:, problem.group[cols]],
            A,
            P,
            (ll[cols], g_sum[cols], g_right[cols], g_first[cols], g_last[cols]),
        )
    ll_sum = problem.sums(ll)
    # P(obs | unknown) at every step was factored out of the per-step likelihoods
    ll_sum += problem.correct_total * np.log(guess)
    ll_sum += (problem.obs_total - problem.correct_total) * np.log1p(-guess)
    return _Stats(
        ll=ll_sum,
        n_seq=problem.seq_total,
        gamma_first=problem.sums(g_first),
        gamma_last=problem.sums(g_last),
        gamma=problem.sums(g_sum),
        gamma_correct=problem.sums(g_right),
        obs=problem.obs_total,
        correct=problem.correct_total,
    )


def _e_block(
    obs: npt.NDArray[np.bool_],
    lengths: npt.NDArray[np.int64],
    coef: _FloatArray,
    A: _FloatArray,
    P: _FloatArray,
    out: tuple[_FloatArray, _FloatArray, _FloatArray, _FloatArray, _FloatArray],
) -> None:
    """Forward-backward over one block of columns sorted by length, longest first."""
    ll, g_sum, g_right, g_first, g_last = out
    prior, learn, stay, ratio_right, ratio_wrong = coef
    n = lengths.size
    T = int(lengths[0])
    # active[t]: columns with an observation at t (a prefix, as lengths are descending)
    active = np.searchsorted(-lengths, -np.arange(T + 1), side="left")
    prod = np.ones(n)
    q = np.empty(n)
    P[0, :n] = prior
    for t in range(T):
        m = int(active[t])
        pred = P[t, :m]
        x = np.where(obs[t, :m], ratio_right[:m], ratio_wrong[:m])
        x *= pred
        np.add(x, 1.0, out=q[:m])
        prod[:m] *= q[:m]
        a = np.add(pred, x, out=A[t, :m])
        a /= q[:m]
        m1 = int(active[t + 1])
        if m1:
            nxt = np.multiply(a[:m1], stay[:m1], out=P[t + 1, :m1])
            nxt += learn[:m1]
        if t % _RENORM == _RENORM - 1:
            ll[:m] += np.log(prod[:m])
            prod[:m] = 1.0
    ll += np.log(prod)
    gamma = np.empty(n)
    g_sum[:] = 0.0
    g_right[:] = 0.0
    for t in range(T - 1, -1, -1):
        m, m1 = int(active[t]), int(active[t + 1])
        if m1:
            gamma[:m1] *= A[t, :m1]
            gamma[:m1] /= P[t + 1, :m1]
        if m > m1:  # sequences whose last opportunity is t: smoothed = filtered
            gamma[m1:m] = A[t, m1:m]
            g_last[m1:m] = A[t, m1:m]
        g_sum[:m] += gamma[:m]
        np.add(g_right[:m], gamma[:m], out=g_right[:m], where=obs[t, :m])
    g_first[:] = gamma


def _m_step(stats: _Stats, params: _FloatArray) -> _FloatArray:
    def ratio(num: _FloatArray, den: _FloatArray, old: _FloatArray) -> _FloatArray:
        safe = np.where(den > 0, den, 1.0)
        return np.where(den > 0, num / safe, old)

    # transitions out of "unknown": every step but a sequence's last, while unknown
    unknown_steps = (stats.obs - stats.n_seq) - (stats.gamma - stats.gamma_last)
    return np.stack(
        [
            ratio(stats.gamma_first, stats.n_seq, params[0]),
            ratio(stats.gamma_last - stats.gamma_first, unknown_steps, params[1]),
            ratio(stats.correct - stats.gamma_correct, stats.obs - stats.gamma, params[2]),
            ratio(stats.gamma - stats.gamma_correct, stats.gamma, params[3]),
        ]
    )
