"""Bad input anywhere gets a 4xx with a clear message (the exception handlers), never a 500."""

from __future__ import annotations

import socket
import uuid

import httpx

from tests.classroom.conftest import ConsoleHandle


def test_malformed_requests_to_every_kind_of_endpoint_get_4xx(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    info = console.class_session(teacher)
    sid, cid = info.session_id, info.class_id
    nobody = str(uuid.uuid4())
    form_cases: list[tuple[str, dict[str, str], int]] = [
        ("/classes", {}, 422),  # no name
        ("/classes", {"name": "x" * 101}, 422),
        (f"/classes/{cid}/roster", {}, 422),  # neither file nor text
        (f"/classes/{cid}/sessions", {"lesson_id": "../../etc/passwd"}, 422),
        (f"/classes/{cid}/sessions", {"lesson_id": "no-such-lesson"}, 422),
        (f"/classes/{cid}/sessions", {"lesson_id": "pendulum-lab", "mode": "vr9000"}, 422),
        (f"/classes/{nobody}/sessions", {"lesson_id": "pendulum-lab"}, 404),
        ("/classes/not-a-uuid/roster", {"text": "id,name\na,b\n"}, 404),
        (f"/sessions/{nobody}/launch", {}, 404),
        (f"/sessions/{sid}/stations/{nobody}/revoke", {}, 404),
        (f"/sessions/{sid}/stations/{nobody}/assign", {"learner_id": ""}, 404),
        (f"/learners/{nobody}/settings", {"settings": "{}"}, 404),
        ("/library/install", {}, 422),  # no file
    ]
    for path, data, status in form_cases:
        r = teacher.post(path, data)
        assert r.status_code == status, (path, r.status_code, r.text[:300])
        assert r.json()["detail"], path
    # the browser gets the same message on an error page
    r = teacher.http.post(
        f"/classes/{cid}/sessions",
        data={"csrf_token": teacher.csrf, "lesson_id": "no-such-lesson"},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and "there is no lesson" in r.text and "<html" in r.text
    # a pack that is not a pack
    r = teacher.post(
        "/library/install", files={"pack": ("x.lessonpack", b"not a zip", "application/zip")}
    )
    assert r.status_code == 422 and "refused" in r.json()["detail"]
    # wrong methods and unknown paths
    assert teacher.http.get("/api/station/pair").status_code == 405
    assert teacher.http.get("/no/such/page").status_code == 404
    assert teacher.http.get(f"/sessions/{nobody}/report").status_code == 404
    # station API: wrong content type, missing fields, wrong types
    http = console.client()
    cases: list[tuple[str, httpx.Response]] = [
        (
            "pair text",
            http.post(
                "/api/station/pair", content=b"code=1", headers={"content-type": "text/plain"}
            ),
        ),
        ("pair empty", http.post("/api/station/pair", json={})),
        (
            "pair long name",
            http.post("/api/station/pair", json={"code": "123456", "station_name": "x" * 65}),
        ),
        ("pair list", http.post("/api/station/pair", json=[1, 2])),
    ]
    for what, r in cases:
        assert 400 <= r.status_code < 500, (what, r.status_code)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"], what
    token = console.pair(info.code)["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for body in (
        {"state": "running", "gaze": {"yaw": "left"}},
        {"state": "running", "lesson_time": "soon"},
        {},
    ):
        r = http.post("/api/station/status", json=body, headers=auth)
        assert r.status_code == 422, body
    r = http.get("/api/station/commands", params={"after": -1}, headers=auth)
    assert r.status_code == 422 and "after" in r.json()["detail"]
    r = http.get("/api/station/commands", params={"after": "x"}, headers=auth)
    assert r.status_code == 422


def test_a_content_length_that_is_not_a_number_gets_400(console: ConsoleHandle) -> None:
    host, port = console.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /api/station/pair HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: lots\r\nConnection: close\r\n\r\n{}"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]
