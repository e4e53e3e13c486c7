"""Reports and CSV from a real recorded statement stream (pendulum-lab, a struggling learner)."""

from __future__ import annotations

import csv
import io
import uuid

from markupsafe import escape

from adaptivity.bkt import DEFAULT_PARAMS
from adaptivity.tutor import lesson_priors
from classroom.console.live import StudentProgress
from engine.model.loader import load_lesson
from tests.classroom.conftest import ConsoleHandle
from tests.classroom.console.recorded import STRUGGLING, WALKTHROUGH, facts, load


def test_report_and_csv_from_two_recorded_learners(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher)
    http = console.client()
    stations = [console.pair(info.code, f"PC-0{i}") for i in (1, 2)]
    assert teacher.post(f"/sessions/{info.session_id}/launch").status_code == 200
    for pairing, path in zip(stations, (STRUGGLING, WALKTHROUGH), strict=True):
        r = http.post(
            "/api/station/statements",
            json={"statements": load(path)},
            headers={"Authorization": f"Bearer {pairing['token']}"},
        )
        assert r.status_code == 200 and r.json()["duplicates"] == 0
    rows = list(
        csv.DictReader(
            io.StringIO(teacher.http.get(f"/sessions/{info.session_id}/report.csv").text)
        )
    )
    by_name = {row["learner"]: row for row in rows}
    # launch gave PC-01 the first learner by name (Ada), PC-02 the next (Alan)
    ada, alan, whole = by_name["Ada Lovelace"], by_name["Alan Turing"], by_name["CLASS (mean)"]
    assert (ada["learner_id"], ada["stations"]) == ("s01", "PC-01")
    # the struggling recording: hints (asked and proactive), wrong answers, adaptivity's alerts
    struggling, walk = facts(load(STRUGGLING)), facts(load(WALKTHROUGH))
    assert struggling.hints and struggling.errors and struggling.stuck_reasons
    assert struggling.gaming_reasons, "the recording no longer shows a gaming flag"
    for row, f in ((ada, struggling), (alan, walk)):
        assert (row["steps_completed"], row["hints"], row["errors"], row["answers"]) == (
            str(f.steps_completed),
            str(f.hints),
            str(f.errors),
            str(f.answers),
        )
        assert row["minutes"] == f"{f.seconds / 60:.2f}"
    assert ada["completed"] == "yes" and ada["passed"] == "yes"
    assert float(whole["hints"]) == (struggling.hints + walk.hints) / 2
    # mastery: the learner who kept getting g wrong gained less in that skill than the one
    # who got it right
    assert float(ada["mastery_gain:pendulum-period"]) < float(alan["mastery_gain:pendulum-period"])
    assert float(ada["mastery_gain:measurement"]) > 0
    # ... traced with the BKT parameters the lesson ships, not the defaults
    priors = lesson_priors(load_lesson("pendulum-lab").lesson)
    assert priors and priors["measurement"] != DEFAULT_PARAMS
    for row, path in ((ada, STRUGGLING), (alan, WALKTHROUGH)):
        shipped, default = StudentProgress(params=priors), StudentProgress()
        for stmt in load(path):
            shipped.add(stmt)
            default.add(stmt)
        for skill, gain in shipped.mastery_gained().items():
            assert row[f"mastery_gain:{skill}"] == f"{gain:+.3f}"
        assert shipped.mastery_gained() != default.mastery_gained()

    page = teacher.http.get(f"/sessions/{info.session_id}/report").text
    # the common wrong answers, with the learners' actual responses
    for response in struggling.wrong_responses:
        assert f"<td>{escape(response)}</td>" in page
    # adaptivity's alerts keep their reasons
    assert f"gaming</b>: {escape(struggling.gaming_reasons[0])}" in page
    assert f"stuck</b>: {escape(struggling.stuck_reasons[0])}" in page


def test_csv_cells_that_spreadsheets_would_run_are_defused(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher, learners=(("s01", "=HYPERLINK(1)"),))
    token = console.pair(info.code)["token"]
    teacher.post(f"/sessions/{info.session_id}/launch")
    stmt = load(WALKTHROUGH)[0]
    stmt["id"] = str(uuid.uuid4())
    console.client().post(
        "/api/station/statements",
        json={"statements": [stmt]},
        headers={"Authorization": f"Bearer {token}"},
    )
    text = teacher.http.get(f"/sessions/{info.session_id}/report.csv").text
    assert "'=HYPERLINK(1)" in text
