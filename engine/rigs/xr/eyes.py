"""Swapchains and the per-eye Panda3D buffers and cameras that fill them.

Each eye has an offscreen Panda3D buffer (sharing the main window's GL context) with its own
camera under the tracking origin, rendering the scene in linear light into a 16-bit float
texture, as the desktop does; a second small pass applies the desktop's tone map (simplepbr's
filmic curve), so colours in the headset are the colours on the desktop. Panda3D renders all
of it with the rest of the frame, then each eye's final texture is copied into the image the
runtime handed out (``glCopyImageSubData``: a GPU copy, no round trip through memory).
Copying, rather than making the runtime's images Panda3D's render targets, keeps Panda3D's
buffer management untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from panda3d.core import (
    Camera,
    CardMaker,
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    NodePath,
    OrthographicLens,
    PerspectiveLens,
    Shader,
    Texture,
    WindowProperties,
)

from engine.rigs.xr.mirror import CARD_VERTEX_SHADER
from engine.rigs.xr.space import apply_fov, to_panda_pos, to_panda_quat
from engine.scene.app import FAR, NEAR, SceneApp

#: GL format enums (the runtime lists formats as GL enums)
GL_SRGB8_ALPHA8 = 0x8C43
GL_RGBA8 = 0x8058
GL_DEPTH_COMPONENT32F = 0x8CAC
#: sRGB first: the scene's shaders write linear light and the runtime expects sRGB-encoded
#: images; plain SRGB8 (no alpha) is refused by some runtimes, so it is never asked for
PREFERRED_FORMATS = (GL_SRGB8_ALPHA8, GL_RGBA8)
#: render order: the eyes' scenes, then their tone-map passes, then the main window (0)
SCENE_SORT, POST_SORT = -10, -5


# simplepbr's tone map (its tonemap.frag), whose curve also encodes for the display; an sRGB
# swapchain image encodes what is written, so the result is decoded first (``encoded`` 1)
_POST_FRAGMENT = """#version 330
uniform sampler2D scene;
uniform float exposure;
uniform int encoded;
in vec2 uv;
out vec4 colour;
void main() {
    vec4 texel = texture(scene, uv);
    vec3 c = max(vec3(0.0), texel.rgb * exposure - vec3(0.004));
    c = (c * (vec3(6.2) * c + vec3(0.5))) / (c * (vec3(6.2) * c + vec3(1.7)) + vec3(0.06));
    if (encoded == 1) {
        c = mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c));
    }
    colour = vec4(c, 1.0);
}
"""


@dataclass
class Eye:
    """One eye: its swapchain, its images' GL names, its buffer, texture and camera."""

    swapchain: Any
    images: list[int]
    width: int
    height: int
    buffer: GraphicsOutput
    texture: Texture
    camera: NodePath
    lens: PerspectiveLens
    #: the tone-map pass that turns the scene into ``texture``, and its card's scene graph
    post: GraphicsOutput | None = None
    post_root: NodePath | None = None
    #: with depth submission: the depth swapchain, its images and Panda3D's depth texture
    depth_swapchain: Any = None
    depth_images: list[int] = field(default_factory=list)
    depth_texture: Texture | None = None


class EyeTargets:
    """The two eyes' swapchains and Panda3D buffers, and the per-frame copy between them."""

    def __init__(
        self,
        session: Any,
        views: list[Any],
        app: SceneApp,
        origin: NodePath,
        *,
        render_scale: float = 1.0,
        depth: bool = False,
    ) -> None:
        """Create a swapchain, buffer and camera per view.

        Args:
            session: the ``xr.Session``.
            views: the view configuration views (recommended sizes).
            app: the scene app (its GL context and pipe make the buffers).
            origin: the tracking origin node; eye cameras are its children.
            render_scale: fraction of the recommended resolution to render at.
            depth: also submit each eye's depth (``XR_KHR_composition_layer_depth``), which
                lets the runtime reproject better; used when a float depth format is offered.

        Raises:
            RuntimeError: a buffer could not be made, or no usable format is offered.
        """
        import xr

        offered = list(xr.enumerate_swapchain_formats(session))
        fmt = next((f for f in PREFERRED_FORMATS if f in offered), None)
        if fmt is None:
            raise RuntimeError(f"no usable swapchain format among {[hex(f) for f in offered]}")
        self.format = fmt
        self.depth = depth and GL_DEPTH_COMPONENT32F in offered
        self._depth_infos: Any = None
        self.srgb = fmt == GL_SRGB8_ALPHA8
        self.app = app
        self.eyes: list[Eye] = []
        self._fbo: int | None = None
        #: set to ask for a read back of each eye's swapchain image at the next copy
        self.capture = False
        #: the last images read back, (height, width, 4) uint8, row 0 at the top
        self.captured: list[np.ndarray] = []
        #: and the depth images submitted with them (float32, 0 near .. 1 far), if any
        self.captured_depth: list[np.ndarray] = []
        for index, view in enumerate(views):
            width = max(
                16,
                min(
                    view.max_image_rect_width,
                    round(view.recommended_image_rect_width * render_scale),
                ),
            )
            height = max(
                16,
                min(
                    view.max_image_rect_height,
                    round(view.recommended_image_rect_height * render_scale),
                ),
            )
            swapchain = xr.create_swapchain(
                session,
                xr.SwapchainCreateInfo(
                    usage_flags=xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT
                    | xr.SwapchainUsageFlags.TRANSFER_DST_BIT
                    | xr.SwapchainUsageFlags.SAMPLED_BIT,
                    format=fmt,
                    sample_count=1,
                    width=width,
                    height=height,
                    face_count=1,
                    array_size=1,
                    mip_count=1,
                ),
            )
            images = [
                img.image
                for img in xr.enumerate_swapchain_images(swapchain, xr.SwapchainImageOpenGLKHR)
            ]
            buffer, scene_texture, depth_texture = self._make_buffer(index, width, height)
            post, texture, post_root = self._make_post(index, width, height, scene_texture)
            lens = PerspectiveLens()
            lens.set_near_far(NEAR, FAR)
            cam_node = Camera(f"xr-eye-{index}", lens)
            camera = origin.attach_new_node(cam_node)
            region = buffer.make_display_region()
            region.set_camera(camera)
            eye = Eye(swapchain, images, width, height, buffer, texture, camera, lens)
            eye.post, eye.post_root = post, post_root
            if self.depth:
                eye.depth_texture = depth_texture
                eye.depth_swapchain = xr.create_swapchain(
                    session,
                    xr.SwapchainCreateInfo(
                        usage_flags=xr.SwapchainUsageFlags.DEPTH_STENCIL_ATTACHMENT_BIT
                        | xr.SwapchainUsageFlags.TRANSFER_DST_BIT,
                        format=GL_DEPTH_COMPONENT32F,
                        sample_count=1,
                        width=width,
                        height=height,
                        face_count=1,
                        array_size=1,
                        mip_count=1,
                    ),
                )
                eye.depth_images = [
                    img.image
                    for img in xr.enumerate_swapchain_images(
                        eye.depth_swapchain, xr.SwapchainImageOpenGLKHR
                    )
                ]
            self.eyes.append(eye)

    def _make_buffer(
        self, index: int, width: int, height: int
    ) -> tuple[GraphicsOutput, Texture, Texture | None]:
        app = self.app
        fbp = FrameBufferProperties()
        # linear light with headroom above 1, for the tone map (as simplepbr's scene buffer)
        fbp.set_rgba_bits(16, 16, 16, 16)
        fbp.set_float_color(True)
        if self.depth:
            # the depth swapchain is 32-bit float; a copy needs the very same format
            fbp.set_depth_bits(32)
            fbp.set_float_depth(True)
        else:
            fbp.set_depth_bits(24)
        props = WindowProperties.size(width, height)
        engine = app.base.graphics_engine
        buffer = engine.make_output(
            app.base.pipe,
            f"xr-eye-{index}",
            SCENE_SORT,
            fbp,
            props,
            GraphicsPipe.BF_refuse_window,
            app.win.get_gsg(),
            app.win,
        )
        if buffer is None:
            raise RuntimeError(f"could not make a {width}x{height} buffer for eye {index}")
        texture = Texture(f"xr-eye-{index}-scene")
        texture.set_format(Texture.F_rgba16)
        texture.set_component_type(Texture.T_float)
        buffer.add_render_texture(
            texture, GraphicsOutput.RTM_bind_or_copy, GraphicsOutput.RTP_color
        )
        depth_texture = None
        if self.depth:
            depth_texture = Texture(f"xr-eye-{index}-depth")
            buffer.add_render_texture(
                depth_texture, GraphicsOutput.RTM_bind_or_copy, GraphicsOutput.RTP_depth
            )
        return buffer, texture, depth_texture

    def _make_post(
        self, index: int, width: int, height: int, scene: Texture
    ) -> tuple[GraphicsOutput, Texture, NodePath]:
        """The eye's tone-map pass: a card showing ``scene`` through the tone-map shader."""
        app = self.app
        fbp = FrameBufferProperties()
        fbp.set_rgba_bits(8, 8, 8, 8)
        fbp.set_depth_bits(0)
        # the GPU encodes the pass's output as sRGB when the runtime's images are sRGB
        fbp.set_srgb_color(self.srgb)
        post = app.base.graphics_engine.make_output(
            app.base.pipe,
            f"xr-eye-{index}-post",
            POST_SORT,
            fbp,
            WindowProperties.size(width, height),
            GraphicsPipe.BF_refuse_window,
            app.win.get_gsg(),
            app.win,
        )
        if post is None:
            raise RuntimeError(f"could not make a {width}x{height} tone-map pass for eye {index}")
        texture = Texture(f"xr-eye-{index}")
        post.add_render_texture(texture, GraphicsOutput.RTM_bind_or_copy, GraphicsOutput.RTP_color)
        root = NodePath(f"xr-eye-{index}-post")
        lens = OrthographicLens()
        lens.set_film_size(2.0, 2.0)
        lens.set_near_far(-10.0, 10.0)
        region = post.make_display_region()
        region.set_camera(root.attach_new_node(Camera(f"xr-eye-{index}-post", lens)))
        maker = CardMaker("tone-map")
        maker.set_frame(-1.0, 1.0, -1.0, 1.0)
        card = root.attach_new_node(maker.generate())
        card.set_shader(Shader.make(Shader.SL_GLSL, CARD_VERTEX_SHADER, _POST_FRAGMENT))
        card.set_shader_input("scene", scene)
        card.set_shader_input("exposure", 2.0 ** float(getattr(app.pipeline, "exposure", 0.0)))
        card.set_shader_input("encoded", 1 if self.srgb else 0)
        card.set_depth_test(False)
        card.set_depth_write(False)
        return post, texture, root

    def place(self, views: list[Any]) -> None:
        """Put each eye camera at its located view, with the view's field of view."""
        for eye, view in zip(self.eyes, views, strict=False):
            eye.camera.set_pos(to_panda_pos(view.pose.position))
            eye.camera.set_quat(to_panda_quat(view.pose.orientation))
            apply_fov(eye.lens, view.fov, NEAR, FAR)

    def set_background(self, rgba: Any) -> None:
        """Clear the eyes to the scene's sky colour, as the main window is."""
        for eye in self.eyes:
            eye.buffer.set_clear_color(rgba)

    def set_active(self, active: bool) -> None:
        """Render the eyes (or skip them when the runtime does not want frames)."""
        for eye in self.eyes:
            eye.buffer.set_active(active)
            if eye.post is not None:
                eye.post.set_active(active)

    def submit_images(self) -> None:
        """Copy each eye's rendered texture into an acquired swapchain image and release it.

        Call after Panda3D rendered the frame, with its GL context current.
        """
        import xr
        from OpenGL import GL

        gsg = self.app.win.get_gsg()
        prepared = gsg.get_prepared_objects()
        captured: list[np.ndarray] = []
        self._depth_reads: list[np.ndarray] = []
        for eye in self.eyes:
            index = xr.acquire_swapchain_image(eye.swapchain, xr.SwapchainImageAcquireInfo())
            xr.wait_swapchain_image(
                eye.swapchain, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION)
            )
            target = eye.images[index]
            source = eye.texture.prepare_now(0, prepared, gsg).get_native_id()
            if source:
                GL.glCopyImageSubData(
                    source, GL.GL_TEXTURE_2D, 0, 0, 0, 0,
                    target, GL.GL_TEXTURE_2D, 0, 0, 0, 0,
                    eye.width, eye.height, 1,
                )  # fmt: skip
            if self.capture:
                captured.append(self._read(target, eye.width, eye.height))
            xr.release_swapchain_image(eye.swapchain, xr.SwapchainImageReleaseInfo())
            if self.depth:
                self._copy_depth(eye, prepared, gsg)
        if self.capture:
            self.captured_depth = self._depth_reads
            self.captured = captured
            self.capture = False

    def _copy_depth(self, eye: Eye, prepared: Any, gsg: Any) -> None:
        """Copy the eye's depth into an acquired depth swapchain image and release it."""
        import xr
        from OpenGL import GL

        assert eye.depth_texture is not None
        index = xr.acquire_swapchain_image(eye.depth_swapchain, xr.SwapchainImageAcquireInfo())
        xr.wait_swapchain_image(
            eye.depth_swapchain, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION)
        )
        source = eye.depth_texture.prepare_now(0, prepared, gsg).get_native_id()
        if source:
            GL.glCopyImageSubData(
                source, GL.GL_TEXTURE_2D, 0, 0, 0, 0,
                eye.depth_images[index], GL.GL_TEXTURE_2D, 0, 0, 0, 0,
                eye.width, eye.height, 1,
            )  # fmt: skip
        if self.capture:
            self._depth_reads.append(self._read_depth(eye.depth_images[index], eye))
        xr.release_swapchain_image(eye.depth_swapchain, xr.SwapchainImageReleaseInfo())

    def _read_depth(self, texture: int, eye: Eye) -> np.ndarray:
        """Read a depth swapchain image back (tests and diagnostics only)."""
        from OpenGL import GL

        if self._fbo is None:
            self._fbo = int(GL.glGenFramebuffers(1))
        previous = GL.glGetIntegerv(GL.GL_READ_FRAMEBUFFER_BINDING)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fbo)
        GL.glFramebufferTexture2D(
            GL.GL_READ_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, 0, 0
        )
        GL.glFramebufferTexture2D(
            GL.GL_READ_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_TEXTURE_2D, texture, 0
        )
        data = GL.glReadPixels(0, 0, eye.width, eye.height, GL.GL_DEPTH_COMPONENT, GL.GL_FLOAT)
        GL.glFramebufferTexture2D(
            GL.GL_READ_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_TEXTURE_2D, 0, 0
        )
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, previous)
        image = np.frombuffer(bytes(data), dtype=np.float32).reshape(eye.height, eye.width)
        return np.ascontiguousarray(image[::-1])

    def _read(self, texture: int, width: int, height: int) -> np.ndarray:
        """Read a swapchain image back (tests and diagnostics only: it stalls the GPU)."""
        from OpenGL import GL

        if self._fbo is None:
            self._fbo = int(GL.glGenFramebuffers(1))
        previous = GL.glGetIntegerv(GL.GL_READ_FRAMEBUFFER_BINDING)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fbo)
        GL.glFramebufferTexture2D(
            GL.GL_READ_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, texture, 0
        )
        data = GL.glReadPixels(0, 0, width, height, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, previous)
        image = np.frombuffer(bytes(data), dtype=np.uint8).reshape(height, width, 4)
        return np.ascontiguousarray(image[::-1])

    def projection_views(self, views: list[Any]) -> Any:
        """The projection layer's views: each eye's pose, fov and whole swapchain image."""
        import xr

        out = (xr.CompositionLayerProjectionView * len(self.eyes))()
        # kept on self: the runtime reads them at xrEndFrame, after this returns
        self._depth_infos = (xr.CompositionLayerDepthInfoKHR * len(self.eyes))()
        for i, (eye, view) in enumerate(zip(self.eyes, views, strict=False)):
            depth = None
            if self.depth:
                self._depth_infos[i] = xr.CompositionLayerDepthInfoKHR(
                    sub_image=xr.SwapchainSubImage(
                        swapchain=eye.depth_swapchain,
                        image_rect=xr.Rect2Di(extent=xr.Extent2Di(eye.width, eye.height)),
                    ),
                    min_depth=0.0,
                    max_depth=1.0,
                    near_z=NEAR,
                    far_z=FAR,
                )
                depth = ctypes.cast(ctypes.pointer(self._depth_infos[i]), ctypes.c_void_p)
            out[i] = xr.CompositionLayerProjectionView(
                next=depth,
                pose=view.pose,
                fov=view.fov,
                sub_image=xr.SwapchainSubImage(
                    swapchain=eye.swapchain,
                    image_rect=xr.Rect2Di(extent=xr.Extent2Di(eye.width, eye.height)),
                ),
            )
        return out

    def destroy(self) -> None:
        """Destroy swapchains, buffers and cameras (the runtime may already be gone)."""
        import xr

        engine = self.app.base.graphics_engine
        for eye in self.eyes:
            # a lost runtime has nothing to give back
            with contextlib.suppress(xr.XrException):
                xr.destroy_swapchain(eye.swapchain)
                if eye.depth_swapchain is not None:
                    xr.destroy_swapchain(eye.depth_swapchain)
            eye.camera.remove_node()
            if eye.post is not None:
                engine.remove_window(eye.post)
            if eye.post_root is not None:
                eye.post_root.remove_node()
            engine.remove_window(eye.buffer)
        self.eyes.clear()
