"""Each statement reaches a real LRS (Ralph on loopback) once, even those sent while it is down."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.paths import LESSONS_DIR
from tests.classroom.conftest import ConsoleFactory, free_port
from tools.ralph import RalphServer, default_venv, missing_ralph_message, ralph_executable

RECORDINGS = [
    LESSONS_DIR / "pendulum-lab" / "recordings" / "struggling.jsonl",
    LESSONS_DIR / "pendulum-lab" / "recordings" / "walkthrough.jsonl",
    LESSONS_DIR / "titration-lab" / "recordings" / "walkthrough.jsonl",
]
USER = "console"
LIFE_1, LIFE_2 = "before-outage.jsonl", "after-outage.jsonl"


class RestartableRalph(RalphServer):
    """Ralph that can stop and come back on the same port, one store file per life.

    Ralph 5's file backend writes each POST as a whole new file and refuses a second POST to
    the same file (500). A console posts one batch per wake-up, so each life of this server
    gets a file of its own (``lrs_file``) and the test reads every life's statements back.
    The user has no fixed target, so that file sits in the data folder.
    """

    def __init__(self, *args: Any, lrs_file: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lrs_file = lrs_file

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env["RALPH_BACKENDS__LRS__FS__DEFAULT_LRS_FILE"] = self.lrs_file
        return env

    def _start(self) -> None:
        app = self.workdir / "app"
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        if not (app / "auth.json").is_file():
            app.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    str(self.ralph),
                    "auth",
                    "-u",
                    USER,
                    "-p",
                    self.password,
                    "-s",
                    "all",
                    "-M",
                    f"mailto:{USER}@example.org",
                    "-w",
                ],
                env=self._env(),
                cwd=self.workdir,
                check=True,
                capture_output=True,
                timeout=120,
            )
        cmd = [
            str(self.ralph),
            "runserver",
            "-b",
            "fs",
            "--fs-default-directory-path",
            str(self.workdir / "data"),
            "-h",
            self.host,
            "-p",
            str(self.port),
        ]
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                cmd,
                env=self._env(),
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"ralph runserver exited early:\n{self._log_tail()}")
            if self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError(f"ralph did not answer:\n{self._log_tail()}")


def eventually(
    check: Callable[[], bool], what: str | Callable[[], str], limit: float = 60.0
) -> None:
    """Wait until ``check()`` holds; the limit only keeps a broken run from hanging."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what() if callable(what) else what}")
        time.sleep(0.1)


def outbox(db: Path) -> tuple[int, int]:
    """(queued statements, delivery attempts) in the console's database."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT count(*), coalesce(sum(attempts), 0) FROM lrs_outbox").fetchone()
    return int(row[0]), int(row[1])


def last_error(db: Path) -> str:
    """The outbox's latest delivery error (for failure messages)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT last_error FROM lrs_outbox WHERE last_error != '' LIMIT 1"
        ).fetchone()
    return str(row[0]) if row else ""


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_statements_queued_while_the_lrs_is_down_arrive_once(
    console_factory: ConsoleFactory, tmp_path: Path
) -> None:
    ralph = ralph_executable(default_venv())
    if not ralph.exists():
        pytest.fail(missing_ralph_message(default_venv()), pytrace=False)
    port = free_port()
    workdir = tmp_path / "ralph"
    lrs = RestartableRalph(
        ralph, workdir=workdir, users=(USER,), port=port, lrs_file=LIFE_1
    ).__enter__()
    try:
        console = console_factory(
            lrs_url=f"http://127.0.0.1:{port}/xAPI",
            lrs_user=USER,
            lrs_password=lrs.password,
            lrs_retry_seconds=0.2,
        )
        db = console.settings.data_dir / "console.sqlite"
        teacher = console.teacher()
        info = console.class_session(teacher)
        http = console.client()
        tokens = [console.pair(info.code, f"PC-{i}")["token"] for i in range(3)]
        batches = [load(p) for p in RECORDINGS]

        def send(i: int) -> dict[str, int]:
            r = http.post(
                "/api/station/statements",
                json={"statements": batches[i]},
                headers={"Authorization": f"Bearer {tokens[i]}"},
            )
            assert r.status_code == 200, r.text
            return dict(r.json())

        # while the LRS is up, statements go straight through
        assert send(0)["stored"] == len(batches[0])
        eventually(lambda: outbox(db)[0] == 0, "the first batch delivered")
        stored = lrs.get_statements(user=USER)
        assert len(stored) == len(batches[0])

        # the LRS goes down: new statements wait in the outbox, and the console keeps trying
        lrs.__exit__(None, None, None)
        assert send(1)["stored"] == len(batches[1])
        assert send(2)["stored"] == len(batches[2])
        assert send(0) == {"stored": 0, "duplicates": len(batches[0])}  # a station's retry
        eventually(lambda: outbox(db)[1] >= 2, "delivery attempts while the LRS is down")
        assert outbox(db)[0] == len(batches[1]) + len(batches[2])

        # it comes back (same store, same port): the queue drains
        lrs = RestartableRalph(
            ralph, workdir=workdir, users=(USER,), port=port, lrs_file=LIFE_2
        ).__enter__()
        eventually(
            lambda: outbox(db)[0] == 0,
            lambda: f"the queued statements delivered (last error: {last_error(db)})",
        )
        stored += lrs.get_statements(user=USER)
    finally:
        lrs.__exit__(None, None, None)
    counts = Counter(s["id"] for s in stored)
    expected = {s["id"] for batch in batches for s in batch}
    assert set(counts) == expected
    assert max(counts.values()) == 1  # none twice
    # what the LRS holds is what the stations sent
    sent = {s["id"]: s for batch in batches for s in batch}
    sample = next(s for s in stored if s["verb"]["id"].endswith("/answered"))
    assert sample["result"]["response"] == sent[sample["id"]]["result"]["response"]
