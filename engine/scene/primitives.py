"""Procedural meshes with normals and UVs, the shapes a lesson's ``geometry`` names.

Conventions (Z up, metres, like the lesson format):

- every shape is centred on its origin: ``box(w, d, h)`` spans X by ``w``, Y by ``d`` and Z by
  ``h``; a cylinder or cone of height ``h`` runs from ``-h/2`` to ``+h/2`` with its axis on Z
  (a cone's apex at the top);
- ``plane(w, d)`` is horizontal, in the XY plane, and two-faced (one side faces +Z, the other
  -Z), so it shows from above and below; pitch it 90 degrees to stand it up;
- ``torus(R, tube)`` lies flat, its ring in the XY plane around Z.

UVs: boxes and planes map 0..1 on every face; spheres, cylinders, cones and tori wrap U around
Z and run V along the height (or the tube). Identical shapes share one cached :class:`Geom`;
treat the returned geoms as read-only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    NodePath,
)

from engine.model.lesson import Geometry

_Vec = Sequence[float]


def _mesh(
    name: str,
    positions: Sequence[_Vec],
    normals: Sequence[_Vec],
    uvs: Sequence[Sequence[float]],
    triangles: Sequence[Sequence[int]],
) -> Geom:
    """Pack vertices and triangles into a Geom, turning each triangle to face its normals.

    Choosing the winding from the normals (front = counter-clockwise seen from outside, as
    Panda3D culls) keeps every generator free of winding bookkeeping, and degenerate triangles
    at poles and apexes are dropped here.
    """
    pos = np.asarray(positions, dtype=np.float64)
    nor = np.asarray(normals, dtype=np.float64)
    tri = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    a, b, c = pos[tri[:, 0]], pos[tri[:, 1]], pos[tri[:, 2]]
    cross = np.cross(b - a, c - a)
    keep = np.linalg.norm(cross, axis=1) > 1e-12
    facing = np.einsum("ij,ij->i", cross, nor[tri].sum(axis=1)) < 0
    tri[facing] = tri[facing][:, [0, 2, 1]]
    tri = tri[keep]

    vdata = GeomVertexData(name, GeomVertexFormat.get_v3n3t2(), Geom.UH_static)
    vdata.unclean_set_num_rows(len(pos))
    vw = GeomVertexWriter(vdata, "vertex")
    nw = GeomVertexWriter(vdata, "normal")
    tw = GeomVertexWriter(vdata, "texcoord")
    for p, n, t in zip(pos.tolist(), nor.tolist(), uvs, strict=True):
        vw.set_data3(*p)
        nw.set_data3(*n)
        tw.set_data2(t[0], t[1])
    prim = GeomTriangles(Geom.UH_static)
    if len(pos) > 65535:
        prim.set_index_type(Geom.NT_uint32)
    for i, j, k in tri.tolist():
        prim.add_vertices(i, j, k)
    geom = Geom(vdata)
    geom.add_primitive(prim)
    return geom


def _key(*values: float) -> tuple[float, ...]:
    # floats from YAML differ in the last bits; a micrometre is the same shape
    return tuple(round(float(v), 6) for v in values)


def box(w: float, d: float, h: float) -> Geom:
    """A box centred on the origin: ``w`` along X, ``d`` along Y, ``h`` along Z."""
    return _box(*_key(w, d, h))


@lru_cache(maxsize=256)
def _box(w: float, d: float, h: float) -> Geom:
    half = np.array([w, d, h]) / 2.0
    positions: list[_Vec] = []
    normals: list[_Vec] = []
    uvs: list[tuple[float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    for axis in range(3):
        u_axis, v_axis = [(1, 2), (0, 2), (0, 1)][axis]
        for sign in (-1.0, 1.0):
            base = len(positions)
            for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = np.zeros(3)
                p[axis], p[u_axis], p[v_axis] = sign, su, sv
                n = np.zeros(3)
                n[axis] = sign
                positions.append((p * half).tolist())
                normals.append(n.tolist())
                uvs.append(((su + 1) / 2, (sv + 1) / 2))
            triangles += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return _mesh("box", positions, normals, uvs, triangles)


def sphere(r: float, segments: int = 24) -> Geom:
    """A UV sphere of radius ``r``: ``segments`` around, ``segments // 2`` pole to pole."""
    return _sphere(*_key(r), max(3, int(segments)))


@lru_cache(maxsize=256)
def _sphere(r: float, segments: int) -> Geom:
    rings = max(2, segments // 2)
    positions, normals, uvs, triangles = [], [], [], []
    for i in range(rings + 1):
        theta = math.pi * i / rings
        for j in range(segments + 1):
            phi = 2 * math.pi * j / segments
            n = (math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta))
            positions.append(tuple(r * c for c in n))
            normals.append(n)
            uvs.append((j / segments, 1 - i / rings))
    row = segments + 1
    for i in range(rings):
        for j in range(segments):
            a, b = i * row + j, (i + 1) * row + j
            triangles += [(a, b, b + 1), (a, b + 1, a + 1)]
    return _mesh("sphere", positions, normals, uvs, triangles)


def _ring(segments: int) -> list[tuple[float, float, float]]:
    """(angle, cos, sin) for segments + 1 points, the last repeating the first for the seam."""
    return [
        (t, math.cos(t), math.sin(t))
        for t in (2 * math.pi * j / segments for j in range(segments + 1))
    ]


def _cap(
    positions: list, normals: list, uvs: list, triangles: list, r: float, z: float, segments: int
) -> None:
    """A disc at height ``z`` facing away from the origin along Z."""
    nz = 1.0 if z > 0 else -1.0
    centre = len(positions)
    positions.append((0.0, 0.0, z))
    normals.append((0.0, 0.0, nz))
    uvs.append((0.5, 0.5))
    for _, c, s in _ring(segments):
        positions.append((r * c, r * s, z))
        normals.append((0.0, 0.0, nz))
        uvs.append((0.5 + 0.5 * c, 0.5 + 0.5 * s))
    for j in range(segments):
        triangles.append((centre, centre + 1 + j, centre + 2 + j))


def cylinder(r: float, h: float, segments: int = 24) -> Geom:
    """A closed cylinder of radius ``r`` and height ``h``, axis Z, centred on the origin."""
    return _cylinder(*_key(r, h), max(3, int(segments)))


@lru_cache(maxsize=256)
def _cylinder(r: float, h: float, segments: int) -> Geom:
    positions: list = []
    normals: list = []
    uvs: list = []
    triangles: list = []
    for j, (_, c, s) in enumerate(_ring(segments)):
        for k, z in enumerate((-h / 2, h / 2)):
            positions.append((r * c, r * s, z))
            normals.append((c, s, 0.0))
            uvs.append((j / segments, float(k)))
    for j in range(segments):
        a = 2 * j
        triangles += [(a, a + 2, a + 3), (a, a + 3, a + 1)]
    _cap(positions, normals, uvs, triangles, r, h / 2, segments)
    _cap(positions, normals, uvs, triangles, r, -h / 2, segments)
    return _mesh("cylinder", positions, normals, uvs, triangles)


def cone(r: float, h: float, segments: int = 24) -> Geom:
    """A closed cone: base of radius ``r`` at ``-h/2``, apex at ``+h/2``."""
    return _cone(*_key(r, h), max(3, int(segments)))


@lru_cache(maxsize=256)
def _cone(r: float, h: float, segments: int) -> Geom:
    positions: list = []
    normals: list = []
    uvs: list = []
    triangles: list = []
    slant = math.hypot(r, h) or 1.0
    ring = _ring(segments)
    for j in range(segments):
        # one apex vertex per segment, so each slice keeps its own side normal
        base = len(positions)
        for t, c, s in (ring[j], ring[j + 1]):
            positions.append((r * c, r * s, -h / 2))
            normals.append((h * c / slant, h * s / slant, r / slant))
            uvs.append((t / (2 * math.pi), 0.0))
        mid = (ring[j][0] + ring[j + 1][0]) / 2
        positions.append((0.0, 0.0, h / 2))
        normals.append((h * math.cos(mid) / slant, h * math.sin(mid) / slant, r / slant))
        uvs.append((mid / (2 * math.pi), 1.0))
        triangles.append((base, base + 1, base + 2))
    _cap(positions, normals, uvs, triangles, r, -h / 2, segments)
    return _mesh("cone", positions, normals, uvs, triangles)


def plane(w: float, d: float) -> Geom:
    """A two-faced horizontal rectangle: ``w`` along X, ``d`` along Y, at Z = 0."""
    return _plane(*_key(w, d))


@lru_cache(maxsize=256)
def _plane(w: float, d: float) -> Geom:
    positions: list[_Vec] = []
    normals: list[_Vec] = []
    uvs: list[tuple[float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    for nz in (1.0, -1.0):
        base = len(positions)
        for u, v in ((0, 0), (1, 0), (1, 1), (0, 1)):
            positions.append(((u - 0.5) * w, (v - 0.5) * d, 0.0))
            normals.append((0.0, 0.0, nz))
            uvs.append((float(u), float(v)))
        triangles += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return _mesh("plane", positions, normals, uvs, triangles)


def torus(major: float, tube: float, segments: int = 24) -> Geom:
    """A torus lying flat: ring radius ``major`` around Z, tube radius ``tube``."""
    return _torus(*_key(major, tube), max(3, int(segments)))


@lru_cache(maxsize=256)
def _torus(major: float, tube: float, segments: int) -> Geom:
    sides = max(6, segments // 2)
    positions, normals, uvs, triangles = [], [], [], []
    for i, (_, cu, su) in enumerate(_ring(segments)):
        for j, (_, cv, sv) in enumerate(_ring(sides)):
            normals.append((cv * cu, cv * su, sv))
            positions.append(((major + tube * cv) * cu, (major + tube * cv) * su, tube * sv))
            uvs.append((i / segments, j / sides))
    row = sides + 1
    for i in range(segments):
        for j in range(sides):
            a, b = i * row + j, (i + 1) * row + j
            triangles += [(a, b, b + 1), (a, b + 1, a + 1)]
    return _mesh("torus", positions, normals, uvs, triangles)


def from_geometry(spec: Geometry) -> Geom:
    """The mesh a lesson's ``geometry`` component describes (plane: ``width`` x ``depth``)."""
    if spec.primitive == "box":
        return box(spec.width, spec.depth, spec.height)
    if spec.primitive == "sphere":
        return sphere(spec.radius, spec.segments)
    if spec.primitive == "cylinder":
        return cylinder(spec.radius, spec.height, spec.segments)
    if spec.primitive == "cone":
        return cone(spec.radius, spec.height, spec.segments)
    if spec.primitive == "plane":
        return plane(spec.width, spec.depth)
    return torus(spec.radius, spec.tube, spec.segments)


def geom_node(name: str, *geoms: Geom) -> NodePath:
    """A new, parentless NodePath holding a GeomNode with these geoms."""
    node = GeomNode(name)
    for geom in geoms:
        node.add_geom(geom)
    return NodePath(node)
