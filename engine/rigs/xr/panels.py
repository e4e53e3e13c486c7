"""World-space panels: text and buttons floating in the scene, chosen with the ray.

A headset has no screen overlay, so what the desktop shows on its HUD (instruction, hint,
question, feedback, captions) is shown on a panel in the world, turned towards the learner
and sized for reading: text about 1.6 degrees high at the panel's distance. A question's
answers (choices, or a keypad for numbers) and the menu are buttons on panels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from panda3d.core import CardMaker, NodePath, Point3, TextNode, TransparencyAttrib, Vec3

#: how far in front of the eyes panels appear, metres
PANEL_DISTANCE = 1.2
#: text height at that distance: 0.034 m is about 1.6 degrees, easily read in current headsets
TEXT_HEIGHT = 0.034
BUTTON_HEIGHT = 0.08
PANEL_COLOR = (0.08, 0.09, 0.12, 0.88)
BUTTON_COLOR = (0.22, 0.28, 0.4, 1.0)
HOVER_COLOR = (0.35, 0.55, 0.85, 1.0)


@dataclass
class Button:
    """A rectangle on a panel (panel coordinates: x right, z up, metres)."""

    id: str
    label: str
    x0: float
    x1: float
    z0: float
    z1: float
    node: NodePath


class Panel:
    """A flat panel with a text block and a grid of buttons, facing -Y in its own frame."""

    def __init__(self, parent: NodePath, name: str, *, width: float = 0.9) -> None:
        """An empty panel under ``parent`` (hidden until it has content)."""
        self.root = parent.attach_new_node(f"xr-panel:{name}")
        # panels draw over the scene: they are interface, not part of the lesson's world
        self.root.set_light_off(1)
        self.root.set_bin("fixed", 40)
        self.root.set_depth_test(False)
        self.root.set_depth_write(False)
        self.root.set_transparency(TransparencyAttrib.M_alpha)
        self.root.set_shader_off(1)
        self.width = width
        self.text = ""
        self.buttons: list[Button] = []
        self.hover: str | None = None
        self._content = self.root.attach_new_node("content")
        self.root.hide()

    def set_content(
        self, text: str, buttons: Sequence[tuple[str, str]] = (), columns: int = 1
    ) -> None:
        """Show ``text`` above a grid of (id, label) buttons, ``columns`` to a row."""
        self._content.remove_node()
        self._content = self.root.attach_new_node("content")
        self.text, self.buttons, self.hover = text, [], None
        if not text and not buttons:
            self.root.hide()
            return
        w = self.width
        label = TextNode("text")
        label.set_text(text)
        label.set_wordwrap(w / TEXT_HEIGHT - 1)
        label.set_text_color(1, 1, 1, 1)
        text_np = self._content.attach_new_node(label)
        text_np.set_scale(TEXT_HEIGHT)
        text_np.set_pos(-w / 2 + 0.03, -0.002, -TEXT_HEIGHT - 0.02)
        lines = max(1, label.get_num_rows()) if text else 0
        z = -(lines * TEXT_HEIGHT * 1.2 + 0.05)
        gap = 0.015
        bw = (w - 0.04 - gap * (columns - 1)) / columns
        for i, (button_id, button_label) in enumerate(buttons):
            col, row = i % columns, i // columns
            x0 = -w / 2 + 0.02 + col * (bw + gap)
            z1 = z - row * (BUTTON_HEIGHT + gap)
            node = self._card(x0, x0 + bw, z1 - BUTTON_HEIGHT, z1, BUTTON_COLOR, -0.001)
            text_node = TextNode(f"button:{button_id}")
            text_node.set_text(button_label)
            text_node.set_align(TextNode.A_center)
            text_node.set_text_color(1, 1, 1, 1)
            t = node.attach_new_node(text_node)
            t.set_scale(TEXT_HEIGHT * 0.9)
            t.set_pos(x0 + bw / 2, -0.002, z1 - BUTTON_HEIGHT / 2 - TEXT_HEIGHT * 0.3)
            self.buttons.append(
                Button(button_id, button_label, x0, x0 + bw, z1 - BUTTON_HEIGHT, z1, node)
            )
        rows = (len(buttons) + columns - 1) // columns
        bottom = z - rows * (BUTTON_HEIGHT + gap) - 0.02
        self._card(-w / 2, w / 2, bottom, 0.0, PANEL_COLOR, 0.0).set_bin("fixed", 39)
        self.root.show()

    def _card(self, x0: float, x1: float, z0: float, z1: float, color: tuple, y: float) -> NodePath:
        maker = CardMaker("card")
        maker.set_frame(x0, x1, z0, z1)
        card = self._content.attach_new_node(maker.generate())
        card.set_color(*color)
        card.set_y(y)
        card.set_two_sided(True)
        return card

    def place_before(
        self, head: NodePath, render: NodePath, *, height: float = 0.1, yaw: float = 0.0
    ) -> None:
        """Put the panel before the eyes, ``yaw`` degrees to the left, level, facing them.

        Panels stay where they were put (world-fixed): head-locked text is a known cause of
        discomfort.
        """
        forward = render.get_relative_vector(head, Vec3(0, 1, 0))
        forward.z = 0
        if forward.length() < 1e-6:
            forward = Vec3(0, 1, 0)
        forward.normalize()
        turn = math.radians(yaw)
        forward = Vec3(
            forward.x * math.cos(turn) - forward.y * math.sin(turn),
            forward.x * math.sin(turn) + forward.y * math.cos(turn),
            0,
        )
        eye = head.get_pos(render)
        spot = eye + forward * PANEL_DISTANCE
        self.root.set_pos(render, spot.x, spot.y, eye.z + height)
        self.root.look_at(Point3(eye.x, eye.y, eye.z + height))
        # look_at points +Y at the eyes; the text faces -Y, so turn the panel around
        self.root.set_h(self.root, 180)

    def hit(self, render: NodePath, origin: Point3, direction: Vec3) -> tuple[str | None, float]:
        """Where a world ray meets the panel: (button id or None, distance), or (None, inf)."""
        if self.root.is_hidden():
            return None, float("inf")
        o = self.root.get_relative_point(render, origin)
        d = self.root.get_relative_vector(render, direction)
        if abs(d.y) < 1e-9:
            return None, float("inf")
        t = -o.y / d.y
        if t <= 0:
            return None, float("inf")
        x, z = o.x + d.x * t, o.z + d.z * t
        scale = render.get_relative_vector(self.root, Vec3(d.x * t, d.y * t, d.z * t)).length()
        if not (-self.width / 2 <= x <= self.width / 2 and z <= 0.0):
            return None, float("inf")
        for button in self.buttons:
            if button.x0 <= x <= button.x1 and button.z0 <= z <= button.z1:
                return button.id, scale
        # only buttons stop the ray: a text panel never hides the lesson's objects behind it
        return None, float("inf")

    def set_hover(self, button_id: str | None) -> None:
        """Light the button the ray is on."""
        if button_id == self.hover:
            return
        for button in self.buttons:
            button.node.set_color(*(HOVER_COLOR if button.id == button_id else BUTTON_COLOR))
        self.hover = button_id

    def button_center(self, button_id: str, render: NodePath) -> Point3:
        """A button's centre in ``render``'s frame (for aiming at it)."""
        b = next(b for b in self.buttons if b.id == button_id)
        return render.get_relative_point(self.root, Point3((b.x0 + b.x1) / 2, 0, (b.z0 + b.z1) / 2))

    def destroy(self) -> None:
        """Remove the panel."""
        self.root.remove_node()
