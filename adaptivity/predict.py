"""Batch prediction with known parameters: one-step-ahead P(correct), vectorised.

The array twin of :func:`adaptivity.bkt.posterior`: every learner's P(known) is filtered
through their answers at once, time-major, for evaluation (held-out AUC), for replaying logs
and for :func:`log_likelihood`. Needs numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from adaptivity.bkt import BktParams
from adaptivity.data import Sequences, SkillData, as_sequences, group_rows

_FloatArray = npt.NDArray[np.float64]


def predict_sequences(params: BktParams, seqs: SkillData) -> _FloatArray:
    """P(correct) at every opportunity, before its answer is seen (one-step-ahead).

    Args:
        params: The skill's parameters (``forget`` is honoured).
        seqs: The learners' answers.

    Returns:
        ``(T, n)`` floats; NaN past each sequence's length.
    """
    return predict_skills({"_": params}, {"_": seqs})["_"]


def predict_skills(
    params: Mapping[str, BktParams], data: Mapping[str, SkillData]
) -> dict[str, _FloatArray]:
    """:func:`predict_sequences` for many skills in one vectorised pass.

    Args:
        params: Parameters per skill; every skill of ``data`` needs an entry.
        data: Answers per skill.

    Returns:
        Per skill, ``(T, n)`` one-step-ahead P(correct); NaN past each sequence's length.
    """
    batches = {skill: as_sequences(d) for skill, d in data.items()}
    names = list(batches)
    if not names:
        return {}
    T = max(b.obs.shape[0] for b in batches.values())
    widths = [batches[s].n_sequences for s in names]
    group = np.repeat(np.arange(len(names)), widths)
    obs = np.zeros((T, group.size), dtype=bool)
    at = 0
    for skill in names:
        b = batches[skill]
        obs[: b.obs.shape[0], at : at + b.n_sequences] = b.obs
        at += b.n_sequences
    lengths = np.concatenate([batches[s].lengths for s in names])
    table = np.array(
        [
            [params[s].prior, params[s].learn, params[s].guess, params[s].slip, params[s].forget]
            for s in names
        ]
    )
    # longest first, so the columns still running at t are a prefix (often already true)
    if bool(np.all(lengths[1:] <= lengths[:-1])):
        pred = _forward(obs, lengths, table[group].T)
    else:
        order = np.argsort(-lengths, kind="stable")
        rows = _forward(obs[:, order], lengths[order], table[group[order]].T)
        pred = np.empty_like(rows)
        pred[:, order] = rows
    out: dict[str, _FloatArray] = {}
    at = 0
    for skill, width in zip(names, widths, strict=True):
        b = batches[skill]
        out[skill] = pred[: b.obs.shape[0], at : at + width]
        at += width
    return out


def _forward(
    obs: npt.NDArray[np.bool_], lengths: npt.NDArray[np.int64], coef: _FloatArray
) -> _FloatArray:
    """One-step-ahead P(correct) for columns sorted by length; per-column parameters."""
    prior, learn, guess, slip, forget = coef
    T, n = obs.shape
    out = np.full((T, n), np.nan)
    active = np.searchsorted(-lengths, -np.arange(T + 1), side="left")
    hit = 1.0 - slip - guess
    keep = 1.0 - forget - learn
    # ratio form: cond = p * r / (p * r + 1 - p), r = P(answer | known) / P(answer | unknown);
    # it needs finite, non-zero ratios, so exact zeros of guess or slip take the textbook form
    with np.errstate(divide="ignore", over="ignore"):
        ratio_right = (1.0 - slip) / guess
    ratio_wrong = slip / (1.0 - guess)
    fast = bool(np.all(ratio_right < 1e300) and np.all(ratio_wrong > 0))
    pk = prior.copy()
    for t in range(T):
        m = int(active[t])
        p = pk[:m]
        np.multiply(p, hit[:m], out=out[t, :m])
        out[t, :m] += guess[:m]
        if fast:
            cond = np.where(obs[t, :m], ratio_right[:m], ratio_wrong[:m])
            cond *= p
            den = 1.0 - p
            den += cond
            cond /= den
        else:
            cond = _conditional(p, obs[t, :m], guess[:m], slip[:m])
        # cond * (1 - forget) + (1 - cond) * learn
        np.multiply(cond, keep[:m], out=p)
        p += learn[:m]
    return out


def _conditional(
    p: _FloatArray, right: npt.NDArray[np.bool_], guess: _FloatArray, slip: _FloatArray
) -> _FloatArray:
    """P(known | answer), the two cases of adaptivity.bkt.posterior, zeros allowed."""
    den_right = p + (1.0 - p) * (guess / (1.0 - slip))
    if_right = np.divide(p, den_right, out=p.copy(), where=den_right > 0)
    num_wrong = p * slip
    den_wrong = num_wrong + (1.0 - p) * (1.0 - guess)
    if_wrong = np.divide(num_wrong, den_wrong, out=p.copy(), where=den_wrong > 0)
    return np.where(right, if_right, if_wrong)


def predict_rows(
    params: Mapping[str, BktParams],
    learners: npt.ArrayLike,
    skills: npt.ArrayLike,
    correct: npt.ArrayLike,
) -> _FloatArray:
    """One-step-ahead P(correct) for every row of a long table of opportunities.

    Rows are in time order within each learner (as for :func:`sequences_from_rows`); each
    row's prediction uses only that learner's earlier rows on the same skill.

    Args:
        params: Parameters per skill, keyed by ``str`` of the skill labels.
        learners: Learner label per row.
        skills: Skill label per row.
        correct: 0/1 or bool per row.

    Returns:
        P(correct) per row, in the table's order.

    Raises:
        KeyError: A skill of the table has no parameters.
    """
    ok = np.asarray(correct).astype(bool)
    blocks = group_rows(learners, skills)
    missing = [b.skill for b in blocks if b.skill not in params]
    if missing:
        raise KeyError(f"no parameters for skill(s): {', '.join(missing)}")
    data = {b.skill: b.sequences(ok, with_rows=False) for b in blocks}
    pred = predict_skills(params, data)
    out = np.full(ok.size, np.nan)
    for b in blocks:
        out[b.rows] = pred[b.skill].reshape(-1)[b.flat]
    return out


def log_likelihood(params: BktParams, seqs: Sequences) -> float:
    """Log-likelihood of ``seqs`` under ``params`` (nats), from one-step-ahead predictions."""
    pred = predict_sequences(params, seqs)
    mask = seqs.mask
    p = np.where(seqs.obs, pred, 1.0 - pred)[mask]
    return float(np.log(np.clip(p, 1e-300, 1.0)).sum())


def mean_absolute_error(fitted: BktParams, true: BktParams) -> float:
    """Mean absolute difference over prior, learn, guess and slip."""
    pairs = zip(
        (fitted.prior, fitted.learn, fitted.guess, fitted.slip),
        (true.prior, true.learn, true.guess, true.slip),
        strict=True,
    )
    return math.fsum(abs(a - b) for a, b in pairs) / 4.0
