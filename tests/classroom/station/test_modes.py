"""Launch modes: a desktop window (on a virtual X display), and a headset that is not there."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.log.store import SessionStore
from tests.classroom.station.conftest import StartStation, wait_until
from tests.classroom.station.fake_console import FakeConsole


@pytest.fixture
def x_display() -> Iterator[str]:
    """A virtual X display (Xvfb) for the desktop rig's window."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is needed for the desktop-mode test (Debian package xvfb)"
    read, write = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    assert number, "Xvfb did not say which display it opened"
    yield f":{number}"
    proc.terminate()
    proc.wait()


def report(console: FakeConsole) -> dict:
    return console.last_report() or {}


def test_a_desktop_launch_opens_the_window_and_obeys_the_teacher(
    fake_console: FakeConsole, start_station: StartStation, x_display: str
) -> None:
    station = start_station(
        fake_console.url,
        fake_console.new_code(),
        headless=False,
        env={"DISPLAY": x_display},
        extra=("--size", "320x180"),
    )
    fake_console.issue(
        "launch",
        lesson_id="pendulum-lab",
        learner_id="dee",
        learner_name="Dee",
        settings={"text_scale": 1.3, "invert_y": True},
        mode="desktop",
    )
    wait_until(
        lambda: (
            report(fake_console).get("state") == "running"
            and (report(fake_console).get("lesson_time") or 0) > 0.5
        ),
        "the window's lesson to run",
        station,
    )
    assert "(desktop)" in station.output()
    # the learner's settings reached the rig (it reports what it uses)
    settings = [r["settings"] for r in fake_console.reports if r["settings"]]
    assert settings and settings[-1]["text_scale"] == 1.3 and settings[-1]["invert_y"] is True
    fake_console.issue("pause")
    paused = wait_until(
        lambda: next((r for r in fake_console.reports if r["state"] == "paused"), None),
        "a paused report",
        station,
    )
    seen = fake_console.report_count()
    wait_until(lambda: fake_console.report_count() >= seen + 2, "two more reports", station)
    assert {r["lesson_time"] for r in fake_console.reports[seen:]} == {paused["lesson_time"]}
    fake_console.issue("focus", entity="formula_card")
    fake_console.issue("resume")
    wait_until(
        lambda: (report(fake_console).get("lesson_time") or 0) > paused["lesson_time"],
        "lesson time to move on",
        station,
    )
    fake_console.issue("end")
    wait_until(lambda: report(fake_console).get("state") == "ended", "the end", station)
    assert station.proc.poll() is None
    ids = station.statement_ids()
    wait_until(lambda: fake_console.statement_ids() == ids, "every statement delivered", station)
    assert {"suspended", "resumed"} <= set(fake_console.verbs())
    with SessionStore(station.data / "sessions.sqlite") as store:
        (session,) = store.sessions()
        assert store.session(session).ended is None
    assert station.stop() == 0


def test_a_headset_launch_without_a_headset_says_so_and_the_station_stays_ready(
    fake_console: FakeConsole, start_station: StartStation, tmp_path: Path
) -> None:
    station = start_station(
        fake_console.url,
        fake_console.new_code(),
        headless=False,
        pace=12.0,
        env={"XR_RUNTIME_JSON": str(tmp_path / "no-runtime.json"), "DISPLAY": ""},
    )
    fake_console.issue(
        "launch", lesson_id="pendulum-lab", learner_id="eve", learner_name="Eve", mode="xr"
    )
    wait_until(
        lambda: "cannot run pendulum-lab: headset mode" in station.output(),
        "the station to say there is no headset",
        station,
    )
    wait_until(lambda: report(fake_console).get("state") == "idle", "an idle report", station)
    assert station.proc.poll() is None
    fake_console.issue(
        "launch", lesson_id="pendulum-lab", learner_id="eve", learner_name="Eve", mode="headless"
    )
    wait_until(lambda: "pendulum-lab: completed" in station.output(), "a headless run", station)
    assert station.stop() == 0
