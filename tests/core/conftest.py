"""Fixtures for the pure core: bundled lessons loaded once, fresh runtimes per test."""

from __future__ import annotations

import pytest

from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.model.loader import LoadedLesson, load_lesson


@pytest.fixture(scope="session")
def pendulum() -> LoadedLesson:
    return load_lesson("pendulum-lab")


@pytest.fixture(scope="session")
def agora() -> LoadedLesson:
    return load_lesson("athenian-agora")


class Recorder:
    """Collects a runtime's events."""

    def __init__(self, rt: Runtime) -> None:
        self.events: list[ev.LessonEvent] = []
        rt.subscribe(self.events.append)

    def of(self, kind: type[ev.LessonEvent]) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def lab(pendulum: LoadedLesson) -> tuple[Runtime, Recorder]:
    rt = Runtime(pendulum.lesson)
    rec = Recorder(rt)
    rt.start()
    return rt, rec


@pytest.fixture
def site(agora: LoadedLesson) -> tuple[Runtime, Recorder]:
    rt = Runtime(agora.lesson)
    rec = Recorder(rt)
    rt.start()
    return rt, rec
