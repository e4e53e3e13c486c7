"""``lesson teach --create-teacher``: accounts from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.paths import REPO_ROOT


def teach(*args: str, password: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PERIPATOS_TEACHER_PASSWORD": password}
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", "teach", "--data", str(data), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_teacher_makes_an_account_once(tmp_path: Path) -> None:
    done = teach("--create-teacher", "ms-khan", password="a long password", data=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "created teacher 'ms-khan'" in done.stdout
    assert (tmp_path / "console.sqlite").is_file()
    again = teach("--create-teacher", "ms-khan", password="a long password", data=tmp_path)
    assert again.returncode == 1 and "already a teacher called 'ms-khan'" in again.stderr
    short = teach("--create-teacher", "mr-lee", password="short", data=tmp_path)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
