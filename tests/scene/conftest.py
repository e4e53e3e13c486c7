"""Fixtures for scene tests: one offscreen app for the whole session, lessons written to tmp.

Panda3D allows one ShowBase at a time, so every test shares a single app (small, for speed)
and builds its own scene, destroyed afterwards; the app lifecycle itself is tested in a
subprocess (see test_app.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.model.loader import LoadedLesson, load_lesson
from engine.scene import (
    BuiltScene,
    SceneApp,
    build_scene,
    create_app,
    destroy_app,
)

WIDTH, HEIGHT = 320, 240
EYE = (0.0, 0.0, 1.6)


@pytest.fixture(scope="session")
def app() -> Iterator[SceneApp]:
    """The session's offscreen app."""
    the_app = create_app(headless=True, size=(WIDTH, HEIGHT))
    yield the_app
    destroy_app(the_app)


def lesson_dict(entities: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A minimal valid lesson around ``entities``."""
    first = entities[0]["id"] if entities else "nothing"
    return {
        "metadata": {
            "id": "scene-test",
            "title": "Scene test",
            "summary": "A lesson for render tests.",
            "subject": "physics",
            "age_range": [11, 16],
            "estimated_minutes": 5,
            "skills": [{"id": "look", "name": "Looking"}],
        },
        "environment": {"preset": "studio"},
        "entities": entities,
        "steps": [
            {
                "id": "press",
                "instruction": "Press it.",
                "complete_when": {"pressed": first},
                "hints": [{"level": "highlight"}, {"level": "concept"}, {"level": "demonstrate"}],
            }
        ],
        **extra,
    }


@pytest.fixture
def write_lesson(tmp_path: Path) -> Callable[..., LoadedLesson]:
    """Write a lesson (YAML is a superset of JSON) into tmp and load it without the checker."""

    def write(entities: list[dict[str, Any]], **extra: Any) -> LoadedLesson:
        path = tmp_path / "lesson.yaml"
        path.write_text(json.dumps(lesson_dict(entities, **extra), indent=1), encoding="utf-8")
        return load_lesson(path, check=False)

    return write


@pytest.fixture
def build(
    app: SceneApp, write_lesson: Callable[..., LoadedLesson]
) -> Iterator[Callable[..., BuiltScene]]:
    """Build a scene from entities, with the camera at eye height looking along +Y."""
    built: list[BuiltScene] = []

    def make(entities: list[dict[str, Any]], **extra: Any) -> BuiltScene:
        scene = build_scene(write_lesson(entities, **extra), app)
        built.append(scene)
        app.camera.set_pos(*EYE)
        app.camera.set_hpr(0, 0, 0)
        return scene

    yield make
    for scene in built:
        scene.destroy()
    app.reset()
