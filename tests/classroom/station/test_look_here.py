"""The presenter's "look here" arrow (what a teacher's focus command shows on a station)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from panda3d.core import Point3

from engine.core.runtime import Runtime
from engine.model.loader import load_lesson
from engine.present.presenter import Presenter
from engine.scene.app import SceneApp, create_app, destroy_app, render_frame, screenshot_rgba
from engine.scene.builder import build_scene


@pytest.fixture
def lab() -> Iterator[tuple[SceneApp, Presenter]]:
    """The pendulum lab, rendered offscreen, the learner turned away from the bench."""
    loaded = load_lesson("pendulum-lab")
    rt = Runtime(loaded.lesson)
    app = create_app(headless=True, size=(320, 180))
    scene = build_scene(loaded, app, knob_levels=rt.knobs)
    presenter = Presenter(app, scene, rt)
    player = loaded.lesson.player
    x, y, z = player.position
    app.camera.setPos(x, y, z + player.eye_height)
    app.camera.setHpr(player.heading + 180.0, 0.0, 0.0)
    rt.start()
    yield app, presenter
    presenter.destroy()
    scene.destroy()
    destroy_app(app)


def arrow_pixels(app: SceneApp) -> int:
    render_frame(app)
    rgba = screenshot_rgba(app).astype(int)
    r, g, b = rgba[..., 0], rgba[..., 1], rgba[..., 2]
    return int(((r > 200) & (g < 60) & (b > 150)).sum())


def test_the_arrow_shows_until_the_learner_looks_at_the_point(
    lab: tuple[SceneApp, Presenter],
) -> None:
    app, presenter = lab
    assert arrow_pixels(app) == 0
    assert presenter.point_at("no_such_entity") is False
    assert presenter.state.focus is None

    assert presenter.point_at("pendulum") is True
    presenter.update(0.0)
    assert presenter.state.focus == "pendulum"
    assert not presenter.focus_arrow.isHidden()
    assert arrow_pixels(app) > 20

    # turning towards it, the arrow stays until the point is near the centre of view
    app.camera.setH(app.camera.getH() + 120.0)
    presenter.update(0.0)
    assert presenter.state.focus == "pendulum"
    app.camera.lookAt(Point3(*presenter.scene.world_position("pendulum")))
    presenter.update(0.0)
    assert presenter.state.focus is None
    assert presenter.state.focus_seen == ["pendulum"]
    assert arrow_pixels(app) == 0


def test_the_arrow_points_towards_the_side_the_point_is_on(
    lab: tuple[SceneApp, Presenter],
) -> None:
    app, presenter = lab
    target = Point3(*presenter.scene.world_position("pendulum"))
    app.camera.lookAt(target)
    app.camera.setH(app.camera.getH() + 60.0)  # turned left: the pendulum is to the right
    presenter.point_at("pendulum")
    presenter.update(0.0)
    render_frame(app)
    rgba = screenshot_rgba(app).astype(int)
    mask = (rgba[..., 0] > 200) & (rgba[..., 1] < 60) & (rgba[..., 2] > 150)
    columns = np.nonzero(mask)[1]
    assert columns.size > 20
    assert columns.mean() > rgba.shape[1] / 2
