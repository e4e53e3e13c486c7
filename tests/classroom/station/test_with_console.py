"""A station against the real teacher console (``classroom.console``), end to end."""

from __future__ import annotations

import sqlite3

from tests.classroom.conftest import ConsoleHandle
from tests.classroom.station.conftest import StartStation, wait_until


def console_statement_ids(console: ConsoleHandle, class_session_id: str) -> set[str]:
    """Statement ids the console stored for a class session (read from its database)."""
    db = sqlite3.connect(console.settings.data_dir / "console.sqlite", timeout=30.0)
    try:
        rows = db.execute(
            "SELECT id FROM statements WHERE class_session_id = ?", (class_session_id,)
        ).fetchall()
    finally:
        db.close()
    return {str(r[0]) for r in rows}


def test_a_station_pairs_with_the_console_and_delivers_a_launched_lesson(
    console: ConsoleHandle, start_station: StartStation
) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher, learners=(("s01", "Ada Lovelace"),), mode="headless")
    station = start_station(console.url, info.code, pace=12.0)
    wait_until(lambda: "ready" in station.output(), "the station to pair", station)
    answer = teacher.post(f"/sessions/{info.session_id}/launch")
    assert answer.status_code == 200, answer.text
    wait_until(
        lambda: "pendulum-lab: completed" in station.output(), "the lesson to complete", station
    )
    # the lesson came from the console's library as a pack
    assert (station.data / "lessons" / "pendulum-lab" / "lesson.yaml").is_file()
    ids = station.statement_ids()
    wait_until(
        lambda: console_statement_ids(console, info.session_id) == ids,
        "every statement on the console",
        station,
    )
    assert station.outbox_pending() == 0
    assert station.stop() == 0
