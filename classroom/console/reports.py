"""After the lesson: a report per learner and for the class, and its CSV export."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from classroom.console.db import ClassSession, Learner, Statement, Station
from classroom.console.live import StudentProgress
from classroom.console.service import in_order

if TYPE_CHECKING:
    from adaptivity.bkt import BktParams


@dataclass
class StudentReport:
    """One learner's record of a class session."""

    learner_id: str
    learner: str
    stations: list[str]
    progress: StudentProgress

    @property
    def minutes(self) -> float:
        """Lesson time, in minutes."""
        return self.progress.lesson_time / 60.0


@dataclass
class ClassReport:
    """The class session's record."""

    class_session_id: str
    lesson_id: str
    students: list[StudentReport] = field(default_factory=list)
    wrong_answers: list[tuple[str, str, int]] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    duplicates: int = 0

    def mean(self, attr: str) -> float:
        """The class mean of a :class:`StudentProgress` number (0 with no students)."""
        if not self.students:
            return 0.0
        return sum(float(getattr(s.progress, attr)) for s in self.students) / len(self.students)

    def mean_gain(self, skill: str) -> float | None:
        """Mean mastery gained in ``skill`` over the learners who practised it."""
        gains = [
            s.progress.mastery_gained()[skill] for s in self.students if skill in s.progress.mastery
        ]
        return sum(gains) / len(gains) if gains else None


def build_report(
    db: Session,
    class_session_id: str,
    top_wrong: int = 10,
    *,
    priors: Mapping[str, BktParams] | None = None,
) -> ClassReport:
    """Fold a class session's stored statements into per-learner and class reports.

    ``priors``: the lesson's BKT parameters per skill, for mastery (defaults otherwise).
    """
    cs = db.get(ClassSession, class_session_id)
    if cs is None:
        raise KeyError(class_session_id)
    report = ClassReport(cs.id, cs.lesson_id)
    stations = {
        s.id: s for s in db.scalars(select(Station).where(Station.class_session_id == cs.id))
    }
    report.duplicates = sum(s.duplicates for s in stations.values())
    learners = {
        lr.id: lr for lr in db.scalars(select(Learner).where(Learner.class_id == cs.class_id))
    }
    by_key: dict[str, StudentReport] = {}
    rows = db.execute(
        select(
            Statement.station_id, Statement.received, Statement.body, Statement.learner_id
        ).where(Statement.class_session_id == cs.id)
    ).all()
    for (station_id, learner_id), stmt in in_order(((r[0], r[3]), r[1], r[2]) for r in rows):
        # a statement stored before its station had a learner belongs to the station's
        station = stations.get(station_id)
        key = learner_id or (station.learner_id if station else None) or f"station:{station_id}"
        rep = by_key.get(key)
        if rep is None:
            learner = learners.get(key)
            name = learner.name if learner else (station.name if station else key)
            rep = by_key[key] = StudentReport(
                learner.external_id if learner else "",
                name,
                [],
                StudentProgress(params=dict(priors or {})),
            )
        if station and station.name not in rep.stations:
            rep.stations.append(station.name)
        rep.progress.add(stmt)
    report.students = sorted(by_key.values(), key=lambda r: r.learner.lower())
    wrong: Counter[tuple[str, str]] = Counter()
    skills: set[str] = set()
    for rep in report.students:
        wrong.update(rep.progress.wrong_answers)
        skills.update(rep.progress.mastery)
    report.wrong_answers = [(q, a, n) for (q, a), n in wrong.most_common(top_wrong)]
    report.skills = sorted(skills)
    return report


def report_csv(report: ClassReport) -> str:
    """The report as CSV: one row per learner, then a class row; mastery gain per skill."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "learner_id",
            "learner",
            "stations",
            "minutes",
            "steps_completed",
            "hints",
            "errors",
            "answers",
            "completed",
            "passed",
            "score",
            *(f"mastery_gain:{skill}" for skill in report.skills),
        ]
    )
    for rep in report.students:
        p = rep.progress
        gains = p.mastery_gained()
        writer.writerow(
            [
                rep.learner_id,
                _safe(rep.learner),
                _safe(" ".join(rep.stations)),
                f"{rep.minutes:.2f}",
                p.steps_done,
                p.hints,
                p.errors,
                p.answers,
                "yes" if p.completed else "no",
                "" if p.passed is None else ("yes" if p.passed else "no"),
                "" if p.score is None else f"{p.score:.3f}",
                *("" if s not in gains else f"{gains[s]:+.3f}" for s in report.skills),
            ]
        )
    means = [report.mean_gain(s) for s in report.skills]
    writer.writerow(
        [
            "",
            "CLASS (mean)",
            "",
            f"{report.mean('lesson_time') / 60:.2f}",
            f"{report.mean('steps_done'):.2f}",
            f"{report.mean('hints'):.2f}",
            f"{report.mean('errors'):.2f}",
            f"{report.mean('answers'):.2f}",
            "",
            "",
            "",
            *("" if m is None else f"{m:+.3f}" for m in means),
        ]
    )
    return out.getvalue()


def _safe(text: str) -> str:
    # a cell starting with = + - @ is a formula to spreadsheets: defuse it
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
