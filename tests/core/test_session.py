"""Sessions: every interaction and statement logged durably; resume by deterministic replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.core import events as ev
from engine.core.script import LogicPilot, ScriptDriver, load_script
from engine.log.jsonl import read_jsonl
from engine.log.store import SessionStore
from engine.log.validate import validate_statement
from engine.model.loader import LoadedLesson
from engine.paths import LESSONS_DIR
from engine.session import LessonSession


def drive(session: LessonSession, lesson_id: str, upto: int | None = None) -> None:
    actions = load_script(LESSONS_DIR / lesson_id / "scripts" / "walkthrough.yaml")
    driver = ScriptDriver(session.runtime, LogicPilot(), handle=session.handle)
    session.start()
    driver.run(actions[:upto])


def test_walkthrough_logs_valid_statements_to_store_and_jsonl(
    pendulum: LoadedLesson, tmp_path: Path
) -> None:
    store = SessionStore(tmp_path / "s.sqlite")
    session = LessonSession(pendulum, store, learner="ada", record=tmp_path / "log.jsonl")
    drive(session, "pendulum-lab")
    session.close()
    assert session.runtime.completed
    lines = read_jsonl(tmp_path / "log.jsonl", strict=True)
    assert lines == store.statements(session.session_id)
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in lines]
    assert verbs[0] == "initialized" and verbs[-1] == "terminated"
    assert {"interacted", "answered", "completed", "passed", "experienced", "measured"} <= set(
        verbs
    )
    for stmt in lines:
        assert validate_statement(stmt) == [], stmt
    assert len({s["id"] for s in lines}) == len(lines)
    assert store.latest_unfinished(session.actor.key, "pendulum-lab") is None


def test_resume_replays_to_the_same_state_and_continues(
    pendulum: LoadedLesson, tmp_path: Path
) -> None:
    db = tmp_path / "s.sqlite"
    first = LessonSession(pendulum, SessionStore(db), learner="ada")
    drive(first, "pendulum-lab", upto=8)  # up to the first answer
    state = (first.runtime.step_index, first.runtime.t, first.runtime.world.world_position("bob"))
    logged = first.store.statement_count(first.session_id)
    first.close()  # not completed: stays resumable
    assert not first.runtime.completed

    second = LessonSession(pendulum, SessionStore(db), learner="ada", resume=True)
    assert second.session_id == first.session_id
    rt = second.runtime
    assert (rt.step_index, rt.t, rt.world.world_position("bob")) == state
    assert second.store.statement_count(second.session_id) == logged  # replay logs nothing twice
    rest = load_script(LESSONS_DIR / "pendulum-lab" / "scripts" / "walkthrough.yaml")[8:]
    second.start()
    ScriptDriver(rt, LogicPilot(), handle=second.handle).run(rest)
    assert rt.completed
    stmts = second.store.statements(second.session_id)
    assert "resumed" in [s["verb"]["id"].rsplit("/", 1)[-1] for s in stmts]
    assert len({s["id"] for s in stmts}) == len(stmts)


CRASHER = textwrap.dedent(
    """
    import os, sys
    from engine.core import events as ev
    from engine.log.store import SessionStore
    from engine.model.loader import load_lesson
    from engine.session import LessonSession
    session = LessonSession(load_lesson("pendulum-lab"), SessionStore(sys.argv[1]), learner="bo")
    session.start()
    session.handle(ev.Grab(entity="bob"))
    hook = session.runtime.world.world_position("pendulum")
    session.handle(ev.Release(entity="bob", position=hook))
    session.handle(ev.Press(entity="length_long"))
    print(session.store.statement_count(session.session_id), flush=True)
    os._exit(9)  # die without closing anything, as a power cut would
    """
)


def test_crash_mid_lesson_loses_nothing_and_resumes(pendulum: LoadedLesson, tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        check=False,
    )
    assert proc.returncode == 9, proc.stderr
    written = int(proc.stdout.strip())
    store = SessionStore(db)
    sid = (
        store.latest_unfinished("https://peripatos.dev/learners|bo", "pendulum-lab")
        or store.sessions()[0]
    )
    assert store.statement_count(sid) == written
    assert len(store.interactions(sid)) == 3
    resumed = LessonSession(pendulum, store, learner="bo", resume=True)
    assert resumed.session_id == sid
    assert resumed.runtime.step is not None and resumed.runtime.step.id == "time_small"
    assert json.dumps(store.statements(sid))  # all readable


def test_rejected_interactions_are_logged_and_replay_identically(
    pendulum: LoadedLesson, tmp_path: Path
) -> None:
    db = tmp_path / "s.sqlite"
    s = LessonSession(pendulum, SessionStore(db), learner="cy")
    s.start()
    assert s.handle(ev.Grab(entity="bench")) is not None
    s.close()
    again = LessonSession(pendulum, SessionStore(db), learner="cy", resume=True)
    assert again.runtime.world.held is None
