"""The Panda3D scene layer: an app (window or offscreen buffer with simplepbr), and a lesson's
scene built from the lesson model and driven by the runtime.

Names are imported lazily, so ``import engine.scene.colors`` (no Panda3D) stays cheap::

    from engine.scene import create_app, build_scene, render_frame, screenshot_rgba

    app = create_app(headless=True, size=(640, 360))
    scene = build_scene(load_lesson("pendulum-lab"), app)
    render_frame(app)
    image = screenshot_rgba(app)
    scene.destroy()
    destroy_app(app)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.scene.app import SceneApp as SceneApp
    from engine.scene.app import create_app as create_app
    from engine.scene.app import destroy_app as destroy_app
    from engine.scene.app import render_frame as render_frame
    from engine.scene.app import save_png as save_png
    from engine.scene.app import screenshot_rgba as screenshot_rgba
    from engine.scene.builder import build_scene as build_scene
    from engine.scene.colors import ColorError as ColorError
    from engine.scene.colors import linear_color as linear_color
    from engine.scene.colors import parse_color as parse_color
    from engine.scene.markers import PICK_MASK as PICK_MASK
    from engine.scene.runtime import BuiltScene as BuiltScene
    from engine.scene.text import make_label as make_label
    from engine.scene.text import make_panel as make_panel

_EXPORTS = {
    "SceneApp": "app",
    "create_app": "app",
    "destroy_app": "app",
    "render_frame": "app",
    "save_png": "app",
    "screenshot_rgba": "app",
    "build_scene": "builder",
    "BuiltScene": "runtime",
    "PICK_MASK": "markers",
    "ColorError": "colors",
    "linear_color": "colors",
    "parse_color": "colors",
    "make_label": "text",
    "make_panel": "text",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.scene' has no attribute '{name}'")
    return getattr(import_module(f"engine.scene.{module}"), name)
