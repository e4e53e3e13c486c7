"""Shared fixtures: a real teacher console on loopback (uvicorn in a thread, temp database).

``console`` gives a :class:`ConsoleHandle`: its ``url``, and helpers that go through the
console's real HTTP pages like a teacher would (log in, create a class, import a roster,
open a class session and read its pairing code).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from classroom.console.app import create_app
from classroom.console.server import create_teacher_account
from classroom.console.settings import ConsoleSettings

TEACHER = "teacher"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CODE = re.compile(r'id="pairing-code">(\d{6})<')


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ClassSessionInfo:
    """A class session opened through the pages."""

    class_id: str
    session_id: str
    code: str
    learners: list[tuple[str, str]]


@dataclass
class TeacherClient:
    """A logged-in browser-like client: cookies plus the session's CSRF token."""

    http: httpx.Client
    csrf: str

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        """A form POST carrying the CSRF token."""
        return self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def create_class(self, name: str = "7B") -> str:
        """Create a class; returns its id."""
        r = self.post("/classes", {"name": name})
        assert r.status_code == 200, r.text
        return str(r.url).rstrip("/").rsplit("/", 1)[1]

    def import_roster(self, class_id: str, csv_text: str) -> httpx.Response:
        """Paste a roster CSV."""
        return self.post(f"/classes/{class_id}/roster", {"text": csv_text})

    def open_session(
        self, class_id: str, lesson_id: str = "pendulum-lab", mode: str = "headless"
    ) -> tuple[str, str]:
        """Start a class session; returns its id and pairing code."""
        r = self.post(f"/classes/{class_id}/sessions", {"lesson_id": lesson_id, "mode": mode})
        assert r.status_code == 200, r.text
        match = _CODE.search(r.text)
        assert match, "no pairing code on the class session page"
        return str(r.url).rsplit("/", 1)[1], match.group(1)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


@dataclass
class ConsoleHandle:
    """A running console."""

    url: str
    settings: ConsoleSettings
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **kw: Any) -> httpx.Client:
        """A plain HTTP client for this console (closed with the fixture)."""
        c = httpx.Client(base_url=self.url, timeout=60, **kw)
        self.clients.append(c)
        return c

    def teacher(self, name: str = TEACHER, password: str = PASSWORD) -> TeacherClient:
        """Log in through the login form (the account is made first if it does not exist)."""
        with contextlib.suppress(ValueError):  # made by an earlier call
            create_teacher_account(self.settings, name, password)
        http = self.client(follow_redirects=True)
        form = http.get("/login")
        token = _CSRF.search(form.text)
        assert token, form.text
        r = http.post(
            "/login", data={"name": name, "password": password, "csrf_token": token.group(1)}
        )
        assert r.status_code == 200 and r.url.path == "/classes", r.text
        csrf = _CSRF.search(r.text)
        assert csrf
        return TeacherClient(http, csrf.group(1))

    def class_session(
        self,
        teacher: TeacherClient | None = None,
        lesson_id: str = "pendulum-lab",
        learners: tuple[tuple[str, str], ...] = (("s01", "Ada Lovelace"), ("s02", "Alan Turing")),
        mode: str = "headless",
    ) -> ClassSessionInfo:
        """A class with a roster and an open class session on ``lesson_id``."""
        teacher = teacher or self.teacher()
        class_id = teacher.create_class()
        roster = "id,name\n" + "".join(f"{i},{n}\n" for i, n in learners)
        r = teacher.import_roster(class_id, roster)
        assert r.status_code == 200, r.text
        session_id, code = teacher.open_session(class_id, lesson_id, mode)
        return ClassSessionInfo(class_id, session_id, code, list(learners))

    def pair(self, code: str, name: str = "PC-01") -> dict[str, Any]:
        """Pair a station by code; returns the pairing answer (token, ids)."""
        r = self.client().post("/api/station/pair", json={"code": code, "station_name": name})
        assert r.status_code == 200, r.text
        return dict(r.json())


class ServerThread:
    """uvicorn serving an app in a background thread, on loopback."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=2,
            lifespan="on",
        )
        self.app = app
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the console did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        # as `lesson teach` does on Ctrl+C: end event streams and long polls, then stop
        self.app.state.console.hub.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)


ConsoleFactory = Callable[..., ConsoleHandle]


@pytest.fixture
def console_factory(tmp_path: Path) -> Iterator[ConsoleFactory]:
    """Start consoles with settings of your own: ``console_factory(lrs_url=...)``."""
    running: list[tuple[ServerThread, ConsoleHandle]] = []

    def start(**overrides: Any) -> ConsoleHandle:
        data = tmp_path / f"console-{len(running)}"
        settings = replace(ConsoleSettings(data_dir=data, thumbnails=False), **overrides)
        port = free_port()
        server = ServerThread(create_app(settings), port).__enter__()
        handle = ConsoleHandle(f"http://127.0.0.1:{port}", settings)
        running.append((server, handle))
        return handle

    yield start
    for server, handle in reversed(running):
        for c in handle.clients:
            c.close()
        server.__exit__()


@pytest.fixture
def console(console_factory: ConsoleFactory) -> ConsoleHandle:
    """A real console on loopback with an empty temporary database."""
    return console_factory()
