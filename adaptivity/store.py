"""The learner store: each learner's model and Elo abilities, kept across sessions and lessons.

One SQLite table in WAL mode, keyed by (kind, key): ``learner`` rows hold a learner's
:class:`LearnerRecord` as JSON, ``items`` rows a lesson's :class:`~adaptivity.elo.ItemBank`.
Every write is one committed transaction (``synchronous=FULL``), and :meth:`LearnerStore.update`
reads, changes and writes a learner inside one ``BEGIN IMMEDIATE`` transaction, so two
processes updating the same learner never lose each other's changes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from adaptivity.bkt import DEFAULT_MASTERY, DEFAULT_PARAMS, BktParams, LearnerModel
from adaptivity.elo import Abilities, ItemBank, KSchedule

_SCHEMA = """
CREATE TABLE IF NOT EXISTS adaptivity_state (
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    json    TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
"""
_LEARNER = "learner"
_ITEMS = "items"


@dataclass
class LearnerRecord:
    """Everything adaptivity remembers about one learner.

    Attributes:
        learner: The learner's id (the session log's actor key or any stable id).
        model: BKT state per skill.
        abilities: Elo ability per skill.
    """

    learner: str
    model: LearnerModel = field(default_factory=LearnerModel)
    abilities: Abilities = field(default_factory=Abilities)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "version": 1,
            "learner": self.learner,
            "model": self.model.to_dict(),
            "abilities": self.abilities.to_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        params: Mapping[str, BktParams] | None = None,
        *,
        default: BktParams = DEFAULT_PARAMS,
        mastery: float | None = None,
    ) -> LearnerRecord:
        """A record from :meth:`to_dict` output; ``params`` etc. as in ``LearnerModel.from_dict``.

        Raises:
            ValueError: The data is not a saved learner record.
        """
        if data.get("version") != 1:
            raise ValueError(f"unsupported learner record version {data.get('version')!r}")
        model = LearnerModel.from_dict(data["model"], params, default=default, mastery=mastery)
        return cls(str(data["learner"]), model, Abilities.from_dict(data["abilities"]))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LearnerStore:
    """Learners' records and lessons' item banks in one SQLite file.

    Args:
        path: The database file; created with its folder if missing. ``":memory:"`` works
            for tests.

    Example:
        >>> with LearnerStore(tmp / "learners.sqlite") as store:  # doctest: +SKIP
        ...     with store.update("ada", params=lesson_priors) as rec:
        ...         rec.model.observe("pendulum-period", True)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path if str(path) == ":memory:" else Path(path)
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are begun explicitly, so they are exactly as wide as
        # the code says; the lock serialises this object's users across threads
        self._db = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    # --- learners --------------------------------------------------------------------------

    def load(
        self,
        learner: str,
        params: Mapping[str, BktParams] | None = None,
        *,
        default: BktParams = DEFAULT_PARAMS,
        mastery: float | None = None,
        schedule: KSchedule | None = None,
    ) -> LearnerRecord:
        """The learner's record, or a fresh one for a learner never saved.

        Args:
            learner: The learner's id.
            params: BKT parameters per skill (the current lesson's priors).
            default: Parameters for skills without their own.
            mastery: Mastery threshold; ``None`` keeps the saved one (0.95 for a new learner).
            schedule: K schedule of a new learner's abilities.
        """
        with self._lock:
            row = self._get(_LEARNER, learner)
        return self._record(learner, row, params, default, mastery, schedule)

    def save(self, record: LearnerRecord) -> None:
        """Write the record (one committed transaction)."""
        text = json.dumps(record.to_dict(), sort_keys=True, allow_nan=False)
        with self._lock, self._transaction():
            self._put(_LEARNER, record.learner, text)

    @contextmanager
    def update(
        self,
        learner: str,
        params: Mapping[str, BktParams] | None = None,
        *,
        default: BktParams = DEFAULT_PARAMS,
        mastery: float | None = None,
        schedule: KSchedule | None = None,
    ) -> Iterator[LearnerRecord]:
        """Read, change and write a learner atomically.

        The record is written when the block exits normally; an exception discards the
        changes. Other writers of this database wait meanwhile, so keep the block short.
        """
        with self._lock, self._transaction():
            row = self._get(_LEARNER, learner)
            record = self._record(learner, row, params, default, mastery, schedule)
            yield record
            text = json.dumps(record.to_dict(), sort_keys=True, allow_nan=False)
            self._put(_LEARNER, learner, text)

    def learners(self) -> list[str]:
        """Ids of every saved learner, sorted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM adaptivity_state WHERE kind = ? ORDER BY key", (_LEARNER,)
            ).fetchall()
        return [r[0] for r in rows]

    def delete(self, learner: str) -> bool:
        """Forget a learner (e.g. on a data-deletion request); True if there was a record."""
        with self._lock, self._transaction():
            cur = self._db.execute(
                "DELETE FROM adaptivity_state WHERE kind = ? AND key = ?", (_LEARNER, learner)
            )
        return cur.rowcount > 0

    # --- item banks ------------------------------------------------------------------------

    def load_items(self, bank: str, schedule: KSchedule | None = None) -> ItemBank:
        """A lesson's item bank (an empty one with ``schedule`` if never saved)."""
        with self._lock:
            row = self._get(_ITEMS, bank)
        return ItemBank.from_dict(json.loads(row)) if row is not None else ItemBank(schedule)

    def save_items(self, bank: str, items: ItemBank) -> None:
        """Write a lesson's item bank."""
        text = json.dumps(items.to_dict(), sort_keys=True, allow_nan=False)
        with self._lock, self._transaction():
            self._put(_ITEMS, bank, text)

    # --- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _record(
        learner: str,
        row: str | None,
        params: Mapping[str, BktParams] | None,
        default: BktParams,
        mastery: float | None,
        schedule: KSchedule | None,
    ) -> LearnerRecord:
        if row is not None:
            data = json.loads(row)
            return LearnerRecord.from_dict(data, params, default=default, mastery=mastery)
        threshold = mastery if mastery is not None else DEFAULT_MASTERY
        model = LearnerModel(params, default=default, mastery=threshold)
        return LearnerRecord(learner, model, Abilities(schedule))

    def _get(self, kind: str, key: str) -> str | None:
        row = self._db.execute(
            "SELECT json FROM adaptivity_state WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return str(row[0]) if row is not None else None

    def _put(self, kind: str, key: str, text: str) -> None:
        self._db.execute(
            "INSERT INTO adaptivity_state (kind, key, json, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE "
            "SET json = excluded.json, updated = excluded.updated",
            (kind, key, text, _now()),
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front: a read-modify-write cannot interleave
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> LearnerStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
