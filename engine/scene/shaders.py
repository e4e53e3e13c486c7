"""The one GLSL shader the scene adds to simplepbr's: flat, light-independent colour.

Text, panels, markers and highlight shells must read the same whatever the lighting, so they
skip the PBR shader. Panda3D 1.10's auto shader would emit Cg, which Mesa and NVIDIA's EGL
driver refuse, so this is hand-written GLSL 3.30 (the version simplepbr runs with here).

Colours given to unlit nodes are linear, like everything else in the scene buffer; simplepbr's
tone-mapping pass then encodes them for the display.
"""

from __future__ import annotations

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
void main() {
    // p3d_TexAlphaOnly turns alpha-only glyph textures into white-with-alpha
    vec4 color = v_color * p3d_ColorScale * (texture(p3d_Texture0, v_uv) + p3d_TexAlphaOnly);
    // dropping near-clear texels keeps glyph edges from hiding what is behind them
    if (color.a < 0.02) {
        discard;
    }
    o_color = color;
}
"""

#: priority that lets unlit state win over anything loaded models carry
UNLIT_PRIORITY = 50


@cache
def unlit_shader() -> Shader:
    """The shared unlit GLSL shader (compiled lazily by the GSG on first use)."""
    shader = Shader.make(Shader.SL_GLSL, _VERTEX, _FRAGMENT)
    shader.set_filename(Shader.ST_none, "peripatos-unlit")
    return shader


def make_unlit(node: NodePath, *, translucent: bool = False, priority: int = UNLIT_PRIORITY) -> None:
    """Render ``node`` and its subtree with flat colour, ignoring lights and materials.

    Args:
        node: the subtree.
        translucent: blend by alpha and leave the depth buffer alone (markers, glows).
        priority: state priority, high enough to beat a model's own attributes.
    """
    node.set_shader(unlit_shader(), priority)
    if translucent:
        node.set_transparency(TransparencyAttrib.M_alpha, priority)
        node.set_depth_write(False, priority)
