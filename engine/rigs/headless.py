"""The headless rig: offscreen rendering (EGL) driven by a learner script.

Its pilot moves a real camera and ray-picks under the crosshair, exactly as the desktop rig
does with the mouse, so a script that passes here exercises the same scene and interaction
path a learner uses. Rendering is throttled to ``render_hz`` of lesson time: the logic still
runs every fixed tick, and every look, pick and screenshot renders a fresh frame.
"""

from __future__ import annotations

from panda3d.core import Point3

from engine.present.presenter import Presenter
from engine.scene.app import SceneApp, render_frame, save_png
from engine.scene.builder import BuiltScene

Vec3 = tuple[float, float, float]


class HeadlessPilot:
    """A :class:`~engine.core.script.Pilot` with a real camera and real picking."""

    def __init__(
        self, app: SceneApp, scene: BuiltScene, presenter: Presenter, *, render_hz: float = 10.0
    ) -> None:
        """Drive ``app``'s camera; render at most ``render_hz`` frames per lesson second."""
        self.app = app
        self.scene = scene
        self.presenter = presenter
        self.render_period = 1.0 / render_hz if render_hz > 0 else 0.0
        self._since_render = float("inf")
        self.frames_rendered = 0

    def look_at(self, point: Vec3) -> None:
        """Turn the camera towards ``point``."""
        self.app.camera.lookAt(Point3(*point))

    def picked(self) -> str | None:
        """The entity under the crosshair, ignoring what the learner holds."""
        held = self.presenter.rt.world.held
        return self.scene.pick(self.app.cam, ignore=held)

    def set_position(self, position: Vec3, heading: float) -> None:
        """Put the eyes at ``position`` facing ``heading``, keeping the gaze's pitch."""
        self.app.camera.setPos(*position)
        self.app.camera.setHpr(heading, self.app.camera.getP(), 0)

    def frame(self, dt: float) -> None:
        """Update the presentation; render when a frame is due."""
        self.presenter.update(dt)
        self._since_render += dt
        if self._since_render >= self.render_period:
            self.render()

    def render(self) -> None:
        """Render one frame now."""
        render_frame(self.app)
        self.frames_rendered += 1
        self._since_render = 0.0

    def screenshot(self, path: str) -> None:
        """Render the current state and save it as PNG."""
        self.presenter.update(0.0)
        self.render()
        save_png(self.app, path)
