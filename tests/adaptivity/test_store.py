"""LearnerStore: records survive sessions and processes; updates are atomic."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from adaptivity.bkt import BktParams
from adaptivity.elo import EloPredictor, ItemBank, KSchedule
from adaptivity.store import LearnerRecord, LearnerStore

REPO = Path(__file__).resolve().parents[2]
PRIORS = {"period": BktParams(prior=0.2, learn=0.2, guess=0.2, slip=0.1)}


def test_unknown_learner_gets_a_fresh_record(tmp_path: Path) -> None:
    with LearnerStore(tmp_path / "learners.sqlite") as store:
        rec = store.load("ada", PRIORS, mastery=0.9)
        assert rec.learner == "ada"
        assert rec.model.p_known("period") == 0.2
        assert rec.model.mastery == 0.9
        assert store.learners() == []


def test_records_persist_across_sessions_and_lessons(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "learners.sqlite"
    with LearnerStore(db) as store:
        rec = store.load("ada", PRIORS)
        rec.model.observe("period", True)
        rec.model.observe("titration", False)
        EloPredictor(ItemBank()).update(rec.model, rec.abilities, "period", "hang", True)
        store.save(rec)
        saved = rec.to_dict()
    # another lesson, another day: different priors, same knowledge
    with LearnerStore(db) as store:
        again = store.load("ada", {"titration": BktParams(0.1, 0.1, 0.1, 0.1)})
        assert again.to_dict() == saved
        assert again.model.p_known("period") == rec.model.p_known("period")
        assert again.model.params("titration").prior == 0.1
        assert store.learners() == ["ada"]


def test_update_is_atomic_and_rolls_back_on_error(tmp_path: Path) -> None:
    with LearnerStore(tmp_path / "l.sqlite") as store:
        with store.update("bo", PRIORS) as rec:
            rec.model.observe("period", True)
        with pytest.raises(RuntimeError), store.update("bo", PRIORS) as rec:
            rec.model.observe("period", True)
            raise RuntimeError("crash mid-update")
        assert store.load("bo").model.opportunities("period") == 1


WORKER = textwrap.dedent(
    """
    import sys
    from adaptivity.store import LearnerStore
    with LearnerStore(sys.argv[1]) as store:
        for _ in range(int(sys.argv[2])):
            with store.update("shared") as rec:
                rec.model.observe("period", True)
    """
)


def test_concurrent_processes_lose_no_update(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    LearnerStore(db).close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(db), "40"], env=env) for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with LearnerStore(db) as store:
        assert store.load("shared").model.opportunities("period") == 80


def test_item_banks_and_deletion(tmp_path: Path) -> None:
    with LearnerStore(tmp_path / "l.sqlite") as store:
        empty = store.load_items("pendulum-lab", KSchedule(a=0.5))
        assert empty.items == {} and empty.schedule.a == 0.5
        bank = ItemBank()
        bank.update("hang_bob@scaffolds=1", 0.4)
        store.save_items("pendulum-lab", bank)
        assert store.load_items("pendulum-lab").to_dict() == bank.to_dict()
        store.save(LearnerRecord("cy"))
        assert store.delete("cy") and not store.delete("cy")
        assert store.learners() == []


def test_one_small_table_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    with LearnerStore(db) as store:
        store.save(LearnerRecord("ada"))
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["adaptivity_state"]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (text,) = con.execute("SELECT json FROM adaptivity_state").fetchone()
    assert json.loads(text)["learner"] == "ada"
    con.close()


def test_bad_saved_data_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        LearnerRecord.from_dict({"version": 7})
