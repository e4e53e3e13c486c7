"""The headset tests run inside the XR lab (``../shared/xr/xrlab.sh``), against Monado.

``dev.py test`` runs them there, with ``PERIPATOS_XRLAB=1``; the host's pytest run ignores
this folder (the lab's runtime needs a newer glibc than the host has).
"""

from __future__ import annotations

import os

if os.environ.get("PERIPATOS_XRLAB") != "1":
    collect_ignore_glob = ["test_*.py"]
