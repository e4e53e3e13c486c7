"""The one GLSL shader the scene adds to simplepbr's: flat, light-independent colour.

Text, panels, markers and highlight shells must read the same whatever the lighting, so they
skip the PBR shader. Panda3D 1.10's auto shader would emit Cg, which Mesa and NVIDIA's EGL
driver refuse, so this is hand-written GLSL 3.30 (the version simplepbr runs with here).

Colours given to unlit nodes are *display* colours (sRGB, as the lesson writes them): the
shader undoes simplepbr's filmic tone map (:func:`untonemap`), so that after the tone-mapping
pass a white card shows white and a '#1b1b1b' ink shows '#1b1b1b'. Translucent texels are
only linearised (exact matching would make bright translucent markers swamp the scene behind
them when blended). This assumes simplepbr's
default exposure (0) and no SDR LUT, which :func:`engine.scene.app.create_app` sets up.
"""

from __future__ import annotations

import math
from functools import cache

from panda3d.core import NodePath, Shader, TransparencyAttrib

_VERTEX = """#version 330
uniform mat4 p3d_ModelViewProjectionMatrix;
in vec4 p3d_Vertex;
in vec4 p3d_Color;
in vec2 p3d_MultiTexCoord0;
out vec4 v_color;
out vec2 v_uv;
void main() {
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
    v_color = p3d_Color;
    v_uv = p3d_MultiTexCoord0;
}
"""

_FRAGMENT = """#version 330
uniform sampler2D p3d_Texture0;
uniform vec4 p3d_ColorScale;
uniform vec4 p3d_TexAlphaOnly;
in vec4 v_color;
in vec2 v_uv;
out vec4 o_color;

// the inverse of simplepbr's tone map y = x(6.2x + 0.5) / (x(6.2x + 1.7) + 0.06), x = c - 0.004
vec3 untonemap(vec3 y) {
    y = clamp(y, 0.0, 0.985);
    vec3 a = 6.2 * (y - 1.0);
    vec3 b = 1.7 * y - 0.5;
    vec3 c = 0.06 * y;
    return (-b - sqrt(b * b - 4.0 * a * c)) / (2.0 * a) + 0.004;
}

void main() {
    // p3d_TexAlphaOnly turns alpha-only glyph textures into white-with-alpha
    vec4 texel = texture(p3d_Texture0, v_uv) + p3d_TexAlphaOnly;
    // glyphs shrunk by distance fade to grey; thickening their coverage keeps text dark
    if (p3d_TexAlphaOnly.r > 0.0) {
        texel.a = min(texel.a * 1.6, 1.0);
    }
    vec4 color = v_color * p3d_ColorScale * texel;
    // dropping near-clear texels keeps glyph edges from hiding what is behind them
    if (color.a < 0.02) {
        discard;
    }
    // blending happens in the scene's linear light, where un-tone-mapped brights would swamp
    // what is behind; so only opaque texels are matched exactly to the display
    vec3 linear = pow(color.rgb, vec3(2.2));
    o_color = vec4(color.a >= 0.99 ? untonemap(color.rgb) : linear, color.a);
}
"""

#: priority that lets unlit state win over anything loaded models carry
UNLIT_PRIORITY = 50


def untonemap(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """The scene-buffer colour that simplepbr's tone map turns into display colour ``rgb``.

    Used for the window's clear colour, so a lesson's sky shows as written.
    """

    def channel(y: float) -> float:
        y = min(max(y, 0.0), 0.985)
        a, b, c = 6.2 * (y - 1.0), 1.7 * y - 0.5, 0.06 * y
        return (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a) + 0.004

    r, g, b = rgb
    return (channel(r), channel(g), channel(b))


@cache
def unlit_shader() -> Shader:
    """The shared unlit GLSL shader (compiled lazily by the GSG on first use)."""
    shader = Shader.make(Shader.SL_GLSL, _VERTEX, _FRAGMENT)
    shader.set_filename(Shader.ST_none, "peripatos-unlit")
    return shader


def make_unlit(
    node: NodePath, *, translucent: bool = False, priority: int = UNLIT_PRIORITY
) -> None:
    """Render ``node`` and its subtree with flat display colour, ignoring lights and materials.

    Give the subtree its colour with ``set_color`` in sRGB (not linear) channels.

    Args:
        node: the subtree.
        translucent: blend by alpha and leave the depth buffer alone (markers, glows).
        priority: state priority, high enough to beat a model's own attributes.
    """
    node.set_shader(unlit_shader(), priority)
    if translucent:
        node.set_transparency(TransparencyAttrib.M_alpha, priority)
        node.set_depth_write(False, priority)
