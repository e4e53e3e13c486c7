"""Generate the project's own models and textures, procedurally and reproducibly.

    python -m tools.make_assets            # writes assets/models/*.glb, assets/textures/*.png

Models are modelled Z up in metres (the lesson convention), with their origin at the centre of
their base, facing -Y; they are written as glTF 2.0 binaries (Y up, as glTF requires; Panda3D's
glTF loader turns them back). Textures are tileable, made from periodic value noise with
numpy and written as PNG through Panda3D's PNMImage. The same seed gives the same files.

Needs ``pygltflib`` (the glTF container) besides the engine's own dependencies.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygltflib as gl
from panda3d.core import PNMImage, StringStream

from engine.paths import ASSETS_DIR

Array = np.ndarray

# --- textures -----------------------------------------------------------------------------


def periodic_noise(size: int, cells: int, rng: np.random.Generator) -> Array:
    """Smooth value noise in 0..1 that tiles: a ``cells`` x ``cells`` lattice, smoothstepped."""
    lattice = rng.random((cells, cells))
    t = np.arange(size) * cells / size
    i0 = t.astype(int)
    f = t - i0
    f = f * f * (3 - 2 * f)
    i1 = (i0 + 1) % cells
    rows0 = lattice[i0][:, i0] * (1 - f)[None, :] + lattice[i0][:, i1] * f[None, :]
    rows1 = lattice[i1][:, i0] * (1 - f)[None, :] + lattice[i1][:, i1] * f[None, :]
    return rows0 * (1 - f)[:, None] + rows1 * f[:, None]


def fractal(size: int, rng: np.random.Generator, *, octaves: int = 5, cells: int = 4) -> Array:
    """Octaves of :func:`periodic_noise`, each twice as fine and half as strong, in 0..1."""
    total = np.zeros((size, size))
    weight = 0.0
    for octave in range(octaves):
        amp = 0.5**octave
        total += amp * periodic_noise(size, min(cells * 2**octave, size), rng)
        weight += amp
    return total / weight


def marble(size: int, rng: np.random.Generator) -> Array:
    """Pentelic-like marble: warm white, faintly mottled, with sparse soft grey veins."""
    y, x = np.mgrid[0:size, 0:size] / size
    turbulence = fractal(size, rng, octaves=6)
    # one whole period across the tile keeps it seamless; the high power thins the veins
    veins = 1 - np.abs(np.sin(2 * math.pi * (x + y) + 5.0 * turbulence)) ** 0.15
    veins = 0.5 * veins * (0.6 + 0.4 * fractal(size, rng, cells=4))
    base = np.array([0.93, 0.91, 0.86])
    vein = np.array([0.55, 0.55, 0.58])
    mottling = 0.05 * (fractal(size, rng, cells=8) - 0.5)
    return np.clip(base + (vein - base) * veins[..., None] + mottling[..., None], 0, 1)


def stone_floor(size: int, rng: np.random.Generator, tiles: int = 4) -> Array:
    """Square flagstones with grout and per-stone tone (RGB in 0..1)."""
    y, x = np.mgrid[0:size, 0:size] * tiles / size
    tone = rng.uniform(0.85, 1.1, (tiles, tiles))[y.astype(int) % tiles, x.astype(int) % tiles]
    grain = fractal(size, rng, cells=8)
    stone = np.array([0.66, 0.62, 0.55]) * (tone * (0.8 + 0.35 * grain))[..., None]
    edge = np.minimum(np.minimum(x % 1, 1 - x % 1), np.minimum(y % 1, 1 - y % 1))
    grout = np.clip(edge / 0.03, 0, 1)[..., None]
    return np.clip(np.array([0.35, 0.33, 0.3]) * (1 - grout) + stone * grout, 0, 1)


def wood(size: int, rng: np.random.Generator) -> Array:
    """Straight-grained pale wood running along X (RGB in 0..1)."""
    y = np.mgrid[0:size, 0:size][0] / size
    turbulence = fractal(size, rng, octaves=4, cells=4)
    rings = 0.5 + 0.5 * np.sin(2 * math.pi * (8 * y + 1.5 * turbulence))
    light, dark = np.array([0.78, 0.6, 0.4]), np.array([0.6, 0.42, 0.26])
    return dark + (light - dark) * rings[..., None] ** 0.6


def png_bytes(rgb: Array) -> bytes:
    """Encode an (H, W, 3) image in 0..1 as PNG."""
    height, width, _ = rgb.shape
    data = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    # raw PPM in, PNG out: PNMImage does the encoding
    image = PNMImage()
    if not image.read(StringStream(b"P6 %d %d 255\n" % (width, height) + data.tobytes()), "in.ppm"):
        raise RuntimeError("could not read the raw image")
    out = StringStream()
    if not image.write(out, "out.png"):
        raise RuntimeError("PNG encoding failed")
    return bytes(out.get_data())


# --- meshes (Z up) --------------------------------------------------------------------------


@dataclass
class Mesh:
    """Triangles with per-vertex normals and UVs, Z up, metres."""

    positions: Array
    normals: Array
    uvs: Array
    indices: Array

    def __add__(self, other: Mesh) -> Mesh:
        return Mesh(
            np.vstack([self.positions, other.positions]),
            np.vstack([self.normals, other.normals]),
            np.vstack([self.uvs, other.uvs]),
            np.vstack([self.indices, other.indices + len(self.positions)]),
        )

    def moved(self, offset: Sequence[float], pitch: float = 0.0) -> Mesh:
        """A copy turned by ``pitch`` degrees about X, then moved by ``offset``."""
        c, s = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
        turn = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
        return Mesh(
            self.positions @ turn.T + np.asarray(offset),
            self.normals @ turn.T,
            self.uvs,
            self.indices,
        )


def _facing(positions: Array, normals: Array, tris: Array) -> Array:
    """Turn each triangle counter-clockwise as seen from its normals' side (glTF's front)."""
    a, b, c = (positions[tris[:, k]] for k in range(3))
    cross = np.cross(b - a, c - a)
    flip = np.einsum("ij,ij->i", cross, normals[tris].sum(axis=1)) < 0
    tris = tris.copy()
    tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris[np.linalg.norm(cross, axis=1) > 1e-12]


def box(size: Sequence[float], centre: Sequence[float] = (0, 0, 0)) -> Mesh:
    """An axis-aligned box; UVs in metres, so textures keep their scale on every face."""
    half, mid = np.asarray(size) / 2, np.asarray(centre, dtype=float)
    pos: list[Array] = []
    nor: list[Array] = []
    uv: list[tuple[float, float]] = []
    tri: list[tuple[int, int, int]] = []
    for axis in range(3):
        u_ax, v_ax = [a for a in range(3) if a != axis]
        for sign in (-1, 1):
            n = np.zeros(3)
            n[axis] = sign
            base = len(pos)
            for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = np.zeros(3)
                p[axis], p[u_ax], p[v_ax] = sign, su, sv
                pos.append(mid + p * half)
                nor.append(n)
                uv.append(((mid + p * half)[u_ax], (mid + p * half)[v_ax]))
            tri += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    p, n = np.array(pos), np.array(nor)
    return Mesh(p, n, np.array(uv), _facing(p, n, np.array(tri)))


def lathe(
    profile: Sequence[tuple[float, float]],
    segments: int,
    *,
    flutes: int = 0,
    flute_depth: float = 0.0,
    caps: bool = True,
) -> Mesh:
    """A surface of revolution about Z from (radius, z) points listed bottom to top.

    Args:
        profile: the outline.
        segments: divisions around.
        flutes: concave channels cut around (Doric shafts have 20).
        flute_depth: how deep the channels are, as a fraction of the radius.
        caps: close the ends with flat discs.
    """
    theta = np.linspace(0, 2 * math.pi, segments + 1)
    radius = np.array([p[0] for p in profile])[:, None]
    z = np.array([p[1] for p in profile])[:, None] * np.ones((1, segments + 1))
    if flutes:
        phase = (theta * flutes / (2 * math.pi)) % 1.0
        groove = np.sqrt(np.clip(1 - (2 * phase - 1) ** 2, 0, 1))
        radius = radius * (1 - flute_depth * groove)[None, :]
    grid = np.stack([radius * np.cos(theta), radius * np.sin(theta), z], axis=-1)
    # normals from the surface's own tangents (periodic around, one-sided at the ends)
    d_theta = np.roll(grid, -1, axis=1) - np.roll(grid, 1, axis=1)
    d_theta[:, 0] = d_theta[:, -1] = grid[:, 1] - grid[:, -2]
    d_z = np.gradient(grid, axis=0)
    normals = np.cross(d_theta, d_z)
    normals /= np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)
    rows, cols = grid.shape[:2]
    u = np.broadcast_to(theta / (2 * math.pi) * 3, (rows, cols))
    v = np.broadcast_to(z[:, :1], (rows, cols))
    idx = np.arange(rows * cols).reshape(rows, cols)
    a, b, c, d = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
    tris = np.concatenate(
        [np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)]
    )
    p, n = grid.reshape(-1, 3), normals.reshape(-1, 3)
    mesh = Mesh(p, n, np.stack([u, v], -1).reshape(-1, 2), _facing(p, n, tris))
    if caps:
        for row, up in ((0, -1.0), (rows - 1, 1.0)):
            mesh = mesh + _disc(grid[row, :-1], up)
    return mesh


def _disc(ring: Array, up: float) -> Mesh:
    centre = np.array([[0.0, 0.0, ring[0, 2]]])
    p = np.vstack([centre, ring])
    n = np.tile([0.0, 0.0, up], (len(p), 1))
    k = len(ring)
    tris = np.array([(0, 1 + j, 1 + (j + 1) % k) for j in range(k)])
    return Mesh(p, n, p[:, :2], _facing(p, n, tris))


def torus(major: float, tube: float, segments: int = 32, sides: int = 10) -> Mesh:
    """A torus lying flat around Z."""
    u = np.linspace(0, 2 * math.pi, segments + 1)[:, None]
    v = np.linspace(0, 2 * math.pi, sides + 1)[None, :]
    n = np.stack([np.cos(v) * np.cos(u), np.cos(v) * np.sin(u), np.sin(v) * np.ones_like(u)], -1)
    p = np.stack(
        [
            (major + tube * np.cos(v)) * np.cos(u),
            (major + tube * np.cos(v)) * np.sin(u),
            tube * np.sin(v) * np.ones_like(u),
        ],
        -1,
    )
    idx = np.arange(p.shape[0] * p.shape[1]).reshape(p.shape[:2])
    a, b, c, d = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
    tris = np.concatenate(
        [np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)]
    )
    uv = np.stack(np.broadcast_arrays(u / (2 * math.pi), v / (2 * math.pi)), -1).reshape(-1, 2)
    pp, nn = p.reshape(-1, 3), n.reshape(-1, 3)
    return Mesh(pp, nn, uv, _facing(pp, nn, tris))


# --- glTF -----------------------------------------------------------------------------------


class GlbWriter:
    """Collects meshes, materials and embedded PNG textures into one glTF binary."""

    def __init__(self) -> None:
        self.gltf = gl.GLTF2(asset=gl.Asset(generator="peripatos tools/make_assets.py"))
        self.gltf.samplers.append(gl.Sampler(wrapS=gl.REPEAT, wrapT=gl.REPEAT))
        self.blob = bytearray()
        self.root = self._node(gl.Node(name="root", children=[]))
        self.gltf.scenes.append(gl.Scene(nodes=[self.root]))

    def _node(self, node: gl.Node) -> int:
        self.gltf.nodes.append(node)
        return len(self.gltf.nodes) - 1

    def _view(self, data: bytes, target: int | None = None) -> int:
        while len(self.blob) % 4:
            self.blob.append(0)
        self.gltf.bufferViews.append(
            gl.BufferView(buffer=0, byteOffset=len(self.blob), byteLength=len(data), target=target)
        )
        self.blob += data
        return len(self.gltf.bufferViews) - 1

    def _accessor(self, array: Array, kind: str, target: int) -> int:
        is_index = kind == gl.SCALAR
        data = array.astype(np.uint32 if is_index else np.float32)
        extra = {} if is_index else {"min": data.min(0).tolist(), "max": data.max(0).tolist()}
        self.gltf.accessors.append(
            gl.Accessor(
                bufferView=self._view(data.tobytes(), target),
                count=len(data),
                type=kind,
                componentType=gl.UNSIGNED_INT if is_index else gl.FLOAT,
                **extra,
            )
        )
        return len(self.gltf.accessors) - 1

    def material(
        self,
        name: str,
        color: Sequence[float],
        *,
        metallic: float = 0.0,
        roughness: float = 0.6,
        texture: bytes | None = None,
    ) -> int:
        """Add a metallic-roughness material (``color``: linear RGBA factors)."""
        pbr = gl.PbrMetallicRoughness(
            baseColorFactor=list(color), metallicFactor=metallic, roughnessFactor=roughness
        )
        if texture is not None:
            self.gltf.images.append(gl.Image(bufferView=self._view(texture), mimeType="image/png"))
            self.gltf.textures.append(gl.Texture(sampler=0, source=len(self.gltf.images) - 1))
            pbr.baseColorTexture = gl.TextureInfo(index=len(self.gltf.textures) - 1)
        self.gltf.materials.append(gl.Material(name=name, pbrMetallicRoughness=pbr))
        return len(self.gltf.materials) - 1

    def mesh(self, name: str, parts: Sequence[tuple[Mesh, int]]) -> int:
        """Add a mesh of one primitive per (mesh, material) part; return its index."""
        primitives = []
        for mesh, material in parts:
            # Z up -> glTF's Y up: (x, y, z) -> (x, z, -y), a rotation, so winding survives
            swap = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]])
            attributes = gl.Attributes(
                POSITION=self._accessor(mesh.positions @ swap.T, gl.VEC3, gl.ARRAY_BUFFER),
                NORMAL=self._accessor(mesh.normals @ swap.T, gl.VEC3, gl.ARRAY_BUFFER),
                TEXCOORD_0=self._accessor(mesh.uvs, gl.VEC2, gl.ARRAY_BUFFER),
            )
            indices = self._accessor(mesh.indices.reshape(-1), gl.SCALAR, gl.ELEMENT_ARRAY_BUFFER)
            primitives.append(
                gl.Primitive(attributes=attributes, indices=indices, material=material)
            )
        self.gltf.meshes.append(gl.Mesh(name=name, primitives=primitives))
        return len(self.gltf.meshes) - 1

    def place(self, name: str, mesh: int, at: Sequence[float] = (0, 0, 0)) -> None:
        """Put an instance of ``mesh`` at ``at`` (Z up) under the root."""
        x, y, z = at
        self.gltf.nodes[self.root].children.append(
            self._node(gl.Node(name=name, mesh=mesh, translation=[x, z, -y]))
        )

    def save(self, path: Path) -> int:
        """Write the GLB; return its size in bytes."""
        self.gltf.buffers.append(gl.Buffer(byteLength=len(self.blob)))
        self.gltf.set_binary_blob(bytes(self.blob))
        path.parent.mkdir(parents=True, exist_ok=True)
        self.gltf.save_binary(str(path))
        return path.stat().st_size


# --- the assets -----------------------------------------------------------------------------

MARBLE = (0.85, 0.82, 0.76, 1.0)


def _column_mesh(height: float = 5.0, diameter: float = 0.85) -> Mesh:
    """A Doric column: fluted shaft with entasis, echinus and abacus; base at z = 0."""
    r = diameter / 2
    shaft_h = height * 0.88
    # entasis: the shaft swells slightly above its lower third, then tapers to 0.78 r
    shaft = [
        (r * (1 - 0.22 * (t**1.5)) * (1 + 0.015 * math.sin(math.pi * t)), shaft_h * t)
        for t in np.linspace(0, 1, 8)
    ]
    mesh = lathe(shaft, 80, flutes=20, flute_depth=0.06)
    top = shaft_h
    neck = 0.78 * r
    echinus = [
        (neck, top),
        (neck * 1.12, top + 0.06),
        (r * 1.12, top + 0.16),
        (r * 1.22, top + 0.24),
    ]
    mesh = mesh + lathe(echinus, 40)
    abacus = height - top - 0.24
    return mesh + box((r * 2.6, r * 2.6, abacus), (0, 0, height - abacus / 2))


def doric_column(out: Path, marble_png: bytes) -> int:
    """assets/models/doric_column.glb: one 5 m column, 0.85 m across at the foot."""
    glb = GlbWriter()
    stone = glb.material("marble", MARBLE, roughness=0.55, texture=marble_png)
    glb.place("column", glb.mesh("doric_column", [(_column_mesh(), stone)]))
    return glb.save(out)


def stoa_segment(out: Path, marble_png: bytes) -> int:
    """assets/models/stoa_segment.glb: two bays of a Doric colonnade, 5.2 m long, 6 m deep.

    Columns stand 2.6 m apart, 1.3 m from each end, so segments placed 5.2 m apart along X
    make one continuous colonnade; the open side faces -Y, the back wall is at +Y.
    """
    glb = GlbWriter()
    stone = glb.material("marble", MARBLE, roughness=0.55, texture=marble_png)
    dark = glb.material("painted-frieze", (0.16, 0.2, 0.32, 1.0), roughness=0.7)
    roof = glb.material("roof-tiles", (0.45, 0.16, 0.08, 1.0), roughness=0.8)
    length, depth, step = 5.2, 6.0, 0.2
    front = -depth / 2 + 0.6
    body = box((length, depth, step), (0, 0, step / 2))
    body = body + box((length, depth - 0.3, step), (0, 0.15, 1.5 * step))
    body = body + box((length, depth - 0.6, step), (0, 0.3, 2.5 * step))
    floor = 3 * step
    column_top = floor + 5.0
    body = body + box((length, 1.0, 0.7), (0, front, column_top + 0.35))  # architrave
    body = body + box((length, 1.0, 0.2), (0, front + 0.05, column_top + 1.3))  # cornice
    wall_h = column_top + 1.4 - floor
    body = body + box((length, 0.5, wall_h), (0, depth / 2 - 0.25, floor + wall_h / 2))  # back wall
    body = body + box((length, depth - 1.0, 0.1), (0, 0.25, column_top + 1.2))  # ceiling
    body = body + box((length, 0.9, 0.5), (0, front + 0.02, column_top + 0.95))  # frieze
    # triglyphs over each column and each gap, painted dark as the Greeks did
    triglyphs = box((0.35, 0.05, 0.5), (-1.95, front - 0.45, column_top + 0.95))
    for x in (-0.65, 0.65, 1.95):
        triglyphs = triglyphs + box((0.35, 0.05, 0.5), (x, front - 0.45, column_top + 0.95))
    slope = math.degrees(math.atan2(1.2, depth))
    tiles = box((length, math.hypot(depth, 1.2) + 0.3, 0.12)).moved(
        (0, 0, column_top + 1.4 + 0.6 + 0.06), pitch=slope
    )
    glb.place("stoa", glb.mesh("stoa_body", [(body, stone), (triglyphs, dark), (tiles, roof)]))
    column = glb.mesh("doric_column", [(_column_mesh(), stone)])
    for i, x in enumerate((-length / 4, length / 4)):
        glb.place(f"column-{i}", column, (x, front, floor))
    return glb.save(out)


def lab_bench(out: Path, wood_png: bytes) -> int:
    """assets/models/lab_bench.glb: 1.8 x 0.75 m bench, worktop surface at z = 0.9 m."""
    glb = GlbWriter()
    top = glb.material("worktop", (0.05, 0.06, 0.07, 1.0), roughness=0.35)
    frame = glb.material("frame", (0.55, 0.57, 0.6, 1.0), metallic=1.0, roughness=0.4)
    cabinet = glb.material("cabinet", (1.0, 1.0, 1.0, 1.0), roughness=0.6, texture=wood_png)
    w, d, h = 1.8, 0.75, 0.9
    worktop = box((w, d, 0.04), (0, 0, h - 0.02)) + box(
        (w, 0.02, 0.12), (0, d / 2 - 0.01, h + 0.06)
    )
    legs = box((0.05, 0.05, h - 0.04), (-w / 2 + 0.05, -d / 2 + 0.05, (h - 0.04) / 2))
    for x, y in (
        (w / 2 - 0.05, -d / 2 + 0.05),
        (-w / 2 + 0.05, d / 2 - 0.05),
        (w / 2 - 0.05, d / 2 - 0.05),
    ):
        legs = legs + box((0.05, 0.05, h - 0.04), (x, y, (h - 0.04) / 2))
    legs = legs + box((w - 0.1, 0.04, 0.04), (0, d / 2 - 0.05, 0.15))
    drawers = box((0.6, d - 0.12, 0.55), (w / 2 - 0.36, 0, h - 0.04 - 0.3))
    glb.place("bench", glb.mesh("lab_bench", [(worktop, top), (legs, frame), (drawers, cabinet)]))
    return glb.save(out)


def retort_stand(out: Path) -> int:
    """assets/models/retort_stand.glb: base plate, 0.6 m rod, boss, clamp arm and ring.

    The ring (5 cm radius) is centred at (0, -0.12, 0.35): a flask or funnel sits there.
    """
    glb = GlbWriter()
    steel = glb.material("steel", (0.75, 0.76, 0.78, 1.0), metallic=1.0, roughness=0.3)
    base = glb.material("cast-iron", (0.08, 0.08, 0.09, 1.0), metallic=0.6, roughness=0.6)
    plate = box((0.16, 0.26, 0.02), (0, -0.05, 0.01))
    rod = lathe([(0.006, 0.02), (0.006, 0.62)], 16).moved((0, 0.05, 0))
    boss = box((0.03, 0.03, 0.04), (0, 0.05, 0.35))
    arm = box((0.01, 0.12, 0.01), (0, -0.01, 0.35))
    ring = torus(0.05, 0.004).moved((0, -0.12, 0.35))
    glb.place("stand", glb.mesh("retort_stand", [(plate, base), (rod + boss + arm + ring, steel)]))
    return glb.save(out)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate every asset into ``--out`` (default: the project's assets/ folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS_DIR, help="the assets folder")
    parser.add_argument("--seed", type=int, default=1, help="noise seed")
    args = parser.parse_args(argv)
    textures, models = args.out / "textures", args.out / "models"
    textures.mkdir(parents=True, exist_ok=True)
    images = {
        "marble": marble(256, np.random.default_rng(args.seed)),
        "stone_floor": stone_floor(256, np.random.default_rng(args.seed + 1)),
        "wood": wood(256, np.random.default_rng(args.seed + 2)),
    }
    for name, image in images.items():
        (textures / f"{name}.png").write_bytes(png_bytes(image))
        print(f"textures/{name}.png")
    # the models embed smaller copies, so each file stands alone
    small_marble = png_bytes(marble(128, np.random.default_rng(args.seed)))
    small_wood = png_bytes(wood(64, np.random.default_rng(args.seed + 2)))
    for name, size in (
        ("doric_column", doric_column(models / "doric_column.glb", small_marble)),
        ("stoa_segment", stoa_segment(models / "stoa_segment.glb", small_marble)),
        ("lab_bench", lab_bench(models / "lab_bench.glb", small_wood)),
        ("retort_stand", retort_stand(models / "retort_stand.glb")),
    ):
        print(f"models/{name}.glb  {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
