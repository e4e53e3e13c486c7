"""Another OpenXR application taking the headset for a while (it takes the input focus).

``python tests/xr/second_client.py DELAY SECONDS``: waits DELAY seconds, then runs an EGL
session with a frame loop (no layers) for SECONDS, and exits cleanly.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import xr
from xr.utils.gl.egl_util import EGLGraphicsBinding, EGLOffscreenContextProvider


def main(delay: float, seconds: float) -> None:
    time.sleep(delay)
    instance = xr.create_instance(
        xr.InstanceCreateInfo(
            enabled_extension_names=[xr.KHR_OPENGL_ENABLE_EXTENSION_NAME, "XR_MNDX_egl_enable"]
        )
    )
    system = xr.get_system(
        instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY)
    )
    req = xr.GraphicsRequirementsOpenGLKHR()
    get_req = ctypes.cast(
        xr.get_instance_proc_addr(instance, "xrGetOpenGLGraphicsRequirementsKHR"),
        xr.PFN_xrGetOpenGLGraphicsRequirementsKHR,
    )
    get_req(instance, system, ctypes.byref(req))
    context = EGLOffscreenContextProvider()
    context.make_current()
    binding = EGLGraphicsBinding(context)
    session = xr.create_session(
        instance, xr.SessionCreateInfo(next=binding.pointer, system_id=system)
    )
    running, end, exiting = False, time.monotonic() + seconds, False
    while True:
        while True:
            try:
                event = xr.poll_event(instance)
            except xr.EventUnavailable:
                break
            if xr.StructureType(event.type) != xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                continue
            state = xr.SessionState(
                ctypes.cast(
                    ctypes.byref(event), ctypes.POINTER(xr.EventDataSessionStateChanged)
                ).contents.state
            )
            print("second client:", state.name, flush=True)
            if state == xr.SessionState.READY:
                xr.begin_session(
                    session, xr.SessionBeginInfo(xr.ViewConfigurationType.PRIMARY_STEREO)
                )
                running = True
            elif state == xr.SessionState.STOPPING:
                xr.end_session(session)
                running = False
            elif state == xr.SessionState.EXITING:
                xr.destroy_session(session)
                xr.destroy_instance(instance)
                return
        if running:
            frame = xr.wait_frame(session)
            xr.begin_frame(session)
            xr.end_frame(
                session,
                xr.FrameEndInfo(
                    display_time=frame.predicted_display_time,
                    environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
                ),
            )
        else:
            time.sleep(0.01)
        if time.monotonic() > end and not exiting:
            exiting = True
            xr.request_exit_session(session)


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]))
