"""The outbox: every statement the station's lessons produce, kept on disk until the console
has confirmed it.

SQLite in WAL mode with ``synchronous=FULL``: when :meth:`Outbox.add` returns, the statements
survive a crash of the process or the machine. A statement leaves the outbox only after a 200
from the console whose request carried it (:meth:`Outbox.delivered`); its id is then remembered,
so enqueueing it again (a reconciliation after a crash) is a no-op. The console stores each id
once, so a statement sent twice (the answer to the first try was lost) still counts once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id    TEXT NOT NULL UNIQUE,
    json  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS delivered (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejected (
    id     TEXT PRIMARY KEY,
    json   TEXT NOT NULL,
    reason TEXT NOT NULL
) WITHOUT ROWID;
"""


class Outbox:
    """Statements waiting for the console, oldest first. Safe to share between threads.

    Args:
        path: the SQLite file (created with its folder).
        on_add: called after statements are added (to wake the sender).
    """

    def __init__(self, path: Path, on_add: Callable[[], None] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit: each method's transaction is explicit, so each is exactly one commit
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.on_add = on_add

    def add(self, statements: Iterable[dict[str, Any]]) -> int:
        """Keep these statements until delivered; returns how many were new to the outbox.

        Statements already waiting or already delivered are skipped, so this is safe to call
        again with the same statements.
        """
        rows = [(str(s["id"]), json.dumps(s, separators=(",", ":"))) for s in statements]
        added = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sid, text in rows:
                    if self._db.execute("SELECT 1 FROM delivered WHERE id = ?", (sid,)).fetchone():
                        continue
                    cur = self._db.execute(
                        "INSERT OR IGNORE INTO outbox (id, json) VALUES (?, ?)", (sid, text)
                    )
                    added += cur.rowcount
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        if added and self.on_add is not None:
            self.on_add()
        return added

    def peek(self, limit: int, max_bytes: int) -> list[dict[str, Any]]:
        """The oldest waiting statements: at most ``limit``, and (past the first) at most
        ``max_bytes`` of JSON together."""
        with self._lock:
            rows = self._db.execute(
                "SELECT json FROM outbox ORDER BY rowid LIMIT ?", (limit,)
            ).fetchall()
        out: list[dict[str, Any]] = []
        size = 0
        for (text,) in rows:
            size += len(text) + 1
            if out and size > max_bytes:
                break
            out.append(json.loads(text))
        return out

    def delivered(self, ids: Iterable[str]) -> None:
        """The console confirmed these: remove them, remembering their ids."""
        self._move(ids, None)

    def reject(self, statement_id: str, reason: str) -> None:
        """The console refuses this statement outright: set it aside (kept, with the reason)
        so it cannot block the statements behind it."""
        self._move([statement_id], reason)

    def _move(self, ids: Iterable[str], reason: str | None) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sid in ids:
                    if reason is not None:
                        self._db.execute(
                            "INSERT OR REPLACE INTO rejected (id, json, reason) "
                            "SELECT id, json, ? FROM outbox WHERE id = ?",
                            (reason, sid),
                        )
                    self._db.execute("DELETE FROM outbox WHERE id = ?", (sid,))
                    self._db.execute("INSERT OR IGNORE INTO delivered (id) VALUES (?)", (sid,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def pending(self) -> int:
        """How many statements wait."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def rejected(self) -> list[tuple[str, str]]:
        """Statements the console refused, as ``(id, reason)``."""
        with self._lock:
            return [
                (str(i), str(r))
                for i, r in self._db.execute("SELECT id, reason FROM rejected ORDER BY id")
            ]

    def close(self) -> None:
        """Close the database (everything added is already on disk)."""
        with self._lock:
            self._db.close()
