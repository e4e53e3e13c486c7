"""The OpenXR instance and system: open them, or say in one line why there is no headset."""

from __future__ import annotations

import contextlib
import ctypes
import os
from dataclasses import dataclass, field
from typing import Any, Literal

Binding = Literal["egl", "glx"]

#: extensions used when the runtime offers them (none is required beyond the graphics binding)
OPTIONAL_EXTENSIONS = ("XR_EXT_hand_tracking", "XR_KHR_composition_layer_depth")


class XrUnavailable(Exception):
    """No headset session can be had here; the message says why, in one line."""


@dataclass
class XrSystem:
    """An OpenXR instance with its head-mounted system.

    Attributes:
        instance: the ``xr.Instance``.
        system_id: the head-mounted display's system id.
        name: the system's name, for messages.
        runtime: the runtime's name.
        views: the stereo view configuration (recommended and maximum sizes per eye).
        extensions: the extensions enabled on the instance.
        binding: which graphics binding the session will use.
    """

    instance: Any
    system_id: Any
    name: str
    runtime: str
    views: list[Any]
    extensions: set[str] = field(default_factory=set)
    binding: Binding = "egl"

    def destroy(self) -> None:
        """Destroy the instance (safe to call twice)."""
        import xr

        if self.instance is not None:
            # a runtime that already went away has nothing left to free
            with contextlib.suppress(xr.XrException):
                xr.destroy_instance(self.instance)
            self.instance = None


def open_system(binding: Binding, *, app_name: str = "Peripatos", quiet: bool = False) -> XrSystem:
    """Create an instance with the graphics binding's extensions and find the headset.

    Args:
        binding: the graphics binding the session will use.
        app_name: the application name the runtime shows.
        quiet: silence the OpenXR loader's own error lines (when looking for a headset is
            only a guess, a missing runtime is not an error worth five lines).

    Raises:
        XrUnavailable: no OpenXR runtime, a runtime without the binding, or no headset.
    """
    if quiet:
        # read by the loader when it first loads (an explicit setting wins)
        os.environ.setdefault("XR_LOADER_DEBUG", "none")
    try:
        import xr
    except (ImportError, OSError) as exc:  # pyopenxr missing, or its loader library unloadable
        raise XrUnavailable(f"OpenXR is not available ({exc})") from None

    try:
        offered = {p.extension_name.decode() for p in xr.enumerate_instance_extension_properties()}
    except xr.RuntimeUnavailableError:
        raise XrUnavailable("no OpenXR runtime is installed or active") from None
    except xr.XrException as exc:
        raise XrUnavailable(f"the OpenXR runtime did not answer ({exc})") from None
    wanted = [xr.KHR_OPENGL_ENABLE_EXTENSION_NAME]
    if binding == "egl":
        wanted.append(xr.MNDX_EGL_ENABLE_EXTENSION_NAME)
    missing = [e for e in wanted if e not in offered]
    if missing:
        raise XrUnavailable(f"the OpenXR runtime lacks {', '.join(missing)} (OpenGL rendering)")
    wanted += [e for e in OPTIONAL_EXTENSIONS if e in offered]
    try:
        instance = xr.create_instance(
            xr.InstanceCreateInfo(
                application_info=xr.ApplicationInfo(
                    application_name=app_name,
                    application_version=1,
                    engine_name="Peripatos",
                    engine_version=1,
                    api_version=xr.Version(1, 0, 0),
                ),
                enabled_extension_names=wanted,
            )
        )
    except xr.RuntimeUnavailableError:
        raise XrUnavailable("no OpenXR runtime is installed or active") from None
    except xr.XrException as exc:
        raise XrUnavailable(f"the OpenXR runtime refused an instance ({exc})") from None
    system = XrSystem(instance, None, "", "", [], set(wanted), binding)
    try:
        system.runtime = xr.get_instance_properties(instance).runtime_name.decode()
        system.system_id = xr.get_system(
            instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY)
        )
        system.name = xr.get_system_properties(instance, system.system_id).system_name.decode()
        system.views = list(
            xr.enumerate_view_configuration_views(
                instance, system.system_id, xr.ViewConfigurationType.PRIMARY_STEREO
            )
        )
        _check_gl_requirements(instance, system.system_id)
    except xr.FormFactorUnavailableError:
        system.destroy()
        raise XrUnavailable(
            f"no headset is connected to the OpenXR runtime ({system.runtime or 'unknown'})"
        ) from None
    except xr.XrException as exc:
        system.destroy()
        raise XrUnavailable(
            f"the headset could not be used ({type(exc).__name__}: {exc})"
        ) from None
    return system


def _check_gl_requirements(instance: Any, system_id: Any) -> None:
    """Ask the OpenGL requirements: the spec requires the call before creating a session."""
    import xr

    req = xr.GraphicsRequirementsOpenGLKHR()
    fn = ctypes.cast(
        xr.get_instance_proc_addr(instance, "xrGetOpenGLGraphicsRequirementsKHR"),
        xr.PFN_xrGetOpenGLGraphicsRequirementsKHR,
    )
    xr.check_result(xr.Result(fn(instance, system_id, ctypes.byref(req))))
