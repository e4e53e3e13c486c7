"""The desktop rig's pause menu: mouse sensitivity, invert Y, text size, resume and quit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import (
    DirectButton,
    DirectCheckButton,
    DirectFrame,
    DirectLabel,
    DirectSlider,
)
from panda3d.core import NodePath, TextNode

from engine.rigs.settings import SENSITIVITY_RANGE, TEXT_SCALE_RANGE, DesktopSettings

MENU_INK = (1.0, 1.0, 1.0, 1.0)
MENU_PAPER = (0.1, 0.1, 0.12, 0.97)
MENU_SORT = 10


class PauseMenu:
    """The pause menu: mouse sensitivity, invert Y, text size, resume and quit.

    Each change goes straight into ``settings`` so it takes effect at once (the text size
    rebuilds the overlay behind the menu); the rig saves the settings when the menu closes.

    Attributes:
        sensitivity: the mouse sensitivity slider.
        text_size: the text size slider (steps of 0.1).
        invert: the invert-Y check box.
        resume_button: closes the menu.
        quit_button: leaves the lesson.
    """

    def __init__(
        self,
        parent: NodePath,
        settings: DesktopSettings,
        *,
        on_text_scale: Callable[[float], None],
        on_resume: Callable[[], None],
        on_quit: Callable[[], None],
    ) -> None:
        """Build the menu under ``parent`` (the overlay's ``aspect2d``)."""
        self.settings = settings
        self._on_text_scale = on_text_scale
        # NORMAL state makes the panel catch clicks, so none fall through to the scene; the
        # sort order draws it over the overlay (whose own "Paused" would show through)
        self.frame = DirectFrame(
            parent=parent,
            frameColor=MENU_PAPER,
            state=DGG.NORMAL,
            frameSize=(-0.85, 0.85, -0.6, 0.6),
            sortOrder=MENU_SORT,
        )
        self._label("Paused", (0.0, 0.44), scale=0.09, align=TextNode.A_center)
        self.sensitivity, self._sensitivity_value = self._slider(
            "Mouse sensitivity", 0.24, settings.mouse_sensitivity, SENSITIVITY_RANGE
        )
        self.sensitivity["command"] = self._sensitivity_moved
        self.text_size, self._text_size_value = self._slider(
            "Text size", 0.06, settings.text_scale, TEXT_SCALE_RANGE
        )
        self.text_size["command"] = self._text_size_moved
        self.invert = DirectCheckButton(
            parent=self.frame,
            text="Invert mouse Y",
            scale=0.05,
            pos=(-0.45, 0, -0.14),
            indicatorValue=int(settings.invert_y),
            command=self._invert_toggled,
        )
        self.resume_button = DirectButton(
            parent=self.frame,
            text="Resume (Esc)",
            scale=0.06,
            pos=(-0.3, 0, -0.42),
            command=on_resume,
        )
        self.quit_button = DirectButton(
            parent=self.frame, text="Quit", scale=0.06, pos=(0.4, 0, -0.42), command=on_quit
        )
        self._show_values()

    def _label(
        self,
        text: str,
        pos: tuple[float, float],
        *,
        scale: float = 0.05,
        align: int = TextNode.A_left,
    ) -> Any:
        return DirectLabel(
            parent=self.frame,
            text=text,
            scale=scale,
            pos=(pos[0], 0, pos[1]),
            text_fg=MENU_INK,
            text_align=align,
            frameColor=(0, 0, 0, 0),
        )

    def _slider(
        self, name: str, z: float, value: float, bounds: tuple[float, float]
    ) -> tuple[Any, Any]:
        self._label(name, (-0.75, z))
        slider = DirectSlider(
            parent=self.frame,
            range=bounds,
            value=value,
            scale=0.3,
            pos=(0.2, 0, z + 0.015),
            pageSize=(bounds[1] - bounds[0]) / 10,
        )
        return slider, self._label("", (0.56, z))

    def _show_values(self) -> None:
        s = self.settings
        self._sensitivity_value["text"] = f"{s.mouse_sensitivity:.2f}"
        self._text_size_value["text"] = f"{s.text_scale:.1f}x"

    def _sensitivity_moved(self) -> None:
        # the slider stores float32: round, or 0.12 would be saved as 0.11999998986721039
        self.settings.mouse_sensitivity = round(float(self.sensitivity["value"]), 3)
        self._show_values()

    def _text_size_moved(self) -> None:
        # steps of 0.1: the overlay is rebuilt only when the size visibly changes
        scale = round(float(self.text_size["value"]) * 10) / 10
        if scale != self.settings.text_scale:
            self.settings.text_scale = scale
            self._on_text_scale(scale)
        self._show_values()

    def _invert_toggled(self, on: int) -> None:
        self.settings.invert_y = bool(on)

    def destroy(self) -> None:
        """Remove the menu."""
        self.frame.destroy()
