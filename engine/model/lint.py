"""Lint rules beyond the schema: accessibility, comfort and asset budgets, and their silencing.

:func:`engine.model.checks.check_lesson` ends with :func:`lint_lesson`, which adds these
diagnostics to the semantic checks' and then drops the warnings a lesson silences with
``lint: {ignore: [code, ...]}``. Every rule here is a *warning*: the lesson loads and runs,
but some learners cannot use part of it, or a school PC or a standalone headset struggles to
draw it. Errors are never silenced (an error means the lesson does not work as written); a
code in ``ignore`` that does not exist is itself a warning (``lint-ignore``). One check here is
an error: a colour the renderer cannot parse (``bad-value``), which would stop the scene from
building.

The rules and their bounds
--------------------------

``no-captions``
    A narration without explicit ``captions``. The runtime splits the text into sentences,
    which is a fair default, but long sentences make long captions: write the lines and
    check them.
``out-of-reach``
    A grabbable, button or snap zone a *seated* learner cannot reach: its world position
    (parents composed, as the scene builder does) must lie between :data:`SEATED_MIN_HEIGHT`
    (0.4 m) and :data:`SEATED_MAX_HEIGHT` (1.6 m) above the floor the learner stands on, and
    within :data:`SEATED_REACH` (0.6 m, a seated adult's comfortable forward reach) of the
    area the learner can walk (the room's walls or the floor's edge, less the desktop rig's
    0.3 m margin, as :func:`engine.rigs.desktop.walk_bounds`). A snap zone takes releases
    within its ``radius``, which widens both bounds by that radius. Entities are not
    obstacles: the rig walks through them, so the far side of a bench counts as reachable.
``small-text``
    Text below :data:`MIN_TEXT_DEGREES` (0.5 degree, about 10 headset pixels of capital
    letter) at its expected viewing distance. That distance is from the nearest of the
    places the lesson brings the learner: the player's start, anywhere within a point of
    interest's radius, and anywhere within :data:`SEATED_REACH` of an interactable (using it
    takes the learner there); eyes at the player's ``eye_height``; never nearer than
    :data:`NEAREST_VIEW` (0.5 m). Text is an entity's ``text`` (its ``size``), a button's
    label (:data:`BUTTON_LABEL_SIZE`), an instrument's read-out (:data:`READOUT_SIZE`) and an
    info panel's smallest letters (its timeline, body or title, see :mod:`engine.scene.text`).
    The panel's orientation is not checked.
``low-contrast``
    A label's colour against its card (:data:`CARD_COLOR`) below WCAG 2.x AA's 4.5:1 (the
    ratio of relative luminances, each plus 0.05). A translucent colour is blended over the
    card first. Info panels and read-outs use the engine's fixed colours, which a test holds
    to the same ratio; authors cannot change them, so there is nothing to lint.
``triangle-budget``
    More than :attr:`Budgets.triangles` (100,000) triangles in the lesson: every entity's
    geometry (as :mod:`engine.scene.primitives` tessellates it) or glTF model (the triangles
    of each mesh primitive times the nodes that instance it, read with pygltflib), times the
    entities that use it, gated ones included (a knob may show them all).
``texture-budget``
    More than :attr:`Budgets.texture_bytes` (64 MiB) of texture memory: each texture file
    once (materials, the floor, images inside glTF models), at 4 bytes a texel plus a third
    for mipmaps.
``texture-size``
    A texture wider or taller than :attr:`Budgets.max_texture_side` (2048 px), or with a side
    that is not a power of two (older GPUs and mipmapping want them).
``bad-asset``
    A model or texture file that is there but cannot be read (not glTF, a truncated PNG), or
    a file a glTF model refers to that is missing. Sizes are read from PNG and JPEG headers;
    other image formats, and models other than ``.gltf``/``.glb`` (``.egg``, ``.bam``), are
    not measured.
``lint-ignore``
    ``lint.ignore`` names a code that does not exist.

Not checked: *forced smooth motion*. Format 1 has nothing that moves the learner's viewpoint:
the player has a start pose only, rigs move the camera only on the learner's input, and a
hint's demonstration moves a ghost of an entity, never the camera (``look_at`` is not acted
out). When a component that moves the player is added (a ride, a guided tour), a rule here
must require it to teleport or snap-turn, or to use a comfort vignette.
"""

from __future__ import annotations

import base64
import math
import struct
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from engine.model.diagnostics import CODES, Diagnostic, Severity, did_you_mean
from engine.model.lesson import Entity, Geometry, Lesson
from engine.model.loader import LoadedLesson, Loc
from engine.scene.colors import RGBA, ColorError, parse_color

#: every rule's code and severity (their meanings are in :data:`~engine.model.diagnostics.CODES`)
RULES: dict[str, Severity] = {
    "no-captions": "warning",
    "out-of-reach": "warning",
    "small-text": "warning",
    "low-contrast": "warning",
    "triangle-budget": "warning",
    "texture-budget": "warning",
    "texture-size": "warning",
    "bad-asset": "warning",
    "lint-ignore": "warning",
}

# --- bounds ---------------------------------------------------------------------------------

#: metres above the floor a seated learner reaches without strain (lowest, highest)
SEATED_MIN_HEIGHT = 0.4
SEATED_MAX_HEIGHT = 1.6
#: metres a seated learner reaches forward from where they can be
SEATED_REACH = 0.6
#: how close to a wall (or the floor's edge) the desktop rig lets the eyes go, metres
#: (``engine.rigs.desktop.WALL_MARGIN``; a test holds the two equal)
WALL_MARGIN = 0.3
#: the smallest angle a capital letter may subtend at its viewing distance, degrees
MIN_TEXT_DEGREES = 0.5
#: nobody reads from nearer than this in a headset (its optics focus at 1 to 2 m), metres
NEAREST_VIEW = 0.5
#: WCAG 2.x level AA's minimum contrast ratio for text
MIN_CONTRAST = 4.5

#: what :mod:`engine.scene` draws, copied here because this module must not import Panda3D
#: (tests hold each equal to the engine's): the label card, the panel letter heights...
CARD_COLOR = "#f4f1e8"
TITLE_HEIGHT = 0.07
BODY_HEIGHT = 0.045
TIMELINE_HEIGHT = 0.036
#: ...the label the scene builder gives a button without ``text``, and its colour...
BUTTON_LABEL_SIZE = 0.04
BUTTON_LABEL_COLOR = "#111111"
#: ...and the read-out label an instrument without ``text`` gets at run time
READOUT_SIZE = 0.05
READOUT_COLOR = "#1b1b1b"
#: the gap between a look's top and its label (``engine.scene.runtime.LABEL_GAP``)
LABEL_GAP = 0.03
#: components whose behaviour shows a read-out on the entity's label
READOUT_COMPONENTS = ("burette", "stopwatch", "ph_meter", "ruler", "scale_meter")
#: environment preset -> (room (width, depth) or None, floor (width, depth)), as
#: ``engine.scene.environment.PRESETS`` has them
PRESET_AREAS: dict[str, tuple[tuple[float, float] | None, tuple[float, float]]] = {
    "lab": ((8.0, 8.0), (8.0, 8.0)),
    "site": (None, (80.0, 80.0)),
    "studio": (None, (20.0, 20.0)),
}
INTERACTABLES = ("grabbable", "button", "snap_zone")


@dataclass(frozen=True)
class Budgets:
    """What one lesson may ask of the GPU: sized for a school PC or a standalone headset."""

    triangles: int = 100_000
    texture_bytes: int = 64 * 2**20
    max_texture_side: int = 2048


DEFAULT_BUDGETS = Budgets()

Vec3 = tuple[float, float, float]
Mat3 = tuple[Vec3, Vec3, Vec3]


# --- entry point ----------------------------------------------------------------------------


@dataclass
class _Lint:
    """The lesson being linted and the diagnostics found so far."""

    loaded: LoadedLesson
    path: str
    budgets: Budgets
    out: list[Diagnostic] = field(default_factory=list)

    @property
    def lesson(self) -> Lesson:
        return self.loaded.lesson

    def report(
        self, loc: Loc, code: str, message: str, *, key: bool = False, error: bool = False
    ) -> None:
        line, column = self.loaded.source.position(loc, key=key)
        severity: Severity = "error" if error else RULES[code]
        self.out.append(Diagnostic(self.path, line, column, code, message, severity))


def lint_lesson(
    loaded: LoadedLesson,
    path: str,
    found: Iterable[Diagnostic] = (),
    *,
    budgets: Budgets = DEFAULT_BUDGETS,
) -> list[Diagnostic]:
    """Run the lint rules and apply the lesson's ``lint.ignore`` to them and to ``found``.

    Args:
        loaded: the validated lesson with its source positions.
        path: the path to show in diagnostics.
        found: diagnostics of the other checks; their warnings can be silenced too.
        budgets: the triangle and texture budgets.

    Returns:
        ``found`` and the lint diagnostics, less the silenced warnings, sorted, no duplicates.
    """
    lint = _Lint(loaded, path, budgets)
    rules = (_check_colors, _check_captions, _check_reach, _check_text, _check_assets)
    for rule in (*rules, _check_ignore):
        rule(lint)
    silenced = set(loaded.lesson.lint.ignore) - {"lint-ignore"}
    kept = [
        d
        for d in [*found, *lint.out]
        if d.severity == "error" or d.code not in silenced  # errors are never silenced
    ]
    return sorted(set(kept))


def _check_ignore(lint: _Lint) -> None:
    for j, code in enumerate(lint.lesson.lint.ignore):
        if code not in CODES:
            hint = did_you_mean(code, CODES) or f"; lint codes are: {', '.join(RULES)}"
            lint.report(("lint", "ignore", j), "lint-ignore", f"'{code}' is not a code{hint}")


# --- colours -------------------------------------------------------------------------------


def _colors(lesson: Lesson) -> Iterator[tuple[Loc, str]]:
    """Every colour the lesson writes, with where."""
    env = lesson.environment
    if env.sky is not None:
        yield ("environment", "sky"), env.sky
    if env.floor is not None:
        yield ("environment", "floor", "color"), env.floor.color
    if env.room is not None:
        yield ("environment", "room", "wall_color"), env.room.wall_color
    for k, light in enumerate(lesson.lights):
        yield ("lights", k, "color"), light.color
    for i, entity in enumerate(lesson.entities):
        if entity.material is not None:
            yield ("entities", i, "material", "color"), entity.material.color
            if entity.material.emissive is not None:
                yield ("entities", i, "material", "emissive"), entity.material.emissive
        if entity.text is not None:
            yield ("entities", i, "text", "color"), entity.text.color


def _check_colors(lint: _Lint) -> None:
    """A colour the renderer cannot parse would stop the scene from building: an error."""
    for loc, color in _colors(lint.lesson):
        try:
            parse_color(color)
        except ColorError as exc:
            lint.report(loc, "bad-value", str(exc), error=True)


# --- narration ------------------------------------------------------------------------------


def _check_captions(lint: _Lint) -> None:
    for i, entity in enumerate(lint.lesson.entities):
        if entity.narration is not None and not entity.narration.captions:
            lint.report(
                ("entities", i, "narration"),
                "no-captions",
                f"the narration of '{entity.id}' has no 'captions', so the runtime splits its "
                "text into sentences; write the caption lines under 'captions' (short lines "
                "read best) and check them",
                key=True,
            )


# --- where things are -----------------------------------------------------------------------


def _rotation(hpr: Vec3) -> Mat3:
    """Panda3D's rotation for [heading, pitch, roll] degrees: roll about Y, then pitch about X,
    then heading about Z (as :func:`engine.core.world.hpr_rotate`), as a column matrix."""
    h, p, r = (math.radians(a) for a in hpr)
    ch, sh = math.cos(h), math.sin(h)
    cp, sp = math.cos(p), math.sin(p)
    cr, sr = math.cos(r), math.sin(r)
    heading: Mat3 = ((ch, -sh, 0.0), (sh, ch, 0.0), (0.0, 0.0, 1.0))
    pitch: Mat3 = ((1.0, 0.0, 0.0), (0.0, cp, -sp), (0.0, sp, cp))
    roll: Mat3 = ((cr, 0.0, sr), (0.0, 1.0, 0.0), (-sr, 0.0, cr))
    return _mul(heading, _mul(pitch, roll))


def _mul(a: Mat3, b: Mat3) -> Mat3:
    cols = list(zip(*b, strict=True))
    return tuple(  # type: ignore[return-value]
        tuple(sum(x * y for x, y in zip(row, col, strict=True)) for col in cols) for row in a
    )


def _apply(m: Mat3, v: Vec3) -> Vec3:
    return tuple(sum(x * y for x, y in zip(row, v, strict=True)) for row in m)  # type: ignore[return-value]


def _add(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _scale(entity: Entity) -> Vec3:
    s = entity.scale
    return (float(s), float(s), float(s)) if isinstance(s, int | float) else s


@dataclass(frozen=True)
class Frame:
    """An affine frame: ``point_world = linear @ point_local + origin``."""

    linear: Mat3
    origin: Vec3

    def point(self, local: Vec3) -> Vec3:
        """A point given in this frame, in world coordinates."""
        return _add(_apply(self.linear, local), self.origin)


IDENTITY = Frame(((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), (0.0, 0.0, 0.0))


def world_frames(lesson: Lesson) -> dict[str, tuple[Frame, Frame]]:
    """Each entity's world frame, and its unscaled frame (where labels and panels hang).

    Parents compose as in the scene builder: a child's position, rotation and scale are
    relative to its parent entity's node, scale included. An unknown parent or a cycle (both
    reported elsewhere) leaves the entity at the scene's root.
    """
    by_id = {e.id: e for e in lesson.entities}
    frames: dict[str, tuple[Frame, Frame]] = {}

    def frame(entity: Entity, seen: frozenset[str]) -> tuple[Frame, Frame]:
        if entity.id in frames:
            return frames[entity.id]
        parent = by_id.get(entity.parent) if entity.parent else None
        above = (
            IDENTITY
            if parent is None or parent.id in seen
            else frame(parent, seen | {entity.id})[0]
        )
        turned = _mul(above.linear, _rotation(entity.rotation))
        origin = above.point(entity.position)
        sx, sy, sz = _scale(entity)
        scaled = tuple(tuple(row[k] * s for k, s in enumerate((sx, sy, sz))) for row in turned)
        result = (Frame(scaled, origin), Frame(turned, origin))  # type: ignore[arg-type]
        frames[entity.id] = result
        return result

    for entity in lesson.entities:
        frame(entity, frozenset())
    return frames


class Area(NamedTuple):
    """Where the learner's eyes may go on the ground plane: x from x0 to x1, y from y0 to y1."""

    x0: float
    x1: float
    y0: float
    y1: float

    def distance(self, x: float, y: float) -> float:
        """How far the point (x, y) is outside the area (0 inside)."""
        dx = max(self.x0 - x, 0.0, x - self.x1)
        dy = max(self.y0 - y, 0.0, y - self.y1)
        return math.hypot(dx, dy)


def walk_area(lesson: Lesson) -> Area:
    """Where the learner can go: inside the room's walls, or over an open site's floor, less
    the rig's margin, widened to take in the start (as the desktop rig's ``walk_bounds``)."""
    env = lesson.environment
    preset_room, preset_floor = PRESET_AREAS[env.preset]
    if env.room is not None:
        half_x, half_y = env.room.width / 2, env.room.depth / 2
    elif preset_room is not None:
        half_x, half_y = preset_room[0] / 2, preset_room[1] / 2
    else:
        size = env.floor.size if env.floor is not None else preset_floor
        half_x, half_y = size[0] / 2, size[1] / 2
    x, y = lesson.player.position[0], lesson.player.position[1]
    m = WALL_MARGIN
    return Area(min(-half_x + m, x), max(half_x - m, x), min(-half_y + m, y), max(half_y - m, y))


def _where(loaded: LoadedLesson, i: int) -> Loc:
    """The entity's ``position`` if it writes one, else the entity itself."""
    entity_loc: Loc = ("entities", i)
    node = loaded.source.get(entity_loc)
    return (*entity_loc, "position") if node is not None and "position" in node else entity_loc


def _roles(entity: Entity) -> str:
    names = [n for n in INTERACTABLES if getattr(entity, n) is not None]
    return " and ".join(n.replace("_", " ") for n in names)


def _check_reach(lint: _Lint) -> None:
    lesson = lint.lesson
    frames = world_frames(lesson)
    area = walk_area(lesson)
    floor = lesson.player.position[2]
    low, high = SEATED_MIN_HEIGHT, SEATED_MAX_HEIGHT
    for i, entity in enumerate(lesson.entities):
        if not any(getattr(entity, n) is not None for n in INTERACTABLES):
            continue
        x, y, z = frames[entity.id][0].origin
        # a snap zone takes a release anywhere within its radius
        slack = entity.snap_zone.radius if entity.snap_zone is not None else 0.0
        height = z - floor
        what = f"'{entity.id}' ({_roles(entity)}) is {height:.2f} m above the floor"
        fix = " or widen its snap radius" if slack else ""
        if height + slack < low or height - slack > high:
            nearest = height + slack if height < low else height - slack
            within = (
                f", so releases within its {slack:g} m radius are {nearest:.2f} m up"
                if slack
                else ""
            )
            lint.report(
                _where(lint.loaded, i),
                "out-of-reach",
                f"{what}{within}; a seated learner reaches from {low:g} m to {high:g} m above it, "
                f"so {'raise' if height < low else 'lower'} it{fix}",
            )
        beyond = area.distance(x, y) - slack
        if beyond > SEATED_REACH:
            lint.report(
                _where(lint.loaded, i),
                "out-of-reach",
                f"'{entity.id}' ({_roles(entity)}) is {beyond:.2f} m beyond where the learner can "
                f"walk (the room's walls or the floor's edge, less {WALL_MARGIN:g} m); a seated "
                f"learner reaches {SEATED_REACH:g} m, so move it closer{fix}",
            )


# --- text -----------------------------------------------------------------------------------


def relative_luminance(rgb: Iterable[float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (channels 0..1)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio (1 to 21) of two lesson colours; a translucent foreground is
    blended over the (opaque) background first.

    Raises:
        ColorError: a colour is not one.
    """
    fg, bg = parse_color(foreground), parse_color(background)
    shown = _over(fg, bg)
    lighter, darker = sorted((relative_luminance(shown), relative_luminance(bg[:3])), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _over(fg: RGBA, bg: RGBA) -> Vec3:
    a = fg[3]
    return (fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a))


def _passing_shade(color: str, background: str) -> str:
    """The colour darkened (its hue kept) just enough to reach :data:`MIN_CONTRAST`."""
    r, g, b, _ = parse_color(color)
    low, high = 0.0, 1.0  # the factor: 0 is black, which passes on any light card
    for _ in range(20):
        mid = (low + high) / 2
        shade = "#" + "".join(f"{round(c * mid * 255):02x}" for c in (r, g, b))
        low, high = (mid, high) if contrast_ratio(shade, background) >= MIN_CONTRAST else (low, mid)
    return "#" + "".join(f"{math.floor(c * low * 255):02x}" for c in (r, g, b))


def angular_size(height: float, distance: float) -> float:
    """Degrees a letter ``height`` metres high subtends at ``distance`` metres."""
    return math.degrees(2 * math.atan2(height / 2, distance))


class Viewpoint(NamedTuple):
    """A place the lesson brings the learner: anywhere within ``radius`` of (x, y)."""

    x: float
    y: float
    radius: float
    what: str


class Text(NamedTuple):
    """Some text in the scene, as the lint sees it."""

    loc: Loc
    owner: str
    what: str
    size: float
    color: str | None
    position: Vec3


def _viewpoints(lesson: Lesson, frames: dict[str, tuple[Frame, Frame]]) -> list[Viewpoint]:
    x, y, _ = lesson.player.position
    points = [Viewpoint(x, y, 0.0, "the player's start")]
    for entity in lesson.entities:
        ex, ey, _ = frames[entity.id][0].origin
        if entity.point_of_interest is not None:
            radius = entity.point_of_interest.radius
            points.append(Viewpoint(ex, ey, radius, f"point of interest '{entity.id}'"))
        if any(getattr(entity, n) is not None for n in INTERACTABLES):
            points.append(Viewpoint(ex, ey, SEATED_REACH, f"within reach of '{entity.id}'"))
    return points


def _look_top(entity: Entity) -> float:
    """How high the entity's look reaches above its origin, metres (0 when unknown)."""
    g = entity.geometry
    if g is None:
        return 0.0
    top = {"box": g.height / 2, "sphere": g.radius, "cylinder": g.height / 2, "cone": g.height / 2}
    return top.get(g.primitive, g.tube if g.primitive == "torus" else 0.0) * _scale(entity)[2]


def _texts(lesson: Lesson, frames: dict[str, tuple[Frame, Frame]]) -> Iterator[Text]:
    """Every label and panel's smallest letters, with where they are."""
    for i, entity in enumerate(lesson.entities):
        loc: Loc = ("entities", i)
        unscaled = frames[entity.id][1]
        label: tuple[Loc, str, float, str] | None = None
        if entity.text is not None:
            label = ((*loc, "text"), "label", entity.text.size, entity.text.color)
        elif entity.button is not None and entity.button.label:
            label = ((*loc, "button"), "button label", BUTTON_LABEL_SIZE, BUTTON_LABEL_COLOR)
        elif any(getattr(entity, n) is not None for n in READOUT_COMPONENTS):
            label = (loc, "read-out", READOUT_SIZE, READOUT_COLOR)
        if label is not None:
            offset = entity.text.offset if entity.text is not None else (0.0, 0.0, 0.0)
            if not any(offset):
                # the builder floats the label just above the look
                offset = (0.0, 0.0, _look_top(entity) + LABEL_GAP + label[2])
            yield Text(label[0], entity.id, label[1], label[2], label[3], unscaled.point(offset))
        panel = entity.info_panel
        if panel is not None:
            parts = [
                (panel.timeline, "timeline", TIMELINE_HEIGHT),
                (panel.body, "body text", BODY_HEIGHT),
                (panel.title, "title", TITLE_HEIGHT),
            ]
            what, size = next(
                ((w, s) for present, w, s in parts if present), ("title", TITLE_HEIGHT)
            )
            yield Text(
                (*loc, "info_panel"), entity.id, f"panel {what}", size, None, unscaled.origin
            )


def _check_text(lint: _Lint) -> None:
    lesson = lint.lesson
    frames = world_frames(lesson)
    views = _viewpoints(lesson, frames)
    eyes = lesson.player.position[2] + lesson.player.eye_height
    for text in _texts(lesson, frames):
        x, y, z = text.position
        view, distance = min(
            (
                (v, math.hypot(max(math.hypot(x - v.x, y - v.y) - v.radius, 0.0), z - eyes))
                for v in views
            ),
            key=lambda pair: pair[1],
        )
        distance = max(distance, NEAREST_VIEW)
        degrees = angular_size(text.size, distance)
        if degrees < MIN_TEXT_DEGREES:
            needed = 2 * distance * math.tan(math.radians(MIN_TEXT_DEGREES) / 2)
            lint.report(
                text.loc,
                "small-text",
                f"the {text.what} of '{text.owner}' is {text.size * 1000:.0f} mm high, "
                f"{degrees:.2f} degrees seen from {distance:.1f} m away ({view.what}, the "
                f"nearest place the lesson brings the learner); text needs at least "
                f"{MIN_TEXT_DEGREES:g} degrees there: make it at least {needed * 1000:.0f} mm "
                "high or move it closer",
                key=True,
            )
        if text.color is None:
            continue
        try:
            ratio = contrast_ratio(text.color, CARD_COLOR)
        except ColorError:
            continue  # not a colour: nothing to measure (the scene builder says so)
        if ratio < MIN_CONTRAST:
            lint.report(
                (*text.loc, "color") if text.what == "label" else text.loc,
                "low-contrast",
                f"the {text.what} colour '{text.color}' on the label card '{CARD_COLOR}' has a "
                f"contrast of {ratio:.2f}:1, below WCAG AA's {MIN_CONTRAST:g}:1; use a darker "
                f"colour, e.g. '{_passing_shade(text.color, CARD_COLOR)}'",
            )


# --- assets ---------------------------------------------------------------------------------


def primitive_triangles(geometry: Geometry) -> int:
    """Triangles :mod:`engine.scene.primitives` makes for a ``geometry`` component."""
    s = max(3, geometry.segments)
    shape = geometry.primitive
    if shape == "box":
        return 12
    if shape == "plane":
        return 4  # two-faced
    if shape == "sphere":
        # quads between rings, less the flat halves at the poles (the builder drops them)
        return 2 * s * (max(2, s // 2) - 1)
    if shape == "cylinder":
        return 4 * s  # the side's quads and two caps
    if shape == "cone":
        return 2 * s
    return 2 * s * max(6, s // 2)  # torus


class AssetError(Exception):
    """A model or image that is there but cannot be read; the message says why."""


class ImageInfo(NamedTuple):
    """An image's name (for messages) and size in pixels."""

    name: str
    width: int
    height: int


class ModelInfo(NamedTuple):
    """What a glTF model costs: triangles drawn and the images it carries."""

    triangles: int
    images: tuple[ImageInfo, ...]
    problems: tuple[str, ...]


_PNG = b"\x89PNG\r\n\x1a\n"


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG file's header; None for another format.

    Raises:
        AssetError: it starts as a PNG or JPEG but its header is broken.
    """
    if data.startswith(_PNG):
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise AssetError("a PNG file without its IHDR header (truncated?)")
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG markers to the first start-of-frame, which holds the size."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15, less DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise AssetError("a JPEG file without a frame header (truncated?)")


def _head(path: Path, size: int = 64 * 1024) -> bytes:
    """The start of a file: enough for a PNG's header; all of a JPEG, whose frame header may
    follow a large EXIF block."""
    with path.open("rb") as f:
        data = f.read(size)
        return data + f.read() if data.startswith(b"\xff\xd8") else data


#: file name endings whose header :func:`image_size` reads
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


@lru_cache(maxsize=128)
def _image_file(path: str, mtime_ns: int, size: int) -> tuple[int, int] | None:
    # keyed on the file's time and size, so a preview re-reads only what changed
    try:
        found = image_size(_head(Path(path)))
    except OSError as exc:
        raise AssetError(f"cannot read it: {exc.strerror or exc}") from None
    expected = _FORMATS.get(Path(path).suffix.lower())
    if found is None and expected is not None:
        raise AssetError(f"it is named like a {expected} file but is not one")
    return found


def read_image(path: Path) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG file, None for another format.

    Raises:
        AssetError: the file cannot be read, or its header is broken.
    """
    stat = path.stat()
    return _image_file(str(path), stat.st_mtime_ns, stat.st_size)


def read_model(path: Path) -> ModelInfo | None:
    """Triangles and images of a ``.gltf``/``.glb`` model; None for another format.

    Raises:
        AssetError: the file is not a glTF model pygltflib can read.
    """
    if path.suffix.lower() not in (".gltf", ".glb"):
        return None
    stat = path.stat()
    parsed = _model_file(str(path), stat.st_mtime_ns, stat.st_size)
    if parsed is None:
        return None
    # the files it refers to are looked at every time: they change without the model changing
    images, problems = list(parsed.images), list(parsed.problems)
    for kind, uri in parsed.files:
        file = path.parent / uri
        if not file.is_file():
            problems.append(f"its {kind} '{uri}' is missing (looked for {file})")
        elif kind == "image":
            try:
                size = read_image(file)
            except AssetError as exc:
                problems.append(f"its image '{uri}' cannot be read: {exc}")
            else:
                if size is not None:
                    images.append(ImageInfo(uri, *size))
    return ModelInfo(parsed.triangles, tuple(images), tuple(problems))


class _Parsed(NamedTuple):
    """What a model file says by itself, and the files (kind, uri) it refers to."""

    triangles: int
    images: tuple[ImageInfo, ...]
    problems: tuple[str, ...]
    files: tuple[tuple[str, str], ...]


@lru_cache(maxsize=64)
def _model_file(path: str, mtime_ns: int, size: int) -> _Parsed | None:
    # keyed on the file's time and size, so a preview re-reads only what changed
    try:
        from pygltflib import GLTF2
    except ImportError:  # pragma: no cover - a dev dependency; without it nothing is measured
        return None
    try:
        gltf = GLTF2().load(path)
    except Exception as exc:  # a third-party parser of an author's file: any failure is "bad"
        raise AssetError(
            f"pygltflib cannot read it as glTF ({type(exc).__name__}: {exc})"
        ) from None
    if gltf is None:
        raise AssetError("pygltflib cannot read it as glTF")
    try:
        triangles = gltf_triangles(gltf)
        images, problems = _gltf_images(gltf)
        files = [("buffer", b.uri) for b in gltf.buffers if b.uri and not _inline(b.uri)]
        files += [("image", i.uri) for i in gltf.images if i.uri and not _inline(i.uri)]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise AssetError(f"its glTF structure is broken ({type(exc).__name__}: {exc})") from None
    return _Parsed(triangles, tuple(images), tuple(problems), tuple(files))


def _inline(uri: str) -> bool:
    return uri.startswith("data:")


def _primitive_triangles(gltf: Any, primitive: Any) -> int:
    """Triangles one mesh primitive draws (points and lines draw none)."""
    mode = 4 if primitive.mode is None else primitive.mode
    accessor = primitive.indices if primitive.indices is not None else primitive.attributes.POSITION
    if accessor is None:
        return 0
    count = gltf.accessors[accessor].count
    if mode == 4:  # TRIANGLES
        return count // 3
    if mode in (5, 6):  # TRIANGLE_STRIP, TRIANGLE_FAN
        return max(count - 2, 0)
    return 0


def gltf_triangles(gltf: Any) -> int:
    """Triangles a loaded ``pygltflib.GLTF2`` draws: each mesh's primitives, times the nodes of
    the shown scene (the default one, else the first) that instance the mesh. A file without
    scenes counts each mesh once."""
    per_mesh = [sum(_primitive_triangles(gltf, p) for p in mesh.primitives) for mesh in gltf.meshes]
    if not gltf.scenes:
        return sum(per_mesh)
    scene = gltf.scenes[gltf.scene if gltf.scene is not None else 0]
    total, stack, seen = 0, list(scene.nodes or ()), 0
    while stack:
        seen += 1
        if seen > 100_000:  # a malformed file with a cycle must not hang validation
            raise ValueError("the node hierarchy has a cycle")
        node = gltf.nodes[stack.pop()]
        if node.mesh is not None:
            total += per_mesh[node.mesh]
        stack.extend(node.children or ())
    return total


def _gltf_images(gltf: Any) -> tuple[list[ImageInfo], list[str]]:
    """The sizes of the images inside a glTF (its binary chunk or data URIs), and those that
    cannot be read. Images in files of their own are measured by :func:`read_model`."""
    images: list[ImageInfo] = []
    problems: list[str] = []
    blob: bytes | None = None
    for k, image in enumerate(gltf.images):
        name = image.name or f"image {k}"
        try:
            if image.bufferView is not None:
                view = gltf.bufferViews[image.bufferView]
                if blob is None:
                    blob = gltf.binary_blob() or b""
                start = view.byteOffset or 0
                data = blob[start : start + view.byteLength]
            elif image.uri and _inline(image.uri):
                data = base64.b64decode(image.uri.split(",", 1)[1])
            else:
                continue
            found = image_size(data)
        except (AssetError, ValueError) as exc:
            problems.append(f"its image '{name}' cannot be read: {exc}")
            continue
        if found is not None:
            images.append(ImageInfo(name, *found))
    return images, problems


@dataclass
class _Texture:
    """One texture file (or one image inside a model), where it is first named, and its size."""

    loc: Loc
    name: str
    width: int
    height: int

    @property
    def bytes(self) -> int:
        # 4 bytes a texel (GPUs pad RGB to RGBA), a third more for the mipmap chain
        return self.width * self.height * 4 * 4 // 3


def _check_assets(lint: _Lint) -> None:
    lesson = lint.lesson
    triangles: dict[str, list[tuple[Loc, int]]] = defaultdict(list)
    textures: dict[str, _Texture] = {}
    floor = lesson.environment.floor
    if floor is not None and floor.texture:
        _texture(lint, ("environment", "floor", "texture"), floor.texture, textures)
    for i, entity in enumerate(lesson.entities):
        loc: Loc = ("entities", i)
        if entity.geometry is not None:
            g = entity.geometry
            name = f"{g.primitive} geometry"
            if g.primitive not in ("box", "plane"):
                name += f" of {g.segments} segments"
            triangles[name].append(((*loc, "geometry"), primitive_triangles(g)))
        elif entity.model:
            _model(lint, (*loc, "model"), entity.model, triangles, textures)
        if entity.material is not None and entity.material.texture:
            _texture(lint, (*loc, "material", "texture"), entity.material.texture, textures)
    _check_triangle_budget(lint, triangles)
    _check_texture_budget(lint, textures)


def _model(
    lint: _Lint,
    loc: Loc,
    relative: str,
    triangles: dict[str, list[tuple[Loc, int]]],
    textures: dict[str, _Texture],
) -> None:
    path = lint.loaded.asset_path(relative)
    if path is None:
        return  # missing-asset says so
    try:
        info = read_model(path)
    except AssetError as exc:
        lint.report(loc, "bad-asset", f"model '{relative}' cannot be used: {exc}; re-export it")
        return
    if info is None:
        return
    triangles[f"model '{relative}'"].append((loc, info.triangles))
    for problem in info.problems:
        lint.report(loc, "bad-asset", f"model '{relative}': {problem}; re-export it")
    for k, image in enumerate(info.images):
        key = f"{path}#{k}"
        if key not in textures:
            textures[key] = _Texture(
                loc, f"the image '{image.name}' in model '{relative}'", image.width, image.height
            )
            _check_texture_size(lint, textures[key])


def _texture(lint: _Lint, loc: Loc, relative: str, textures: dict[str, _Texture]) -> None:
    path = lint.loaded.asset_path(relative)
    if path is None or str(path) in textures:
        return  # missing-asset says so, or it was measured where first named
    try:
        size = read_image(path)
    except AssetError as exc:
        lint.report(loc, "bad-asset", f"texture '{relative}' cannot be used: {exc}; re-save it")
        return
    if size is None:
        return
    textures[str(path)] = _Texture(loc, f"texture '{relative}'", *size)
    _check_texture_size(lint, textures[str(path)])


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _check_texture_size(lint: _Lint, texture: _Texture) -> None:
    w, h, top = texture.width, texture.height, lint.budgets.max_texture_side
    if max(w, h) > top:
        lint.report(
            texture.loc,
            "texture-size",
            f"{texture.name} is {w}x{h} px, larger than {top} px on a side, which school PCs "
            f"and headsets may not load; scale it down to {top} px or less",
        )
    elif not (_power_of_two(w) and _power_of_two(h)):
        fit = f"{_nearest_power(w)}x{_nearest_power(h)}"
        lint.report(
            texture.loc,
            "texture-size",
            f"{texture.name} is {w}x{h} px, not a power of two on each side, which some GPUs "
            f"rescale or cannot mipmap; resize it, e.g. to {fit}",
        )


def _nearest_power(n: int) -> int:
    return 1 << max(round(math.log2(max(n, 1))), 0)


def _check_triangle_budget(lint: _Lint, triangles: dict[str, list[tuple[Loc, int]]]) -> None:
    total = sum(count for uses in triangles.values() for _, count in uses)
    budget = lint.budgets.triangles
    if total <= budget:
        return
    costs = sorted(
        ((sum(c for _, c in uses), name, uses) for name, uses in triangles.items()), reverse=True
    )
    heaviest = ", ".join(f"{len(uses)} x {name} ({cost:,})" for cost, name, uses in costs[:3])
    lint.report(
        costs[0][2][0][0],
        "triangle-budget",
        f"the lesson draws {total:,} triangles, over the budget of {budget:,} for school PCs "
        f"and standalone headsets; the most: {heaviest}; use fewer segments, simpler models "
        "or fewer copies",
    )


def _check_texture_budget(lint: _Lint, textures: dict[str, _Texture]) -> None:
    total = sum(t.bytes for t in textures.values())
    budget = lint.budgets.texture_bytes
    if total <= budget:
        return
    ranked = sorted(textures.values(), key=lambda t: t.bytes, reverse=True)
    heaviest = ", ".join(f"{t.name} ({t.bytes / 2**20:.1f} MiB)" for t in ranked[:3])
    lint.report(
        ranked[0].loc,
        "texture-budget",
        f"the lesson's textures take {total / 2**20:.1f} MiB of GPU memory, over the budget of "
        f"{budget / 2**20:.0f} MiB; the most: {heaviest}; use smaller or fewer textures",
    )
