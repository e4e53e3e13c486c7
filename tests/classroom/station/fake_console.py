"""A test double of the teacher console at the network boundary: a real HTTP server on
loopback that speaks the station protocol (``docs/classroom-protocol.md``) faithfully, with
the shared pydantic models, and lets a test see everything a station sent.

It exists so the station's tests do not depend on the console's progress; it keeps what a
real console must do (one-time codes, bearer tokens that can be revoked, long-polled commands,
idempotent statement ids, 4xx with a detail) and nothing else (no pages, no database).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ValidationError

from classroom.protocol import (
    COMMANDS_PATH,
    MAX_BODY_BYTES,
    MAX_WAIT_SECONDS,
    PAIR_PATH,
    STATEMENTS_PATH,
    STATUS_PATH,
    CommandsResponse,
    EndCommand,
    FocusCommand,
    LaunchCommand,
    PairRequest,
    PairResponse,
    PauseCommand,
    ResumeCommand,
    StatementsRequest,
    StatementsResponse,
    StatusReport,
)

_KINDS: dict[str, type[BaseModel]] = {
    "launch": LaunchCommand,
    "pause": PauseCommand,
    "resume": ResumeCommand,
    "focus": FocusCommand,
    "end": EndCommand,
}


class FakeConsole:
    """The console's station API for one class session. Start it, stop it (the console goes
    down), start it again on the same port (it comes back with everything it had)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.class_session_id = str(uuid.uuid4())
        self.codes: set[str] = set()
        self.tokens: dict[str, str] = {}  # token -> station name
        self.revoked: set[str] = set()
        self.commands: list[dict[str, Any]] = []
        #: every statement stored, by id (the first copy)
        self.statements: dict[str, dict[str, Any]] = {}
        #: how many times each statement id reached the console
        self.receipts: Counter[str] = Counter()
        self.reports: list[dict[str, Any]] = []
        #: how many status reports each station (by name) sent
        self.reporters: Counter[str] = Counter()
        self.packs: dict[str, Path] = {}
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL stations use."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (on the same port as before, when restarted)."""
        handler = type("Handler", (_Handler,), {"console": self})
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Go down: stop listening and drop the long polls in flight."""
        server = self._server
        if server is None:
            return
        self._server = None
        server.shutdown()
        server.server_close()
        with self.lock:
            self.lock.notify_all()

    @property
    def up(self) -> bool:
        """Whether it is listening."""
        return self._server is not None

    # --- what a teacher does -------------------------------------------------------------------

    def new_code(self) -> str:
        """A fresh one-time pairing code."""
        code = f"{secrets.randbelow(10**6):06d}"
        with self.lock:
            self.codes.add(code)
        return code

    def issue(self, kind: str, **fields: Any) -> int:
        """Queue a command for every station; returns its seq."""
        with self.lock:
            seq = len(self.commands) + 1
            model = _KINDS[kind](seq=seq, issued=datetime.now(UTC), **fields)
            self.commands.append(model.model_dump(mode="json"))
            self.lock.notify_all()
        return seq

    def revoke_all(self) -> None:
        """Revoke every station token."""
        with self.lock:
            self.revoked.update(self.tokens)
            self.lock.notify_all()

    # --- what a test reads ---------------------------------------------------------------------

    def statement_ids(self) -> set[str]:
        """Ids of the statements stored."""
        with self.lock:
            return set(self.statements)

    def verbs(self) -> list[str]:
        """The verbs of the stored statements, in arrival order."""
        with self.lock:
            return [s["verb"]["id"].rsplit("/", 1)[-1] for s in self.statements.values()]

    def last_report(self) -> dict[str, Any] | None:
        """The latest status report."""
        with self.lock:
            return self.reports[-1] if self.reports else None

    def report_count(self) -> int:
        """How many status reports arrived."""
        with self.lock:
            return len(self.reports)


class _Handler(BaseHTTPRequestHandler):
    console: FakeConsole
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def handle(self) -> None:
        # a station that stops (or is killed) mid-poll hangs up: that is not the console's error
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            return

    # --- plumbing ----------------------------------------------------------------------------

    def _send(self, status: int, body: BaseModel | dict[str, Any] | None = None) -> None:
        data = b""
        if isinstance(body, BaseModel):
            data = body.model_dump_json().encode()
        elif body is not None:
            data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, detail: str) -> None:
        self._send(status, {"detail": detail})

    def _body(self, model: type[BaseModel]) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._error(413, "the body is larger than 1 MiB")
            return None
        try:
            return model.model_validate_json(self.rfile.read(length))
        except ValidationError as exc:
            self._error(422, str(exc.errors(include_url=False)[0]["msg"]))
            return None

    def _station(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        with self.console.lock:
            if token in self.console.tokens and token not in self.console.revoked:
                return self.console.tokens[token]
        self._error(401, "this station's token is not valid for the class session")
        return None

    # --- endpoints ----------------------------------------------------------------------------

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == PAIR_PATH:
            self._pair()
        elif path == STATEMENTS_PATH:
            self._statements()
        elif path == STATUS_PATH:
            self._status()
        else:
            self._error(404, "no such endpoint")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == COMMANDS_PATH:
            self._commands(parse_qs(parts.query))
        elif parts.path.startswith("/api/station/lessons/"):
            self._pack(parts.path.rsplit("/", 1)[-1])
        else:
            self._error(404, "no such endpoint")

    def _pair(self) -> None:
        request = self._body(PairRequest)
        if request is None:
            return
        console = self.console
        with console.lock:
            if request.code not in console.codes:
                self._error(403, "wrong or expired pairing code")
                return
            console.codes.discard(request.code)  # one-time
            token = secrets.token_urlsafe(24)
            console.tokens[token] = request.station_name
        self._send(
            200,
            PairResponse(
                station_id=str(uuid.uuid4()),
                token=token,
                class_session_id=console.class_session_id,
                class_name="Physics 9B",
            ),
        )

    def _commands(self, query: dict[str, list[str]]) -> None:
        if self._station() is None:
            return
        try:
            after = int(query.get("after", ["0"])[0])
            wait = min(float(query.get("wait", ["25"])[0]), MAX_WAIT_SECONDS)
        except ValueError:
            self._error(422, "after and wait are numbers")
            return
        console = self.console
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with console.lock:
            console.lock.wait_for(
                lambda: (
                    any(c["seq"] > after for c in console.commands)
                    or token in console.revoked
                    or not console.up
                ),
                timeout=wait,
            )
            if token in console.revoked:
                self._error(401, "this station's token was revoked")
                return
            fresh = [c for c in console.commands if c["seq"] > after]
        self._send(200, CommandsResponse.model_validate({"commands": fresh}))

    def _statements(self) -> None:
        if self._station() is None:
            return
        request = self._body(StatementsRequest)
        if request is None:
            return
        console = self.console
        stored = duplicates = 0
        with console.lock:
            for stmt in request.statements:
                sid = str(stmt.get("id", ""))
                try:
                    uuid.UUID(sid)
                except ValueError:
                    self._error(422, f"statement id {sid!r} is not a UUID")
                    return
            for stmt in request.statements:
                sid = str(stmt["id"])
                console.receipts[sid] += 1
                if sid in console.statements:
                    duplicates += 1
                else:
                    console.statements[sid] = stmt
                    stored += 1
        self._send(200, StatementsResponse(stored=stored, duplicates=duplicates))

    def _status(self) -> None:
        station = self._station()
        if station is None:
            return
        report = self._body(StatusReport)
        if report is None:
            return
        with self.console.lock:
            self.console.reports.append(report.model_dump(mode="json"))
            self.console.reporters[station] += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _pack(self, name: str) -> None:
        if self._station() is None:
            return
        lesson_id = name.removesuffix(".lessonpack")
        pack = self.console.packs.get(lesson_id)
        if pack is None:
            self._error(404, f"no lesson {lesson_id!r} in the library")
            return
        data = pack.read_bytes()
        etag = f'"{hashlib.sha256(data).hexdigest()}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
