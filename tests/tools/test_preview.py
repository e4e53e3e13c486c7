"""``lesson preview``: saves rebuild the scene from where the camera was, broken saves show
their located errors over the last good scene, and fixing them brings the scene back.

Everything is real: files written to disk, the watchfiles thread noticing them, an offscreen
Panda3D app rendering frames. Each scenario runs in a fresh process, as the thumbnail tests
do: Panda3D allows one ShowBase at a time and the scene tests keep one open for the session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from engine.paths import REPO_ROOT
from engine.preview import Preview, wait_for_reload
from engine.scene.app import SceneApp

SIZE = (320, 240)


def lesson_text(color: str, *, extra_step: str = "", texture: str | None = None) -> str:
    """A lesson with one big box straight ahead of the player's start, in ``color``."""
    material = f'{{color: "{color}"' + (f", texture: {texture}" if texture else "") + "}"
    return f"""\
# yaml-language-server: $schema=../schema/lesson.schema.json
format: 1
metadata:
  id: preview-test
  title: Preview test
  summary: One box to look at.
  subject: physics
  age_range: [10, 14]
  estimated_minutes: 1
  skills: [{{id: look, name: Looking}}]
environment: {{preset: studio}}
player: {{position: [0, -3, 0], heading: 0, pitch: 0, eye_height: 1.4}}
lights: [{{type: ambient, intensity: 1.0}}]
entities:
  - id: board
    position: [0, 0, 1.4]
    geometry: {{primitive: box, width: 1.6, depth: 0.1, height: 1.2}}
    material: {material}
    button: {{label: ""}}
steps:
  - id: look
    instruction: Look at the board.
    skills: [look]
    complete_when: {{pressed: board}}
    hints:
      - {{level: highlight, targets: [board]}}
      - {{level: concept, text: It is ahead.}}
      - {{level: demonstrate, demonstration: {{press: {extra_step or "board"}}}}}
"""


def save(path: Path, text: str) -> None:
    """Save as editors do: write a temporary file beside it, then rename it over the old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def settle(window: Preview, timeout: float = 10.0) -> int:
    """Poll until a reload happens and then nothing more for a while; how many reloads."""
    assert wait_for_reload(window, timeout), "the preview did not notice the save"
    reloads = 1
    quiet_until = time.monotonic() + 0.4
    while time.monotonic() < quiet_until:
        if window.poll():
            reloads += 1
            quiet_until = time.monotonic() + 0.4
        time.sleep(0.02)
    return reloads


def centre(image: np.ndarray, half: int = 30) -> np.ndarray:
    """The middle of the frame, where the board is (the overlay is in the top left)."""
    h, w = image.shape[:2]
    return image[h // 2 - half : h // 2 + half, w // 2 - half : w // 2 + half, :3].astype(int)


def pose(app: SceneApp) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The camera's position and heading-pitch-roll, rounded past float noise."""
    camera = app.camera
    return tuple(round(v, 6) for v in camera.get_pos()), tuple(
        round(v, 6) for v in camera.get_hpr()
    )


# --- scenarios, each run in its own process ---------------------------------------------------


def scenario_edit_break_fix(folder: Path) -> None:
    """Change a colour, break the file twice (YAML, then a reference), fix it."""
    from engine.scene.app import create_app, destroy_app
    from tests.scene.pixels import frame

    path = folder / "lesson.yaml"
    save(path, lesson_text("#c03030"))
    app = create_app(headless=True, size=SIZE)
    window = Preview(path, app=app)
    try:
        assert window.scene is not None and not window.failed, window.problems
        assert pose(app) == ((0.0, -3.0, 1.4), (0.0, 0.0, 0.0)), "not at the player's start"
        assert window.wait_until_watching(), "the watcher did not start"
        # the author has looked around since the preview opened
        app.camera.set_pos(0.1, -2.6, 1.45)
        app.camera.set_hpr(4, -2, 0)
        where = pose(app)
        red = centre(frame(app))
        assert red[..., 0].mean() > red[..., 2].mean() + 40, "the board is not red"

        save(path, lesson_text("#3050d0"))
        settle(window)
        blue = centre(frame(app))
        assert not window.failed and window.overlay_text == "", window.overlay_text
        assert blue[..., 2].mean() > blue[..., 0].mean() + 40, "the rebuilt board is not blue"
        assert pose(app) == where, f"the camera moved: {pose(app)} != {where}"

        save(path, lesson_text("#30a040").replace("entities:", "entities: [", 1))
        settle(window)
        assert window.failed
        shown = window.overlay_text
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+: yaml-syntax: ", shown), shown
        assert np.array_equal(centre(frame(app)), blue), "the last good scene did not stay"
        assert pose(app) == where

        save(path, lesson_text("#30a040", extra_step="bord"))
        settle(window)
        shown = window.overlay_text
        line = (
            lesson_text("", extra_step="bord")
            .splitlines()
            .index("      - {level: demonstrate, demonstration: {press: bord}}")
        )
        assert re.search(rf"{re.escape(str(path))}:{line + 1}:\d+: unknown-entity: ", shown), shown
        assert "did you mean 'board'?" in shown
        assert np.array_equal(centre(frame(app)), blue), "the last good scene did not stay"

        save(path, lesson_text("#30a040"))
        settle(window)
        green = centre(frame(app))
        assert not window.failed and window.overlay_text == "", window.overlay_text
        assert green[..., 1].mean() > green[..., 0].mean() + 40, "the fixed board is not green"
        assert pose(app) == where
        assert window.reloads >= 5
    finally:
        window.close()
        destroy_app(app)


def scenario_broken_at_start(folder: Path) -> None:
    """A lesson broken from the start: errors and no scene, then the scene at the start pose."""
    from engine.scene.app import create_app, destroy_app
    from tests.scene.pixels import frame

    path = folder / "lesson.yaml"
    save(path, lesson_text("#c03030").replace("preset: studio", "preset: studoi"))
    app = create_app(headless=True, size=SIZE)
    window = Preview(path, app=app)
    try:
        assert window.scene is None and window.failed
        line = lesson_text("").splitlines().index("environment: {preset: studio}") + 1
        assert re.search(rf"{re.escape(str(path))}:{line}:\d+: bad-value: ", window.overlay_text)
        frame(app)  # drawing with no scene and an error overlay is fine
        assert window.wait_until_watching()
        save(path, lesson_text("#c03030"))
        settle(window)
        assert window.scene is not None and not window.failed
        assert pose(app) == ((0.0, -3.0, 1.4), (0.0, 0.0, 0.0))
        red = centre(frame(app))
        assert red[..., 0].mean() > red[..., 2].mean() + 40
    finally:
        window.close()
        destroy_app(app)


def scenario_asset_change(folder: Path) -> None:
    """Repainting a texture the lesson uses rebuilds the scene with the new image."""
    from panda3d.core import Filename, PNMImage

    from engine.scene.app import create_app, destroy_app
    from tests.scene.pixels import frame

    textures = folder / "assets" / "textures"
    textures.mkdir(parents=True)
    image = textures / "paint.png"

    def paint(r: float, g: float, b: float) -> None:
        picture = PNMImage(16, 16)
        picture.fill(r, g, b)
        temporary = image.with_name(".paint.png")
        assert picture.write(Filename.from_os_specific(str(temporary)))
        os.replace(temporary, image)

    paint(0.9, 0.1, 0.1)
    path = folder / "lesson.yaml"
    save(path, lesson_text("#ffffff", texture="textures/paint.png"))
    app = create_app(headless=True, size=SIZE)
    window = Preview(path, app=app)
    try:
        assert window.scene is not None, window.problems
        assert window.wait_until_watching()
        red = centre(frame(app))
        assert red[..., 0].mean() > red[..., 2].mean() + 40
        paint(0.1, 0.2, 0.9)
        settle(window)
        blue = centre(frame(app))
        assert blue[..., 2].mean() > blue[..., 0].mean() + 40, "the texture was not re-read"
    finally:
        window.close()
        destroy_app(app)


def scenario_build_failure(folder: Path) -> None:
    """A lesson that validates but whose scene fails to build: shown, and the old scene stays."""
    import engine.preview
    from engine.scene.app import create_app, destroy_app
    from tests.scene.pixels import frame

    path = folder / "lesson.yaml"
    save(path, lesson_text("#c03030"))
    app = create_app(headless=True, size=SIZE)
    window = Preview(path, app=app, watch=False)
    build = engine.preview.build_scene

    def half_build(*args: object, **kwargs: object) -> object:
        build(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the GPU said no")

    try:
        red = centre(frame(app))
        children = len(app.render.get_children()), len(app.aspect2d.get_children())
        engine.preview.build_scene = half_build  # type: ignore[assignment]
        save(path, lesson_text("#3050d0"))
        assert not window.reload() and window.failed
        assert "the scene could not be built: the GPU said no" in window.overlay_text
        assert (len(app.render.get_children()), len(app.aspect2d.get_children())) == children
        assert np.array_equal(centre(frame(app)), red), "the last good scene did not stay"
        engine.preview.build_scene = build
        assert window.reload() and not window.failed
    finally:
        window.close()
        destroy_app(app)


def isolated(scenario: str, folder: Path) -> None:
    """Run ``scenario(folder)`` in a fresh Python process; fail with its traceback."""
    code = (
        "import sys\nfrom pathlib import Path\n"
        f"from tests.tools.test_preview import {scenario}\n{scenario}(Path(sys.argv[1]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-6000:]


# --- the tests ----------------------------------------------------------------------------------


def test_a_save_rebuilds_from_where_the_camera_was_and_broken_saves_keep_the_scene(
    tmp_path: Path,
) -> None:
    isolated("scenario_edit_break_fix", tmp_path)


def test_a_lesson_broken_from_the_start_shows_its_errors_then_its_scene(tmp_path: Path) -> None:
    isolated("scenario_broken_at_start", tmp_path)


def test_a_scene_that_fails_to_build_is_reported_and_the_old_one_stays(tmp_path: Path) -> None:
    isolated("scenario_build_failure", tmp_path)


def test_a_changed_texture_is_read_again(tmp_path: Path) -> None:
    isolated("scenario_asset_change", tmp_path)


def test_only_the_lesson_and_assets_are_relevant(tmp_path: Path) -> None:
    from engine.paths import ASSETS_DIR

    path = tmp_path / "lesson.yaml"
    window = Preview.__new__(Preview)  # no app: only the path logic
    window.path = path.resolve()
    assert window.relevant(path)
    assert window.relevant(tmp_path / "assets" / "models" / "new.glb")
    assert window.relevant(ASSETS_DIR / "textures" / "wood.png")
    assert not window.relevant(tmp_path / ".lesson.yaml.tmp")
    assert not window.relevant(tmp_path / "recordings" / "walkthrough.jsonl")
    assert not window.relevant(tmp_path / "scripts" / "walkthrough.yaml")
