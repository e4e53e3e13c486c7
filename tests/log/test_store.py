"""SessionStore: durable appends (even under kill -9), resume, idempotent statements."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.core.events import Grab, LessonStarted, Move, interaction_from_dict
from engine.log import (
    JsonlWriter,
    SessionRecorder,
    SessionStore,
    StatementConflict,
    StatementSequence,
    UnknownSession,
    read_jsonl,
    validate_statement,
)

from . import LEARNER, START, make_ctx, sample_session

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with SessionStore(tmp_path / "log" / "sessions.db") as s:
        yield s


def test_pragmas_are_wal_and_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SessionStore(path)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
    # WAL is a property of the file: a fresh connection sees it
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_statements_and_interactions_round_trip_in_order(store: SessionStore) -> None:
    ctx = make_ctx()
    sid = store.open_session(LEARNER.key, ctx.lesson_id, session_id=ctx.registration, started=START)
    assert sid == ctx.registration
    seq = StatementSequence(ctx)
    stmts = [s for e in sample_session() for s in seq(e)]
    assert [store.append_statement(sid, s) for s in stmts] == list(range(len(stmts)))
    assert store.statements(sid) == stmts
    assert store.statement_count(sid) == len(stmts)
    moves = [(i / 120, Move(position=(0.0, 1.6, i / 100))) for i in range(5)]
    assert [store.append_interaction(sid, t, m.to_dict()) for t, m in moves] == [0, 1, 2, 3, 4]
    assert store.append_interactions(sid, [(1.0, Grab(entity="bob").to_dict())]) == [5]
    back = store.interactions(sid)
    # JSON turns tuples into lists; interaction_from_dict turns them back, so replay is exact
    assert [(t, interaction_from_dict(d)) for t, d in back[:5]] == moves
    assert back[5] == (1.0, {"kind": "grab", "entity": "bob"})
    info = store.session(sid)
    assert (info.learner, info.lesson, info.started, info.ended) == (
        LEARNER.key,
        ctx.lesson_id,
        START,
        None,
    )


def test_same_statement_twice_is_kept_once_and_a_different_one_conflicts(
    store: SessionStore,
) -> None:
    ctx = make_ctx()
    sid = store.open_session(LEARNER.key, ctx.lesson_id, session_id=ctx.registration)
    first = StatementSequence(ctx)(LessonStarted(t=0.0))[0]
    assert store.append_statement(sid, first) == 0
    assert store.append_statement(sid, json.loads(json.dumps(first))) == 0
    assert store.statement_count(sid) == 1
    changed = dict(first, timestamp="2030-01-01T00:00:00.000Z")
    with pytest.raises(StatementConflict):
        store.append_statement(sid, changed)
    assert store.statements(sid) == [first]


def test_unknown_session_is_refused(store: SessionStore) -> None:
    with pytest.raises(UnknownSession):
        store.append_statement("7d0f4a2e-0000-4000-8000-000000000000", {"id": "x"})
    with pytest.raises(UnknownSession):
        store.session("nope")
    with pytest.raises(UnknownSession):
        store.end_session("nope", completed=False)


def test_resume_finds_the_latest_unfinished_session(store: SessionStore) -> None:
    lesson = "pendulum-period"
    old = store.open_session("ada", lesson, started=START)
    newer = store.open_session("ada", lesson, started=START + timedelta(hours=1))
    done = store.open_session("ada", lesson, started=START + timedelta(hours=2))
    store.end_session(done, completed=True)
    store.open_session("bob", lesson, started=START + timedelta(hours=3))
    store.open_session("ada", "titration", started=START + timedelta(hours=4))
    assert store.latest_unfinished("ada", lesson) == newer
    store.save_state(newer, {"step": "time", "tick": 7200, "knobs": {"precision": 1}})
    assert store.session(newer).state == {"step": "time", "tick": 7200, "knobs": {"precision": 1}}
    store.end_session(newer, completed=False)
    assert store.latest_unfinished("ada", lesson) == old
    store.end_session(old, completed=False)
    assert store.latest_unfinished("ada", lesson) is None
    assert store.latest_unfinished("carol", lesson) is None
    info = store.session(done)
    assert info.completed is True and info.ended is not None
    assert store.sessions("ada", lesson) == [old, newer, done]


def test_recorder_logs_ends_and_resumes_with_fresh_ids(store: SessionStore, tmp_path: Path) -> None:
    ctx = make_ctx()
    store.open_session(LEARNER.key, ctx.lesson_id, session_id=ctx.registration, started=START)
    events = sample_session()
    cut = 13  # stop mid-lesson, as a crash or a closed laptop would
    with JsonlWriter(tmp_path / "live.jsonl") as out:
        rec = SessionRecorder(store, ctx, jsonl=out)
        for e in events[:cut]:
            rec.record(e)
        rec.record_interaction(1.5, Grab(entity="bob").to_dict())
    logged_live = store.statement_count(ctx.registration)
    assert store.latest_unfinished(LEARNER.key, ctx.lesson_id) == ctx.registration
    # a new process: rebuild the recorder from the store and go on
    info = store.session(ctx.registration)
    resumed = SessionRecorder(store, make_ctx(info.id, started=info.started))
    for e in events[cut:]:
        resumed.record(e)
    stmts = store.statements(ctx.registration)
    ids = [s["id"] for s in stmts]
    assert len(ids) == len(set(ids))
    whole = StatementSequence(make_ctx(ctx.registration))
    assert stmts == [s for e in events for s in whole(e)]
    assert all(validate_statement(s) == [] for s in stmts)
    assert store.latest_unfinished(LEARNER.key, ctx.lesson_id) is None  # LessonEnded ended it
    assert store.session(ctx.registration).completed is not None
    assert read_jsonl(tmp_path / "live.jsonl") == stmts[:logged_live]
    assert store.export_jsonl(ctx.registration, tmp_path / "all.jsonl") == len(stmts)
    assert read_jsonl(tmp_path / "all.jsonl") == stmts
    assert store.interactions(ctx.registration) == [(1.5, {"kind": "grab", "entity": "bob"})]


def test_threads_can_share_a_store(store: SessionStore) -> None:
    sid = store.open_session("ada", "pendulum-period")

    def work(k: int) -> None:
        for i in range(25):
            store.append_interaction(sid, float(i), {"kind": "press", "entity": f"b{k}"})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.interactions(sid)) == 100


# --- crash safety: a writer killed with SIGKILL loses nothing it committed ----------------

WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from engine.core.events import Interacted
    from datetime import datetime, timezone
    from engine.log import Actor, SessionContext, SessionStore, StatementSequence

    path, registration, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    store = SessionStore(path)
    sid = store.open_session("ada", "pendulum-period", session_id=registration)
    ctx = SessionContext(
        learner=Actor.account("https://school.example.org", "ada"), lesson_id="pendulum-period",
        lesson_title="Pendulum", language="en", registration=registration,
        started=datetime(2026, 3, 14, tzinfo=timezone.utc),
    )
    seq = StatementSequence(ctx)
    for i in range(n if mode == "self" else 10**9):
        (stmt,) = seq(Interacted(t=i / 10, action="grab", entity="bob"))
        store.append_statement(sid, stmt)
        store.append_interaction(sid, i / 10, {"kind": "grab", "entity": "bob"})
        if mode == "parent":
            print(i, flush=True)  # acknowledged: the parent may kill us from now on
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _spawn(tmp_path: Path, n: int, mode: str) -> tuple[subprocess.Popen[str], Path, str]:
    db = tmp_path / "crash.db"
    registration = "5a0c6b1e-2f3d-4c5b-8a9e-0f1e2d3c4b5a"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), registration, str(n), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return proc, db, registration


def test_writer_that_kills_itself_keeps_all_appends(tmp_path: Path) -> None:
    n = 200
    proc, db, registration = _spawn(tmp_path, n, "self")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    store = SessionStore(db)
    stmts = store.statements(registration)
    assert len(stmts) == n
    assert len({s["id"] for s in stmts}) == n
    assert len(store.interactions(registration)) == n
    assert store.latest_unfinished("ada", "pendulum-period") == registration


def test_writer_killed_from_outside_keeps_every_acknowledged_append(tmp_path: Path) -> None:
    proc, db, registration = _spawn(tmp_path, 0, "parent")
    assert proc.stdout is not None
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 150:
            break
    proc.send_signal(signal.SIGKILL)  # mid-loop: maybe inside a transaction
    proc.wait(timeout=30)
    proc.stdout.close()
    store = SessionStore(db)
    stmts = store.statements(registration)
    assert len(stmts) >= acknowledged + 1
    # nothing half-written: every row parses and is in order
    assert [
        s["context"]["extensions"]["https://peripatos.dev/xapi/extensions/lesson-time"]
        for s in stmts
    ] == [i / 10 for i in range(len(stmts))]
    assert len(store.interactions(registration)) >= acknowledged + 1
    # and the database is still writable
    store.append_interaction(registration, 99.0, {"kind": "pause"})
    assert store.interactions(registration)[-1] == (99.0, {"kind": "pause"})
