"""Scene furniture the lesson implies but does not draw: snap-zone and point-of-interest
markers, pendulum strings, liquid fills, highlight shells and pick solids.

Sizes given here are in metres; callers attach markers under an entity's unscaled frame.
"""

from __future__ import annotations

from panda3d.core import (
    BitMask32,
    CollisionBox,
    CollisionNode,
    CollisionSphere,
    CullFaceAttrib,
    LColor,
    NodePath,
    Point3,
    TransparencyAttrib,
)

from engine.model.components import PointOfInterest, SnapZone
from engine.scene.colors import RGBA, parse_color, srgb_to_linear
from engine.scene.materials import set_flat_material
from engine.scene.primitives import box, cylinder, geom_node, torus
from engine.scene.shaders import UNLIT_PRIORITY, make_unlit
from engine.scene.text import make_label

#: the collide mask of pick solids: a rig's ray with this from-mask finds entities only
PICK_MASK = BitMask32.bit(1)
SNAP_COLOR = "#2bb3ff"
POI_COLOR = "#ffc83d"
HIGHLIGHT_COLOR = "#ffd21f"
#: opacity of the highlight glow over the object, before pulsing
GLOW_ALPHA = 0.55
STRING_COLOR = "#2a2a2a"
STRING_RADIUS = 0.0025
WATER = (0.66, 0.85, 0.95, 0.9)

Bounds = tuple[Point3, Point3]


def _colored(node: NodePath, color: str, alpha: float) -> NodePath:
    node.set_color(LColor(*parse_color(color)[:3], alpha))
    make_unlit(node, translucent=alpha < 1.0)
    node.set_collide_mask(BitMask32.all_off())
    return node


def snap_marker(parent: NodePath, zone: SnapZone) -> NodePath:
    """A translucent disc with a ring, the size of the zone's snap radius, at its offset."""
    marker = parent.attach_new_node("snap-zone")
    marker.set_pos(zone.offset[0], zone.offset[1], zone.offset[2] + 0.003)
    ring = geom_node("ring", torus(zone.radius, 0.006, 48))
    ring.reparent_to(marker)
    _colored(ring, SNAP_COLOR, 0.9)
    disc = geom_node("disc", cylinder(zone.radius, 0.002, 48))
    disc.reparent_to(marker)
    _colored(disc, SNAP_COLOR, 0.25)
    return marker


def poi_marker(parent: NodePath, poi: PointOfInterest) -> NodePath:
    """A tall translucent beam (seen from across a site), a ring of the visit radius, a title."""
    marker = parent.attach_new_node("point-of-interest")
    beam = geom_node("beam", cylinder(0.05, 2.5, 16))
    beam.reparent_to(marker)
    beam.set_z(1.25)
    _colored(beam, POI_COLOR, 0.4)
    ring = geom_node("ring", torus(poi.radius, 0.02, 64))
    ring.reparent_to(marker)
    ring.set_z(0.02)
    _colored(ring, POI_COLOR, 0.6)
    title = make_label(marker, poi.title, size=0.12, name="poi-title")
    title.set_z(2.75)
    return marker


def make_string(parent: NodePath) -> NodePath:
    """A pendulum string: a thin unlit rod, placed with :func:`place_string`."""
    holder = parent.attach_new_node("pendulum-string")
    rod = geom_node("rod", cylinder(1.0, 1.0, 8))
    rod.reparent_to(holder)
    # the unit cylinder's axis is Z; the holder aims its +Y, so turn the axis onto Y
    rod.set_p(90)
    _colored(holder, STRING_COLOR, 1.0)
    return holder


def place_string(string: NodePath, frame: NodePath, top: Point3, bottom: Point3) -> None:
    """Stretch ``string`` between two points given in ``frame``'s coordinates."""
    length = (bottom - top).length()
    if length < 1e-6:
        string.hide()
        return
    string.show()
    string.set_pos(frame, (top + bottom) / 2)
    string.look_at(frame, bottom)
    string.set_scale(STRING_RADIUS, length, STRING_RADIUS)


class LiquidFill:
    """A liquid column inside a container, its height following a fill fraction."""

    def __init__(self, parent: NodePath, bounds: Bounds, *, round_: bool, fraction: float) -> None:
        """Fit the liquid inside the container's bounds (in ``parent``'s frame).

        Args:
            parent: the container entity's node.
            bounds: the container's look, min and max corners, in ``parent``'s frame.
            round_: a cylinder (beakers, flasks) rather than a box (tanks, troughs).
            fraction: how full it starts, 0..1.
        """
        lo, hi = bounds
        size = hi - lo
        wall = 0.08
        self.height = size.z * (1 - 2 * wall)
        self.node = parent.attach_new_node("liquid")
        self.node.set_pos((lo.x + hi.x) / 2, (lo.y + hi.y) / 2, lo.z + size.z * wall)
        if round_:
            radius = min(size.x, size.y) / 2 * (1 - wall)
            self._xy = (radius, radius)
        else:
            self._xy = (size.x / 2 * (1 - wall), size.y / 2 * (1 - wall))
        # a unit column standing on the origin, scaled to the fill
        shape = geom_node("column", cylinder(1.0, 1.0, 32) if round_ else box(2.0, 2.0, 1.0))
        shape.reparent_to(self.node)
        shape.set_z(0.5)
        self.node.set_collide_mask(BitMask32.all_off())
        self.set(fraction, WATER)

    def set(self, fraction: float, rgba: RGBA) -> None:
        """Fill to ``fraction`` (0..1) with an sRGB colour ``rgba`` (0..1 channels)."""
        fraction = min(max(fraction, 0.0), 1.0)
        if fraction <= 0.0:
            self.node.hide()
            return
        self.node.show()
        self.node.set_scale(self._xy[0], self._xy[1], self.height * fraction)
        set_flat_material(self.node, srgb_to_linear(rgba), roughness=0.15, priority=1)


def highlight_shell(entity: NodePath, look: NodePath, bounds: Bounds) -> NodePath:
    """A highlight around ``look``: a bright outline and a translucent glow over the object.

    The outline is an enlarged copy drawn inside out in a flat colour, so only its rim shows
    past the object; the glow is the same geometry again, drawn just in front of it with alpha,
    so the object itself turns warm and bright whatever its own colour. Both share the look's
    geometry (instances), so this costs no memory. Scale the returned node's colour scale
    alpha to pulse the glow.
    """
    lo, hi = bounds
    centre = (lo + hi) / 2
    size = hi - lo
    color = LColor(*parse_color(HIGHLIGHT_COLOR))
    holder = entity.attach_new_node("highlight")
    holder.set_collide_mask(BitMask32.all_off())
    make_unlit(holder)
    holder.set_color(color, UNLIT_PRIORITY)
    holder.set_texture_off(UNLIT_PRIORITY)

    outline = holder.attach_new_node("outline")
    outline.set_pos(centre)
    # at least 12 mm of rim whatever the object's size (a few pixels at 2-3 m), 6 % on large ones
    factors = [(s + 2 * max(0.06 * s, 0.012)) / s if s > 1e-6 else 1.0 for s in size]
    outline.set_scale(*factors)
    inner = outline.attach_new_node("shell")
    inner.set_pos(-centre)
    look.instance_to(inner)
    outline.set_attrib(CullFaceAttrib.make_reverse(), UNLIT_PRIORITY)

    glow = holder.attach_new_node("glow")
    look.instance_to(glow)
    glow.set_transparency(TransparencyAttrib.M_alpha, UNLIT_PRIORITY)
    glow.set_depth_write(False, UNLIT_PRIORITY)
    # drawn over the object's own surface, which has the same depth
    glow.set_depth_offset(2, UNLIT_PRIORITY)
    glow.set_color(LColor(color.x, color.y, color.z, GLOW_ALPHA), UNLIT_PRIORITY + 1)
    return holder


def pick_solid(entity: NodePath, bounds: Bounds, *, sphere_radius: float | None = None) -> NodePath:
    """A collision solid on :data:`PICK_MASK` covering the entity's look."""
    node = CollisionNode("pick")
    node.set_into_collide_mask(PICK_MASK)
    node.set_from_collide_mask(BitMask32.all_off())
    if sphere_radius is not None:
        node.add_solid(CollisionSphere(0, 0, 0, sphere_radius))
    else:
        lo, hi = Point3(bounds[0]), Point3(bounds[1])
        # flat looks (planes, panels) still need some depth to be hit
        for axis in range(3):
            if hi[axis] - lo[axis] < 0.01:
                mid = (hi[axis] + lo[axis]) / 2
                lo[axis], hi[axis] = mid - 0.005, mid + 0.005
        node.add_solid(CollisionBox(lo, hi))
    return entity.attach_new_node(node)
