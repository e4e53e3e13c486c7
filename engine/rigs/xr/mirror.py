"""The desktop window during a headset session: the left eye's image, not a third render.

Rendering the scene a third time for the window would cost as much as an eye on the GPU the
headset's frame budget depends on; the eye's image is already there, as a texture. The
scene camera of the window (and of the offscreen buffer in EGL mode) is switched off, and a
card with the eye's texture fills the window, letterboxed to the eye's aspect.
"""

from __future__ import annotations

from panda3d.core import (
    Camera,
    CardMaker,
    NodePath,
    OrthographicLens,
    Shader,
    Texture,
)

from engine.scene.app import SceneApp

#: a card filling its camera's view, with texture coordinates (the mirror, the eyes' tone map)
CARD_VERTEX_SHADER = """#version 330
uniform mat4 p3d_ModelViewProjectionMatrix;
in vec4 p3d_Vertex;
in vec2 p3d_MultiTexCoord0;
out vec2 uv;
void main() {
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
    uv = p3d_MultiTexCoord0;
}
"""

# an sRGB eye image is decoded to linear when sampled; the window is not an sRGB framebuffer
# (simplepbr's tone map encodes for it), so the card encodes again
_FRAGMENT = """#version 330
uniform sampler2D p3d_Texture0;
uniform int encode;
in vec2 uv;
out vec4 colour;
void main() {
    vec3 c = texture(p3d_Texture0, uv).rgb;
    if (encode == 1) {
        c = mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
    }
    colour = vec4(c, 1.0);
}
"""


class Mirror:
    """Shows an eye's texture in the app's window instead of rendering the scene for it."""

    def __init__(
        self, app: SceneApp, eye: Texture, eye_size: tuple[int, int], *, srgb: bool
    ) -> None:
        """Switch the window's scene camera off and fill the window with ``eye``.

        Args:
            app: the headset's app (a window with GLX, a small offscreen buffer with EGL).
            eye: the eye's colour texture, rendered every frame before the window.
            eye_size: the eye image's width and height, for the letterbox.
            srgb: the texture holds sRGB data (sampling decodes it).
        """
        self.app = app
        app.base.cam.node().set_active(False)
        self.root = NodePath("xr-mirror")
        lens = OrthographicLens()
        width, height = app.size
        window_aspect, eye_aspect = width / max(height, 1), eye_size[0] / max(eye_size[1], 1)
        # the film covers the card (-1..1) and the bars beside or above it
        lens.set_film_size(
            2.0 * max(1.0, window_aspect / eye_aspect), 2.0 * max(1.0, eye_aspect / window_aspect)
        )
        lens.set_near_far(-10.0, 10.0)
        camera = self.root.attach_new_node(Camera("xr-mirror", lens))
        self.region = app.win.make_display_region()
        self.region.set_sort(100)  # over the window's own (now idle) regions
        self.region.set_clear_color_active(True)
        self.region.set_clear_color((0.0, 0.0, 0.0, 1.0))
        self.region.set_camera(camera)
        card = CardMaker("xr-mirror-card")
        card.set_frame(-1.0, 1.0, -1.0, 1.0)
        self.card = self.root.attach_new_node(card.generate())
        self.card.set_texture(eye)
        self.card.set_shader(Shader.make(Shader.SL_GLSL, CARD_VERTEX_SHADER, _FRAGMENT))
        self.card.set_shader_input("encode", 1 if srgb else 0)
        self.card.set_depth_test(False)
        self.card.set_depth_write(False)

    def destroy(self) -> None:
        """Give the window its scene camera back."""
        if self.app.win is not None:
            self.app.win.remove_display_region(self.region)
        self.app.base.cam.node().set_active(True)
        self.root.remove_node()
