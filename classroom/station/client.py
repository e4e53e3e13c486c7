"""HTTP to the teacher console: one method per protocol endpoint, JSON in and out.

Standard library only (``urllib``), so a station needs nothing beyond the engine. Failures are
sorted into what the caller does next: :class:`ConsoleUnreachable` (try again later),
:class:`TokenRevoked` (stop: pair again), :class:`ConsoleRefused` (the console said no, and why).
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError

from classroom.protocol import (
    COMMANDS_PATH,
    LESSON_PACK_PATH,
    PAIR_PATH,
    STATEMENTS_PATH,
    STATUS_PATH,
    CommandsResponse,
    PairRequest,
    PairResponse,
    StatementsRequest,
    StatementsResponse,
    StatusReport,
)

_M = TypeVar("_M", PairResponse, CommandsResponse, StatementsResponse)

#: seconds to wait for an ordinary answer (a long poll adds its own wait to this)
TIMEOUT_SECONDS = 10.0
#: a lesson pack may be large; the classroom network is local
PACK_TIMEOUT_SECONDS = 120.0
#: the longest JSON answer read (the protocol's bodies are far smaller)
MAX_ANSWER_BYTES = 16 << 20
#: the longest pack read: what the pack code would accept anyway
MAX_PACK_BYTES = 320 << 20


class ConsoleError(Exception):
    """Talking to the console failed."""


class ConsoleUnreachable(ConsoleError):
    """No answer, a broken connection, or a 5xx: worth trying again later."""


class TokenRevoked(ConsoleError):
    """401: the console no longer accepts this station's token."""


class ConsoleRefused(ConsoleError):
    """A 4xx other than 401: the request itself is refused; ``detail`` says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the console refused the request ({status}): {detail}")
        self.status = status
        self.detail = detail


def check_console_url(url: str) -> str:
    """The console's base URL without a trailing slash.

    Raises:
        ValueError: not an http(s) URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the console URL must look like http://HOST:PORT, got {url!r}")
    return url.rstrip("/")


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return error.reason or "no reason given"
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else str(error.reason or "no reason given")


class ConsoleClient:
    """The console as seen from one station.

    Args:
        base_url: ``http://HOST:PORT`` of the console.
        token: the station's bearer token (None before pairing).
    """

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = check_console_url(base_url)
        self.token = token
        # the console is on the classroom network: a proxy from the environment (set for the
        # internet) would only stand in the way, or send classroom traffic off site
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        timeout: float = TIMEOUT_SECONDS,
        headers: dict[str, str] | None = None,
        sink: BinaryIO | None = None,
        limit: int = MAX_ANSWER_BYTES,
    ) -> tuple[int, bytes]:
        """Send one request; returns the status and the body (or writes the body to ``sink``,
        returning no bytes). A body longer than ``limit`` is refused."""
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self._opener.open(request, timeout=timeout) as answer:
                status = int(answer.status)
                received = 0
                chunks: list[bytes] = []
                while chunk := answer.read(1 << 16):
                    received += len(chunk)
                    if received > limit:
                        raise ConsoleUnreachable(f"the console's answer is over {limit} bytes")
                    if sink is not None:
                        sink.write(chunk)
                    else:
                        chunks.append(chunk)
                return status, b"".join(chunks)
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return 304, b""
            if exc.code == 401:
                raise TokenRevoked(_detail(exc)) from None
            if 400 <= exc.code < 500:
                raise ConsoleRefused(exc.code, _detail(exc)) from None
            raise ConsoleUnreachable(f"the console answered {exc.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConsoleUnreachable(f"cannot reach {self.base_url}: {reason}") from None

    def _json(self, method: str, path: str, payload: Any, **kwargs: Any) -> bytes:
        data = json.dumps(payload, separators=(",", ":")).encode()
        return self._request(method, path, data, **kwargs)[1]

    def pair(self, code: str, station_name: str) -> PairResponse:
        """Offer the one-time code; returns the station's credentials (and keeps the token)."""
        body = PairRequest(code=code, station_name=station_name).model_dump()
        answer = _parse(PairResponse, self._json("POST", PAIR_PATH, body))
        self.token = answer.token
        return answer

    def commands(self, after: int, wait: float) -> CommandsResponse:
        """Commands with ``seq > after``; blocks up to ``wait`` seconds when there are none."""
        query = urlencode({"after": after, "wait": int(wait)})
        _, raw = self._request("GET", f"{COMMANDS_PATH}?{query}", timeout=wait + TIMEOUT_SECONDS)
        return _parse(CommandsResponse, raw)

    def send_statements(self, statements: list[dict[str, Any]]) -> StatementsResponse:
        """Deliver statements; the answer counts new ones and ones the console already had."""
        body = StatementsRequest(statements=statements).model_dump()
        return _parse(StatementsResponse, self._json("POST", STATEMENTS_PATH, body))

    def send_status(self, report: StatusReport) -> None:
        """Report the station's state."""
        self._json("POST", STATUS_PATH, report.model_dump(mode="json"))

    def download_pack(self, lesson_id: str, dest: Path, have_sha256: str | None) -> str | None:
        """Fetch the lesson's pack into ``dest``; returns its SHA-256, or None when the console
        says the station's copy (``have_sha256``) is current (304)."""
        headers = {"If-None-Match": f'"{have_sha256}"'} if have_sha256 else {}
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".partial")
        try:
            with partial.open("wb") as out:
                status, _ = self._request(
                    "GET",
                    LESSON_PACK_PATH.format(lesson_id=lesson_id),
                    timeout=PACK_TIMEOUT_SECONDS,
                    headers=headers,
                    sink=out,
                    limit=MAX_PACK_BYTES,
                )
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if status == 304:
            partial.unlink(missing_ok=True)
            return None
        partial.replace(dest)
        digest = hashlib.sha256()
        with dest.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


def _parse(model: type[_M], raw: bytes) -> _M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ConsoleUnreachable(f"the console's answer is not understood: {exc}") from None
