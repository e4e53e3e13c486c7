"""Run the real ``lesson`` command from tests, as a learner or author would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.paths import REPO_ROOT


def lesson_cli(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """The real ``lesson`` command, with its data, settings and caches kept inside ``tmp``."""
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
