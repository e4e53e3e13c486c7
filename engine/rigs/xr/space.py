"""OpenXR <-> Panda3D: axes, poses and projections.

OpenXR spaces are right-handed with +Y up and -Z forward; Panda3D's are right-handed with +Z
up and +Y forward. The change of basis is a quarter turn about X: (x, y, z)_xr ->
(x, -z, y)_panda, applied alike to positions and to quaternion axes.
"""

from __future__ import annotations

import math
from typing import Any

from panda3d.core import PerspectiveLens, Point3, Quat

Vec3 = tuple[float, float, float]


def to_panda_pos(p: Any) -> Point3:
    """An ``xr.Vector3f`` (or x, y, z sequence) in Panda3D axes."""
    x, y, z = (p.x, p.y, p.z) if hasattr(p, "x") else p
    return Point3(x, -z, y)


def to_panda_quat(q: Any) -> Quat:
    """An ``xr.Quaternionf`` (x, y, z, w) in Panda3D axes (Quat takes w first)."""
    return Quat(q.w, q.x, -q.z, q.y)


def to_xr_pos(p: Any) -> Vec3:
    """A Panda3D point in OpenXR axes."""
    return (p[0], p[2], -p[1])


def to_xr_quat(q: Quat) -> tuple[float, float, float, float]:
    """A Panda3D quaternion in OpenXR axes, as (x, y, z, w)."""
    return (q.get_i(), q.get_k(), -q.get_j(), q.get_r())


def apply_fov(lens: PerspectiveLens, fov: Any, near: float, far: float) -> None:
    """Give ``lens`` the runtime's asymmetric field of view (angles in radians).

    At a focal length of 1 the film spans the tangents of the four half-angles; the film
    offset moves its centre to where the eye's optical axis actually is.
    """
    left, right = math.tan(fov.angle_left), math.tan(fov.angle_right)
    down, up = math.tan(fov.angle_down), math.tan(fov.angle_up)
    lens.set_near_far(near, far)
    lens.set_focal_length(1.0)
    lens.set_film_size(right - left, up - down)
    lens.set_film_offset((right + left) / 2, (up + down) / 2)
