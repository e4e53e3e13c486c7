"""The lint rules beyond the schema: silencing, the WCAG contrast maths, glTF triangle counts
against independent counts, world positions against Panda3D's, and the bundled lessons.

Each code also has a fixture in ``tests/fixtures/invalid`` (run by ``test_checks.py``).
"""

from __future__ import annotations

import copy
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from panda3d.core import Filename, Loader, LoaderOptions, NodePath, PNMImage
from ruamel.yaml import YAML

from engine.model import lint
from engine.model.diagnostics import CODES, Diagnostic
from engine.model.lesson import Geometry
from engine.model.lint import (
    RULES,
    AssetError,
    Budgets,
    angular_size,
    contrast_ratio,
    image_size,
    lint_lesson,
    primitive_triangles,
    read_image,
    read_model,
    relative_luminance,
    walk_area,
    world_frames,
)
from engine.model.loader import load_lesson, validate_paths
from engine.paths import ASSETS_DIR, LESSONS_DIR

HEADER = "# yaml-language-server: $schema=../../../schema/lesson.schema.json"
MODELS = sorted((ASSETS_DIR / "models").glob("*.glb"))
BUNDLED = sorted(LESSONS_DIR.glob("*/lesson.yaml"))

HINTS = [
    {"level": "highlight", "targets": ["button"]},
    {"level": "concept", "text": "It is on the table."},
    {"level": "demonstrate", "demonstration": {"press": "button"}},
]
BASE: dict[str, Any] = {
    "metadata": {
        "id": "linted",
        "title": "Linted",
        "summary": "Built by a lint test.",
        "subject": "physics",
        "age_range": [10, 14],
        "estimated_minutes": 5,
        "skills": [{"id": "doing", "name": "Doing"}],
    },
    "environment": {"preset": "lab"},
    "entities": [
        {
            "id": "button",
            "position": [0, 0, 1],
            "geometry": {"primitive": "box", "width": 0.1, "depth": 0.1, "height": 0.04},
            "button": {"label": "Press me"},
        }
    ],
    "steps": [
        {
            "id": "press",
            "instruction": "Press the button.",
            "skills": ["doing"],
            "complete_when": {"pressed": "button"},
            "hints": HINTS,
        }
    ],
}


def write(folder: Path, *entities: dict[str, Any], **sections: Any) -> Path:
    """BASE with ``entities`` added and ``sections`` replaced, written to ``folder``."""
    data = copy.deepcopy(BASE)
    data["entities"] += list(entities)
    data.update(sections)
    path = folder / "lesson.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        YAML(typ="safe", pure=True).dump(data, out)
    return path


def found(folder: Path, *entities: dict[str, Any], **sections: Any) -> list[Diagnostic]:
    return validate_paths([write(folder, *entities, **sections)])


def codes(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(d.code, d.severity) for d in diagnostics]


def test_the_base_is_clean(tmp_path: Path) -> None:
    assert found(tmp_path) == []


def test_every_rule_has_a_code_with_a_meaning() -> None:
    assert set(RULES) <= set(CODES)
    assert all(CODES[code].endswith("(warning)") for code, severity in RULES.items())
    assert set(RULES.values()) == {"warning"}


# --- silencing ------------------------------------------------------------------------------

NARRATOR = {"id": "guide", "position": [0, 1, 1], "narration": {"text": "Hi. Press it."}}
NARRATOR |= {"point_of_interest": {"title": "Guide"}}


def test_ignore_silences_a_lint_warning_in_this_lesson_only(tmp_path: Path) -> None:
    assert codes(found(tmp_path, NARRATOR)) == [("no-captions", "warning")]
    assert found(tmp_path, NARRATOR, lint={"ignore": ["no-captions"]}) == []


def test_ignore_silences_the_warnings_of_the_other_checks_too(tmp_path: Path) -> None:
    knob = {"id": "spare", "levels": [0, 1]}
    assert codes(found(tmp_path, difficulty=[knob])) == [("unused", "warning")]
    assert found(tmp_path, difficulty=[knob], lint={"ignore": ["unused"]}) == []


def test_errors_are_never_silenced(tmp_path: Path) -> None:
    hints = [{**HINTS[0], "targets": ["nothing"]}, *HINTS[1:]]
    steps = [{**BASE["steps"][0], "hints": hints}]
    silenced = found(tmp_path, steps=steps, lint={"ignore": ["unknown-entity"]})
    assert codes(silenced) == [("unknown-entity", "error")]


def test_an_unknown_code_in_ignore_is_a_located_warning(tmp_path: Path) -> None:
    diagnostics = found(tmp_path, NARRATOR, lint={"ignore": ["no-caption", "zebra"]})
    assert sorted(codes(diagnostics)) == [
        ("lint-ignore", "warning"),
        ("lint-ignore", "warning"),
        ("no-captions", "warning"),  # the typo silences nothing
    ]
    typo, other = (d for d in diagnostics if d.code == "lint-ignore")
    assert typo.message.endswith("did you mean 'no-captions'?")
    assert "lint codes are: no-captions, out-of-reach" in other.message
    text = (tmp_path / "lesson.yaml").read_text(encoding="utf-8").splitlines()
    assert "no-caption" in text[typo.line - 1][typo.column - 1 :]


def test_lint_ignore_itself_cannot_be_silenced(tmp_path: Path) -> None:
    diagnostics = found(tmp_path, lint={"ignore": ["lint-ignore", "nope"]})
    assert codes(diagnostics) == [("lint-ignore", "warning")]


# --- contrast -------------------------------------------------------------------------------


def test_relative_luminance_of_the_extremes() -> None:
    assert relative_luminance((0, 0, 0)) == 0
    assert relative_luminance((1, 1, 1)) == pytest.approx(1)


@pytest.mark.parametrize(
    ("foreground", "background", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),  # the largest ratio
        ("#ffffff", "#000000", 21.0),  # order does not matter
        ("#777777", "#ffffff", 4.48),  # the classic just-fails grey
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
        ("#0000ff", "#ffffff", 8.59),
        ("red", "white", 4.0),
        ("#123456", "#123456", 1.0),
    ],
)
def test_contrast_ratio_matches_wcag(foreground: str, background: str, ratio: float) -> None:
    assert contrast_ratio(foreground, background) == pytest.approx(ratio, abs=0.01)


def test_a_translucent_colour_is_blended_over_the_card() -> None:
    assert contrast_ratio("#00000000", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#000000ff", "#ffffff") == pytest.approx(21.0)
    assert 1 < contrast_ratio("#00000080", "#ffffff") < 21


def test_the_engines_own_text_colours_meet_aa() -> None:
    from engine.scene import text

    for ink in (text.INK_COLOR, text.TITLE_COLOR, text.TIMELINE_COLOR):
        assert contrast_ratio(ink, text.CARD_COLOR) >= lint.MIN_CONTRAST, ink


def test_low_contrast_suggests_a_passing_shade(tmp_path: Path) -> None:
    sign = {"id": "sign", "position": [0, 1, 1.4], "text": {"value": "Hi", "color": "#ff9900"}}
    (warning,) = found(tmp_path, sign)
    assert warning.code == "low-contrast"
    shade = warning.message.rsplit("'", 2)[-2]
    assert contrast_ratio(shade, lint.CARD_COLOR) >= lint.MIN_CONTRAST
    sign["text"]["color"] = shade
    assert found(tmp_path, sign) == []


# --- the engine's numbers, copied to stay free of Panda3D ----------------------------------


def test_copied_constants_match_the_engine() -> None:
    from engine.rigs import desktop
    from engine.scene import environment, runtime, text

    assert lint.CARD_COLOR == text.CARD_COLOR
    assert (lint.TITLE_HEIGHT, lint.BODY_HEIGHT, lint.TIMELINE_HEIGHT) == (
        text.TITLE_HEIGHT,
        text.BODY_HEIGHT,
        text.TIMELINE_HEIGHT,
    )
    assert lint.READOUT_COLOR == text.INK_COLOR
    assert lint.READOUT_SIZE == runtime.READOUT_SIZE
    assert lint.LABEL_GAP == runtime.LABEL_GAP
    assert lint.WALL_MARGIN == desktop.WALL_MARGIN
    for name, preset in environment.PRESETS.items():
        room = (preset.room.width, preset.room.depth) if preset.room else None
        assert lint.PRESET_AREAS[name] == (room, preset.floor.size), name


@pytest.mark.parametrize("path", BUNDLED, ids=[p.parent.name for p in BUNDLED])
def test_walk_area_is_the_desktop_rigs(path: Path) -> None:
    from engine.rigs.desktop import walk_bounds

    lesson = load_lesson(path).lesson
    assert tuple(walk_area(lesson)) == pytest.approx(walk_bounds(lesson))
    for preset in lint.PRESET_AREAS:
        other = lesson.model_copy(
            update={"environment": lesson.environment.model_copy(update={"preset": preset})}
        )
        assert tuple(walk_area(other)) == pytest.approx(walk_bounds(other))


@pytest.mark.parametrize("primitive", ["box", "plane", "sphere", "cylinder", "cone", "torus"])
@pytest.mark.parametrize("segments", [3, 4, 7, 24, 128])
def test_primitive_triangles_match_the_built_meshes(primitive: str, segments: int) -> None:
    from engine.scene.primitives import from_geometry

    geometry = Geometry(primitive=primitive, segments=segments)  # type: ignore[arg-type]
    geom = from_geometry(geometry)
    built = sum(
        geom.get_primitive(i).get_num_primitives() for i in range(geom.get_num_primitives())
    )
    assert primitive_triangles(geometry) == built


# --- where things are -----------------------------------------------------------------------

CHAIN = [
    {"id": "table", "position": [1, 2, 0.4], "rotation": [30, 0, 0], "scale": 2},
    {
        "id": "tray",
        "parent": "table",
        "position": [0.2, -0.1, 0.3],
        "rotation": [-45, 10, 5],
        "scale": [1, 0.5, 2],
    },
    {"id": "cup", "parent": "tray", "position": [0.1, 0.2, 0.05], "rotation": [0, 0, 20]},
]


def test_world_frames_compose_parents_as_panda3d_does(tmp_path: Path) -> None:
    lesson = load_lesson(write(tmp_path, *CHAIN), check=False).lesson
    frames = world_frames(lesson)
    render = NodePath("render")
    nodes: dict[str, NodePath] = {}
    for spec in CHAIN:
        node = (nodes[spec["parent"]] if "parent" in spec else render).attach_new_node(spec["id"])
        node.set_pos(*spec["position"])
        node.set_hpr(*spec["rotation"])
        scale = spec.get("scale", 1)
        node.set_scale(*(scale if isinstance(scale, list) else [scale] * 3))
        nodes[spec["id"]] = node
        # the builder's unscaled frame: the entity's node with its own scale undone
        fixed = node.attach_new_node("unscaled")
        s = node.get_scale()
        fixed.set_scale(1 / s.x, 1 / s.y, 1 / s.z)
        world, unscaled = frames[spec["id"]]
        assert world.origin == pytest.approx(tuple(node.get_pos(render)), abs=1e-6)
        for local in ((0.3, -0.2, 0.5), (1.0, 0.0, 0.0)):
            want = render.get_relative_point(node, local)
            assert world.point(local) == pytest.approx(tuple(want), abs=1e-6)
            want = render.get_relative_point(fixed, local)
            assert unscaled.point(local) == pytest.approx(tuple(want), abs=1e-6)


def test_unknown_parents_and_cycles_leave_entities_at_the_root(tmp_path: Path) -> None:
    cycle = [
        {"id": "a", "parent": "b", "position": [1, 0, 0]},
        {"id": "b", "parent": "a", "position": [0, 1, 0]},
        {"id": "c", "parent": "nowhere", "position": [0, 0, 1]},
    ]
    frames = world_frames(load_lesson(write(tmp_path, *cycle), check=False).lesson)
    assert frames["c"][0].origin == (0, 0, 1)
    assert frames["a"][0].origin in ((1, 1, 0), (1, 0, 0))


# --- reach ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("z", "ok"), [(0.39, False), (0.4, True), (1.0, True), (1.6, True), (1.61, False)]
)
def test_interactables_between_the_seated_heights(tmp_path: Path, z: float, ok: bool) -> None:
    ball = {"id": "ball", "position": [0.3, 0, z], "grabbable": {}}
    assert codes(found(tmp_path, ball)) == ([] if ok else [("out-of-reach", "warning")])


def test_a_snap_zone_reaches_as_far_as_its_radius(tmp_path: Path) -> None:
    hook = {"id": "hook", "position": [0, 0.5, 1.9], "snap_zone": {"radius": 0.35}}
    assert found(tmp_path, hook) == []
    hook["position"] = [0, 0.5, 2.0]
    (warning,) = found(tmp_path, hook)
    assert warning.code == "out-of-reach" and "1.65 m up" in warning.message
    assert warning.message.endswith("so lower it or widen its snap radius")


def test_a_parents_height_counts(tmp_path: Path) -> None:
    shelf = {"id": "shelf", "position": [0, 1, 1.5]}
    cup = {"id": "cup", "parent": "shelf", "position": [0, 0, 0.3], "grabbable": {}}
    (warning,) = found(tmp_path, shelf, cup)
    assert warning.code == "out-of-reach" and "1.80 m above the floor" in warning.message


def test_the_learner_can_walk_up_to_anything_inside_the_room(tmp_path: Path) -> None:
    corner = {"id": "corner", "position": [3.9, 3.9, 1], "button": {}}
    assert found(tmp_path, corner) == []
    corner["position"] = [4.7, 0, 1]  # 0.7 m past the wall, 1 m past where the eyes may go
    (warning,) = found(tmp_path, corner)
    assert "1.00 m beyond where the learner can walk" in warning.message


# --- text size ------------------------------------------------------------------------------


def test_angular_size() -> None:
    assert angular_size(0.07, 2.0) == pytest.approx(2.0, abs=0.01)  # a panel title at 2 m
    assert angular_size(0.0175, 2.0) == pytest.approx(0.5, abs=0.01)


def test_text_is_measured_from_the_nearest_place_the_learner_goes(tmp_path: Path) -> None:
    sign = {"id": "sign", "position": [0, 20, 1.6], "text": {"value": "Far", "size": 0.05}}
    site = {"environment": {"preset": "site"}}
    (warning,) = found(tmp_path, sign, **site)
    assert warning.code == "small-text" and "within reach of 'button'" in warning.message
    poi = {"id": "spot", "position": [0, 23, 0], "point_of_interest": {"title": "Spot"}}
    assert found(tmp_path, sign, poi, **site) == []  # 1 m from the edge of its 2 m radius


def test_button_labels_readouts_and_panels_are_text_too(tmp_path: Path) -> None:
    far = {"environment": {"preset": "site"}}
    timer = {"id": "timer", "position": [0, 30, 1.6], "stopwatch": {}}
    panel = {"id": "panel", "position": [0, 30, 1.6], "info_panel": {"body": "Small print"}}
    diagnostics = found(tmp_path, timer, panel, **far)
    assert sorted(d.message.split(" of ")[0] for d in diagnostics) == [
        "the panel body text",
        "the read-out",
    ]


# --- assets ---------------------------------------------------------------------------------


def glb_document(path: Path) -> dict[str, Any]:
    """The JSON chunk of a GLB file, read by hand: independent of pygltflib."""
    data = path.read_bytes()
    magic, _, _ = struct.unpack_from("<4sII", data, 0)
    length, kind = struct.unpack_from("<I4s", data, 12)
    assert (magic, kind) == (b"glTF", b"JSON")
    return json.loads(data[20 : 20 + length])  # type: ignore[no-any-return]


def accessor_triangles(doc: dict[str, Any]) -> int:
    """Triangles from the accessor counts of the default scene's nodes (TRIANGLES mode)."""

    def mesh(index: int) -> int:
        total = 0
        for primitive in doc["meshes"][index]["primitives"]:
            assert primitive.get("mode", 4) == 4
            accessor = primitive.get("indices", primitive["attributes"]["POSITION"])
            total += doc["accessors"][accessor]["count"] // 3
        return total

    def node(index: int) -> int:
        n = doc["nodes"][index]
        own = mesh(n["mesh"]) if "mesh" in n else 0
        return own + sum(node(child) for child in n.get("children", []))

    return sum(node(i) for i in doc["scenes"][doc.get("scene", 0)]["nodes"])


def panda_triangles(path: Path) -> int:
    """Triangles Panda3D (through panda3d-gltf) builds from the file: another reader."""
    options = LoaderOptions(LoaderOptions.LF_no_cache | LoaderOptions.LF_report_errors)
    model = NodePath(
        Loader.get_global_ptr().load_sync(Filename.from_os_specific(str(path)), options)
    )
    total = 0
    for found_node in model.find_all_matches("**/+GeomNode"):
        geom_node = found_node.node()
        for i in range(geom_node.get_num_geoms()):
            geom = geom_node.get_geom(i).decompose()
            total += sum(
                geom.get_primitive(k).get_num_primitives() for k in range(geom.get_num_primitives())
            )
    return total


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_gltf_triangles_match_independent_counts(path: Path) -> None:
    info = read_model(path)
    assert info is not None and info.problems == ()
    assert info.triangles == accessor_triangles(glb_document(path)) == panda_triangles(path)


def test_a_mesh_instanced_twice_counts_twice() -> None:
    doc = glb_document(ASSETS_DIR / "models" / "stoa_segment.glb")
    column = [n for n in doc["nodes"] if n.get("name", "").startswith("column")]
    assert len(column) == 2 and column[0]["mesh"] == column[1]["mesh"]
    info = read_model(ASSETS_DIR / "models" / "stoa_segment.glb")
    single = read_model(ASSETS_DIR / "models" / "doric_column.glb")
    assert info is not None and single is not None
    assert info.triangles == 156 + 2 * single.triangles


def test_a_lessons_triangles_are_every_entitys(tmp_path: Path) -> None:
    from engine.scene.primitives import from_geometry

    loaded = load_lesson(LESSONS_DIR / "athenian-agora" / "lesson.yaml")
    expected = 0
    for entity in loaded.lesson.entities:
        if entity.geometry is not None:
            geom = from_geometry(entity.geometry)
            expected += geom.get_primitive(0).get_num_primitives()
        elif entity.model is not None:
            path = loaded.asset_path(entity.model)
            assert path is not None
            expected += panda_triangles(path)
    assert expected > 11 * 1612  # eleven columns and the rest
    (budget,) = [
        d
        for d in lint_lesson(loaded, "agora", budgets=Budgets(triangles=1))
        if d.code == "triangle-budget"
    ]
    assert f"draws {expected:,} triangles" in budget.message
    assert "11 x model 'models/doric_column.glb' (17,732)" in budget.message
    first = next(i for i, e in enumerate(loaded.lesson.entities) if e.model)
    assert (budget.line, budget.column) == loaded.source.position(("entities", first, "model"))
    assert not [d for d in lint_lesson(loaded, "agora") if d.code == "triangle-budget"]


def png_bytes(width: int, height: int) -> bytes:
    """A valid grey PNG of any size (1 bit a pixel, so big ones stay small)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" * (1 + (width + 7) // 8) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def test_image_sizes_from_png_and_jpeg_headers(tmp_path: Path) -> None:
    assert image_size(png_bytes(300, 20)) == (300, 20)
    image = PNMImage(64, 48)
    jpeg = tmp_path / "photo.jpg"
    assert image.write(Filename.from_os_specific(str(jpeg)))
    assert read_image(jpeg) == (64, 48)
    assert image_size(b"GIF89a...") is None  # not measured
    with pytest.raises(AssetError, match="IHDR"):
        image_size(png_bytes(4, 4)[:20])
    bad = tmp_path / "fake.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(AssetError, match="not one"):
        read_image(bad)


def textured(name: str, texture: str) -> dict[str, Any]:
    return {
        "id": name,
        "position": [0, 1, 1],
        "geometry": {"primitive": "plane"},
        "material": {"texture": texture},
    }


def test_oversized_textures_and_sizes_that_are_not_powers_of_two(tmp_path: Path) -> None:
    textures = tmp_path / "assets" / "textures"
    textures.mkdir(parents=True)
    (textures / "wide.png").write_bytes(png_bytes(4096, 16))
    (textures / "odd.png").write_bytes(png_bytes(512, 300))
    (textures / "fine.png").write_bytes(png_bytes(512, 256))
    diagnostics = found(
        tmp_path,
        textured("a", "textures/wide.png"),
        textured("b", "textures/odd.png"),
        textured("c", "textures/fine.png"),
        textured("d", "textures/wide.png"),  # reported once, where first named
    )
    assert [(d.code, d.message.split(" is ")[0]) for d in diagnostics] == [
        ("texture-size", "texture 'textures/wide.png'"),
        ("texture-size", "texture 'textures/odd.png'"),
    ]
    assert "larger than 2048 px" in diagnostics[0].message
    assert "e.g. to 512x256" in diagnostics[1].message


def test_texture_memory_counts_each_file_once_and_images_in_models(tmp_path: Path) -> None:
    marble = 256 * 256 * 4 * 4 // 3
    budget = Budgets(texture_bytes=marble)
    one = load_lesson(
        write(tmp_path, textured("a", "textures/marble.png"), textured("b", "textures/marble.png"))
    )
    assert [d.code for d in lint_lesson(one, "x", budgets=budget)] == []
    column = {"id": "column", "position": [1, 1, 0], "model": "models/doric_column.glb"}
    two = load_lesson(write(tmp_path, textured("a", "textures/marble.png"), column))
    (warning,) = lint_lesson(two, "x", budgets=budget)
    assert warning.code == "texture-budget"
    assert "the image 'image 0' in model 'models/doric_column.glb' (0.1 MiB)" in warning.message


def test_a_gltf_with_missing_files_is_a_bad_asset(tmp_path: Path) -> None:
    models = tmp_path / "assets" / "models"
    models.mkdir(parents=True)
    document = {"asset": {"version": "2.0"}, "images": [{"uri": "skin.png"}]}
    (models / "thing.gltf").write_text(json.dumps(document), encoding="utf-8")
    thing = {"id": "thing", "position": [1, 1, 0], "model": "models/thing.gltf"}
    (warning,) = found(tmp_path, thing)
    assert warning.code == "bad-asset" and "its image 'skin.png' is missing" in warning.message
    (models / "skin.png").write_bytes(png_bytes(64, 64))
    assert found(tmp_path, thing) == []


def test_models_panda3d_reads_but_gltf_tools_do_not_are_not_measured(tmp_path: Path) -> None:
    egg = tmp_path / "thing.egg"
    egg.write_text("<CoordinateSystem> { Z-up }\n", encoding="utf-8")
    assert read_model(egg) is None


# --- the bundled lessons --------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=[p.parent.name for p in BUNDLED])
def test_bundled_lessons_have_no_errors_and_only_caption_advice(path: Path) -> None:
    diagnostics = validate_paths([path])
    assert [d for d in diagnostics if d.severity == "error"] == []
    # reachable, readable and within budget; explicit captions are left to the authors
    assert {d.code for d in diagnostics} <= {"no-captions"}, "\n".join(map(str, diagnostics))


def test_a_colour_the_renderer_cannot_parse_is_an_error(tmp_path: Path) -> None:
    lights = [{"type": "ambient", "color": "grene"}]
    (error,) = found(tmp_path, lights=lights, lint={"ignore": ["bad-value"]})
    assert (error.code, error.severity) == ("bad-value", "error")
    assert error.message.startswith("'grene' is not a colour")
