"""A real xAPI Learning Record Store on loopback, for tests and for trying the event log.

Ralph (``ralph-malph`` on PyPI) pins its own FastAPI, so it lives in a virtual environment
of its own, made once by :func:`ensure_ralph` (``python -m tools.ralph``). :class:`RalphServer`
runs it with a file backend in a temporary folder and stops it on exit::

    ralph = ensure_ralph(default_venv())
    with RalphServer(ralph) as lrs:
        lrs.post_statements([statement])
        lrs.get_statements(registration=statement["context"]["registration"])
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

#: what goes into Ralph's environment; the major version is pinned so its CLI flags hold
RALPH_REQUIREMENTS = ("ralph-malph[cli,lrs]>=5.1,<6", "requests>=2.31")
#: the environment variable naming Ralph's virtual environment
VENV_ENV = "PERIPATOS_RALPH_VENV"
XAPI_VERSION = "1.0.3"


def default_venv() -> Path:
    """``$PERIPATOS_RALPH_VENV``, or ``.venv-ralph`` at the checkout's root."""
    env = os.environ.get(VENV_ENV)
    return Path(env) if env else Path(__file__).resolve().parent.parent / ".venv-ralph"


def ralph_executable(venv_dir: Path) -> Path:
    """Where the ``ralph`` command of a virtual environment is (it may not exist yet)."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "ralph.exe"
    return venv_dir / "bin" / "ralph"


def _venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _works(ralph: Path) -> bool:
    if not ralph.exists():
        return False
    try:
        done = subprocess.run(
            [str(ralph), "--version"], capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def ensure_ralph(venv_dir: Path, *, quiet: bool = True) -> Path:
    """Create (once) a virtual environment with Ralph and return its ``ralph`` command.

    Installs from PyPI with pip; an environment whose ``ralph --version`` already works is
    reused as is.

    Args:
        venv_dir: Where the virtual environment lives.
        quiet: Pass ``-q`` to pip.

    Returns:
        The path of the ``ralph`` executable.

    Raises:
        RuntimeError: The environment could not be made or Ralph does not run.
    """
    venv_dir = Path(venv_dir)
    ralph = ralph_executable(venv_dir)
    if _works(ralph):
        return ralph
    python = _venv_python(venv_dir)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    pip = [str(python), "-m", "pip", "install", *(["-q"] if quiet else [])]
    done = subprocess.run([*pip, *RALPH_REQUIREMENTS], check=False)
    if done.returncode != 0 or not _works(ralph):
        raise RuntimeError(f"could not install Ralph into {venv_dir} (pip exit {done.returncode})")
    return ralph


def missing_ralph_message(venv_dir: Path) -> str:
    """What to tell someone whose Ralph environment is missing."""
    return (
        f"Ralph (the xAPI LRS used by the event-log tests) is not installed at {venv_dir}.\n"
        f"Create it once with:  python -m tools.ralph --venv {venv_dir}\n"
        f"(or point {VENV_ENV} at an existing one)."
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LrsError(RuntimeError):
    """The LRS answered with an error status.

    Attributes:
        status: The HTTP status.
        body: The decoded answer (Ralph's 422 names the wrong field).
    """

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"LRS answered {status}: {body}")
        self.status = status
        self.body = body


class RalphServer:
    """Runs ``ralph runserver`` with a file backend on loopback; a context manager.

    Ralph 5's file backend stores each POST as a whole new file and refuses a second one
    for the same target (500, "already exists and overwrite is not allowed"); re-posting
    known statements (204) and conflicts (409) are answered before that. So each user,
    which gets a target (file) of its own, can store one batch: name one user per batch.

    Args:
        ralph: The ``ralph`` executable (from :func:`ensure_ralph`).
        workdir: Folder for Ralph's app dir, data and log; a temporary one if ``None``.
        users: The LRS users to create (Ralph reads its credentials once, at start); the
            first is the default of :meth:`request`.
        password: Their password.
        host: Interface to bind (keep it loopback).
        port: TCP port; a free one if ``None``.
        startup_timeout: Seconds to wait for the server to answer.

    Attributes:
        startup_seconds: How long the server took to answer, once started.
    """

    def __init__(
        self,
        ralph: Path,
        *,
        workdir: Path | None = None,
        users: tuple[str, ...] = ("peripatos",),
        password: str = "peripatos-test",
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 90.0,
    ) -> None:
        self.ralph = Path(ralph).absolute()
        if not users:
            raise ValueError("RalphServer needs at least one user")
        self.users = users
        self.password = password
        self.host = host
        self.port = port or 0
        self.startup_timeout = startup_timeout
        self.startup_seconds = float("nan")
        self._given_workdir = workdir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.workdir = Path()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        """The server's output (look here when it fails)."""
        return self.workdir / "ralph.log"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["RALPH_APP_DIR"] = str(self.workdir / "app")
        env["RALPH_RUNSERVER_BACKEND"] = "fs"
        return env

    def __enter__(self) -> RalphServer:
        if self._given_workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ralph-")
            self.workdir = Path(self._tmp.name)
        else:
            self.workdir = Path(self._given_workdir)
        try:
            self._start()
        except BaseException:
            self._cleanup()
            raise
        return self

    def _start(self) -> None:
        (self.workdir / "app").mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        first = self.users[0]
        subprocess.run(
            [
                str(self.ralph),
                "auth",
                "-u",
                first,
                "-p",
                self.password,
                "-s",
                "all",
                "-M",
                f"mailto:{first}@example.org",
                "-t",
                first,
                "-w",
            ],
            env=self._env(),
            cwd=self.workdir,
            check=True,
            capture_output=True,
            timeout=120,
        )
        # `ralph auth` costs ~1 s (interpreter start + bcrypt); the other users share the
        # password, so they reuse its hash with their own name, identity and target
        auth_file = self.workdir / "app" / "auth.json"
        entries = json.loads(auth_file.read_text())
        template = next(e for e in entries if e["username"] == first)
        for user in self.users[1:]:
            entries.append(
                {
                    **template,
                    "username": user,
                    "target": user,
                    "agent": {"mbox": f"mailto:{user}@example.org", "objectType": "Agent"},
                }
            )
        auth_file.write_text(json.dumps(entries, indent=2))
        for user in self.users:
            (self.workdir / "data" / user).mkdir(exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
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
        t0 = time.perf_counter()
        with open(self.log_path, "ab") as log:
            # its own process group: runserver starts uvicorn's reloader and a worker, and
            # both must go on exit. cwd is the work folder because the reloader watches it
            self._proc = subprocess.Popen(
                cmd,
                env=self._env(),
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = t0 + self.startup_timeout
        while time.perf_counter() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"ralph runserver exited early:\n{self._log_tail()}")
            if self._answers():
                self.startup_seconds = time.perf_counter() - t0
                return
            time.sleep(0.05)
        raise RuntimeError(
            f"ralph runserver did not answer within {self.startup_timeout} s:\n{self._log_tail()}"
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/__heartbeat__", timeout=2) as resp:
                return int(resp.status) == 200
        except (OSError, urllib.error.URLError):
            return False

    def _log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # the reloader's worker may outlive its parent for a moment: make sure the group is gone
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def _cleanup(self) -> None:
        self._stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()

    # --- a minimal xAPI client (stdlib only, so the project's venv needs nothing more) -----

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        user: str | None = None,
    ) -> tuple[int, Any]:
        """One authenticated xAPI request; returns ``(status, decoded JSON or None)``.

        Args:
            method: HTTP method.
            path: Path under the server (or a full URL, as in ``more`` links).
            body: JSON body, if any.
            params: Query parameters.
            user: Whose credentials (default: the first user).

        Raises:
            LrsError: The LRS answered 4xx or 5xx.
        """
        # Ralph's "more" links are paths; accept absolute URLs too
        url = path if path.startswith(("http://", "https://")) else self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        who = user or self.users[0]
        token = base64.b64encode(f"{who}:{self.password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": XAPI_VERSION}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return int(resp.status), json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                detail: Any = json.loads(raw)
            except ValueError:
                detail = raw.decode(errors="replace")
            raise LrsError(exc.code, detail) from None

    def post_statements(
        self, statements: list[dict[str, Any]], user: str | None = None
    ) -> tuple[int, list[str]]:
        """POST statements; returns the status and the ids the LRS stored (none on 204)."""
        status, body = self.request("POST", "/xAPI/statements/", statements, user=user)
        return status, list(body or [])

    def get_statements(self, user: str | None = None, **params: str) -> list[dict[str, Any]]:
        """GET statements matching xAPI query parameters, following ``more`` links."""
        _, body = self.request("GET", "/xAPI/statements/", params=params, user=user)
        out = list(body.get("statements", []))
        more = body.get("more")
        while more:
            _, body = self.request("GET", more, user=user)
            out.extend(body.get("statements", []))
            more = body.get("more")
        return out


def _smoke(ralph: Path) -> None:
    # imported here: the engine is not needed to install Ralph, only to try it
    from datetime import UTC, datetime
    from uuid import uuid4

    from engine.core.events import LessonStarted
    from engine.log.xapi import Actor, SessionContext, statement_for

    ctx = SessionContext(
        learner=Actor.account("https://school.example.org", "smoke-test"),
        lesson_id="smoke",
        lesson_title="Smoke test",
        language="en",
        registration=str(uuid4()),
        started=datetime.now(UTC),
    )
    stmt = statement_for(LessonStarted(t=0.0), ctx)
    with RalphServer(ralph) as lrs:
        print(f"ralph answered after {lrs.startup_seconds:.2f} s on {lrs.url}")
        t0 = time.perf_counter()
        status, ids = lrs.post_statements([stmt])
        print(f"POST -> {status} {ids} in {1000 * (time.perf_counter() - t0):.1f} ms")
        back = lrs.get_statements(registration=ctx.registration)
        print(f"GET -> {len(back)} statement(s)")


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.ralph [--venv DIR] [--smoke]``: make Ralph's environment."""
    parser = argparse.ArgumentParser(prog="python -m tools.ralph", description=main.__doc__)
    parser.add_argument(
        "--venv", type=Path, default=None, help="default: $PERIPATOS_RALPH_VENV or .venv-ralph"
    )
    parser.add_argument("--smoke", action="store_true", help="then start it and post a statement")
    args = parser.parse_args(argv)
    venv = args.venv or default_venv()
    t0 = time.perf_counter()
    ralph = ensure_ralph(venv, quiet=False)
    print(f"ralph ready at {ralph} ({time.perf_counter() - t0:.1f} s)")
    if args.smoke:
        _smoke(ralph)
    return 0


if __name__ == "__main__":
    sys.exit(main())
