"""Pairing with the console's one-time code, several stations on one PC, revoked tokens."""

from __future__ import annotations

import json
import stat

from engine.log.store import SessionStore
from tests.classroom.station.conftest import StartStation, wait_until
from tests.classroom.station.fake_console import FakeConsole


def test_a_station_pairs_with_a_one_time_code_and_keeps_its_token_private(
    fake_console: FakeConsole, start_station: StartStation
) -> None:
    malformed = start_station(fake_console.url, "12ab")
    assert malformed.proc.wait(timeout=120) == 1
    assert "6 digits" in malformed.output()
    code = fake_console.new_code()
    wrong = start_station(fake_console.url, f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.proc.wait(timeout=120) == 1
    assert "pairing failed" in wrong.output() and "403" in wrong.output()

    first = start_station(fake_console.url, code, name="PC-01")
    wait_until(lambda: fake_console.reporters["PC-01"], "PC-01's first report", first)
    creds = first.data / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    token = json.loads(creds.read_text())["token"]
    assert token in fake_console.tokens

    # the same code does not pair a second station
    reused = start_station(fake_console.url, code, name="PC-02")
    assert reused.proc.wait(timeout=120) == 1
    assert "pairing failed" in reused.output()

    # a second station on the same PC, with its own name, data and code, runs beside the first
    second = start_station(fake_console.url, fake_console.new_code(), name="PC-03")
    wait_until(lambda: fake_console.reporters["PC-03"], "PC-03's first report", second)
    assert first.proc.poll() is None
    assert len(fake_console.tokens) == 2
    assert first.stop() == 0 and second.stop() == 0

    # restarted without a code, a station uses its stored token
    again = start_station(fake_console.url, None, name="PC-01")
    seen = fake_console.reporters["PC-01"]
    wait_until(
        lambda: fake_console.reporters["PC-01"] > seen, "a report with the stored token", again
    )
    assert again.stop() == 0


def test_a_revoked_token_stops_the_station_and_it_says_so(
    fake_console: FakeConsole, start_station: StartStation
) -> None:
    station = start_station(fake_console.url, fake_console.new_code(), pace=2.0)
    fake_console.issue(
        "launch", lesson_id="pendulum-lab", learner_id="cy", learner_name="Cy", mode="headless"
    )
    wait_until(
        lambda: (fake_console.last_report() or {}).get("state") == "running",
        "the lesson to run",
        station,
    )
    fake_console.revoke_all()
    assert station.proc.wait(timeout=120) == 3
    assert "revoked" in station.output()
    assert not (station.data / "credentials.json").exists()
    # the lesson was stopped cleanly: its session is kept, resumable, in the station's log
    with SessionStore(station.data / "sessions.sqlite") as store:
        (session,) = store.sessions()
        assert store.session(session).ended is None and store.statements(session)
    # without a new code it cannot start again
    again = start_station(fake_console.url, None)
    assert again.proc.wait(timeout=120) == 1
    assert "not paired" in again.output()
