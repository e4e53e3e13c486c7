"""Lesson materials as Panda3D materials and textures, for simplepbr's metallic-roughness shader.

Colours: see :mod:`engine.scene.colors` for the accepted forms ('#rrggbb', '#rgb', with an
optional alpha digit pair, and the 148 CSS names). They are sRGB and are converted to linear
light here; colour textures are loaded in an sRGB format so the GPU does the same for texels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from panda3d.core import (
    Filename,
    LColor,
    NodePath,
    SamplerState,
    Texture,
    TexturePool,
    TransparencyAttrib,
)
from panda3d.core import Material as PandaMaterial

from engine.model.lesson import Material
from engine.scene.colors import (
    CSS_COLORS,
    RGBA,
    ColorError,
    is_color,
    linear_color,
    parse_color,
    srgb_to_linear,
)

__all__ = [
    "CSS_COLORS",
    "ColorError",
    "apply_material",
    "is_color",
    "linear_color",
    "load_texture",
    "make_material",
    "parse_color",
    "set_flat_material",
    "srgb_to_linear",
]

AssetResolver = Callable[[str], Path | None]


def make_material(spec: Material, name: str = "material") -> PandaMaterial:
    """A Panda3D material with the lesson material's base colour, metal, roughness, emission."""
    mat = PandaMaterial(name)
    # a texture with no colour written shows as painted, not tinted by the default grey
    color = "#ffffff" if spec.texture and "color" not in spec.model_fields_set else spec.color
    mat.set_base_color(LColor(*linear_color(color, alpha=spec.opacity)))
    mat.set_metallic(spec.metallic)
    mat.set_roughness(spec.roughness)
    emissive = linear_color(spec.emissive) if spec.emissive else (0.0, 0.0, 0.0, 1.0)
    mat.set_emission(LColor(*emissive))
    return mat


def load_texture(path: Path, *, srgb: bool = True) -> Texture:
    """Load an image as a repeating, mipmapped texture (cached by Panda3D's texture pool).

    Args:
        path: the image file.
        srgb: the image holds colours (base colour, emission), not data such as normals.

    Raises:
        FileNotFoundError: the image cannot be read.
    """
    tex = TexturePool.load_texture(Filename.from_os_specific(str(path)))
    if tex is None:
        raise FileNotFoundError(f"cannot load texture {path}")
    if srgb:
        tex.set_format(Texture.F_srgb_alpha if tex.get_num_components() == 4 else Texture.F_srgb)
    tex.set_wrap_u(SamplerState.WM_repeat)
    tex.set_wrap_v(SamplerState.WM_repeat)
    tex.set_minfilter(SamplerState.FT_linear_mipmap_linear)
    tex.set_anisotropic_degree(4)
    return tex


def apply_material(
    node: NodePath,
    spec: Material | None,
    resolve: AssetResolver,
    *,
    priority: int = 0,
) -> list[str]:
    """Give ``node`` the lesson material (no-op for None: the model's or default look stays).

    Args:
        node: the entity's look (geometry or loaded model).
        spec: the lesson material.
        resolve: finds an asset file from its lesson-relative name (``loaded.asset_path``).
        priority: raise above 0 to override materials a loaded model carries.

    Returns:
        Problems worth a warning (e.g. a texture that is not found); the look is still set.
    """
    if spec is None:
        return []
    problems: list[str] = []
    node.set_material(make_material(spec, node.get_name()), priority)
    if spec.texture:
        path = resolve(spec.texture)
        if path is None:
            problems.append(
                f"texture '{spec.texture}' not found in the lesson's or project's assets"
            )
        else:
            try:
                node.set_texture(load_texture(path), priority)
            except FileNotFoundError as exc:
                problems.append(str(exc))
    if spec.opacity < 1.0:
        node.set_transparency(TransparencyAttrib.M_alpha, priority)
        # translucent surfaces are sorted back to front; their depth would hide each other
        node.set_depth_write(False, priority)
    return problems


def set_flat_material(
    node: NodePath, rgba_linear: RGBA, *, roughness: float = 0.6, priority: int = 0
) -> None:
    """A plain dielectric material of one linear colour (floors, walls, liquids)."""
    mat = PandaMaterial("flat")
    mat.set_base_color(LColor(*rgba_linear))
    mat.set_metallic(0.0)
    mat.set_roughness(roughness)
    mat.set_emission(LColor(0, 0, 0, 1))
    node.set_material(mat, priority)
    if rgba_linear[3] < 1.0:
        node.set_transparency(TransparencyAttrib.M_alpha, priority)
