"""Statements reach the console exactly once, whatever happens to the console or the station."""

from __future__ import annotations

from tests.classroom.station.conftest import StartStation, wait_until
from tests.classroom.station.fake_console import FakeConsole


def launch(console: FakeConsole) -> int:
    return console.issue(
        "launch", lesson_id="pendulum-lab", learner_id="ben", learner_name="Ben", mode="headless"
    )


def verbs_on_station(statements: list[dict]) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]


def test_console_down_mid_lesson_statements_queue_and_arrive_exactly_once_when_it_returns(
    fake_console: FakeConsole, start_station: StartStation
) -> None:
    station = start_station(fake_console.url, fake_console.new_code(), pace=4.0)
    launch(fake_console)
    wait_until(lambda: len(fake_console.statement_ids()) >= 3, "the first statements", station)
    fake_console.stop()
    # the lesson goes on to its end with nobody listening; its statements wait on disk.
    # "terminated" is the session's last statement ("passed" comes before it, in its own
    # commit): waiting for less would race the snapshot below against the session's end
    wait_until(
        lambda: "terminated" in verbs_on_station(station.statements()),
        "the lesson to complete while the console is down",
        station,
    )
    ids = station.statement_ids()
    missing = ids - fake_console.statement_ids()
    assert missing, "some statements must have been made while the console was down"
    wait_until(
        lambda: station.outbox_pending() >= len(missing),
        "the unsent statements in the outbox",
        station,
    )
    assert station.proc.poll() is None
    fake_console.start()
    wait_until(lambda: fake_console.statement_ids() == ids, "every statement delivered", station)
    assert all(count == 1 for count in fake_console.receipts.values()), fake_console.receipts
    wait_until(lambda: station.outbox_pending() == 0, "an empty outbox", station)
    assert station.stop() == 0


def test_station_killed_mid_lesson_keeps_its_outbox_and_delivers_it_on_restart(
    fake_console: FakeConsole, start_station: StartStation
) -> None:
    station = start_station(fake_console.url, fake_console.new_code(), pace=4.0)
    launch(fake_console)
    wait_until(lambda: len(fake_console.statement_ids()) >= 3, "the first statements", station)
    fake_console.stop()
    wait_until(lambda: station.outbox_pending() >= 3, "statements queued in the outbox", station)
    station.proc.kill()
    station.proc.wait()
    before = station.statement_ids()
    assert station.outbox_pending() >= 3
    assert not before <= fake_console.statement_ids()

    fake_console.start()
    # no code this time: the station uses the token it stored
    again = start_station(fake_console.url, None, pace=8.0)
    wait_until(
        lambda: fake_console.statement_ids() >= before,
        "the killed run's statements delivered",
        again,
    )
    # it carries on with the lesson it was in (a scripted learner starts over, in a new session)
    wait_until(
        lambda: (fake_console.last_report() or {}).get("state") == "ended",
        "the lesson to end after the restart",
        again,
    )
    assert "continuing pendulum-lab after a restart" in again.output()
    ids = again.statement_ids()
    assert before < ids
    wait_until(lambda: fake_console.statement_ids() == ids, "every statement delivered", again)
    assert all(count == 1 for count in fake_console.receipts.values()), fake_console.receipts
    assert again.stop() == 0
