"""The Panda3D application: a window or an offscreen buffer, with simplepbr in GLSL.

Colour pipeline (sRGB-correct): lesson colours and colour textures are sRGB; materials get
them converted to linear light (:mod:`engine.scene.colors`), textures are loaded in an sRGB
format so the GPU linearises them, the scene renders into simplepbr's 16-bit float buffer,
and simplepbr's filmic tone map encodes the result for the display. The window itself is
therefore *not* an sRGB framebuffer (that would encode twice).

Lifecycle: Panda3D allows one ShowBase at a time. :func:`destroy_app` closes its window and
buffers and unloads the PRC settings it loaded, after which :func:`create_app` may be called
again in the same process (tests do). To reuse one app between scenes, call
:meth:`SceneApp.reset` instead, which is cheaper (no new GL context).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from direct.showbase.ShowBase import ShowBase
from panda3d.core import (
    ConfigPage,
    Filename,
    GraphicsOutput,
    NodePath,
    load_prc_file_data,
    unload_prc_file,
)

#: the lens every app starts with; rigs (desktop, XR) are free to replace it
FIELD_OF_VIEW = 75.0
NEAR, FAR = 0.05, 500.0
#: non-ambient lights simplepbr shades; its fragment shader loops over all of them, which
#: software GL pays for in every pixel (8 lights cost a third more frame time than 4 here)
MAX_LIGHTS = 4


@dataclass
class SceneApp:
    """The handles a scene needs, passed explicitly (never read from ShowBase's builtins).

    Attributes:
        base: the ShowBase (task manager, loader, graphics engine).
        render: the 3D scene root; simplepbr's shader is set here.
        camera: the node to move to move the view (its child ``base.cam`` holds the lens).
        win: the window or offscreen buffer.
        aspect2d: the 2D overlay root.
        headless: whether this renders offscreen.
        pipeline: the simplepbr pipeline.
    """

    base: ShowBase
    render: NodePath
    camera: NodePath
    win: GraphicsOutput
    aspect2d: NodePath
    headless: bool
    pipeline: Any = field(default=None, repr=False)
    _prc: ConfigPage | None = field(default=None, repr=False)

    @property
    def cam(self) -> NodePath:
        """The NodePath of the Camera node (the one with the lens)."""
        return self.base.cam

    @property
    def size(self) -> tuple[int, int]:
        """The framebuffer's (width, height) in pixels."""
        return self.win.get_x_size(), self.win.get_y_size()

    def reset(self) -> None:
        """Clear the 3D scene (nodes, lights, background) so another scene can be built.

        The camera and simplepbr's state on ``render`` survive.
        """
        for child in self.render.get_children():
            if child != self.camera:
                child.remove_node()
        self.render.clear_light()
        self.camera.set_pos_hpr(0, 0, 0, 0, 0, 0)
        self.base.set_background_color(0.0, 0.0, 0.0, 1.0)


def _prc_lines(headless: bool, size: tuple[int, int], title: str) -> list[str]:
    lines = [
        f"win-size {size[0]} {size[1]}",
        f"window-title {title}",
        "print-pipe-types false",
        # simplepbr's tone map already encodes for the display
        "framebuffer-srgb false",
    ]
    if headless:
        lines += [
            "window-type offscreen",
            "audio-library-name null",
            "sync-video false",
        ]
    else:
        lines += ["window-type onscreen", "sync-video true"]
    return lines


def create_app(
    *,
    headless: bool,
    size: tuple[int, int] = (1280, 720),
    title: str = "Peripatos",
    msaa: bool = False,
) -> SceneApp:
    """Open a window (or an offscreen buffer) and set up simplepbr.

    Args:
        headless: render offscreen through EGL (``p3headlessgl``), with no audio and no
            vsync; otherwise open a resizable onscreen window.
        size: the framebuffer's width and height in pixels.
        title: the window title.
        msaa: 4x multisampling in simplepbr's scene buffer (costly on software GL).

    Raises:
        RuntimeError: no window or buffer could be opened.
    """
    import simplepbr

    page = load_prc_file_data("peripatos-scene", "\n".join(_prc_lines(headless, size, title)))
    try:
        # Panda3D would pick its display module once per process; choosing it for each app
        # lets a headless (EGL) and a windowed (GLX/WGL) app follow each other in one process
        base = ShowBase(windowType="none")
        base.pipe = base.makeModulePipe("p3headlessgl" if headless else "pandagl")
        opened = base.pipe is not None and base.openDefaultWindow(
            type="offscreen" if headless else "onscreen"
        )
        if not opened or base.win is None:
            base.destroy()
            raise RuntimeError("Panda3D could not open a window or an offscreen buffer")
        # the trackball would fight every rig that moves the camera
        base.disable_mouse()
        lens = base.cam.node().get_lens()
        lens.set_fov(FIELD_OF_VIEW)
        lens.set_aspect_ratio(size[0] / size[1])
        lens.set_near_far(NEAR, FAR)
        pipeline = simplepbr.init(
            render_node=base.render,
            window=base.win,
            camera_node=base.cam,
            taskmgr=base.task_mgr,
            use_330=True,
            msaa_samples=4 if msaa else 0,
            max_lights=MAX_LIGHTS,
            # shadow maps cost more than a school PC's GPU can spare; lessons do without
            enable_shadows=False,
        )
    except BaseException:
        unload_prc_file(page)
        raise
    base.set_background_color(0.0, 0.0, 0.0, 1.0)
    return SceneApp(
        base=base,
        render=base.render,
        camera=base.camera,
        win=base.win,
        aspect2d=base.aspect2d,
        headless=headless,
        pipeline=pipeline,
        _prc=page,
    )


def render_frame(app: SceneApp) -> None:
    """Run one frame: tasks (simplepbr's camera inputs among them), then render."""
    # ShowBase's igLoop task renders, after simplepbr's update task (sort 49 < 50)
    app.base.task_mgr.step()


def screenshot_rgba(app: SceneApp) -> np.ndarray:
    """The last rendered frame as a (height, width, 4) uint8 array, row 0 at the top."""
    tex = app.win.get_screenshot()
    if tex is None:
        raise RuntimeError("no frame to read back; call render_frame(app) first")
    data = tex.get_ram_image_as("RGBA")
    image = np.frombuffer(bytes(data), dtype=np.uint8)
    image = image.reshape(tex.get_y_size(), tex.get_x_size(), 4)
    # OpenGL's rows run bottom-up
    return np.ascontiguousarray(image[::-1])


def save_png(app: SceneApp, path: str | Path) -> Path:
    """Write the last rendered frame to a PNG file and return its path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not app.win.save_screenshot(Filename.from_os_specific(str(out))):
        raise RuntimeError(f"could not write {out}")
    return out


def destroy_app(app: SceneApp) -> None:
    """Close the window and free the GL resources, so that another app can be created."""
    if app.pipeline is not None:
        # the task manager outlives ShowBase (it is process-wide): drop simplepbr's task, or it
        # would run against the next app's frames with this one's released buffers
        for task in app.base.task_mgr.getTasksNamed("simplepbr update"):
            if getattr(task.get_function(), "__self__", None) is app.pipeline:
                app.base.task_mgr.remove(task)
        # simplepbr's offscreen buffers belong to the window about to close, and its filter
        # manager listens for window events on the process-wide messenger
        app.pipeline._filtermgr.cleanup()
        app.pipeline._filtermgr.ignoreAll()
        app.pipeline = None
    app.render.remove_node()
    app.base.destroy()
    if app._prc is not None:
        unload_prc_file(app._prc)
        app._prc = None
