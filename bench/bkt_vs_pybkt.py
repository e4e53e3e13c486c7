"""Benchmark: our BKT fitting against pyBKT, the reference library, on data with known truth.

Run from the checkout's root::

    .venv/bin/python bench/bkt_vs_pybkt.py                 # 1k, 10k and 100k learners
    .venv/bin/python bench/bkt_vs_pybkt.py --sizes 1000 10000

For each size it simulates 5 skills x 20 opportunities per learner with known parameters,
splits learners 80/20, writes the split to ``.npz`` files that both sides read, and reports
fit time, predict time, held-out AUC, the oracle AUC (true parameters) and the mean absolute
parameter error, with our/pyBKT ratios measured in the same run. It ends with the online cost
of one ``LearnerModel.observe``. Figures are printed, never asserted.

pyBKT lives in its own virtual environment (``.venv-pybkt`` by default, made on first run):
its C++ build (``pybkt==1.4.3`` from source, needs g++) with numpy<2, pandas<3 and
scikit-learn<1.7. Its setup.py silently falls back to pure Python when the C++ build fails,
so the script checks that the compiled E-step is what gets imported.

Equal stopping rules: pyBKT stops when two successive log-likelihoods differ by less than
1e-3, but its C++ E-step returns the log-likelihood truncated to an integer, so it really
stops once the change falls below about 1 nat. We run ours with ``tol=1.0`` for the
comparison (both: at least 3 E-steps, at most 100, 5 restarts, the best likelihood wins) and
also print ours at its default ``tol=1e-3``. pyBKT's E-step uses OpenMP on every core; our
numpy code runs on one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from adaptivity.bkt import BktParams, LearnerModel  # noqa: E402
from adaptivity.fit import (  # noqa: E402
    fit_skills,
    mean_absolute_error,
    predict_rows,
    sequences_from_rows,
    simulate_bkt,
)

# pyBKT goes in with --no-deps (so pip cannot swap the pinned numpy): its own imports are
# listed here, requests included (pyBKT.util.data_helper imports it at import time)
PYBKT_REQUIREMENTS = [
    "numpy<2", "pandas<3", "scikit-learn<1.7", "requests", "setuptools<81", "wheel",
]  # fmt: skip
PYBKT = "pybkt==1.4.3"
SKILLS = {
    "s0": BktParams(prior=0.2, learn=0.10, guess=0.20, slip=0.10),
    "s1": BktParams(prior=0.4, learn=0.20, guess=0.25, slip=0.05),
    "s2": BktParams(prior=0.1, learn=0.05, guess=0.15, slip=0.15),
    "s3": BktParams(prior=0.5, learn=0.30, guess=0.10, slip=0.10),
    "s4": BktParams(prior=0.3, learn=0.15, guess=0.28, slip=0.20),
}
OPPORTUNITIES = 20
RESTARTS = 5
EQUAL_RULE_TOL = 1.0  # pyBKT's effective tolerance (see the module docstring)
T = TypeVar("T")


# --- pyBKT's environment ---------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# the model importable (all its imports there) and its E-step the compiled one
_CHECK = (
    "import pyBKT.models, pyBKT.fit.E_step as e, sys; "
    "sys.exit(0 if e.__file__.endswith(('.so', '.pyd')) else 3)"
)


def ensure_pybkt(venv: Path) -> Path:
    """Make (once) a virtual environment with pyBKT's C++ build; return its python.

    Raises:
        RuntimeError: pip failed, or what got installed is the pure-Python fallback.
    """
    python = venv_python(venv)
    if python.exists() and subprocess.run([python, "-c", _CHECK], check=False).returncode == 0:
        return python
    print(f"preparing pyBKT (C++ build) in {venv} ...", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    # the pins first, as wheels: --no-binary :all: applied to them would compile numpy & co.
    subprocess.run([*pip, *PYBKT_REQUIREMENTS], check=True)
    # pyBKT alone from source, against the numpy just installed
    subprocess.run(
        [*pip, "--no-binary", ":all:", "--no-deps", "--no-build-isolation", PYBKT], check=True
    )
    if subprocess.run([python, "-c", _CHECK], check=False).returncode != 0:
        raise RuntimeError(
            "pyBKT installed without its C++ extensions (is g++ installed?); "
            f"delete {venv} and retry"
        )
    return python


# What pyBKT runs, in its own interpreter: fit and predict on the split files, timed.
PYBKT_RUNNER = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np, pandas as pd
    from pyBKT.models import Model

    def frame(path):
        z = np.load(path)
        return pd.DataFrame({
            "order_id": z["order"], "user_id": z["learner"],
            "skill_name": np.array(json.loads(str(z["skill_names"])))[z["skill"]],
            "correct": z["correct"].astype(np.int64),
        })

    train, test = frame(sys.argv[1]), frame(sys.argv[2])
    fit_s = predict_s = float("inf")
    for _ in range(int(sys.argv[5])):  # best of N, as timeit does
        model = Model(seed=0, num_fits=int(sys.argv[4]))
        t0 = time.perf_counter()
        model.fit(data=train)
        fit_s = min(fit_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        pred = model.predict(data=test)
        predict_s = min(predict_s, time.perf_counter() - t0)
    pred = pred.sort_values("order_id")
    np.save(sys.argv[3] + ".npy", pred["correct_predictions"].to_numpy(np.float64))
    params = {
        skill: {k: float(v) for k, v in zip(
            ("prior", "learn", "guess", "slip"),
            (m["prior"], m["learns"][0], m["guesses"][0], m["slips"][0]),
        )}
        for skill, m in model.fit_model.items()
    }
    json.dump({"fit_s": fit_s, "predict_s": predict_s, "params": params},
              open(sys.argv[3] + ".json", "w"))
    """
)


# --- data ---------------------------------------------------------------------------------------


@dataclass
class Split:
    """One side of the split, long format, rows in order_id order."""

    order: npt.NDArray[np.int64]
    learner: npt.NDArray[np.int64]
    skill: npt.NDArray[np.int64]
    correct: npt.NDArray[np.int8]

    def save(self, path: Path) -> None:
        np.savez(
            path,
            order=self.order,
            learner=self.learner,
            skill=self.skill,
            correct=self.correct,
            skill_names=json.dumps(list(SKILLS)),
        )

    @classmethod
    def load(cls, path: Path) -> Split:
        z = np.load(path)
        return cls(z["order"], z["learner"], z["skill"], z["correct"])


def make_data(n_learners: int, seed: int) -> tuple[Split, Split]:
    """Simulated answers for every skill; learners split 80/20 at random."""
    obs = np.stack(
        [
            simulate_bkt(p, n_learners, OPPORTUNITIES, seed=seed * 100 + k).obs
            for k, p in enumerate(SKILLS.values())
        ]
    )  # (skill, t, learner)
    S, T, n = obs.shape
    # each learner works through opportunity t of every skill before t + 1, as in a course
    grid = np.meshgrid(np.arange(n), np.arange(T), np.arange(S), indexing="ij")
    learner, t, skill = (g.ravel() for g in grid)
    correct = obs[skill, t, learner].astype(np.int8)
    order = np.arange(learner.size, dtype=np.int64)
    perm = np.random.default_rng(seed).permutation(n)
    is_test = np.zeros(n, dtype=bool)
    is_test[perm[: n // 5]] = True
    parts = []
    for side in (False, True):
        rows = is_test[learner] == side
        parts.append(Split(order[rows], learner[rows], skill[rows], correct[rows]))
    return parts[0], parts[1]


# --- our side -----------------------------------------------------------------------------------


def ours_fit(train: Split, tol: float) -> tuple[float, dict[str, BktParams]]:
    """Fit time (from the long table, grouping included) and the parameters."""
    names = list(SKILLS)
    t0 = time.perf_counter()
    # skills as integer codes, as a store keeps them; pyBKT insists on names
    data = sequences_from_rows(train.learner, train.skill, train.correct)
    fits = fit_skills(data, restarts=RESTARTS, seed=0, tol=tol)
    elapsed = time.perf_counter() - t0
    return elapsed, {names[int(code)]: f.params for code, f in fits.items()}


def ours_predict(
    test: Split, params: dict[str, BktParams]
) -> tuple[float, npt.NDArray[np.float64]]:
    """Predict time (from the long table back to row order) and P(correct) per row."""
    by_code = {str(k): params[name] for k, name in enumerate(SKILLS)}
    t0 = time.perf_counter()
    out = predict_rows(by_code, test.learner, test.skill, test.correct)
    return time.perf_counter() - t0, out


# --- metrics ------------------------------------------------------------------------------------


def auc(labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties share their average rank)."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    avg_rank = ends - (counts - 1) / 2.0  # 1-based average rank of each distinct score
    ranks = avg_rank[inverse]
    pos = labels.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def param_error(fitted: dict[str, BktParams]) -> float:
    """Mean absolute error over the 4 parameters of every skill."""
    return statistics.fmean(mean_absolute_error(fitted[s], SKILLS[s]) for s in SKILLS)


def online_cost(n: int = 200_000) -> tuple[float, float, float]:
    """Median and p99 of one ``observe`` (µs, timer included), and the bare timer's median."""
    model = LearnerModel({"s": SKILLS["s0"]})
    rng = np.random.default_rng(0)
    answers = (rng.random(n) < 0.7).tolist()
    clock = time.perf_counter_ns
    times = []
    for ok in answers:
        t0 = clock()
        model.observe("s", ok)
        times.append(clock() - t0)
    bare = []
    for _ in range(n // 4):
        t0 = clock()
        bare.append(clock() - t0)
    times.sort()
    return times[n // 2] / 1e3, times[int(n * 0.99)] / 1e3, statistics.median(bare) / 1e3


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Row:
    learners: int
    ours_fit: float
    ours_fit_default: float
    pybkt_fit: float
    ours_predict: float
    pybkt_predict: float
    ours_auc: float
    pybkt_auc: float
    oracle_auc: float
    ours_err: float
    ours_err_default: float
    pybkt_err: float


def best_of(repeat: int, run: Callable[[], tuple[float, T]]) -> tuple[float, T]:
    """The fastest of ``repeat`` timed runs (and its result)."""
    runs = [run() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def run_size(n: int, python: Path, work: Path, repeat: int) -> Row:
    train, test = make_data(n, seed=n)
    train_path, test_path = work / f"train-{n}.npz", work / f"test-{n}.npz"
    train.save(train_path)
    test.save(test_path)
    # what both sides read from disk: the same files
    train, test = Split.load(train_path), Split.load(test_path)

    result = work / f"pybkt-{n}"
    subprocess.run(
        [python, "-c", PYBKT_RUNNER, train_path, test_path, result, str(RESTARTS), str(repeat)],
        check=True,
    )
    theirs = json.loads(Path(f"{result}.json").read_text())
    their_pred = np.load(f"{result}.npy")
    their_params = {s: BktParams(**p) for s, p in theirs["params"].items()}

    fit_s, params = best_of(repeat, lambda: ours_fit(train, EQUAL_RULE_TOL))
    fit_default_s, params_default = best_of(repeat, lambda: ours_fit(train, 1e-3))
    predict_s, pred = best_of(repeat, lambda: ours_predict(test, params))
    _, oracle = ours_predict(test, SKILLS)
    return Row(
        learners=n,
        ours_fit=fit_s,
        ours_fit_default=fit_default_s,
        pybkt_fit=theirs["fit_s"],
        ours_predict=predict_s,
        pybkt_predict=theirs["predict_s"],
        ours_auc=auc(test.correct, pred),
        pybkt_auc=auc(test.correct, their_pred),
        oracle_auc=auc(test.correct, oracle),
        ours_err=param_error(params),
        ours_err_default=param_error(params_default),
        pybkt_err=param_error(their_params),
    )


def print_table(rows: list[Row]) -> None:
    head = (
        f"{'learners':>8} | {'fit ours':>8} {'(tol1e-3)':>9} {'pyBKT':>7} {'x':>5} | "
        f"{'predict ours':>12} {'pyBKT':>7} {'x':>6} | {'AUC ours':>8} {'pyBKT':>6} "
        f"{'oracle':>6} | {'MAE ours':>8} {'(tol1e-3)':>9} {'pyBKT':>7} {'ratio':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.learners:>8} | {r.ours_fit:7.3f}s {r.ours_fit_default:8.3f}s "
            f"{r.pybkt_fit:6.2f}s {r.pybkt_fit / r.ours_fit:5.1f} | "
            f"{r.ours_predict:11.4f}s {r.pybkt_predict:6.2f}s "
            f"{r.pybkt_predict / r.ours_predict:6.0f} | {r.ours_auc:8.4f} {r.pybkt_auc:6.4f} "
            f"{r.oracle_auc:6.4f} | {r.ours_err:8.4f} {r.ours_err_default:9.4f} "
            f"{r.pybkt_err:7.4f} {r.ours_err / r.pybkt_err:5.2f}"
        )
    print(
        "x = pyBKT time / our time; MAE ratio = ours / pyBKT (equal stopping rule); "
        "targets: AUC >= pyBKT - 0.002, MAE ratio <= 1.2, fit x >= 3 at 10k and 100k, "
        "predict x >= 20"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--venv", type=Path, default=REPO / ".venv-pybkt")
    parser.add_argument("--repeat", type=int, default=3, help="timings: best of this many")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    python = ensure_pybkt(args.venv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bkt-bench-") as tmp:
        for n in args.sizes:
            print(f"{n} learners ...", flush=True)
            rows.append(run_size(n, python, Path(tmp), args.repeat))
    print(
        f"\n{len(SKILLS)} skills x {OPPORTUNITIES} opportunities, 80/20 split by learner, "
        f"{RESTARTS} restarts, times best of {args.repeat}; pyBKT {PYBKT} (C++, OpenMP on "
        f"{os.cpu_count()} cores), ours numpy on one\n"
    )
    print_table(rows)
    median, p99, timer = online_cost()
    print(
        f"\nonline: LearnerModel.observe median {median:.2f} µs, p99 {p99:.2f} µs "
        f"(timer alone {timer:.2f} µs), pure Python"
    )
    if args.json:
        figures = [r.__dict__ for r in rows]
        online = {"median_us": median, "p99_us": p99, "timer_us": timer}
        args.json.write_text(json.dumps({"sizes": figures, "online": online}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
