"""Teacher accounts, sessions, CSRF and rate limits, through real HTTP."""

from __future__ import annotations

import re

from classroom.console.settings import RateLimit
from tests.classroom.conftest import PASSWORD, TEACHER, ConsoleFactory, ConsoleHandle

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_first_run_setup_creates_the_first_teacher_only_once(console: ConsoleHandle) -> None:
    http = console.client(follow_redirects=True)
    form = http.get("/")
    assert form.url.path == "/setup"
    token = _CSRF.search(form.text)
    assert token
    r = http.post(
        "/setup", data={"name": "ms-k", "password": "long enough!", "csrf_token": token.group(1)}
    )
    assert r.status_code == 200 and r.url.path == "/classes"
    assert "ms-k" in r.text
    # once a teacher exists, setup is closed
    other = console.client(follow_redirects=True)
    assert other.get("/setup").url.path == "/login"
    r = other.post(
        "/setup", data={"name": "mallory", "password": "long enough!", "csrf_token": "x"}
    )
    assert r.status_code == 403


def test_pages_and_controls_refuse_requests_without_a_session(console: ConsoleHandle) -> None:
    info = console.class_session()
    anon = console.client()
    page = anon.get("/classes", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    for path in (
        f"/sessions/{info.session_id}/command/pause",
        f"/sessions/{info.session_id}/launch",
        "/classes",
        f"/classes/{info.class_id}/roster",
    ):
        r = anon.post(path, data={"csrf_token": "whatever"})
        assert r.status_code == 401, path
    assert anon.get(f"/sessions/{info.session_id}/report.csv").status_code == 401
    assert anon.get(f"/sessions/{info.session_id}/events").status_code == 401
    # a station token is not a teacher session
    pairing = console.pair(info.code)
    r = anon.post(
        f"/sessions/{info.session_id}/command/end",
        headers={"Authorization": f"Bearer {pairing['token']}"},
    )
    assert r.status_code == 401


def test_csrf_token_is_required_on_every_post(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    class_id = teacher.create_class("8A")
    for data in ({}, {"csrf_token": "wrong"}):
        r = teacher.http.post(
            f"/classes/{class_id}/roster", data={"text": "id,name\na,B\n", **data}
        )
        assert r.status_code == 403
        assert "CSRF" in r.text
    r = teacher.http.post("/classes", data={"name": "no token"})
    assert r.status_code == 403
    # the header form works as well as the field (htmx sends it that way)
    r = teacher.http.post(
        "/classes", data={"name": "header"}, headers={"X-CSRF-Token": teacher.csrf}
    )
    assert r.status_code == 200 and "header" in r.text
    # the login form has its own token, bound to a cookie
    fresh = console.client()
    r = fresh.post("/login", data={"name": TEACHER, "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403


def test_wrong_password_is_refused_and_logins_are_rate_limited(
    console_factory: ConsoleFactory,
) -> None:
    console = console_factory(login_limit=RateLimit(4, 60.0))
    console.teacher()  # makes the account and logs in: one attempt of the four
    http = console.client()
    token = _CSRF.search(http.get("/login").text)
    assert token
    statuses = [
        http.post(
            "/login", data={"name": TEACHER, "password": "nope-nope", "csrf_token": token.group(1)}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    # even the right password waits now
    r = http.post(
        "/login", data={"name": TEACHER, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_a_teacher_cannot_see_another_teachers_class(console: ConsoleHandle) -> None:
    info = console.class_session()
    other = console.teacher("other-teacher", "another password")
    assert other.http.get(f"/classes/{info.class_id}").status_code == 404
    assert other.http.get(f"/sessions/{info.session_id}").status_code == 404
    assert other.http.get(f"/sessions/{info.session_id}/report.csv").status_code == 404
    r = other.post(f"/sessions/{info.session_id}/command/end")
    assert r.status_code == 404


def test_logout_ends_the_session(console: ConsoleHandle) -> None:
    teacher = console.teacher()
    assert teacher.http.get("/classes").url.path == "/classes"
    teacher.post("/logout")
    assert teacher.http.get("/classes").status_code == 401
    assert teacher.http.get("/classes", headers={"accept": "text/html"}).url.path == "/login"
