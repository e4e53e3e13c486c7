"""The headset rig: OpenXR through pyopenxr, drawing the same scene as the desktop rig.

Small modules, one job each:

- :mod:`.system`: instance, system and the reasons a headset is not available;
- :mod:`.graphics`: the OpenGL graphics bindings (EGL through ``XR_MNDX_egl_enable``, GLX
  through ``XR_KHR_opengl_enable``) built from Panda3D's own context;
- :mod:`.space`: OpenXR <-> Panda3D coordinates and projections;
- :mod:`.eyes`: swapchains, per-eye Panda3D buffers and cameras, and the copy between them;
- :mod:`.input`: one action set, suggested bindings for the common controllers, hand tracking,
  haptics;
- :mod:`.panels`: world-space panels (instructions, hints, questions, the menu);
- :mod:`.interact`: grab, ray select, poke, snap zones, teleport, turning, vignette;
- :mod:`.rig`: the session lifecycle and the frame loop that ties them together.

Nothing here runs at import time; importing :mod:`xr` (which edits the process environment to
expose its packaged API layers) happens only when a headset session is attempted.
"""
