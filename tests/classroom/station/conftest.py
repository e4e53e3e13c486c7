"""Fixtures for the station tests: a console test double on loopback, and real station
processes (``lesson station``) with their data, settings and caches inside the test's folder.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.log.store import SessionStore
from engine.paths import LESSONS_DIR, REPO_ROOT
from tests.classroom.station.fake_console import FakeConsole

WALKTHROUGH = LESSONS_DIR / "pendulum-lab" / "scripts" / "walkthrough.yaml"
#: generous: a loaded CI machine renders slowly; a wait that runs out is a failure, not a skip
WAIT_SECONDS = 240.0


@pytest.fixture
def fake_console() -> Iterator[FakeConsole]:
    """The console's station API, listening on loopback."""
    console = FakeConsole()
    console.start()
    yield console
    console.stop()


@dataclass
class Station:
    """A running ``lesson station`` process."""

    proc: subprocess.Popen[bytes]
    data: Path
    log: Path

    def output(self) -> str:
        """What it printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def statements(self) -> list[dict[str, Any]]:
        """Every statement in the station's own session log."""
        path = self.data / "sessions.sqlite"
        if not path.is_file():
            return []
        with SessionStore(path) as store:
            return [s for sid in store.sessions() for s in store.statements(sid)]

    def statement_ids(self) -> set[str]:
        """Ids of the statements in the station's session log."""
        return {str(s["id"]) for s in self.statements()}

    def outbox_pending(self) -> int:
        """Statements waiting in the outbox (read straight from its file)."""
        path = self.data / "outbox.sqlite"
        if not path.is_file():
            return 0
        db = sqlite3.connect(path, timeout=30.0)
        try:
            return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        finally:
            db.close()

    def stop(self) -> int:
        """Ask it to stop (SIGTERM) and wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=WAIT_SECONDS)


StartStation = Callable[..., Station]


@pytest.fixture
def start_station(tmp_path: Path) -> Iterator[StartStation]:
    """Start a real station process: ``start_station(console_url, code, name=..., pace=...)``.

    It is headless with the pendulum walkthrough as its learner script unless ``headless`` is
    False (then the script serves launches whose mode is ``headless``); ``wrapper`` goes before
    the command (``xvfb-run``), ``env`` adds to its environment.
    """
    started: list[Station] = []

    def start(
        console: str,
        code: str | None,
        *,
        name: str = "PC-01",
        pace: float = 6.0,
        headless: bool = True,
        extra: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        wrapper: tuple[str, ...] = (),
    ) -> Station:
        data = tmp_path / name / "data"
        log = tmp_path / name / f"station-{len(started)}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        environ = {
            **os.environ,
            "XDG_DATA_HOME": str(tmp_path / name / "xdg-data"),
            "XDG_CONFIG_HOME": str(tmp_path / name / "xdg-config"),
            "XDG_CACHE_HOME": str(tmp_path / name / "xdg-cache"),
            **(env or {}),
        }
        args = ["station", "--console", console, "--name", name, "--data", str(data)]
        if code is not None:
            args += ["--code", code]
        if headless:
            args.append("--headless")
        args += ["--script", str(WALKTHROUGH), "--pace", str(pace)]
        args += ["--size", "320x180", *extra]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*wrapper, sys.executable, "-m", "tools.cli", *args],
                cwd=REPO_ROOT,
                env=environ,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        station = Station(proc, data, log)
        started.append(station)
        return station

    yield start
    for station in started:
        if station.proc.poll() is None:
            station.proc.kill()
            station.proc.wait()


def wait_until(condition: Callable[[], Any], what: str, station: Station | None = None) -> Any:
    """Poll ``condition`` until it is truthy and return its value; fail (saying ``what``, and
    what the station printed) if it never is, or if the station exits first."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = condition()
        if value:
            return value
        if station is not None and station.proc.poll() is not None:
            value = condition()
            if value:
                return value
            pytest.fail(
                f"the station exited ({station.proc.returncode}) before {what}:\n{station.output()}"
            )
        if time.monotonic() > deadline:
            extra = f"\n{station.output()}" if station is not None else ""
            pytest.fail(f"gave up waiting for {what}{extra}")
        time.sleep(0.05)
