"""The 2D overlay of the desktop and headless rigs: instruction, hints, captions, questions,
feedback and the completion screen.

Everything is parented to the ``aspect2d`` passed in (no ShowBase builtins). Text sizes are
multiplied by a user setting (the pause menu's text size) so the overlay stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from direct.gui.OnscreenText import OnscreenText
from panda3d.core import NodePath, TextNode

from engine.scene.text import default_font

Rgba = tuple[float, float, float, float]

INK: Rgba = (0.08, 0.09, 0.11, 1.0)
PAPER: Rgba = (0.97, 0.96, 0.92, 0.92)
HINT_PAPER: Rgba = (1.0, 0.93, 0.6, 0.95)
#: feedback colours chosen to stay distinct for red-green colour blindness (blue vs orange)
CORRECT: Rgba = (0.1, 0.45, 0.85, 0.95)
WRONG: Rgba = (0.9, 0.45, 0.05, 0.95)


@dataclass
class Box:
    """A text box with a card behind it."""

    text: OnscreenText

    def show(self, value: str) -> None:
        """Show ``value`` (hides the box when empty)."""
        self.text.setText(value)
        if value:
            self.text.show()
        else:
            self.text.hide()

    @property
    def value(self) -> str:
        """The text shown now."""
        return str(self.text.getText()) if not self.text.isHidden() else ""


def _box(
    parent: NodePath,
    *,
    pos: tuple[float, float],
    scale: float,
    align: int,
    wrap: float,
    fg: Rgba = INK,
    bg: Rgba = PAPER,
) -> Box:
    text = OnscreenText(
        text="",
        parent=parent,
        pos=pos,
        scale=scale,
        fg=fg,
        align=align,
        font=default_font(),
        wordwrap=wrap,
        mayChange=True,
    )
    node: TextNode = text.textNode
    node.setCardColor(*bg)
    node.setCardAsMargin(0.6, 0.6, 0.4, 0.4)
    node.setCardDecal(True)
    text.hide()
    return Box(text)


class Hud:
    """The overlay boxes; :class:`~engine.present.presenter.Presenter` fills them."""

    def __init__(self, aspect2d: NodePath, *, text_scale: float = 1.0) -> None:
        """Create the boxes under ``aspect2d``."""
        self.root = aspect2d.attachNewNode("hud")
        self.text_scale = text_scale
        self._build()

    def _build(self) -> None:
        s = 0.05 * self.text_scale
        # wrap widths are in letters: divide by the scale so boxes keep their width on screen
        # and larger text wraps onto more lines instead of running off the edge
        k = 1.0 / self.text_scale
        self.instruction = _box(
            self.root, pos=(-1.25, 0.88), scale=s, align=TextNode.ALeft, wrap=24 * k
        )
        self.hint = _box(
            self.root,
            pos=(0.55, 0.88),
            scale=s * 0.9,
            align=TextNode.ALeft,
            wrap=18 * k,
            bg=HINT_PAPER,
        )
        self.caption = _box(
            self.root,
            pos=(0.0, -0.85),
            scale=s,
            align=TextNode.ACenter,
            wrap=34 * k,
            fg=(1, 1, 1, 1),
            bg=(0, 0, 0, 0.75),
        )
        self.question = _box(
            self.root, pos=(0.0, -0.25), scale=s, align=TextNode.ACenter, wrap=30 * k
        )
        self.feedback = _box(
            self.root,
            pos=(0.0, 0.45),
            scale=s * 1.1,
            align=TextNode.ACenter,
            wrap=30 * k,
            fg=(1, 1, 1, 1),
            bg=CORRECT,
        )
        self.status = _box(
            self.root,
            pos=(-1.25, -0.95),
            scale=s * 0.7,
            align=TextNode.ALeft,
            wrap=40 * k,
            bg=(1, 1, 1, 0.6),
        )
        self.centre = _box(
            self.root, pos=(0.0, 0.1), scale=s * 1.4, align=TextNode.ACenter, wrap=22 * k
        )
        self.crosshair = OnscreenText(
            text="+",
            parent=self.root,
            pos=(0, -0.02),
            scale=0.08,
            fg=(1, 1, 1, 0.9),
            shadow=(0, 0, 0, 1),
        )

    def set_text_scale(self, scale: float) -> None:
        """Rebuild the overlay at a new text size, keeping what it shows."""
        shown = {name: getattr(self, name).value for name in self.boxes()}
        feedback_bg = self.feedback.text.textNode.getCardColor()
        for name in self.boxes():
            getattr(self, name).text.destroy()
        self.crosshair.destroy()
        self.text_scale = scale
        self._build()
        self.feedback.text.textNode.setCardColor(feedback_bg)
        for name, value in shown.items():
            getattr(self, name).show(value)

    @staticmethod
    def boxes() -> tuple[str, ...]:
        """Names of the text boxes."""
        return ("instruction", "hint", "caption", "question", "feedback", "status", "centre")

    def show_feedback(self, text: str, correct: bool) -> None:
        """A coloured banner: blue for right, orange for wrong."""
        self.feedback.text.textNode.setCardColor(*(CORRECT if correct else WRONG))
        self.feedback.show(text)

    def destroy(self) -> None:
        """Remove the overlay."""
        self.root.removeNode()
