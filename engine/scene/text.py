"""World-space text: entity labels and information panels, dark on light, lit by nothing.

Text is drawn with the unlit shader (:mod:`engine.scene.shaders`), so it keeps its colours
whatever the scene's lights, and through simplepbr's tone map like everything else.

Sizes are *letter heights*: the height of a capital letter, in metres. Panels are sized for
reading in a headset at about 2 m (the angular height is ``2 atan(h / 2 / 2 m)``):

===========  ========  =============
part         height    angle at 2 m
===========  ========  =============
title        70 mm     2.0 degrees
body         45 mm     1.3 degrees
timeline     36 mm     1.0 degree
===========  ========  =============

Panels and non-billboard labels face -Y in their own frame, towards a viewer standing at -Y
(the lesson's default player looks along +Y); turn them with the entity's heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from panda3d.core import (
    CardMaker,
    DynamicTextFont,
    Filename,
    LColor,
    NodePath,
    SamplerState,
    TextFont,
    TextNode,
    TextProperties,
    TransparencyAttrib,
)

from engine.model.components import TimelineEntry
from engine.paths import ASSETS_DIR
from engine.scene.colors import parse_color
from engine.scene.shaders import make_unlit

#: capital-letter height of the font at scale 1, measured from rendered pixels
CAP_HEIGHT = 0.715
TITLE_HEIGHT = 0.07
BODY_HEIGHT = 0.045
TIMELINE_HEIGHT = 0.036
#: the panel's margin around its text, in metres
PADDING = 0.06

CARD_COLOR = "#f4f1e8"
INK_COLOR = "#1b1b1b"
TITLE_COLOR = "#10304f"
TIMELINE_COLOR = "#6b4e2e"


#: the bundled font: DejaVu Sans covers Latin, Greek, Cyrillic and the symbols lessons use
#: (², √, π, °), which Panda3D's built-in font lacks
FONT_PATH = ASSETS_DIR / "fonts" / "DejaVuSans.ttf"


@cache
def default_font() -> TextFont:
    """The lesson font, set up for reading at a distance (loaded once per process)."""
    font = DynamicTextFont(Filename.from_os_specific(str(FONT_PATH)))
    if not font.is_valid():
        # an installation without the asset still shows text, with fewer glyphs
        font = TextProperties.get_default_font().make_copy()
    font.set_pixels_per_unit(64)
    font.set_minfilter(SamplerState.FT_linear_mipmap_linear)
    font.set_magfilter(SamplerState.FT_linear)
    font.set_anisotropic_degree(4)
    return font


def _text_node(name: str, text: str, color: str, align: int = TextNode.A_left) -> TextNode:
    node = TextNode(name)
    node.set_font(default_font())
    node.set_text(text)
    node.set_text_color(LColor(*parse_color(color)))
    node.set_align(align)
    return node


def make_label(
    parent: NodePath,
    text: str,
    *,
    size: float = 0.08,
    color: str = INK_COLOR,
    billboard: bool = True,
    card: bool = True,
    name: str = "label",
) -> NodePath:
    """A one-line (or few-line) text label, centred on its node, on a light card.

    Args:
        parent: the node it is attached to.
        text: what it says (update with :func:`set_label_text`).
        size: capital-letter height in metres.
        color: the text colour (any lesson colour).
        billboard: turn to face the viewer every frame (each eye, in a headset).
        card: draw a light card behind the text for contrast.
        name: the node's name.
    """
    node = _text_node(name, text, color, TextNode.A_center)
    if card:
        node.set_card_color(LColor(*parse_color(CARD_COLOR)))
        node.set_card_as_margin(0.35, 0.35, 0.2, 0.2)
        # drawing the text as a decal keeps it on top of its own card without z-fighting
        node.set_card_decal(True)
    label = _attach_text(parent, node)
    label.set_scale(size / CAP_HEIGHT)
    if billboard:
        label.set_billboard_point_eye()
    _finish(label)
    return label


def set_label_text(label: NodePath, text: str) -> None:
    """Change what a label made by :func:`make_label` says."""
    node = label.node()
    if isinstance(node, TextNode) and node.get_text() != text:
        node.set_text(text)


def _finish(node: NodePath) -> None:
    make_unlit(node)
    # text is no solid: rays cast for picking go through
    node.set_collide_mask(0)


def _attach_text(parent: NodePath, node: TextNode) -> NodePath:
    """Attach a text node, blended by its glyphs' alpha.

    Only text is blended: cards and strokes stay opaque and write depth, so whatever is nearer
    (a timeline label's card) hides what passes behind it (a leader), in any draw order.
    """
    text = parent.attach_new_node(node)
    text.set_transparency(TransparencyAttrib.M_alpha)
    return text


def format_year(year: int, *, with_era: bool = False) -> str:
    """A timeline date: negative years are BCE (``-431`` -> ``'431 BCE'``).

    Args:
        year: the year, negative before the common era.
        with_era: write ``'CE'`` after positive years (used when a timeline spans both eras).
    """
    if year < 0:
        return f"{-year} BCE"
    return f"{year} CE" if with_era else str(year)


def make_panel(
    parent: NodePath,
    *,
    title: str,
    body: str,
    width: float,
    timeline: Sequence[TimelineEntry] | None = None,
) -> NodePath:
    """A world-space information card: a title, wrapped body text and an optional timeline.

    The panel is centred on its node and faces -Y. Its height follows its content.

    Args:
        parent: the node it is attached to.
        title: the heading (may be empty).
        body: the text, wrapped to the panel's width.
        width: the card's width in metres.
        timeline: dated entries drawn as a line with ticks, in date order.
    """
    panel = parent.attach_new_node("panel")
    content = panel.attach_new_node("content")
    inner = max(width - 2 * PADDING, 0.1)
    z = -PADDING
    for text, height, color in ((title, TITLE_HEIGHT, TITLE_COLOR), (body, BODY_HEIGHT, INK_COLOR)):
        if not text:
            continue
        scale = height / CAP_HEIGHT
        node = _text_node("title" if height == TITLE_HEIGHT else "body", text, color)
        node.set_wordwrap(inner / scale)
        block = _attach_text(content, node)
        block.set_scale(scale)
        # the first baseline sits one cap height (plus a little) below the top
        z -= height * 1.25
        block.set_pos(PADDING - width / 2, 0, z)
        z -= (node.get_num_rows() - 1) * node.get_line_height() * scale + height * 0.9
    if timeline:
        z = _timeline(content, sorted(timeline, key=lambda e: e.year), width, z)
    height = -z + PADDING
    content.set_z(height / 2)
    maker = CardMaker("card")
    maker.set_frame(-width / 2, width / 2, -height / 2, height / 2)
    card = panel.attach_new_node(maker.generate())
    # just behind the text (+Y is away from the reader)
    card.set_y(0.004)
    card.set_color(LColor(*parse_color(CARD_COLOR)))
    card.set_two_sided(True)
    _finish(panel)
    return panel


def _bar(parent: NodePath, left: float, right: float, bottom: float, top: float) -> None:
    """A timeline stroke, between the panel's card and the labels (which hide what they cross)."""
    maker = CardMaker("bar")
    maker.set_frame(left, right, bottom, top)
    bar = parent.attach_new_node(maker.generate())
    bar.set_color(LColor(*parse_color(TIMELINE_COLOR)))
    bar.set_y(0.002)


@dataclass
class _Tick:
    """One timeline label being laid out."""

    x: float  # where its date falls on the line
    label: NodePath
    left: float
    right: float
    height: float  # from its lowest descender to the top of its first line
    extra: float  # the height of its lines after the first
    lane: int = 0


def _lanes(ticks: list[_Tick], space: float) -> int:
    """Give each label the first lane where it overlaps no neighbour; return how many lanes.

    Even lanes stack upwards above the line, odd lanes downwards below it, so labels alternate
    sides before they stack.
    """
    taken: list[list[tuple[float, float]]] = []
    for tick in ticks:
        for lane, spans in enumerate(taken):
            if all(tick.left > r + space or tick.right < left - space for left, r in spans):
                tick.lane = lane
                spans.append((tick.left, tick.right))
                break
        else:
            tick.lane = len(taken)
            taken.append([(tick.left, tick.right)])
    return len(taken)


def _timeline(
    parent: NodePath, entries: Sequence[TimelineEntry], width: float, top: float
) -> float:
    """Draw the timeline below ``top``; return the lowest z it uses."""
    line = parent.attach_new_node("timeline")
    scale = TIMELINE_HEIGHT / CAP_HEIGHT
    gap, descent = 0.03, TIMELINE_HEIGHT * 0.35
    left, right = -width / 2 + PADDING, width / 2 - PADDING
    first, last = entries[0].year, entries[-1].year
    era = first < 0 < last
    ticks: list[_Tick] = []
    for i, entry in enumerate(entries):
        x = left + (entry.year - first) / (last - first) * (right - left) if last != first else 0.0
        node = _text_node(
            f"tick-{i}",
            f"{format_year(entry.year, with_era=era)}\n{entry.label}",
            INK_COLOR,
            TextNode.A_center,
        )
        node.set_wordwrap(min(0.4, (right - left) / 2) / scale)
        label = _attach_text(line, node)
        label.set_scale(scale)
        # an opaque card of the panel's colour, between the label and the strokes behind it,
        # hides the leaders that pass behind the label
        l_, r_, b_, t_ = node.get_frame_actual()
        maker = CardMaker("label-card")
        maker.set_frame(l_ - 0.15, r_ + 0.15, b_ - 0.05, t_ + 0.05)
        card = label.attach_new_node(maker.generate())
        card.set_color(LColor(*parse_color(CARD_COLOR)))
        card.set_y(0.001 / scale)
        card.set_transparency(TransparencyAttrib.M_none, 1)
        half = node.get_width() * scale / 2
        # keep labels inside the card at both ends
        centre = min(max(x, left + half), right - half)
        label.set_x(centre)
        extra = (node.get_num_rows() - 1) * node.get_line_height() * scale
        ticks.append(
            _Tick(x, label, centre - half, centre + half, TIMELINE_HEIGHT + descent + extra, extra)
        )
    lanes = _lanes(ticks, space=0.03)
    rows = [max((t.height for t in ticks if t.lane == k), default=0.0) + gap for k in range(lanes)]
    # where each lane starts, measured outward from the line
    start = [gap + sum(rows[j] for j in range(k % 2, k, 2)) for k in range(lanes)]
    up = max((start[k] + rows[k] for k in range(0, lanes, 2)), default=gap)
    down = max((start[k] + rows[k] for k in range(1, lanes, 2)), default=gap)
    axis = top - PADDING / 2 - up
    _bar(line, left, right, axis - 0.004, axis + 0.004)
    for tick in ticks:
        edge = start[tick.lane]
        if tick.lane % 2 == 0:
            tick.label.set_z(axis + edge + descent + tick.extra)
            _bar(line, tick.x - 0.003, tick.x + 0.003, axis - 0.02, axis + edge)
        else:
            tick.label.set_z(axis - edge - TIMELINE_HEIGHT)
            _bar(line, tick.x - 0.003, tick.x + 0.003, axis - edge, axis + 0.02)
    return axis - down
