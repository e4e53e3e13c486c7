"""The app's lifecycle and read-back, in a fresh process (one ShowBase at a time)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from engine.paths import REPO_ROOT
from engine.scene import SceneApp, render_frame, save_png, screenshot_rgba

SCRIPT = textwrap.dedent(
    """
    import builtins
    from engine.scene import create_app, destroy_app, render_frame, screenshot_rgba

    for size in ((160, 120), (200, 100), (160, 120)):
        app = create_app(headless=True, size=size)
        app.base.set_background_color(0.2, 0.4, 0.6, 1)
        render_frame(app)
        image = screenshot_rgba(app)
        assert image.shape == (size[1], size[0], 4), image.shape
        assert image[..., 2].mean() > image[..., 0].mean()
        destroy_app(app)
        assert not hasattr(builtins, "base")
        engine = app.base.graphicsEngine if hasattr(app.base, "graphicsEngine") else None
        assert engine is None or engine.get_num_windows() == 0
    print("ok")
    """
)


def test_apps_can_be_created_and_destroyed_in_turn() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_screenshot_is_top_row_first_and_png_is_written(app: SceneApp, tmp_path: Path) -> None:
    from panda3d.core import CardMaker

    # a card over the top half of the screen only, on the 2D overlay
    maker = CardMaker("top-half")
    maker.set_frame(-2, 2, 0, 1)
    card = app.aspect2d.attach_new_node(maker.generate())
    card.set_color(1, 1, 1, 1)
    try:
        render_frame(app)
        image = screenshot_rgba(app)
        assert image[5, :, :3].mean() > image[-5, :, :3].mean() + 50
        path = save_png(app, tmp_path / "shot.png")
        assert path.stat().st_size > 100
    finally:
        card.remove_node()
