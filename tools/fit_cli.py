"""``lesson fit LOG... -o priors.yaml``: fit BKT priors from recorded sessions.

Logs are xAPI JSON-lines files (what ``lesson run --record`` writes); files ending in
``.csv`` are read as ``learner,skill,correct`` tables (real datasets). The fitted parameters
go to a priors file a lesson can ship (:mod:`adaptivity.priors`), with how much evidence
backed each skill; a table of them is printed. Register it in ``tools/cli.py`` as::

    @app.command()
    def fit(
        logs: Annotated[list[Path], typer.Argument(help="sessions (.jsonl) or CSV files")],
        output: Annotated[Path, typer.Option("-o", "--output", help="priors file to write")],
    ) -> None:
        'Fit BKT priors from recorded sessions.'
        from tools.fit_cli import fit_command

        raise typer.Exit(fit_command(logs, output))
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from adaptivity.data import Sequences

#: fewer learners than this on a skill: the fit is printed with a warning
FEW_LEARNERS = 30


def fit_command(
    logs: list[Path],
    output: Path,
    *,
    restarts: int = 5,
    seed: int = 0,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Fit priors from ``logs`` and write them to ``output``.

    Args:
        logs: xAPI JSON-lines files and/or ``learner,skill,correct`` CSV files.
        output: The priors file to write (YAML).
        restarts: EM restarts per skill.
        seed: Seed of the restarts.
        out: Where the table goes (stdout by default).
        err: Where problems go (stderr by default).

    Returns:
        The exit status: 0 written, 1 no opportunity found in the logs, 2 a log is missing
        or unreadable, or the output cannot be written.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    missing = [p for p in logs if not Path(p).is_file()]
    if not logs or missing:
        names = ", ".join(str(p) for p in missing) or "none given"
        print(f"lesson fit: log file(s) not found: {names}", file=err)
        return 2
    # lazy: numpy and the fitting code load only for this command
    from adaptivity.data import read_csv
    from adaptivity.fit import fit_skills
    from adaptivity.logs import read_xapi
    from adaptivity.priors import priors_to_yaml

    csvs = [Path(p) for p in logs if Path(p).suffix.lower() == ".csv"]
    jsonl = [Path(p) for p in logs if Path(p).suffix.lower() != ".csv"]
    parts: list[dict[str, Sequences]] = []
    try:
        if jsonl:
            parts.append(read_xapi(jsonl))
        parts.extend(read_csv(p) for p in csvs)
    except (OSError, ValueError) as exc:
        print(f"lesson fit: {exc}", file=err)
        return 2
    data = _merge(parts)
    if not data:
        print(
            "lesson fit: no opportunities in the logs (answered questions or completed steps "
            "with skills)",
            file=err,
        )
        return 1
    fits = fit_skills(data, restarts=restarts, seed=seed)
    evidence = {
        s: {"learners": f.n_sequences, "opportunities": f.n_observations} for s, f in fits.items()
    }
    try:
        priors_to_yaml(
            {s: f.params for s, f in fits.items()},
            output,
            evidence=evidence,
            comment=f"BKT parameters fitted by `lesson fit` from {len(logs)} log file(s)",
        )
    except OSError as exc:
        print(f"lesson fit: cannot write {output}: {exc}", file=err)
        return 2
    print(
        f"{'skill':28} {'learners':>8} {'opps':>6} {'prior':>6} {'learn':>6} "
        f"{'guess':>6} {'slip':>6}",
        file=out,
    )
    for skill, f in sorted(fits.items()):
        p = f.params
        note = "  (few learners: a rough estimate)" if f.n_sequences < FEW_LEARNERS else ""
        if not f.converged:
            note += "  (not converged)"
        print(
            f"{skill:28} {f.n_sequences:>8} {f.n_observations:>6} {p.prior:6.3f} "
            f"{p.learn:6.3f} {p.guess:6.3f} {p.slip:6.3f}{note}",
            file=out,
        )
    print(f"wrote {output}", file=out)
    return 0


def _merge(parts: list[dict[str, Sequences]]) -> dict[str, Sequences]:
    """Per-skill sequences of several sources side by side (learners stay separate)."""
    from adaptivity.data import concat

    out: dict[str, list[Sequences]] = {}
    for part in parts:
        for skill, seqs in part.items():
            out.setdefault(skill, []).append(seqs)
    return {skill: concat(batches) for skill, batches in out.items()}
