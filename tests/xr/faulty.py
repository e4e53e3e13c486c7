"""Run ``lesson run ARGS`` with a Python OpenXR API layer that makes ``xrGetSystem`` fail.

Monado answers everything else; the layer answers ``XR_ERROR_FORM_FACTOR_UNAVAILABLE`` where
the system would be, as a runtime does when the headset is unplugged.
"""

from __future__ import annotations

import ctypes
import os
import sys

import xr

NAME = "XR_APILAYER_PERIPATOS_no_headset"


class NoHeadsetLayer(xr.DynamicApiLayerBase):
    """Passes every call through except ``xrGetSystem``."""

    def __init__(self) -> None:
        super().__init__(name=NAME)
        self.p_gipa = xr.PFN_xrGetInstanceProcAddr(self.gipa)
        self.p_create = xr.PFN_xrCreateApiLayerInstance(self.create)
        self.p_get_system = xr.PFN_xrGetSystem(self.get_system)
        self.next_gipa = None

    def create(self, info, api_layer_info, instance):  # type: ignore[no-untyped-def]
        nxt = api_layer_info.contents.next_info.contents
        self.next_gipa = nxt.next_get_instance_proc_addr
        return nxt.next_create_api_layer_instance(info, api_layer_info, instance)

    def gipa(self, instance, name, function):  # type: ignore[no-untyped-def]
        if name == b"xrGetSystem":
            ctypes.memmove(
                function, ctypes.byref(self.p_get_system), ctypes.sizeof(xr.PFN_xrVoidFunction)
            )
            return xr.Result.SUCCESS.value
        return self.next_gipa(instance, name, function)

    def get_system(self, instance, get_info, system_id):  # type: ignore[no-untyped-def]
        return xr.Result.ERROR_FORM_FACTOR_UNAVAILABLE.value

    def negotiate_loader_api_layer_interface(self, loader_info, layer_name, req):  # type: ignore[no-untyped-def]
        req.layer_interface_version = xr.CURRENT_LOADER_API_LAYER_VERSION
        req.layer_api_version = xr.XR_CURRENT_API_VERSION
        req.get_instance_proc_addr = self.p_gipa
        req.create_api_layer_instance = self.p_create
        return xr.Result.SUCCESS


if __name__ == "__main__":
    layer = NoHeadsetLayer()
    layers = [x for x in os.environ.get("XR_ENABLE_API_LAYERS", "").split(os.pathsep) if x]
    os.environ["XR_ENABLE_API_LAYERS"] = os.pathsep.join([*layers, NAME])
    from tools.cli import main

    sys.argv = ["lesson", *sys.argv[1:]]
    main()
