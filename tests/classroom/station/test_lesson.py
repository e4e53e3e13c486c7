"""A station runs what the console launches, and obeys pause, resume, look-here and end."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from panda3d.core import PNMImage

from engine.log.store import SessionStore
from engine.log.validate import validate_statement
from engine.paths import LESSONS_DIR
from tests.classroom.station.conftest import StartStation, wait_until
from tests.classroom.station.fake_console import FakeConsole
from tools.pack import pack_lesson

LESSON = "pendulum-lab"
REMIX = "pendulum-remix"


def launch(
    console: FakeConsole, learner: str = "ada", lesson: str = LESSON, **settings: object
) -> int:
    return console.issue(
        "launch",
        lesson_id=lesson,
        learner_id=learner,
        learner_name=learner.title(),
        settings=settings,
        mode="headless",
    )


def remix_pack(tmp: Path) -> Path:
    """A pack of a lesson no station has: the pendulum lab under another id."""
    folder = tmp / "remix" / REMIX
    shutil.copytree(LESSONS_DIR / LESSON, folder)
    text = (folder / "lesson.yaml").read_text(encoding="utf-8")
    (folder / "lesson.yaml").write_text(text.replace(f"id: {LESSON}", f"id: {REMIX}", 1))
    return pack_lesson(folder, tmp / f"{REMIX}.lessonpack")


def test_a_launched_lesson_comes_from_the_console_runs_to_completion_and_every_statement_arrives(
    fake_console: FakeConsole, start_station: StartStation, tmp_path: Path
) -> None:
    fake_console.packs[REMIX] = remix_pack(tmp_path)
    station = start_station(fake_console.url, fake_console.new_code(), pace=12.0)
    wait_until(lambda: fake_console.report_count(), "the first status report", station)
    assert fake_console.last_report()["state"] == "idle"
    launch(fake_console, lesson=REMIX, text_scale=1.4, comfort_vignette=True)
    wait_until(
        lambda: (fake_console.last_report() or {}).get("state") == "ended",
        "the lesson to end",
        station,
    )
    ids = station.statement_ids()
    wait_until(lambda: fake_console.statement_ids() >= ids, "every statement delivered", station)
    assert fake_console.statement_ids() == ids
    assert set(fake_console.receipts.values()) == {1}
    verbs = fake_console.verbs()
    assert verbs[0] == "initialized"
    assert "completed" in verbs and "passed" in verbs
    for stmt in fake_console.statements.values():
        assert validate_statement(stmt) == [], stmt
    reports = fake_console.reports
    running = [r for r in reports if r["state"] == "running"]
    assert running and all(r["lesson_id"] == REMIX and r["learner_id"] == "ada" for r in running)
    # installed from the console's pack, checked by the engine's pack code
    assert (station.data / "lessons" / REMIX / "lesson.yaml").is_file()
    # the learner's settings come back with the report, the unknown ones untouched
    sent = [r["settings"] for r in reports if r["settings"]]
    assert sent and sent[0]["text_scale"] == 1.4 and sent[0]["comfort_vignette"] is True
    assert station.stop() == 0


def magenta_pixels(path: Path) -> int:
    """How many pixels of a still are the "look here" arrow's magenta."""
    image = PNMImage()
    assert image.read(str(path)), f"cannot read {path}"
    w, h = image.get_x_size(), image.get_y_size()
    rgb = np.array([[tuple(image.get_xel(x, y)) for x in range(w)] for y in range(h)])
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 0.8) & (g < 0.25) & (b > 0.6)).sum())


def test_pause_freezes_lesson_time_look_here_shows_an_arrow_resume_continues_end_stops(
    fake_console: FakeConsole, start_station: StartStation, tmp_path: Path
) -> None:
    stills = tmp_path / "stills"
    station = start_station(
        fake_console.url, fake_console.new_code(), pace=3.0, extra=("--snapshots", str(stills))
    )
    launch(fake_console)
    # the scripted learner is in the first long wait (timing ten swings)
    wait_until(
        lambda: ((fake_console.last_report() or {}).get("lesson_time") or 0) >= 4.0,
        "the lesson to run for 4 s",
        station,
    )
    pause = fake_console.issue("pause")
    paused = wait_until(
        lambda: next((r for r in fake_console.reports if r["state"] == "paused"), None),
        "a paused report",
        station,
    )
    frozen = paused["lesson_time"]
    seen = fake_console.report_count()
    wait_until(lambda: fake_console.report_count() >= seen + 3, "three more reports", station)
    while_paused = [r for r in fake_console.reports if r["state"] == "paused"]
    assert len(while_paused) >= 3
    assert {r["lesson_time"] for r in while_paused} == {frozen}
    wait_until(lambda: "suspended" in fake_console.verbs(), "the suspended statement", station)

    # look here: at the formula card, up and to the right of where the learner looks
    unknown = fake_console.issue("focus", entity="no_such_entity")
    focus = fake_console.issue("focus", entity="formula_card")
    focus_still = stills / f"{focus:04d}-focus.png"
    wait_until(focus_still.is_file, "the still after look-here", station)
    assert (stills / f"{unknown:04d}-focus.png").is_file()  # an unknown entity changes nothing
    assert magenta_pixels(stills / f"{pause:04d}-pause.png") == 0
    assert magenta_pixels(stills / f"{unknown:04d}-focus.png") == 0
    assert magenta_pixels(focus_still) > 20

    fake_console.issue("resume")
    wait_until(
        lambda: any(
            r["state"] == "running" and r["lesson_time"] > frozen
            for r in fake_console.reports[seen:]
        ),
        "lesson time to move on after resume",
        station,
    )
    assert "resumed" in fake_console.verbs()

    fake_console.issue("end")
    wait_until(
        lambda: (fake_console.last_report() or {}).get("state") == "ended",
        "the ended report",
        station,
    )
    assert station.proc.poll() is None  # the station waits for the next launch
    ids = station.statement_ids()
    wait_until(lambda: fake_console.statement_ids() == ids, "every statement delivered", station)
    # ended before the end: no lesson result, and no "terminated" (the session stays open)
    assert not {"passed", "failed", "terminated"} & set(fake_console.verbs())
    # the session is kept on the station, unfinished, so the learner can carry on later
    with SessionStore(station.data / "sessions.sqlite") as store:
        (session,) = store.sessions()
        info = store.session(session)
        assert info.lesson == LESSON and info.ended is None
        assert {s["id"] for s in store.statements(session)} == ids
    assert "the teacher ended the lesson" in station.output()
    assert station.stop() == 0


def test_a_new_launch_during_a_lesson_leaves_that_lesson_resumable_and_starts_the_new_one(
    fake_console: FakeConsole, start_station: StartStation
) -> None:
    station = start_station(fake_console.url, fake_console.new_code(), pace=3.0)
    launch(fake_console, learner="ada")
    wait_until(
        lambda: ((fake_console.last_report() or {}).get("lesson_time") or 0) > 1.0,
        "ada's lesson to run",
        station,
    )
    launch(fake_console, learner="bob")
    wait_until(
        lambda: (
            (fake_console.last_report() or {}).get("learner_id") == "bob"
            and fake_console.last_report()["state"] == "running"
        ),
        "bob's lesson to run",
        station,
    )
    fake_console.issue("end")
    wait_until(
        lambda: (fake_console.last_report() or {}).get("state") == "ended", "the end", station
    )
    assert "the teacher launched another lesson" in station.output()
    with SessionStore(station.data / "sessions.sqlite") as store:
        sessions = [store.session(s) for s in store.sessions()]
    assert [s.meta["learner_name"] for s in sessions] == ["ada", "bob"]
    assert all(s.ended is None for s in sessions)
    assert station.stop() == 0
