"""A built scene at run time: what the runtime and the rigs change while a lesson plays."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from direct.task.Task import Task
from panda3d.core import (
    Camera,
    CollisionHandlerQueue,
    CollisionNode,
    CollisionRay,
    CollisionTraverser,
    NodePath,
    Point2,
    Point3,
)

from engine.model.lesson import Lesson
from engine.scene.app import SceneApp
from engine.scene.colors import RGBA
from engine.scene.markers import PICK_MASK, Bounds, LiquidFill, highlight_shell, place_string
from engine.scene.text import make_label, set_label_text

#: how far above an entity's look its label floats when the lesson gives no offset
LABEL_GAP = 0.03
#: the default letter height of labels created at run time (instrument read-outs)
READOUT_SIZE = 0.05
#: colour scale on a highlighted look: brighter and warmer
HIGHLIGHT_TINT = (1.35, 1.25, 0.7, 1.0)
#: pulses per second of a highlight's outline
PULSE_HZ = 1.2


@dataclass
class EntityParts:
    """The nodes built for one entity.

    Attributes:
        node: the entity's node (its transform, tag ``entity``).
        fixed: the entity's frame without its scale, for things sized in metres.
        look: the geometry, model or panel that shows the entity, if any.
        bounds: the look's box in ``node``'s coordinates.
    """

    node: NodePath
    fixed: NodePath
    look: NodePath | None = None
    bounds: Bounds | None = None
    pick: NodePath | None = None
    label: NodePath | None = None
    shell: NodePath | None = None
    string: NodePath | None = None
    bob: str | None = None
    liquid: LiquidFill | None = None
    shown: bool = True
    gated: bool = True


def label_offset(parts: EntityParts, size: float) -> tuple[float, float, float]:
    """Where an entity's label goes when the lesson gives no offset: just above its look."""
    bounds = parts.look.get_tight_bounds(parts.fixed) if parts.look is not None else None
    if bounds is None:
        return (0.0, 0.0, 0.0)
    lo, hi = bounds
    return ((lo.x + hi.x) / 2, (lo.y + hi.y) / 2, hi.z + LABEL_GAP + size)


class BuiltScene:
    """A lesson's scene under ``app.render``, with the operations a running lesson needs.

    Positions and rotations are relative to the entity's parent (as in the lesson file);
    ``world_position`` is in the scene's coordinates. Unknown ids raise ``KeyError``.

    Attributes:
        root: the scene's root node (under ``app.render``).
        nodes: each entity's node by id.
        environment: the floor and walls.
        lights: the light nodes.
        warnings: problems met while building (missing assets...), for the author.
    """

    def __init__(
        self,
        app: SceneApp,
        lesson: Lesson,
        root: NodePath,
        parts: dict[str, EntityParts],
        environment: NodePath,
        lights: list[NodePath],
        warnings: list[str],
    ) -> None:
        """Wrap nodes made by :func:`engine.scene.builder.build_scene` (use that instead)."""
        self.app = app
        self.lesson = lesson
        self.root = root
        self.parts = parts
        self.nodes: dict[str, NodePath] = {k: p.node for k, p in parts.items()}
        self.environment = environment
        self.lights = lights
        self.warnings = warnings
        self._gates = {e.id: e.only_when for e in lesson.entities if e.only_when is not None}
        for entity in lesson.entities:
            parts[entity.id].shown = entity.visible
        self._levels: dict[str, int] = {}
        self._pulse: Task | None = None
        self._picker = self._make_picker()

    # --- transforms ---------------------------------------------------------------------

    def set_position(self, entity_id: str, xyz: Iterable[float]) -> None:
        """Move an entity (metres, relative to its parent)."""
        self.nodes[entity_id].set_pos(*xyz)
        self._follow_strings(entity_id)

    def set_world_position(self, entity_id: str, xyz: Iterable[float]) -> None:
        """Move an entity to a point in the lesson's world frame (whatever its parent)."""
        self.nodes[entity_id].set_pos(self.root, *xyz)
        self._follow_strings(entity_id)

    def set_hpr(self, entity_id: str, hpr: Iterable[float]) -> None:
        """Turn an entity ([heading, pitch, roll] degrees, relative to its parent)."""
        self.nodes[entity_id].set_hpr(*hpr)
        self._follow_strings(entity_id)

    def world_position(self, entity_id: str) -> tuple[float, float, float]:
        """Where an entity's origin is, in the scene's coordinates."""
        p = self.nodes[entity_id].get_pos(self.app.render)
        return (p.x, p.y, p.z)

    # --- visibility ---------------------------------------------------------------------

    def set_visible(self, entity_id: str, visible: bool) -> None:
        """Show or hide an entity (and its children); a knob gate can still hide it."""
        self.parts[entity_id].shown = visible
        self._apply_visibility(entity_id)

    def apply_knobs(self, levels: dict[str, int]) -> None:
        """Set difficulty levels (by knob id) and show or hide the knob-gated entities."""
        self._levels.update(levels)
        for entity_id, gate in self._gates.items():
            level = self._levels.get(gate.knob, 0)
            top = gate.max_level if gate.max_level is not None else level
            self.parts[entity_id].gated = gate.min_level <= level <= top
            self._apply_visibility(entity_id)
        for entity_id in self.parts:
            if entity_id not in self._gates:
                self._apply_visibility(entity_id)

    def _apply_visibility(self, entity_id: str) -> None:
        parts = self.parts[entity_id]
        if parts.shown and parts.gated:
            parts.node.show()
        else:
            parts.node.hide()

    def is_visible(self, entity_id: str) -> bool:
        """Whether the entity shows (itself and every parent)."""
        return not self.nodes[entity_id].is_hidden()

    # --- looks --------------------------------------------------------------------------

    def highlight(self, entity_id: str, on: bool) -> None:
        """Turn a pulsing outline and a warm tint on or off (hints point with this)."""
        parts = self.parts[entity_id]
        if parts.look is None:
            return
        if on:
            if (
                parts.shell is None
                and parts.bounds is not None
                and parts.look.get_parent() == parts.node
            ):
                parts.shell = highlight_shell(parts.node, parts.look, parts.bounds)
            if parts.shell is not None:
                parts.shell.show()
            parts.look.set_color_scale(*HIGHLIGHT_TINT)
            if self._pulse is None:
                self._pulse = self.app.base.task_mgr.add(
                    self._pulse_task, f"highlight-pulse-{id(self)}"
                )
        else:
            if parts.shell is not None:
                parts.shell.hide()
            parts.look.clear_color_scale()

    def _pulse_task(self, task: Task) -> int:
        # the outline breathes in brightness, the glow in opacity
        k = 0.5 + 0.5 * math.sin(2 * math.pi * PULSE_HZ * task.time)
        for parts in self.parts.values():
            if parts.shell is not None and not parts.shell.is_hidden():
                parts.shell.set_color_scale(
                    0.8 + 0.2 * k, 0.8 + 0.2 * k, 0.8 + 0.2 * k, 0.6 + 0.4 * k
                )
        return Task.cont

    def set_label(self, entity_id: str, text: str) -> None:
        """Change (or create) the entity's text label, e.g. an instrument's read-out."""
        parts = self.parts[entity_id]
        if parts.label is None:
            parts.label = make_label(parts.fixed, text, size=READOUT_SIZE)
            parts.label.set_pos(*label_offset(parts, READOUT_SIZE))
        else:
            set_label_text(parts.label, text)

    def set_pendulum(self, pivot_id: str, bob_offset: Iterable[float]) -> None:
        """Put a pendulum's bob at ``bob_offset`` metres from its pivot (in the pivot's frame,
        unscaled) and stretch the string to it."""
        parts = self.parts[pivot_id]
        if parts.bob is None:
            raise KeyError(f"'{pivot_id}' is not a pendulum with a bob")
        self.nodes[parts.bob].set_pos(parts.fixed, Point3(*bob_offset))
        self._place_string(parts)

    def show_string(self, pivot_id: str, on: bool) -> None:
        """Show or hide a pendulum's string (hidden while the bob is not hung on it)."""
        string = self.parts[pivot_id].string
        if string is not None:
            if on:
                string.show()
            else:
                string.hide()

    def set_liquid(self, entity_id: str, fraction: float, rgba: RGBA) -> None:
        """Fill a container to ``fraction`` (0..1) with an sRGB colour (channels 0..1)."""
        liquid = self.parts[entity_id].liquid
        if liquid is None:
            raise KeyError(f"'{entity_id}' is not a container with a look")
        liquid.set(fraction, rgba)

    def _place_string(self, parts: EntityParts) -> None:
        if parts.string is not None and parts.bob is not None:
            bob = self.nodes[parts.bob].get_pos(parts.fixed)
            place_string(parts.string, parts.fixed, Point3(0, 0, 0), bob)

    def _follow_strings(self, entity_id: str) -> None:
        for parts in self.parts.values():
            if parts.string is not None and entity_id in (parts.bob, parts.node.get_tag("entity")):
                self._place_string(parts)

    # --- picking ------------------------------------------------------------------------

    def _make_picker(self) -> NodePath:
        node = CollisionNode("scene-picker")
        node.set_from_collide_mask(PICK_MASK)
        node.set_into_collide_mask(0)
        node.add_solid(CollisionRay())
        return NodePath(node)

    def pick(
        self,
        camera_np: NodePath,
        ndc: tuple[float, float] = (0.0, 0.0),
        *,
        ignore: str | None = None,
    ) -> str | None:
        """The id of the nearest visible entity under a screen point, or None.

        Args:
            camera_np: the camera's NodePath, or a node above one (``app.camera``).
            ndc: the point, -1..1 from the left/bottom to the right/top; (0, 0) is the centre.
            ignore: an entity to see through (the one the learner is carrying).
        """
        cam = camera_np if isinstance(camera_np.node(), Camera) else camera_np.find("**/+Camera")
        if cam.is_empty():
            raise ValueError(f"no camera at or under {camera_np}")
        self._picker.reparent_to(cam)
        ray = self._picker.node().modify_solid(0)
        ray.set_from_lens(cam.node(), Point2(*ndc))
        queue = CollisionHandlerQueue()
        traverser = CollisionTraverser("scene-pick")
        traverser.add_collider(self._picker, queue)
        traverser.traverse(self.root)
        queue.sort_entries()
        found = None
        for entry in queue.entries:
            entity = entry.get_into_node_path().find_net_tag("entity")
            # hidden entities still collide in Panda3D; they must not be picked (the collision
            # node itself is always hidden from cameras, so ask its entity)
            if not entity.is_empty() and not entity.is_hidden():
                if entity.get_tag("entity") == ignore:
                    continue
                found = entity.get_tag("entity")
                break
        self._picker.detach_node()
        return found

    # --- lifetime -----------------------------------------------------------------------

    def destroy(self) -> None:
        """Remove the scene from the app (lights, nodes, tasks); the app stays usable."""
        if self._pulse is not None:
            self.app.base.task_mgr.remove(self._pulse)
            self._pulse = None
        for light in self.lights:
            self.root.clear_light(light)
        self._picker.remove_node()
        self.root.remove_node()
        self.parts.clear()
        self.nodes.clear()
