"""Forwarding every statement to an external xAPI LRS, durably.

Ingest puts each new statement's id in the ``lrs_outbox`` table in the same transaction
that stores it, so nothing is lost to a crash or an offline LRS. One thread drains the
outbox in batches and deletes rows only after the LRS accepted the batch. If the console
dies between the LRS's answer and the delete, the batch is posted again: statement ids are
fixed, and an LRS keeps one statement per id (a re-post of a known one answers 204 / 409),
so each statement is stored there once.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from classroom.console.db import LrsOutbox, Statement

log = logging.getLogger(__name__)

BATCH = 200
XAPI_VERSION = "1.0.3"


class LrsForwarder:
    """A background thread posting outbox statements to ``url`` (``.../xAPI``).

    Args:
        sessions: Database sessions.
        url: The LRS's xAPI base (``POST {url}/statements``).
        user: Basic-auth user.
        password: Basic-auth password.
        retry_seconds: Wait after a failure (the LRS is offline, say).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        url: str,
        user: str,
        password: str,
        *,
        retry_seconds: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.url = url.rstrip("/") + "/statements"
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": XAPI_VERSION,
            "Content-Type": "application/json",
        }
        self.retry_seconds = retry_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.last_error = ""

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name="lrs-forwarder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (pending statements stay queued in the database)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        """New statements are waiting."""
        self._wake.set()

    def pending(self) -> int:
        """Statements not yet delivered."""
        with self.sessions() as db:
            return len(list(db.scalars(select(LrsOutbox.statement_id))))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.deliver_once()
            except Exception as exc:  # the thread must survive anything (a database hiccup)
                log.warning("LRS forwarding failed: %s", exc)
                self.last_error = str(exc)
                sent = -1
            if sent < 0:
                self._stop.wait(self.retry_seconds)
            elif sent == 0:
                self._wake.wait(5.0)
                self._wake.clear()

    def deliver_once(self) -> int:
        """Post one batch; returns how many were delivered, -1 when the LRS failed."""
        with self.sessions() as db:
            rows = db.execute(
                select(Statement.id, Statement.body)
                .join(LrsOutbox, LrsOutbox.statement_id == Statement.id)
                .order_by(LrsOutbox.enqueued)
                .limit(BATCH)
            ).all()
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        bodies: list[Any] = [json.loads(r[1]) for r in rows]
        error = self._post(bodies)
        with self.sessions() as db:
            if error is None:
                db.execute(delete(LrsOutbox).where(LrsOutbox.statement_id.in_(ids)))
            else:
                db.execute(
                    update(LrsOutbox)
                    .where(LrsOutbox.statement_id.in_(ids))
                    .values(attempts=LrsOutbox.attempts + 1, last_error=error[:500])
                )
            db.commit()
        if error is not None:
            self.last_error = error
            log.info("LRS not reachable (%s); %d statements stay queued", error, len(ids))
            return -1
        self.delivered += len(ids)
        return len(ids)

    def _post(self, statements: list[Any]) -> str | None:
        data = json.dumps(statements).encode()
        req = urllib.request.Request(self.url, data=data, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                resp.read()
                return None
        except urllib.error.HTTPError as exc:
            if exc.code == 409:
                # some ids are there already with other content: the LRS keeps its copy;
                # posting again cannot change that, so they count as delivered
                return None
            return f"HTTP {exc.code}: {exc.read()[:300]!r}"
        except (OSError, urllib.error.URLError) as exc:
            return str(exc)
