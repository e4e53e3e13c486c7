"""The scene's pure parts: colours, meshes, timeline dates, and the generated assets."""

from __future__ import annotations

import numpy as np
import pytest
from panda3d.core import GeomVertexReader

from engine.paths import ASSETS_DIR
from engine.scene import primitives
from engine.scene.colors import CSS_COLORS, ColorError, is_color, linear_color, parse_color
from engine.scene.text import format_year


def test_colours_parse_hex_short_hex_alpha_and_css_names() -> None:
    assert parse_color("#ff8000") == pytest.approx((1.0, 128 / 255, 0.0, 1.0))
    assert parse_color("#f80") == parse_color("#ff8800")
    assert parse_color("#ff000080")[3] == pytest.approx(128 / 255)
    assert parse_color(" SteelBlue ") == parse_color("#4682b4")
    assert len(CSS_COLORS) == 148 and is_color("rebeccapurple")
    assert linear_color("#808080")[0] == pytest.approx(0.2158, abs=1e-3)
    for bad in ("#12", "#ggg", "blurple", ""):
        with pytest.raises(ColorError, match="not a colour"):
            parse_color(bad)


def test_negative_years_are_bce() -> None:
    assert format_year(-431) == "431 BCE"
    assert format_year(1453) == "1453"
    assert format_year(400, with_era=True) == "400 CE"


def _triangles(geom: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vdata = geom.get_vertex_data()  # type: ignore[attr-defined]
    pos, nor = GeomVertexReader(vdata, "vertex"), GeomVertexReader(vdata, "normal")
    points, normals = [], []
    while not pos.is_at_end():
        points.append(tuple(pos.get_data3()))
        normals.append(tuple(nor.get_data3()))
    prim = geom.get_primitive(0).decompose()  # type: ignore[attr-defined]
    idx = np.array([prim.get_vertex(i) for i in range(prim.get_num_vertices())]).reshape(-1, 3)
    return np.array(points), np.array(normals), idx


@pytest.mark.parametrize(
    "geom",
    [
        primitives.box(1, 2, 3),
        primitives.sphere(0.5, 16),
        primitives.cylinder(0.5, 1),
        primitives.cone(0.5, 1),
        primitives.plane(2, 1),
        primitives.torus(0.5, 0.1),
    ],
    ids=["box", "sphere", "cylinder", "cone", "plane", "torus"],
)
def test_meshes_have_unit_normals_and_front_faces_outward(geom: object) -> None:
    points, normals, tris = _triangles(geom)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-4)
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    facing = np.einsum("ij,ij->i", np.cross(b - a, c - a), normals[tris].sum(axis=1))
    assert (facing > 0).all()


def test_identical_shapes_share_one_geom_and_sizes_are_right() -> None:
    assert primitives.box(1, 2, 3) is primitives.box(1.0, 2.0, 3.0000000001)
    points, _, _ = _triangles(primitives.box(1, 2, 3))
    assert points.min(axis=0) == pytest.approx((-0.5, -1, -1.5))
    points, _, _ = _triangles(primitives.cone(0.5, 1))
    assert points[:, 2].max() == pytest.approx(0.5) and points[:, 2].min() == pytest.approx(-0.5)


def test_generated_models_are_small_and_present() -> None:
    for name in ("doric_column", "stoa_segment", "lab_bench", "retort_stand"):
        path = ASSETS_DIR / "models" / f"{name}.glb"
        assert path.is_file() and path.stat().st_size < 300 * 1024, path
    assert (ASSETS_DIR / "LICENSES.md").is_file()


def test_make_assets_regenerates_everything(tmp_path: object) -> None:
    from tools.make_assets import main

    main(["--out", str(tmp_path)])
    made = sorted(p.name for p in tmp_path.rglob("*.*"))  # type: ignore[attr-defined]
    assert "stoa_segment.glb" in made and "marble.png" in made
