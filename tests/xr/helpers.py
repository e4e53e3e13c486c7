"""Running lessons in the lab's headset from the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine.paths import REPO_ROOT

VALIDATION = "XR_APILAYER_LUNARG_core_validation"


def lab_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The lab's environment, per-test data folders, and the core validation layer."""
    env = dict(os.environ)
    env.update(
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XR_ENABLE_API_LAYERS=VALIDATION,
        XR_CORE_VALIDATION_EXPORT_TYPE="text",
        XR_CORE_VALIDATION_FILE_NAME=str(tmp / "validation.txt"),
    )
    env.pop("DISPLAY", None)  # EGL unless a test gives a display
    env.update(extra)
    return env


def python(
    *args: str, tmp: Path, timeout: float = 300, **extra: str
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` from the project root in the lab's environment."""
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=lab_env(tmp, **extra),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def headset_run(
    lesson: str, tmp: Path, *extra: str
) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    """Play ``lesson`` in the headset with the controller pilot; (process, summary)."""
    out = tmp / "summary.json"
    proc = python(
        "-m", "tests.xr.run_lesson", lesson, "--out", str(out),
        "--record", str(tmp / "xr.jsonl"), "--store", str(tmp / "sessions.sqlite"), *extra,
        tmp=tmp,
    )  # fmt: skip
    summary = json.loads(out.read_text()) if out.exists() else {}
    return proc, summary


def validation_errors(tmp: Path) -> list[str]:
    """What the core validation layer reported (it writes nothing when all is well)."""
    path = tmp / "validation.txt"
    if not path.exists():
        return []
    text = path.read_text(errors="replace")
    return [line for line in text.splitlines() if "VALID_ERROR" in line]
