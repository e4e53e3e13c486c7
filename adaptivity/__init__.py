"""Adaptivity: the learner model, fitting it from logs, the hint policy, the difficulty
controller, and the tutor that wires them to a running lesson.

Pure Python, beside the runtime: nothing here imports Panda3D or the scene. The online part
(BKT updates, Elo ratings) is plain Python floats; fitting needs numpy and is imported only
when first used, so ``import adaptivity`` stays fast.

Public API:
    BKT (:mod:`adaptivity.bkt`): :class:`BktParams`, :class:`ParamBounds`, :func:`posterior`,
    :func:`predict_correct`, :class:`SkillState`, :class:`LearnerModel`.
    Elo (:mod:`adaptivity.elo`): :class:`KSchedule`, :class:`ItemBank`, :class:`Abilities`,
    :class:`Predictor`, :class:`EloPredictor`, :class:`BktEloPredictor`, :func:`observe`.
    Store (:mod:`adaptivity.store`): :class:`LearnerStore`, :class:`LearnerRecord`.
    Fitting (numpy): :mod:`adaptivity.fit` (:func:`fit_bkt`, :func:`fit_skills`),
    :mod:`adaptivity.data` (:class:`Sequences`, :func:`read_csv`, :func:`simulate_bkt`),
    :mod:`adaptivity.logs` (:func:`read_xapi`), :mod:`adaptivity.predict`
    (:func:`predict_sequences`, :func:`predict_rows`, :func:`log_likelihood`).
    Priors files (:mod:`adaptivity.priors`, no numpy): :func:`priors_to_yaml`,
    :func:`priors_from_yaml`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from adaptivity.bkt import (
    DEFAULT_BOUNDS,
    DEFAULT_MASTERY,
    DEFAULT_PARAMS,
    BktParams,
    LearnerModel,
    ParamBounds,
    SkillState,
    posterior,
    predict_correct,
)
from adaptivity.elo import (
    Abilities,
    BktEloPredictor,
    EloPredictor,
    ItemBank,
    KSchedule,
    Predictor,
    Rating,
    observe,
)

if TYPE_CHECKING:
    from adaptivity.config import AdaptivityConfig
    from adaptivity.data import Sequences, read_csv, sequences_from_rows, simulate_bkt
    from adaptivity.difficulty import DifficultyController, KnobDecision, classify_knobs
    from adaptivity.fit import SkillFit, fit_bkt, fit_skills
    from adaptivity.hints import Flag, HintDecision, HintPolicy
    from adaptivity.logs import read_xapi
    from adaptivity.predict import log_likelihood, predict_rows, predict_sequences
    from adaptivity.priors import priors_from_yaml, priors_to_yaml
    from adaptivity.store import LearnerRecord, LearnerStore
    from adaptivity.tutor import Tutor

# name -> module, imported on first access (PEP 562): numpy and sqlite3 load only when used
_LAZY = {
    "LearnerRecord": "adaptivity.store",
    "LearnerStore": "adaptivity.store",
    "Sequences": "adaptivity.data",
    "read_csv": "adaptivity.data",
    "read_xapi": "adaptivity.logs",
    "sequences_from_rows": "adaptivity.data",
    "simulate_bkt": "adaptivity.data",
    "SkillFit": "adaptivity.fit",
    "fit_bkt": "adaptivity.fit",
    "fit_skills": "adaptivity.fit",
    "log_likelihood": "adaptivity.predict",
    "predict_rows": "adaptivity.predict",
    "predict_sequences": "adaptivity.predict",
    "priors_from_yaml": "adaptivity.priors",
    "priors_to_yaml": "adaptivity.priors",
    "AdaptivityConfig": "adaptivity.config",
    "DifficultyController": "adaptivity.difficulty",
    "KnobDecision": "adaptivity.difficulty",
    "classify_knobs": "adaptivity.difficulty",
    "Flag": "adaptivity.hints",
    "HintDecision": "adaptivity.hints",
    "HintPolicy": "adaptivity.hints",
    "Tutor": "adaptivity.tutor",
}

__all__ = [
    "DEFAULT_BOUNDS",
    "DEFAULT_MASTERY",
    "DEFAULT_PARAMS",
    "Abilities",
    "AdaptivityConfig",
    "BktEloPredictor",
    "BktParams",
    "DifficultyController",
    "EloPredictor",
    "Flag",
    "HintDecision",
    "HintPolicy",
    "ItemBank",
    "KSchedule",
    "KnobDecision",
    "LearnerModel",
    "LearnerRecord",
    "LearnerStore",
    "ParamBounds",
    "Predictor",
    "Rating",
    "Sequences",
    "SkillFit",
    "SkillState",
    "Tutor",
    "classify_knobs",
    "fit_bkt",
    "fit_skills",
    "log_likelihood",
    "observe",
    "posterior",
    "predict_correct",
    "predict_rows",
    "predict_sequences",
    "priors_from_yaml",
    "priors_to_yaml",
    "read_csv",
    "read_xapi",
    "sequences_from_rows",
    "simulate_bkt",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'adaptivity' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
