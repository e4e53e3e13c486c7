"""Where things are: entity poses, what is held, what sits in which snap zone.

Pure Python. Positions are world metres in the lesson's Z-up frame. Rotations follow Panda3D's
HPR convention so that the core and the renderer agree on where a child entity is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.model.lesson import Entity, Lesson

Vec3 = tuple[float, float, float]


def hpr_rotate(v: Vec3, hpr: Vec3) -> Vec3:
    """Rotate ``v`` by heading (Z), pitch (X), roll (Y) in degrees, as Panda3D does."""
    h, p, r = (math.radians(a) for a in hpr)
    x, y, z = v
    # roll about Y
    cr, sr = math.cos(r), math.sin(r)
    x, z = x * cr + z * sr, -x * sr + z * cr
    # pitch about X
    cp, sp = math.cos(p), math.sin(p)
    y, z = y * cp - z * sp, y * sp + z * cp
    # heading about Z
    ch, sh = math.cos(h), math.sin(h)
    x, y = x * ch - y * sh, x * sh + y * ch
    return (x, y, z)


def hpr_unrotate(v: Vec3, hpr: Vec3) -> Vec3:
    """The inverse of :func:`hpr_rotate`."""
    h, p, r = (math.radians(a) for a in hpr)
    x, y, z = v
    ch, sh = math.cos(-h), math.sin(-h)
    x, y = x * ch - y * sh, x * sh + y * ch
    cp, sp = math.cos(-p), math.sin(-p)
    y, z = y * cp - z * sp, y * sp + z * cp
    cr, sr = math.cos(-r), math.sin(-r)
    x, z = x * cr + z * sr, -x * sr + z * cr
    return (x, y, z)


def add(a: Vec3, b: Vec3) -> Vec3:
    """Vector sum."""
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def distance(a: Vec3, b: Vec3) -> float:
    """Euclidean distance."""
    return math.dist(a, b)


@dataclass
class EntityState:
    """The mutable part of an entity while the lesson runs."""

    id: str
    parent: str | None
    local_position: Vec3
    rotation: Vec3
    start_position: Vec3
    visible: bool = True
    in_zone: str | None = None
    #: the entity's own scale, which scales its children's positions as in the scene graph
    scale: Vec3 = (1.0, 1.0, 1.0)


@dataclass
class World:
    """Entity states plus the learner: the state the step conditions look at."""

    entities: dict[str, EntityState]
    player_position: Vec3 = (0.0, 0.0, 0.0)
    player_heading: float = 0.0
    held: str | None = None
    #: entities whose pose changed since the presentation last looked
    dirty: set[str] = field(default_factory=set)

    @classmethod
    def from_lesson(cls, lesson: Lesson) -> World:
        """Initial world of a lesson."""
        states = {e.id: _state(e) for e in lesson.entities}
        player = lesson.player
        return cls(states, player.position, player.heading)

    def world_position(self, entity_id: str) -> Vec3:
        """World position, composing parents' positions and rotations."""
        state = self.entities[entity_id]
        pos = state.local_position
        parent = state.parent
        guard = 0
        while parent is not None and guard < 64:
            p = self.entities[parent]
            scaled = (pos[0] * p.scale[0], pos[1] * p.scale[1], pos[2] * p.scale[2])
            pos = add(p.local_position, hpr_rotate(scaled, p.rotation))
            parent = p.parent
            guard += 1
        return pos

    def set_world_position(self, entity_id: str, position: Vec3) -> None:
        """Move an entity so that its world position is ``position``."""
        state = self.entities[entity_id]
        chain: list[EntityState] = []
        parent = state.parent
        while parent is not None and len(chain) < 64:
            chain.append(self.entities[parent])
            parent = self.entities[parent].parent
        local = position
        for ancestor in reversed(chain):
            offset = (
                local[0] - ancestor.local_position[0],
                local[1] - ancestor.local_position[1],
                local[2] - ancestor.local_position[2],
            )
            unrotated = hpr_unrotate(offset, ancestor.rotation)
            sx, sy, sz = ancestor.scale
            local = (unrotated[0] / sx, unrotated[1] / sy, unrotated[2] / sz)
        state.local_position = local
        self.dirty.add(entity_id)

    def occupant(self, zone_id: str) -> str | None:
        """The entity sitting in a snap zone, if any."""
        for s in self.entities.values():
            if s.in_zone == zone_id:
                return s.id
        return None


def _state(e: Entity) -> EntityState:
    scale: Vec3 = (e.scale, e.scale, e.scale) if isinstance(e.scale, int | float) else e.scale
    return EntityState(e.id, e.parent, e.position, e.rotation, e.position, e.visible, scale=scale)
