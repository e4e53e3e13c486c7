"""Build a lesson's scene graph and drive it: the bridge from the lesson model to Panda3D.

Each entity becomes a node tagged ``entity=<id>`` carrying the entity's transform (relative to
its parent entity, or to the scene root). Under it sit its *look* (primitive geometry or a
glTF model), a pick solid on :data:`~engine.scene.markers.PICK_MASK`, and an *unscaled frame*
(the entity's position and rotation without its scale) for what is sized in metres whatever
the entity's scale: text labels, info panels, snap-zone and point-of-interest markers.
"""

from __future__ import annotations

from dataclasses import dataclass

from panda3d.core import NodePath, Point3

from engine.model.lesson import Entity, Material
from engine.model.loader import LoadedLesson
from engine.scene.app import SceneApp
from engine.scene.environment import build_environment, build_lights, sky_color
from engine.scene.markers import (
    LiquidFill,
    make_string,
    pick_solid,
    place_string,
    poi_marker,
    snap_marker,
)
from engine.scene.materials import apply_material
from engine.scene.models import ModelFiles
from engine.scene.primitives import box, from_geometry, geom_node
from engine.scene.runtime import BuiltScene, EntityParts, label_offset
from engine.scene.text import make_label, make_panel

_ROUND = ("cylinder", "sphere", "cone")


def build_scene(
    loaded: LoadedLesson, app: SceneApp, *, knob_levels: dict[str, int] | None = None
) -> BuiltScene:
    """Build the lesson's environment, lights and entities under ``app.render``.

    Problems that should not stop a lesson (a missing model or texture, an unknown parent)
    are collected in ``BuiltScene.warnings`` and replaced by something visible.

    Args:
        loaded: the loaded lesson (its ``asset_path`` finds models and textures).
        app: the application to build into.
        knob_levels: current difficulty levels by knob id; knobs left out use their default.
    """
    lesson = loaded.lesson
    root = app.render.attach_new_node(f"lesson:{lesson.metadata.id}")
    warnings: list[str] = []
    env, problems = build_environment(lesson.environment, root, loaded.asset_path)
    warnings += problems
    app.base.set_background_color(*sky_color(lesson.environment))
    lights, problems = build_lights(lesson.lights, lesson.environment.preset, root, root)
    warnings += problems

    parts: dict[str, EntityParts] = {}
    models = ModelFiles(app.base.loader)
    for entity in lesson.entities:
        parts[entity.id] = _build_entity(entity, root, models, loaded, warnings)
    _parent_entities(lesson.entities, parts, warnings)
    for entity in lesson.entities:
        _add_extras(entity, parts, warnings)

    levels = {k.id: k.default for k in lesson.difficulty}
    scene = BuiltScene(app, lesson, root, parts, env, lights, warnings)
    scene.apply_knobs({**levels, **(knob_levels or {})})
    return scene


def _scale3(entity: Entity) -> tuple[float, float, float]:
    s = entity.scale
    sx, sy, sz = (s, s, s) if isinstance(s, int | float) else s
    # a zero scale would make the unscaled frame singular
    return tuple(v if abs(v) > 1e-6 else 1e-6 for v in (sx, sy, sz))  # type: ignore[return-value]


def _build_entity(
    entity: Entity, root: NodePath, models: ModelFiles, loaded: LoadedLesson, warnings: list[str]
) -> EntityParts:
    node = root.attach_new_node(f"entity:{entity.id}")
    node.set_tag("entity", entity.id)
    node.set_pos(*entity.position)
    node.set_hpr(*entity.rotation)
    scale = _scale3(entity)
    node.set_scale(*scale)
    fixed = node.attach_new_node("unscaled")
    fixed.set_scale(1 / scale[0], 1 / scale[1], 1 / scale[2])

    look: NodePath | None = None
    if entity.geometry is not None:
        look = geom_node("look", from_geometry(entity.geometry))
        look.reparent_to(node)
        warnings += apply_material(
            look, entity.material or Material.model_validate({}), loaded.asset_path
        )
    elif entity.model is not None:
        look = _load_model(entity, models, loaded, warnings)
        look.reparent_to(node)
        warnings += apply_material(look, entity.material, loaded.asset_path, priority=1)
    if entity.info_panel is not None:
        panel = entity.info_panel
        made = make_panel(
            fixed, title=panel.title, body=panel.body, width=panel.width, timeline=panel.timeline
        )
        if look is None:
            look = made

    parts = EntityParts(node=node, fixed=fixed, look=look)
    if look is not None:
        bounds = look.get_tight_bounds(node)
        if bounds is not None:
            parts.bounds = (Point3(bounds[0]), Point3(bounds[1]))
            sphere = entity.geometry is not None and entity.geometry.primitive == "sphere"
            radius = entity.geometry.radius if sphere and entity.geometry else None
            parts.pick = pick_solid(node, parts.bounds, sphere_radius=radius)
    return parts


def _load_model(
    entity: Entity, models: ModelFiles, loaded: LoadedLesson, warnings: list[str]
) -> NodePath:
    """The entity's glTF/GLB (or other Panda3D-loadable) model, or a magenta placeholder."""
    assert entity.model is not None
    path = loaded.asset_path(entity.model)
    if path is not None:
        try:
            model = models.load(path)
        except (OSError, RuntimeError, ValueError) as exc:
            warnings.append(f"entity '{entity.id}': model '{entity.model}' did not load: {exc}")
        else:
            model.set_name("look")
            return model
    else:
        warnings.append(
            f"entity '{entity.id}': model '{entity.model}' not found"
            " in the lesson's or project's assets"
        )
    placeholder = geom_node("look", box(0.2, 0.2, 0.2))
    apply_material(
        placeholder,
        Material.model_validate({"color": "#ff00ff", "emissive": "#550055"}),
        loaded.asset_path,
    )
    return placeholder


def _parent_entities(
    entities: list[Entity], parts: dict[str, EntityParts], warnings: list[str]
) -> None:
    for entity in entities:
        if entity.parent is None:
            continue
        parent = parts.get(entity.parent)
        if parent is None:
            warnings.append(f"entity '{entity.id}': parent '{entity.parent}' does not exist")
            continue
        child = parts[entity.id].node
        if parent.node == child or child.is_ancestor_of(parent.node):
            warnings.append(f"entity '{entity.id}': parent '{entity.parent}' would make a cycle")
            continue
        # the lesson's position is relative to the parent: keep the local transform as written
        child.reparent_to(parent.node)


@dataclass
class _LabelSpec:
    text: str
    size: float
    color: str
    billboard: bool
    offset: tuple[float, float, float]


def _add_extras(entity: Entity, parts: dict[str, EntityParts], warnings: list[str]) -> None:
    """Labels, markers, pendulum strings and liquids: what depends on the built hierarchy."""
    own = parts[entity.id]
    spec: _LabelSpec | None = None
    if entity.text is not None:
        t = entity.text
        spec = _LabelSpec(t.value, t.size, t.color, t.billboard, t.offset)
    elif entity.button is not None and entity.button.label:
        spec = _LabelSpec(entity.button.label, 0.04, "#111111", True, (0.0, 0.0, 0.0))
    if spec is not None:
        offset = spec.offset if any(spec.offset) else label_offset(own, spec.size)
        own.label = make_label(
            own.fixed, spec.text, size=spec.size, color=spec.color, billboard=spec.billboard
        )
        own.label.set_pos(*offset)
    if entity.snap_zone is not None:
        snap_marker(own.fixed, entity.snap_zone)
    if entity.point_of_interest is not None:
        poi_marker(own.fixed, entity.point_of_interest)
    if entity.pendulum is not None:
        bob = parts.get(entity.pendulum.bob)
        if bob is None:
            warnings.append(
                f"entity '{entity.id}': pendulum bob '{entity.pendulum.bob}' does not exist"
            )
        else:
            own.string = make_string(own.fixed)
            own.bob = entity.pendulum.bob
            place_string(own.string, own.fixed, Point3(0, 0, 0), bob.node.get_pos(own.fixed))
    if entity.container is not None:
        if own.bounds is None:
            warnings.append(
                f"entity '{entity.id}': a container needs a geometry or model to hold its liquid"
            )
        else:
            capacity = entity.container.capacity
            fraction = entity.container.liquid.volume / capacity if capacity > 0 else 0.0
            geometry = entity.geometry
            round_ = geometry is None or geometry.primitive in _ROUND
            own.liquid = LiquidFill(own.node, own.bounds, round_=round_, fraction=fraction)
