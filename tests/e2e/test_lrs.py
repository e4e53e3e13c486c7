"""A whole recorded session of every bundled lesson goes into a real LRS (Ralph) and comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core.script import LogicPilot, ScriptDriver, load_script
from engine.log.store import SessionStore
from engine.model.loader import load_lesson
from engine.paths import LESSONS_DIR
from engine.session import LessonSession
from tools.ralph import RalphServer, default_venv, missing_ralph_message, ralph_executable

LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())


@pytest.fixture(scope="module")
def lrs() -> Iterator[RalphServer]:
    ralph = ralph_executable(default_venv())
    if not ralph.exists():
        pytest.fail(missing_ralph_message(default_venv()), pytrace=False)
    with RalphServer(ralph, users=tuple(LESSONS)) as server:
        yield server


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_walkthrough_session_is_accepted_by_ralph(
    lrs: RalphServer, lesson_id: str, tmp_path: Path
) -> None:
    session = LessonSession(
        load_lesson(lesson_id), SessionStore(tmp_path / "s.sqlite"), learner="ralph-test"
    )
    driver = ScriptDriver(session.runtime, LogicPilot(), handle=session.handle)
    session.start()
    driver.run(load_script(LESSONS_DIR / lesson_id / "scripts" / "walkthrough.yaml"))
    session.close()
    statements = session.store.statements(session.session_id)
    assert session.runtime.completed and len(statements) > 10

    status, ids = lrs.post_statements(statements, user=lesson_id)
    assert status == 200
    assert sorted(ids) == sorted(s["id"] for s in statements)
    stored = lrs.get_statements(user=lesson_id, registration=session.session_id)
    assert sorted(s["id"] for s in stored) == sorted(ids)
