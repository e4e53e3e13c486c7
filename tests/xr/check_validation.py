"""Make invalid OpenXR calls under the core validation layer (proves its output is caught)."""

from __future__ import annotations

import ctypes

import xr

instance = xr.create_instance(xr.InstanceCreateInfo(enabled_extension_names=["XR_MND_headless"]))
# a structure with the wrong type tag: the layer checks every structure's type
info = xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY)
info.type = xr.StructureType.SESSION_BEGIN_INFO.value
system_id = xr.SystemId()
result = xr.raw_functions.xrGetSystem(instance, ctypes.byref(info), ctypes.byref(system_id))
print("xrGetSystem with a mistyped structure:", xr.Result(result).name)
xr.destroy_instance(instance)
