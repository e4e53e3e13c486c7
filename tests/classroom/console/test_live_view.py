"""The live class view: SSE rows update from statements and status; the controls reach stations."""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from markupsafe import escape

from classroom.protocol import CommandsResponse
from engine.paths import LESSONS_DIR
from tests.classroom.conftest import ConsoleFactory, ConsoleHandle, TeacherClient
from tests.classroom.console.recorded import EXT, STRUGGLING, facts

ATHENS = LESSONS_DIR / "athenian-agora" / "recordings" / "walkthrough.jsonl"


@contextmanager
def sse_events(teacher: TeacherClient, session_id: str) -> Iterator[queue.Queue[tuple[str, str]]]:
    """A background reader of the live view's event stream: (event, data) pairs."""
    events: queue.Queue[tuple[str, str]] = queue.Queue()
    stop = threading.Event()
    connected = threading.Event()
    cookies = dict(teacher.http.cookies)
    base = str(teacher.http.base_url)

    def read() -> None:
        try:
            _read()
        except httpx.HTTPError:
            if not stop.is_set():
                raise
            # the console shut down under a finished test: the stream ends here

    def _read() -> None:
        with (
            httpx.Client(base_url=base, cookies=cookies, timeout=None) as c,
            c.stream("GET", f"/sessions/{session_id}/events") as r,
        ):
            event, data = "", []
            for line in r.iter_lines():
                if stop.is_set():
                    return
                if line.startswith(": connected"):
                    connected.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and event:
                    events.put((event, "\n".join(data)))
                    event, data = "", []

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert connected.wait(30), "the event stream did not open"
    try:
        yield events
    finally:
        stop.set()


def wait_for(events: queue.Queue[tuple[str, str]], event: str, pattern: str) -> str:
    """The first event called ``event`` whose data matches ``pattern`` (a 60 s safety net)."""
    while True:
        name, data = events.get(timeout=60)
        if name == event and re.search(pattern, data, re.S):
            return data


def load(path: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_rows_follow_statements_and_status(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher)
    pairing = console.pair(info.code, "PC-01")
    auth = {"Authorization": f"Bearer {pairing['token']}"}
    http = console.client()
    teacher.post(f"/sessions/{info.session_id}/launch")
    stmts = load(STRUGGLING)
    everything = facts(stmts)
    # the first proactive hint: where the view first shows an alert
    first_hint = next(i for i, s in enumerate(stmts) if "/hints/" in s["object"]["id"]) + 1
    early = facts(stmts[:first_hint])
    assert early.stuck_reasons and everything.gaming_reasons
    with sse_events(teacher, info.session_id) as events:
        event = f"station-{pairing['station_id']}"
        # up to the first proactive hint: the step, one hint, the "stuck" alert with its reason
        http.post("/api/station/statements", json={"statements": stmts[:first_hint]}, headers=auth)
        row = wait_for(events, event, rf'data-statements="{first_hint}"')
        first_step = stmts[1]["context"]["extensions"][EXT + "step"]
        assert f'<td class="step">{first_step}</td>' in row
        assert '<td class="hints">1</td>' in row
        assert f"stuck</b>: {escape(early.stuck_reasons[0])}" in row
        assert "Ada Lovelace" in row
        # the rest: mastery per skill, the gaming flag with its reason
        http.post("/api/station/statements", json={"statements": stmts[first_hint:]}, headers=auth)
        row = wait_for(events, event, rf'data-statements="{len(stmts)}"')
        assert re.search(r"pendulum-period \d+%", row)
        assert f"gaming</b>: {escape(everything.gaming_reasons[0])}" in row
        assert f'<td class="steps-done">{everything.steps_completed}</td>' in row
        # status: state and where the learner looks (guide mode)
        status = {
            "state": "paused",
            "step": "explain",
            "gaze": {"entity": "bob", "yaw": 10, "pitch": -5},
        }
        assert http.post("/api/station/status", json=status, headers=auth).status_code == 204
        row = wait_for(events, event, r'data-state="paused"')
        assert '<td class="gaze">bob</td>' in row
        # a new station makes the table reload
        console.pair(info.code, "PC-02")
        wait_for(events, "roster", "changed")
    page = teacher.http.get(f"/sessions/{info.session_id}/stations").text
    assert "PC-01" in page and "PC-02" in page


def test_controls_become_commands_and_end_closes_the_session(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher, lesson_id="athenian-agora")
    pairing = console.pair(info.code)
    auth = {"Authorization": f"Bearer {pairing['token']}"}
    sid = info.session_id
    page = teacher.http.get(f"/sessions/{sid}").text
    assert 'option value="stoa"' in page  # the lesson's points of interest
    teacher.post(f"/sessions/{sid}/launch")
    teacher.post(f"/sessions/{sid}/command/pause")
    teacher.post(f"/sessions/{sid}/command/resume")
    assert teacher.post(f"/sessions/{sid}/command/focus", {"entity": "stoa"}).status_code == 200
    bad = teacher.post(f"/sessions/{sid}/command/focus", {"entity": "../../etc"})
    assert bad.status_code == 422
    assert teacher.post(f"/sessions/{sid}/command/dance").status_code == 404
    assert teacher.post(f"/sessions/{sid}/command/end").status_code == 200
    got = CommandsResponse.model_validate(
        console.client()
        .get("/api/station/commands", params={"after": 0, "wait": 0}, headers=auth)
        .json()
    )
    assert [c.kind for c in got.commands] == ["launch", "pause", "resume", "focus", "end"]
    assert [c.seq for c in got.commands] == sorted(c.seq for c in got.commands)
    focus = got.commands[3]
    assert focus.kind == "focus" and focus.entity == "stoa"
    # ended: no more controls, pairing closed, but queued statements still come in
    assert teacher.post(f"/sessions/{sid}/command/pause").status_code == 409
    r = console.client().post("/api/station/pair", json={"code": info.code, "station_name": "late"})
    assert r.status_code == 403
    stmts = load(ATHENS)
    r = console.client().post("/api/station/statements", json={"statements": stmts}, headers=auth)
    assert r.json() == {"stored": len(stmts), "duplicates": 0}


def test_learner_settings_go_with_launches_and_come_back_from_stations(
    console: ConsoleHandle,
) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher, learners=(("s01", "Ada Lovelace"),))
    class_page = teacher.http.get(f"/classes/{info.class_id}").text
    learner_id = re.search(r'href="/learners/([0-9a-f-]+)"', class_page)
    assert learner_id
    r = teacher.post(
        f"/learners/{learner_id.group(1)}/settings", {"settings": '{"snap_turn": true}'}
    )
    assert r.status_code == 200
    assert (
        teacher.post(f"/learners/{learner_id.group(1)}/settings", {"settings": "[1]"}).status_code
        == 422
    )
    first = console.pair(info.code, "PC-01")
    teacher.post(f"/sessions/{info.session_id}/launch")
    http = console.client()
    auth = {"Authorization": f"Bearer {first['token']}"}
    got = http.get("/api/station/commands", params={"wait": 0}, headers=auth).json()["commands"]
    assert got[0]["settings"] == {"snap_turn": True}
    # the learner changes a setting on that station ...
    status = {"state": "running", "settings": {"snap_turn": False, "vignette": 0.6}}
    assert http.post("/api/station/status", json=status, headers=auth).status_code == 204
    # ... and the next class session launches them with it, wherever they sit
    session2, code2 = teacher.open_session(info.class_id)
    second = console.pair(code2, "PC-09")
    teacher.post(f"/sessions/{session2}/launch")
    got = http.get(
        "/api/station/commands",
        params={"wait": 0},
        headers={"Authorization": f"Bearer {second['token']}"},
    ).json()["commands"]
    assert got[0]["settings"] == {"snap_turn": False, "vignette": 0.6}
    assert got[0]["learner_name"] == "Ada Lovelace"


def test_a_restarted_console_shows_the_same_live_view(console_factory: ConsoleFactory) -> None:
    first = console_factory()
    teacher = first.teacher()
    info = first.class_session(teacher)
    pairing = first.pair(info.code, "PC-01")
    teacher.post(f"/sessions/{info.session_id}/launch")
    stmts = load(STRUGGLING)
    auth = {"Authorization": f"Bearer {pairing['token']}"}
    first.client().post("/api/station/statements", json={"statements": stmts}, headers=auth)
    # a second console on the same data folder: the view is rebuilt from the stored statements
    second = console_factory(data_dir=first.settings.data_dir)
    page = second.teacher().http.get(f"/sessions/{info.session_id}/stations").text
    assert f'data-statements="{len(stmts)}"' in page
    f = facts(stmts)
    assert f'<td class="steps-done">{f.steps_completed}</td>' in page
    assert f'<td class="hints">{f.hints}</td>' in page
    # and its token still works there, duplicates still recognised
    again = second.client().post(
        "/api/station/statements", json={"statements": stmts}, headers=auth
    )
    assert again.json() == {"stored": 0, "duplicates": len(stmts)}
