"""Runtime behaviours keep the contract the lesson format declares (PROPERTIES, ACTIONS)."""

from __future__ import annotations

import pytest

from engine.core.behaviours import BEHAVIOURS
from engine.core.runtime import Runtime
from engine.model.components import ACTIONS, PROPERTIES
from engine.model.loader import load_lesson
from engine.paths import LESSONS_DIR

LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())
#: a value of each settable dimension that the runtime must accept
SAMPLE = {"length": "0.8 m", "acceleration": 9.7, "angle": "20 deg", None: 0.1}


def test_every_declared_component_has_a_behaviour() -> None:
    assert set(PROPERTIES) == {cls.component for cls in BEHAVIOURS.values()}
    assert set(ACTIONS) <= set(PROPERTIES)


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_behaviours_provide_what_is_declared(lesson_id: str) -> None:
    rt = Runtime(load_lesson(lesson_id).lesson)
    rt.start()
    for entity, behaviours in rt.behaviours.items():
        for b in behaviours:
            assert set(PROPERTIES[b.component]) <= set(b.properties()), (entity, b.component)
            for name, prop in PROPERTIES[b.component].items():
                if prop.settable:
                    b.set(name, SAMPLE[prop.dimension])
            for action in sorted(ACTIONS.get(b.component, ())):
                b.call(action)


def test_bundled_lessons_exercise_the_simulations() -> None:
    used = {
        b.component
        for lesson_id in LESSONS
        for bs in Runtime(load_lesson(lesson_id).lesson).behaviours.values()
        for b in bs
    }
    assert {"pendulum", "container", "burette", "stopwatch", "ph_meter", "ruler"} <= used
