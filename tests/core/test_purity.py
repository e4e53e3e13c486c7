"""The pure core imports nothing from Panda3D, so it tests in milliseconds and replays anywhere."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = [
    "engine.model",
    "engine.model.checks",
    "engine.sim",
    "engine.core.runtime",
    "engine.core.script",
    "engine.log",
    "engine.session",
    "adaptivity",
    "adaptivity.tutor",
    "engine.replay",
]


@pytest.mark.parametrize("module", PURE)
def test_pure_module_does_not_import_panda3d(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "roots = ('panda3d', 'direct', 'simplepbr')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"


def test_importing_the_engine_has_no_side_effects() -> None:
    code = (
        "import logging, os, builtins\n"
        "env = dict(os.environ)\n"
        "import engine.model, engine.core.runtime, engine.log\n"
        "import engine.scene, engine.present.presenter, engine.rigs.desktop\n"
        "assert logging.getLogger().handlers == [], 'logging configured on import'\n"
        "assert dict(os.environ) == env, 'environment changed on import'\n"
        "assert not hasattr(builtins, 'base'), 'ShowBase created on import'\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr
