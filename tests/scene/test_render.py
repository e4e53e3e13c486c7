"""Render tests: build small lessons offscreen and check what lands in the pixels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point2

from engine.scene import BuiltScene, SceneApp
from tests.scene.pixels import changed_pixels, frame, region, to_pixel

Build = Callable[..., BuiltScene]

RED_BALL = {
    "id": "ball",
    "position": [0.4, 3.0, 1.7],
    "geometry": {"primitive": "sphere", "radius": 0.3},
    "material": {"color": "#ff0000", "roughness": 0.8},
}


def test_red_sphere_appears_red_where_the_lens_projects_it(app: SceneApp, build: Build) -> None:
    scene = build([RED_BALL])
    image = frame(app)
    col, row = to_pixel(app, scene.world_position("ball"))
    r, g, b = region(image, (col, row), 2).reshape(-1, 3).mean(axis=0)
    assert r > 120 and r > 2.5 * g and r > 2.5 * b, (r, g, b)
    # and it is off-centre, where the projection says, not just anywhere
    assert col > app.size[0] // 2 + 10


def test_sky_shows_the_colour_the_lesson_writes(app: SceneApp, build: Build) -> None:
    build([RED_BALL], environment={"preset": "studio", "sky": "#336699"})
    app.camera.set_hpr(0, 30, 0)  # look up, away from the floor
    top = frame(app)[5, 5, :3].astype(int)
    assert np.abs(top - [0x33, 0x66, 0x99]).max() <= 4, top


@pytest.mark.parametrize("primitive", ["box", "sphere", "cylinder", "cone", "plane", "torus"])
def test_every_primitive_renders(app: SceneApp, build: Build, primitive: str) -> None:
    entity = {
        "id": "shape",
        "position": [0.0, 2.5, 1.6],
        # a plane is horizontal: tilt it towards the camera
        "rotation": [0, 60, 0] if primitive == "plane" else [0, 20, 0],
        "geometry": {
            "primitive": primitive,
            "width": 0.6,
            "depth": 0.6,
            "height": 0.6,
            "radius": 0.3,
            "tube": 0.08,
        },
        "material": {"color": "orange"},
    }
    scene = build([entity])
    with_shape = frame(app)
    scene.set_visible("shape", False)
    without = frame(app)
    assert changed_pixels(with_shape, without) > 400


def test_gltf_model_from_assets_renders(app: SceneApp, build: Build) -> None:
    scene = build([{"id": "column", "model": "models/doric_column.glb", "position": [0, 9, -1.0]}])
    assert scene.warnings == []
    with_model = frame(app)
    scene.set_visible("column", False)
    assert changed_pixels(with_model, frame(app)) > 1000


def test_gltf_model_stands_up_in_z_up_world(app: SceneApp, build: Build) -> None:
    # glTF is Y-up; a loader that does not convert lays the column on its side along +Y
    scene = build([{"id": "column", "model": "models/doric_column.glb", "position": [0, 9, 0]}])
    low, high = scene.parts["column"].bounds
    assert high.z - low.z > 4.0 and high.y - low.y < 1.5, (low, high)


def test_damaged_model_is_a_warning_and_a_placeholder(
    app: SceneApp, build: Build, tmp_path: Path
) -> None:
    broken = tmp_path / "assets" / "models" / "broken.glb"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"glTF" + b"\x02\x00\x00\x00" + b"\xff" * 40)  # header, then garbage
    scene = build([{"id": "bad", "model": "models/broken.glb", "position": [0, 2, 1.6]}])
    assert any("broken.glb" in w and "did not load" in w for w in scene.warnings), scene.warnings
    col, row = to_pixel(app, scene.world_position("bad"))
    r, g, b = region(frame(app), (col, row), 1).reshape(-1, 3).mean(axis=0)
    assert r > 150 and b > 150 and g < 100


def test_missing_model_is_a_warning_and_a_placeholder(app: SceneApp, build: Build) -> None:
    scene = build([{"id": "ghost", "model": "models/nope.glb", "position": [0, 2, 1.6]}])
    assert any("nope.glb" in w for w in scene.warnings)
    col, row = to_pixel(app, scene.world_position("ghost"))
    r, g, b = region(frame(app), (col, row), 1).reshape(-1, 3).mean(axis=0)
    assert r > 150 and b > 150 and g < 100


def test_text_label_is_dark_on_a_light_card(app: SceneApp, build: Build) -> None:
    scene = build(
        [{"id": "sign", "position": [0, 1.5, 1.6], "text": {"value": "pH 7.00", "size": 0.1}}]
    )
    with_label = frame(app)
    centre = to_pixel(app, scene.world_position("sign"))
    patch = region(with_label, centre, 30).astype(int)
    luminance = patch.mean(axis=-1)
    # unlit, so neither black nor shaded: a light card with dark ink on it
    assert luminance.max() > 220 and luminance.min() < 60
    scene.set_visible("sign", False)
    assert changed_pixels(with_label, frame(app)) > 300


def test_set_label_creates_and_updates_a_readout(app: SceneApp, build: Build) -> None:
    box = {"primitive": "box", "width": 0.2, "depth": 0.1, "height": 0.1}
    scene = build([{"id": "watch", "position": [0, 0.8, 1.45], "geometry": box}])
    before = frame(app)
    scene.set_label("watch", "0.00 s")
    first = frame(app)
    assert changed_pixels(before, first) > 100
    scene.set_label("watch", "12.34 s")
    assert changed_pixels(first, frame(app)) > 20


def test_info_panel_with_timeline_renders_a_card(app: SceneApp, build: Build) -> None:
    panel = {
        "title": "The Painted Stoa",
        "body": "Zeno taught here, and the Stoics took their name from it.",
        "width": 1.2,
        "timeline": [
            {"year": -460, "label": "built"},
            {"year": -300, "label": "Zeno"},
            {"year": 400, "label": "taken down"},
        ],
    }
    scene = build([{"id": "panel", "position": [0, 2.0, 1.6], "info_panel": panel}])
    image = frame(app)
    patch = region(image, to_pixel(app, scene.world_position("panel")), 40).astype(int)
    luminance = patch.mean(axis=-1)
    assert (luminance > 220).mean() > 0.5  # mostly light card
    assert (luminance < 90).sum() > 20  # with dark text on it
    assert scene.pick(app.camera) == "panel"


def test_highlight_changes_the_entity_region(app: SceneApp, build: Build) -> None:
    scene = build([{**RED_BALL, "material": {"color": "#3060c0"}}])
    centre = to_pixel(app, scene.world_position("ball"))
    plain = region(frame(app), centre, 25)
    scene.highlight("ball", True)
    lit = region(frame(app), centre, 25)
    assert changed_pixels(plain, lit, threshold=40) > 0.3 * plain.shape[0] * plain.shape[1]
    scene.highlight("ball", False)
    assert changed_pixels(plain, region(frame(app), centre, 25)) < 10


def test_set_visible_false_removes_the_entity(app: SceneApp, build: Build) -> None:
    scene = build([RED_BALL], environment={"preset": "studio", "sky": "#204060"})
    centre = to_pixel(app, scene.world_position("ball"))
    assert scene.is_visible("ball")
    scene.set_visible("ball", False)
    r, g, b = region(frame(app), centre, 2).reshape(-1, 3).mean(axis=0)
    assert abs(r - 0x20) < 6 and abs(g - 0x40) < 6 and abs(b - 0x60) < 6
    assert not scene.is_visible("ball")


def test_set_liquid_changes_level_and_colour(app: SceneApp, build: Build) -> None:
    beaker = {
        "id": "beaker",
        "position": [0, 1.2, 1.45],
        "rotation": [0, -25, 0],
        "geometry": {"primitive": "cylinder", "radius": 0.12, "height": 0.3},
        "material": {"color": "#e8f4ff", "opacity": 0.25},
        "container": {"capacity": "500 mL", "liquid": {"volume": "250 mL"}},
    }
    scene = build([beaker])
    centre = to_pixel(app, scene.world_position("beaker"))
    scene.set_liquid("beaker", 0.9, (0.9, 0.1, 0.5, 1.0))
    pink = region(frame(app), centre, 3).reshape(-1, 3).mean(axis=0)
    scene.set_liquid("beaker", 0.9, (0.1, 0.3, 0.9, 1.0))
    blue = region(frame(app), centre, 3).reshape(-1, 3).mean(axis=0)
    assert pink[0] > pink[2] + 40 and blue[2] > blue[0] + 40, (pink, blue)
    scene.set_liquid("beaker", 0.0, (0.1, 0.3, 0.9, 1.0))
    empty = region(frame(app), centre, 3).reshape(-1, 3).mean(axis=0)
    assert np.abs(empty - blue).max() > 30


def test_pick_finds_the_entity_under_the_centre(app: SceneApp, build: Build) -> None:
    scene = build(
        [
            {**RED_BALL, "position": [0, 3, 1.6]},
            {"id": "side", "position": [1.5, 3, 1.6], "geometry": {"primitive": "box"}},
            {"id": "behind", "position": [0, 6, 1.6], "geometry": {"primitive": "box"}},
        ]
    )
    assert scene.pick(app.camera) == "ball"
    assert scene.pick(app.cam, (0.9, 0.9)) is None
    side = Point2()
    app.cam.node().get_lens().project(app.cam.get_relative_point(app.render, (1.5, 3, 1.6)), side)
    assert scene.pick(app.cam, (side.x, side.y)) == "side"
    scene.set_visible("ball", False)
    assert scene.pick(app.camera) == "behind"


def test_knob_gated_entities_follow_the_level(app: SceneApp, build: Build) -> None:
    distractor = {
        "id": "distractor",
        "position": [-0.5, 3, 1.6],
        "geometry": {"primitive": "box"},
        "only_when": {"knob": "clutter", "min_level": 1},
    }
    scene = build(
        [RED_BALL, distractor], difficulty=[{"id": "clutter", "levels": [0, 1, 2], "default": 0}]
    )
    assert not scene.is_visible("distractor")
    scene.apply_knobs({"clutter": 2})
    assert scene.is_visible("distractor")
    scene.set_visible("distractor", False)
    assert not scene.is_visible("distractor")


def test_hierarchy_and_pendulum_string(app: SceneApp, build: Build) -> None:
    scene = build(
        [
            {
                "id": "stand",
                "position": [0, 2, 2.0],
                "scale": 2.0,
                "geometry": {"primitive": "box", "width": 0.05, "depth": 0.05, "height": 0.05},
                "pendulum": {"bob": "bob", "length": "0.5 m"},
            },
            {
                "id": "bob",
                "parent": "stand",
                "position": [0, 0, -0.25],
                "geometry": {"primitive": "sphere", "radius": 0.02},
            },
        ]
    )
    # the bob's position is relative to its (scaled) parent
    assert scene.world_position("bob") == pytest.approx((0, 2, 1.5))
    before = frame(app)
    scene.set_pendulum("stand", (0.2, 0.0, -0.45))
    assert scene.world_position("bob") == pytest.approx((0.2, 2, 1.55), abs=1e-5)
    assert changed_pixels(before, frame(app)) > 20


def test_snap_zone_and_point_of_interest_markers_show(app: SceneApp, build: Build) -> None:
    scene = build(
        [
            {"id": "zone", "position": [0, 1.5, 1.2], "snap_zone": {"radius": "15 cm"}},
            {"id": "altar", "position": [1.0, 5, 0], "point_of_interest": {"title": "Altar"}},
        ]
    )
    shown = frame(app)
    scene.set_visible("zone", False)
    scene.set_visible("altar", False)
    assert changed_pixels(shown, frame(app)) > 300


def test_letter_height_is_the_capital_height_in_metres(app: SceneApp, build: Build) -> None:
    text = {"value": "HHH", "size": 0.3, "billboard": False}
    scene = build(
        [{"id": "sign", "position": [0, 2.0, 1.6], "text": text}],
        environment={"preset": "studio", "sky": "#ffffff"},
    )
    image = frame(app)[..., :3].mean(axis=-1)
    col, row = to_pixel(app, scene.world_position("sign"))
    ink = (image[:, col - 20 : col + 20] < 100).any(axis=1).nonzero()[0]
    _, top = to_pixel(app, (0, 2.0, 1.6 + 0.3))
    expected = row - top
    assert abs((ink.max() - ink.min() + 1) - expected) <= 0.12 * expected
