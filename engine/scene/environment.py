"""Surroundings: the environment presets, floor, room walls, sky, and the lesson's lights.

Presets (each part can be overridden by the lesson's ``environment``):

- ``lab``: an indoor room (8 x 8 x 3 m walls), a lino floor of the room's size, a pale ceiling
  colour as sky, and soft light from above that leaves bench tops evenly lit;
- ``site``: open ground (80 x 80 m) under a blue sky, a warm low sun and a cool sky fill;
- ``studio``: a neutral grey floor (20 x 20 m) on a dark grey backdrop, three-point lighting.

Light intensity: 1 means a surface facing the light shows its own colour (simplepbr's Lambert
term divides by pi, so directional and point lights are scaled by pi here). Point lights fall
off gently, as ``1 / (1 + 0.02 d^2)``. At most :data:`~engine.scene.app.MAX_LIGHTS` non-ambient
lights are shaded (any number of ambient ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from panda3d.core import (
    AmbientLight,
    DirectionalLight,
    LColor,
    NodePath,
    Point3,
    PointLight,
    TextureStage,
)

from engine.model.lesson import Environment, Floor, Light, Room
from engine.scene.app import MAX_LIGHTS
from engine.scene.colors import linear_color, parse_color
from engine.scene.materials import AssetResolver, load_texture, set_flat_material
from engine.scene.primitives import box, geom_node, plane
from engine.scene.shaders import untonemap

WALL_THICKNESS = 0.1
#: metres of floor one repeat of a floor texture covers
FLOOR_TILE = 2.0


@dataclass(frozen=True)
class Preset:
    """What an environment preset supplies when the lesson leaves a part out."""

    sky: str
    floor: Floor
    room: Room | None
    lights: tuple[Light, ...] = field(default_factory=tuple)


PRESETS: dict[str, Preset] = {
    "lab": Preset(
        sky="#e4e7ea",
        floor=Floor(size=(8.0, 8.0), color="#a3a195"),
        room=Room(),
        lights=(
            Light(type="ambient", color="#ffffff", intensity=0.45),
            Light(type="directional", color="#fff8ee", intensity=0.8, direction=(0.2, 0.4, -1.0)),
            Light(
                type="directional", color="#e8f0ff", intensity=0.25, direction=(-0.5, -0.3, -0.6)
            ),
        ),
    ),
    "site": Preset(
        sky="#8fbfe6",
        floor=Floor(size=(80.0, 80.0), color="#a89d7c"),
        room=None,
        lights=(
            Light(type="ambient", color="#c9dcff", intensity=0.4),
            Light(type="directional", color="#fff1d6", intensity=1.1, direction=(0.5, 0.8, -0.6)),
        ),
    ),
    "studio": Preset(
        sky="#3d4148",
        floor=Floor(size=(20.0, 20.0), color="#8a8a80"),
        room=None,
        lights=(
            Light(type="ambient", color="#ffffff", intensity=0.35),
            Light(type="directional", color="#ffffff", intensity=0.85, direction=(0.4, 0.7, -0.8)),
            Light(type="directional", color="#ffffff", intensity=0.3, direction=(-0.7, 0.3, -0.4)),
            Light(type="directional", color="#ffffff", intensity=0.35, direction=(0.0, -1.0, -0.2)),
        ),
    ),
}


def sky_color(env: Environment) -> tuple[float, float, float, float]:
    """The window's clear colour for this environment, in the scene buffer's terms.

    The clear colour goes through simplepbr's tone map like the scene, so it is un-tone-mapped
    here for the sky to show exactly the colour the lesson (or preset) writes.
    """
    r, g, b, _ = parse_color(env.sky or PRESETS[env.preset].sky)
    return (*untonemap((r, g, b)), 1.0)


def build_environment(
    env: Environment, parent: NodePath, resolve: AssetResolver
) -> tuple[NodePath, list[str]]:
    """Build the floor and the room's walls under ``parent``.

    Args:
        env: the lesson's environment.
        parent: where the ``environment`` node goes.
        resolve: finds asset files (floor textures).

    Returns:
        The environment node and any problems worth a warning.
    """
    preset = PRESETS[env.preset]
    root = parent.attach_new_node("environment")
    problems = _floor(env.floor or preset.floor, root, resolve)
    room = env.room or preset.room
    if room is not None:
        _walls(room, root)
    return root, problems


def _floor(spec: Floor, parent: NodePath, resolve: AssetResolver) -> list[str]:
    width, depth = spec.size
    floor = geom_node("floor", plane(width, depth))
    floor.reparent_to(parent)
    path = resolve(spec.texture) if spec.texture else None
    # a texture with no colour written carries the floor's colour; a tint would darken it
    tint = "#ffffff" if path and "color" not in spec.model_fields_set else spec.color
    set_flat_material(floor, linear_color(tint), roughness=0.85)
    if path is not None:
        floor.set_texture(load_texture(path))
        floor.set_tex_scale(TextureStage.get_default(), width / FLOOR_TILE, depth / FLOOR_TILE)
    elif spec.texture:
        return [f"floor texture '{spec.texture}' not found in the lesson's or project's assets"]
    return []


def _walls(room: Room, parent: NodePath) -> None:
    walls = parent.attach_new_node("walls")
    t = WALL_THICKNESS
    w, d, h = room.width, room.depth, room.height
    # inner faces sit exactly on the room's bounds; the thickness goes outward
    for name, size, pos in (
        ("north", (w + 2 * t, t, h), (0, d / 2 + t / 2, h / 2)),
        ("south", (w + 2 * t, t, h), (0, -d / 2 - t / 2, h / 2)),
        ("east", (t, d, h), (w / 2 + t / 2, 0, h / 2)),
        ("west", (t, d, h), (-w / 2 - t / 2, 0, h / 2)),
    ):
        wall = geom_node(f"wall-{name}", box(*size))
        wall.reparent_to(walls)
        wall.set_pos(*pos)
    set_flat_material(walls, linear_color(room.wall_color), roughness=0.9)


def build_lights(
    lights: list[Light], preset: str, parent: NodePath, target: NodePath
) -> tuple[list[NodePath], list[str]]:
    """Create the lesson's lights (or the preset's rig when it has none) and light ``target``.

    Returns:
        The light nodes, and problems worth a warning (lights beyond simplepbr's limit).
    """
    specs = list(lights) or list(PRESETS[preset].lights)
    nodes: list[NodePath] = []
    problems: list[str] = []
    shaded = 0
    for i, spec in enumerate(specs):
        if spec.type != "ambient":
            shaded += 1
            if shaded > MAX_LIGHTS:
                problems.append(
                    f"light {i} ignored: the renderer shades at most {MAX_LIGHTS}"
                    " non-ambient lights"
                )
                continue
        np_ = _light(spec, f"light-{i}-{spec.type}", parent)
        target.set_light(np_)
        nodes.append(np_)
    return nodes, problems


def _light(spec: Light, name: str, parent: NodePath) -> NodePath:
    if spec.type == "ambient":
        ambient = AmbientLight(name)
        ambient.set_color(LColor(*linear_color(spec.color, alpha=1.0, intensity=spec.intensity)))
        return parent.attach_new_node(ambient)
    color = LColor(*linear_color(spec.color, alpha=1.0, intensity=spec.intensity * math.pi))
    if spec.type == "directional":
        sun = DirectionalLight(name)
        sun.set_color(color)
        node = parent.attach_new_node(sun)
        # a directional light shines along its node's +Y
        node.look_at(Point3(*spec.direction))
        return node
    bulb = PointLight(name)
    bulb.set_color(color)
    bulb.set_attenuation((1.0, 0.0, 0.02))
    node = parent.attach_new_node(bulb)
    node.set_pos(*spec.position)
    return node
