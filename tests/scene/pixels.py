"""Pixel helpers for render tests."""

from __future__ import annotations

import numpy as np
from panda3d.core import Point2, Point3

from engine.scene import SceneApp, render_frame, screenshot_rgba


def frame(app: SceneApp) -> np.ndarray:
    """Render and read back one frame (H, W, 4), row 0 at the top."""
    render_frame(app)
    return screenshot_rgba(app)


def to_pixel(app: SceneApp, world: tuple[float, float, float]) -> tuple[int, int]:
    """Where a world point lands on screen: (column, row), row 0 at the top."""
    lens = app.cam.node().get_lens()
    film = Point2()
    assert lens.project(app.cam.get_relative_point(app.render, Point3(*world)), film)
    width, height = app.size
    col = int((film.x + 1) / 2 * width)
    row = int((1 - film.y) / 2 * height)
    return min(max(col, 0), width - 1), min(max(row, 0), height - 1)


def region(image: np.ndarray, centre: tuple[int, int], half: int) -> np.ndarray:
    """The RGB pixels of a square around ``centre`` (column, row)."""
    col, row = centre
    return image[max(row - half, 0) : row + half + 1, max(col - half, 0) : col + half + 1, :3]


def changed_pixels(a: np.ndarray, b: np.ndarray, threshold: int = 24) -> int:
    """How many pixels differ by more than ``threshold`` in any channel."""
    diff = np.abs(a[..., :3].astype(int) - b[..., :3].astype(int)).max(axis=-1)
    return int((diff > threshold).sum())
