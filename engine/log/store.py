"""The durable per-session event log: SQLite in WAL mode, one committed transaction per append.

A session row holds who, which lesson, when, whether it ended, and a JSON snapshot for
resuming; beside it, the session's xAPI statements and raw interactions in order, so a
session can be exported, re-simulated from its interactions, or resumed where it stopped.
``synchronous=FULL`` makes every returned append survive a crash of the process or the
machine.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.core.events import LessonEnded, LessonEvent
from engine.log.jsonl import JsonlWriter, dumps, write_jsonl
from engine.log.xapi import SessionContext, statements_for

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id        TEXT PRIMARY KEY,
    learner   TEXT NOT NULL,
    lesson    TEXT NOT NULL,
    started   TEXT NOT NULL,
    ended     TEXT,
    completed INTEGER,
    state     TEXT NOT NULL DEFAULT '{}',
    meta      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sessions_by_learner ON sessions (learner, lesson, started);
CREATE TABLE IF NOT EXISTS statements (
    session TEXT NOT NULL REFERENCES sessions (id),
    seq     INTEGER NOT NULL,
    id      TEXT NOT NULL UNIQUE,
    json    TEXT NOT NULL,
    PRIMARY KEY (session, seq)
);
CREATE TABLE IF NOT EXISTS interactions (
    session TEXT NOT NULL REFERENCES sessions (id),
    seq     INTEGER NOT NULL,
    t       REAL NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (session, seq)
);
"""


class StatementConflict(ValueError):
    """A statement id already logged with different content (xAPI's 409 Conflict)."""


class UnknownSession(KeyError):
    """No session has this id."""


@dataclass(frozen=True)
class SessionInfo:
    """One row of the sessions table.

    Attributes:
        id: The session id (a UUID string; also the xAPI registration).
        learner: The learner's key (e.g. :attr:`engine.log.xapi.Actor.key`).
        lesson: The lesson id.
        started: Wall-clock start, UTC.
        ended: When :meth:`SessionStore.end_session` was called, else ``None``.
        completed: Whether it ended completed; ``None`` while unfinished.
        state: The last snapshot given to :meth:`SessionStore.save_state`.
        meta: Free JSON given to :meth:`SessionStore.open_session` (title, language...).
    """

    id: str
    learner: str
    lesson: str
    started: datetime
    ended: datetime | None
    completed: bool | None
    state: dict[str, Any]
    meta: dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


class SessionStore:
    """Learner sessions with their statements and interactions, in one SQLite file.

    Every append is its own committed transaction: when the call returns, the row is on
    disk. One store may be shared between threads; several processes may open the same
    file (SQLite serialises writers).

    Args:
        path: The database file; created with its folder if missing. ``":memory:"`` for
            tests that do not need durability.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are explicit, so each append is exactly one commit
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    # --- plumbing --------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            # IMMEDIATE takes the write lock up front, so reading max(seq) and inserting
            # cannot interleave with another process appending to the same session
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _require(self, db: sqlite3.Connection, session: str) -> None:
        if db.execute("SELECT 1 FROM sessions WHERE id = ?", (session,)).fetchone() is None:
            raise UnknownSession(session)

    def close(self) -> None:
        """Close the database (everything appended is already committed)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- sessions --------------------------------------------------------------------------

    def open_session(
        self,
        learner: str,
        lesson_id: str,
        *,
        session_id: str | None = None,
        started: datetime | None = None,
        meta: dict[str, Any] | None = None,
    ) -> str:
        """Start a session and return its id.

        Args:
            learner: The learner's key (e.g. ``Actor.key``).
            lesson_id: The lesson's id.
            session_id: A UUID to use (e.g. a registration chosen elsewhere); new if ``None``.
            started: Wall-clock start (timezone-aware); now if ``None``.
            meta: Free JSON kept with the session (lesson title, language, rig...).

        Returns:
            The session id, a UUID string.
        """
        sid = str(uuid.UUID(session_id)) if session_id else str(uuid.uuid4())
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions (id, learner, lesson, started, meta) VALUES (?, ?, ?, ?, ?)",
                (sid, learner, lesson_id, _iso(started or _now()), dumps(meta or {})),
            )
        return sid

    def session(self, session: str) -> SessionInfo:
        """The session's row.

        Raises:
            UnknownSession: No such session.
        """
        rows = self._query(
            "SELECT id, learner, lesson, started, ended, completed, state, meta "
            "FROM sessions WHERE id = ?",
            (session,),
        )
        if not rows:
            raise UnknownSession(session)
        sid, learner, lesson, started, ended, completed, state, meta = rows[0]
        return SessionInfo(
            id=sid,
            learner=learner,
            lesson=lesson,
            started=datetime.fromisoformat(started),
            ended=datetime.fromisoformat(ended) if ended else None,
            completed=None if completed is None else bool(completed),
            state=json.loads(state),
            meta=json.loads(meta),
        )

    def sessions(self, learner: str | None = None, lesson_id: str | None = None) -> list[str]:
        """Ids of the sessions matching the filters, oldest first."""
        rows = self._query(
            "SELECT id FROM sessions WHERE (?1 IS NULL OR learner = ?1) "
            "AND (?2 IS NULL OR lesson = ?2) ORDER BY started, rowid",
            (learner, lesson_id),
        )
        return [r[0] for r in rows]

    def latest_unfinished(self, learner: str, lesson_id: str) -> str | None:
        """The most recently started session of this learner and lesson that has not ended."""
        rows = self._query(
            "SELECT id FROM sessions WHERE learner = ? AND lesson = ? AND ended IS NULL "
            "ORDER BY started DESC, rowid DESC LIMIT 1",
            (learner, lesson_id),
        )
        return rows[0][0] if rows else None

    def save_state(self, session: str, state: dict[str, Any]) -> None:
        """Replace the session's resume snapshot (any JSON object)."""
        with self._tx() as db:
            cur = db.execute("UPDATE sessions SET state = ? WHERE id = ?", (dumps(state), session))
            if cur.rowcount == 0:
                raise UnknownSession(session)

    def end_session(self, session: str, completed: bool, *, ended: datetime | None = None) -> None:
        """Mark the session ended, so :meth:`latest_unfinished` no longer offers it."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE sessions SET ended = ?, completed = ? WHERE id = ?",
                (_iso(ended or _now()), int(completed), session),
            )
            if cur.rowcount == 0:
                raise UnknownSession(session)

    # --- statements ------------------------------------------------------------------------

    def append_statement(self, session: str, stmt: dict[str, Any]) -> int:
        """Append one statement, committed before returning.

        Appending a statement whose id is already logged with identical content is a no-op
        (re-emitting after a replay is safe).

        Returns:
            The statement's sequence number within the session.

        Raises:
            StatementConflict: The id is logged with different content.
            UnknownSession: No such session.
        """
        return self.append_statements(session, [stmt])[0]

    def append_statements(self, session: str, stmts: Iterable[dict[str, Any]]) -> list[int]:
        """Append several statements in one transaction (one disk sync for all)."""
        out: list[int] = []
        with self._tx() as db:
            self._require(db, session)
            (nxt,) = db.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM statements WHERE session = ?", (session,)
            ).fetchone()
            for stmt in stmts:
                text = dumps(stmt)
                sid = str(stmt["id"])
                row = db.execute(
                    "SELECT session, seq, json FROM statements WHERE id = ?", (sid,)
                ).fetchone()
                if row is not None:
                    if row[0] != session or row[2] != text:
                        raise StatementConflict(f"statement {sid} is already logged differently")
                    out.append(row[1])
                    continue
                db.execute(
                    "INSERT INTO statements (session, seq, id, json) VALUES (?, ?, ?, ?)",
                    (session, nxt, sid, text),
                )
                out.append(nxt)
                nxt += 1
        return out

    def statements(self, session: str) -> list[dict[str, Any]]:
        """The session's statements in append order."""
        rows = self._query("SELECT json FROM statements WHERE session = ? ORDER BY seq", (session,))
        return [json.loads(r[0]) for r in rows]

    def statement_count(self, session: str) -> int:
        """How many statements the session has (the next statement's number)."""
        return int(
            self._query("SELECT COUNT(*) FROM statements WHERE session = ?", (session,))[0][0]
        )

    def export_jsonl(self, session: str, path: str | os.PathLike[str]) -> int:
        """Write the session's statements to a JSON-lines file; returns the count."""
        return write_jsonl(path, self.statements(session))

    # --- interactions ----------------------------------------------------------------------

    def append_interaction(self, session: str, t: float, data: dict[str, Any]) -> int:
        """Append one raw interaction (``Interaction.to_dict()``) at lesson time ``t``.

        Returns:
            Its sequence number within the session.
        """
        return self.append_interactions(session, [(t, data)])[0]

    def append_interactions(
        self, session: str, items: Iterable[tuple[float, dict[str, Any]]]
    ) -> list[int]:
        """Append several interactions in one transaction (for high-rate input like head
        movement, where one disk sync per frame would cost more than the frame)."""
        out: list[int] = []
        with self._tx() as db:
            self._require(db, session)
            (nxt,) = db.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM interactions WHERE session = ?",
                (session,),
            ).fetchone()
            for t, data in items:
                db.execute(
                    "INSERT INTO interactions (session, seq, t, json) VALUES (?, ?, ?, ?)",
                    (session, nxt, float(t), dumps(data)),
                )
                out.append(nxt)
                nxt += 1
        return out

    def interactions(self, session: str) -> list[tuple[float, dict[str, Any]]]:
        """The session's interactions as ``(t, data)`` in append order."""
        rows = self._query(
            "SELECT t, json FROM interactions WHERE session = ? ORDER BY seq", (session,)
        )
        return [(float(t), json.loads(text)) for t, text in rows]


class SessionRecorder:
    """Turns a session's events into statements and logs them (store, optional JSON lines).

    Statement numbering continues from what the store already holds, so a resumed session
    keeps unique ids. A ``LessonEnded`` event also ends the session in the store.

    Args:
        store: Where statements and interactions go.
        ctx: The session (``ctx.registration`` is the store's session id).
        jsonl: A writer that also receives every statement, if wanted.
    """

    def __init__(
        self, store: SessionStore, ctx: SessionContext, jsonl: JsonlWriter | None = None
    ) -> None:
        self.store = store
        self.ctx = ctx
        self.jsonl = jsonl
        self.next_seq = store.statement_count(ctx.registration)
        self.listeners: list[Callable[[list[dict[str, Any]]], object]] = []

    def subscribe(self, listener: Callable[[list[dict[str, Any]]], object]) -> None:
        """Call ``listener`` with the statements of every event from now on, each batch only
        after it is committed to the store (so a listener never sees a statement the log could
        still lose: a classroom station's outbox relies on that)."""
        self.listeners.append(listener)

    def record(self, event: LessonEvent) -> list[dict[str, Any]]:
        """Log the statements for one lesson event; returns them."""
        stmts = statements_for(event, self.ctx, self.next_seq)
        self.store.append_statements(self.ctx.registration, stmts)
        self.next_seq += len(stmts)
        if self.jsonl is not None:
            for stmt in stmts:
                self.jsonl.write(stmt)
        if isinstance(event, LessonEnded):
            self.store.end_session(self.ctx.registration, event.completed)
        for listener in self.listeners:
            listener(stmts)
        return stmts

    def record_interaction(self, t: float, data: dict[str, Any]) -> int:
        """Log one raw interaction (``Interaction.to_dict()``) for replay."""
        return self.store.append_interaction(self.ctx.registration, t, data)
