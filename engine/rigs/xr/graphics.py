"""OpenGL graphics bindings built from Panda3D's own GL context.

The runtime must share the context Panda3D renders with, so the binding is built from
whatever context Panda3D made current: EGL (``p3headlessgl``, no X server; through
``XR_MNDX_egl_enable``) or the desktop's (``pandagl``; ``XR_KHR_opengl_enable``): GLX on
Linux, WGL on Windows. The binding named ``glx`` below means "the desktop GL context".
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

from engine.rigs.xr.system import Binding


def prepare_gl(binding: Binding) -> None:
    """Make PyOpenGL load GL functions the way the binding's contexts need.

    PyOpenGL binds GL functions through one platform per process, chosen from
    ``PYOPENGL_PLATFORM`` at first import; pyopenxr's Linux module forces GLX on import. With
    EGL contexts GL functions must come through EGL (through GLX, newer entry points such as
    ``glCopyImageSubData`` are missing), so call this again after importing ``xr`` and before
    importing ``OpenGL.GL``.
    """
    if binding != "egl":
        return
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    if "OpenGL.platform" in sys.modules:
        import OpenGL.platform as platform
        from OpenGL.platform.egl import EGLPlatform

        if not isinstance(platform.PLATFORM, EGLPlatform):
            platform.PLATFORM = EGLPlatform()


def make_binding(binding: Binding) -> tuple[Any, ctypes.c_void_p]:
    """The graphics binding for the current context, and a pointer for ``SessionCreateInfo.next``.

    Keep the first element alive as long as the session: the pointer points into it.

    Raises:
        RuntimeError: no GL context of that kind is current.
    """
    import xr

    if binding == "egl":
        from OpenGL import EGL

        dpy, ctx = EGL.eglGetCurrentDisplay(), EGL.eglGetCurrentContext()
        if not ctx or ctx == EGL.EGL_NO_CONTEXT:
            raise RuntimeError("Panda3D's EGL context is not current")
        # the binding wants the EGLConfig; the context only tells its id
        config_id = EGL.EGLint()
        EGL.eglQueryContext(dpy, ctx, EGL.EGL_CONFIG_ID, ctypes.byref(config_id))
        configs = (EGL.EGLConfig * 1)()
        count = EGL.EGLint()
        EGL.eglChooseConfig(
            dpy,
            [EGL.EGL_CONFIG_ID, config_id.value, EGL.EGL_NONE],
            configs,
            1,
            ctypes.byref(count),
        )
        egl = xr.GraphicsBindingEGLMNDX()
        egl.display, egl.context, egl.config = dpy, ctx, configs[0]
        egl.get_proc_address = ctypes.cast(
            EGL.eglGetProcAddress.load(), xr.PFN_xrEglGetProcAddressMNDX
        )
        return egl, ctypes.cast(ctypes.pointer(egl), ctypes.c_void_p)
    if sys.platform == "win32":
        # a desktop GL context on Windows is WGL (same extension, its own binding structure);
        # not exercised by the tests here, which run on Linux
        from OpenGL import WGL

        wgl = xr.GraphicsBindingOpenGLWin32KHR(
            h_dc=WGL.wglGetCurrentDC(), h_glrc=WGL.wglGetCurrentContext()
        )
        if not wgl.h_glrc:
            raise RuntimeError("Panda3D's WGL context is not current")
        return wgl, ctypes.cast(ctypes.pointer(wgl), ctypes.c_void_p)
    from OpenGL import GLX

    glx_ctx = GLX.glXGetCurrentContext()
    if not glx_ctx:
        raise RuntimeError("Panda3D's GLX context is not current")
    glx = xr.GraphicsBindingOpenGLXlibKHR(
        x_display=GLX.glXGetCurrentDisplay(),
        glx_drawable=GLX.glXGetCurrentDrawable(),
        glx_context=glx_ctx,
    )
    return glx, ctypes.cast(ctypes.pointer(glx), ctypes.c_void_p)
