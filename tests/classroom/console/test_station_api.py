"""The station API: pairing, tokens, long polls, idempotent ingest, validation, packs."""

from __future__ import annotations

import concurrent.futures
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

from classroom.console.settings import RateLimit
from classroom.protocol import CommandsResponse, StatementsResponse
from engine.paths import LESSONS_DIR
from tests.classroom.conftest import ConsoleFactory, ConsoleHandle
from tests.classroom.console.recorded import facts

RECORDING = LESSONS_DIR / "pendulum-lab" / "recordings" / "struggling.jsonl"


def recorded(path: Path = RECORDING) -> list[dict[str, Any]]:
    """A real recorded statement stream."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_pairing_gives_a_token_for_that_class_session_only(console: ConsoleHandle) -> None:
    info = console.class_session()
    pairing = console.pair(info.code, "PC-07")
    assert pairing["class_session_id"] == info.session_id
    assert pairing["class_name"] == "7B"
    http = console.client()
    assert (
        http.post(
            "/api/station/pair",
            json={"code": "000000" if info.code != "000000" else "111111", "station_name": "x"},
        ).status_code
        == 403
    )
    assert (
        http.post("/api/station/pair", json={"code": "12ab56", "station_name": "x"}).status_code
        == 422
    )


def test_pairing_is_rate_limited(console_factory: ConsoleFactory) -> None:
    console = console_factory(pairing_limit=RateLimit(5, 60.0))
    info = console.class_session()
    http = console.client()
    wrong = "000000" if info.code != "000000" else "111111"
    statuses = [
        http.post("/api/station/pair", json={"code": wrong, "station_name": "x"}).status_code
        for _ in range(6)
    ]
    assert statuses == [403] * 5 + [429]
    # the right code is refused too while the address is over its limit
    r = http.post("/api/station/pair", json={"code": info.code, "station_name": "x"})
    assert r.status_code == 429


def test_another_class_sessions_token_sees_nothing_of_this_one(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    a = console.class_session(teacher)
    b = console.class_session(teacher)
    token_a = console.pair(a.code, "A-1")["token"]
    token_b = console.pair(b.code, "B-1")["token"]
    assert teacher.post(f"/sessions/{b.session_id}/command/pause").status_code == 200
    http = console.client()
    seen_a = CommandsResponse.model_validate(
        http.get(
            "/api/station/commands", params={"after": 0, "wait": 0}, headers=bearer(token_a)
        ).json()
    )
    seen_b = CommandsResponse.model_validate(
        http.get(
            "/api/station/commands", params={"after": 0, "wait": 0}, headers=bearer(token_b)
        ).json()
    )
    assert seen_a.commands == []
    assert [c.kind for c in seen_b.commands] == ["pause"]
    # statements sent with A's token land in A's session, never in B's report
    stmts = recorded()
    r = http.post("/api/station/statements", json={"statements": stmts}, headers=bearer(token_a))
    assert r.status_code == 200
    csv_b = teacher.http.get(f"/sessions/{b.session_id}/report.csv").text
    assert len(csv_b.strip().splitlines()) == 2  # header and the class row: no learner
    csv_a = teacher.http.get(f"/sessions/{a.session_id}/report.csv").text
    assert len(csv_a.strip().splitlines()) == 3


def test_missing_wrong_and_revoked_tokens_get_401(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher)
    pairing = console.pair(info.code)
    http = console.client()
    status = {"state": "idle"}
    assert http.post("/api/station/status", json=status).status_code == 401
    assert (
        http.post("/api/station/status", json=status, headers=bearer("forged")).status_code == 401
    )
    assert (
        http.post(
            "/api/station/status", json=status, headers={"Authorization": "Basic abc"}
        ).status_code
        == 401
    )
    assert (
        http.post("/api/station/status", json=status, headers=bearer(pairing["token"])).status_code
        == 204
    )
    r = teacher.post(f"/sessions/{info.session_id}/stations/{pairing['station_id']}/revoke")
    assert r.status_code == 200
    for method, path, body in (
        ("POST", "/api/station/status", status),
        ("POST", "/api/station/statements", {"statements": []}),
        ("GET", "/api/station/commands?wait=0", None),
        ("GET", "/api/station/lessons/pendulum-lab.lessonpack", None),
    ):
        r = http.request(method, path, json=body, headers=bearer(pairing["token"]))
        assert r.status_code == 401, path
        assert "token" in r.json()["detail"]


def test_a_long_poll_returns_as_soon_as_a_command_is_issued(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher)
    token = console.pair(info.code)["token"]
    http = console.client()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        poll = pool.submit(
            http.get,
            "/api/station/commands",
            params={"after": 0, "wait": 30},
            headers=bearer(token),
        )
        assert teacher.post(f"/sessions/{info.session_id}/launch").status_code == 200
        answer = CommandsResponse.model_validate(poll.result(timeout=60).json())
    assert [c.kind for c in answer.commands] == ["launch"]
    launch = answer.commands[0]
    assert (
        launch.kind == "launch" and launch.lesson_id == "pendulum-lab" and launch.mode == "headless"
    )
    assert launch.learner_name == "Ada Lovelace"  # the first free learner, by name
    # after the launch's seq, the next poll gets only newer commands
    teacher.post(f"/sessions/{info.session_id}/command/pause")
    later = http.get(
        "/api/station/commands", params={"after": launch.seq, "wait": 0}, headers=bearer(token)
    )
    assert [c["kind"] for c in later.json()["commands"]] == ["pause"]


def test_statements_are_stored_once_however_often_they_arrive(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher)
    token = console.pair(info.code)["token"]
    http = console.client()
    stmts = recorded()
    first = StatementsResponse.model_validate(
        http.post(
            "/api/station/statements", json={"statements": stmts[:30]}, headers=bearer(token)
        ).json()
    )
    assert (first.stored, first.duplicates) == (30, 0)
    # a retry of a batch that was half delivered, with a duplicate inside the request too
    again = http.post(
        "/api/station/statements",
        json={"statements": [*stmts[20:], stmts[-1]]},
        headers=bearer(token),
    ).json()
    assert again == {"stored": len(stmts) - 30, "duplicates": 10 + 1}
    # the same batch from several connections at once is still stored once
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: (
                    console.client()
                    .post(
                        "/api/station/statements", json={"statements": stmts}, headers=bearer(token)
                    )
                    .json()
                ),
                range(4),
            )
        )
    assert all(a == {"stored": 0, "duplicates": len(stmts)} for a in answers)
    report = teacher.http.get(f"/sessions/{info.session_id}/report.csv").text
    row = report.splitlines()[1].split(",")
    f = facts(stmts)
    # steps, hints, errors, answers: each statement counted once
    assert row[4:8] == [str(n) for n in (f.steps_completed, f.hints, f.errors, f.answers)]


def test_bad_statement_payloads_get_a_4xx_with_a_reason(console: ConsoleHandle) -> None:
    info = console.class_session()
    token = console.pair(info.code)["token"]
    http = console.client()
    good = recorded()[0]
    cases: list[tuple[bytes, int, str]] = [
        (b"{not json", 422, "JSON"),
        (b"[]", 422, "the body"),
        (json.dumps({"statements": "x"}).encode(), 422, "statements"),
        (json.dumps({"statements": [{**good, "id": "not-a-uuid"}]}).encode(), 422, "not a UUID"),
        (
            json.dumps({"statements": [{k: v for k, v in good.items() if k != "id"}]}).encode(),
            422,
            "id",
        ),
        (
            json.dumps({"statements": [{**good, "id": str(uuid.uuid4()), "verb": "x"}]}).encode(),
            422,
            "verb",
        ),
        (json.dumps({"statements": [good] * 501}).encode(), 422, "500"),
        (b"x" * (2 * 1024 * 1024), 413, "limit"),
    ]
    for body, status, word in cases:
        r = http.post(
            "/api/station/statements",
            content=body,
            headers={**bearer(token), "content-type": "application/json"},
        )
        assert r.status_code == status, (body[:40], r.text)
        assert word in r.json()["detail"], r.text
    # a body streamed without Content-Length is counted as it arrives
    chunks = (b"x" * 65536 for _ in range(40))
    r = http.post(
        "/api/station/statements",
        content=chunks,
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert r.status_code == 413
    bad_status = http.post("/api/station/status", json={"state": "dancing"}, headers=bearer(token))
    assert bad_status.status_code == 422 and "state" in bad_status.json()["detail"]
    bad_wait = http.get("/api/station/commands", params={"wait": 999}, headers=bearer(token))
    assert bad_wait.status_code == 422 and "wait" in bad_wait.json()["detail"]


def test_lesson_packs_are_served_by_library_id_only(console: ConsoleHandle) -> None:
    info = console.class_session()
    token = console.pair(info.code)["token"]
    http = console.client()
    r = http.get("/api/station/lessons/pendulum-lab.lessonpack", headers=bearer(token))
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["lesson"]["id"] == "pendulum-lab"
    for name in ("..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "PENDULUM-LAB", "no-such-lesson"):
        r = http.get(f"/api/station/lessons/{name}.lessonpack", headers=bearer(token))
        assert r.status_code == 404, name
