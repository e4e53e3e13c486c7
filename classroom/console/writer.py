"""Group commit for statements: one writer thread, one transaction for all waiting requests.

With SQLite every commit is an fsync (``synchronous=FULL``) and writers take turns, so one
transaction per request caps ingest at a few hundred requests a second and makes every
request wait for all the others' fsyncs. Here each request hands its statements to the
writer and waits; the writer takes everything that is waiting, stores it in one
transaction (each id once, first come first stored) and wakes the requests. A request is
answered only after the commit that holds its statements, so an acknowledgement still means
"on disk".
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from classroom.console.db import LrsOutbox, Statement, Station, utcnow

#: at most this many statements per transaction (keeps one commit short)
MAX_BATCH = 5000
_IN_CHUNK = 500  # ids per IN (...) query: well under every database's parameter limit


@dataclass
class _Job:
    station: Station
    statements: dict[str, dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    new: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class StatementWriter:
    """Stores statements by id, once, in as few transactions as the load allows.

    Args:
        sessions: Database sessions.
        forward: Also queue each new statement for the external LRS (same transaction).
    """

    def __init__(self, sessions: sessionmaker[Session], *, forward: bool) -> None:
        self.sessions = sessions
        self.forward = forward
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def store(
        self, station: Station, statements: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Store ``statements`` (by id) for ``station``; returns those that were new.

        Blocks until they are committed. Raises whatever the database raised.
        """
        self._ensure_thread()
        job = _Job(station, statements)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.new

    def close(self) -> None:
        """Stop the writer thread once the queue is empty."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="statement-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, rows, stop = [first], len(first.statements), False
            while rows < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                jobs.append(nxt)
                rows += len(nxt.statements)
            self._write_jobs(jobs)
            if stop:
                return

    def _write_jobs(self, jobs: list[_Job]) -> None:
        try:
            self._write(jobs)
        except IntegrityError:
            # another process (a second console worker on PostgreSQL) stored some ids
            # between our look-up and our insert: do the jobs one by one, looking again
            for job in jobs:
                try:
                    self._write([job])
                except Exception as exc:  # handed to the waiting request
                    job.error = exc
        except Exception as exc:  # handed to the waiting requests
            for job in jobs:
                job.error = exc
        for job in jobs:
            job.done.set()

    def _write(self, jobs: list[_Job]) -> None:
        ids = [sid for job in jobs for sid in job.statements]
        now = utcnow()
        with self.sessions() as db:
            seen: set[str] = set()
            for chunk in _chunks(ids, _IN_CHUNK):
                seen.update(db.scalars(select(Statement.id).where(Statement.id.in_(chunk))))
            rows: list[dict[str, Any]] = []
            for job in jobs:
                job.new = []
                for sid, stmt in job.statements.items():
                    if sid in seen:
                        continue
                    seen.add(sid)
                    job.new.append(stmt)
                    rows.append(
                        {
                            "id": sid,
                            "class_session_id": job.station.class_session_id,
                            "station_id": job.station.id,
                            "learner_id": job.station.learner_id,
                            "received": now,
                            "body": json.dumps(stmt, separators=(",", ":")),
                        }
                    )
            if rows:
                # Core inserts: the ORM's unit of work costs more than the write itself here
                db.execute(insert(Statement), rows)
                if self.forward:
                    db.execute(
                        insert(LrsOutbox),
                        [
                            {
                                "statement_id": r["id"],
                                "enqueued": now,
                                "attempts": 0,
                                "last_error": "",
                            }
                            for r in rows
                        ],
                    )
                db.commit()
