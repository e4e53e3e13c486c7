#!/usr/bin/env python3
"""One-command setup for a fresh machine with only python3.

    python3 dev.py lesson run pendulum-lab     # set up, then open the lesson in a window
    python3 dev.py test                        # set up (with test tools), then lint + tests

It creates ``.venv`` (bootstrapping pip from PyPI when Debian's python3-venv is missing),
installs the project editable, and on Debian installs the few system libraries Panda3D needs
for offscreen rendering when they are absent and we are root. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".peripatos-installed"
#: Debian packages for EGL offscreen rendering and the desktop window (Panda3D's wheel has the rest)
RUN_PACKAGES = ["libegl1", "libgl1", "libgl1-mesa-dri", "libgles2", "libglx-mesa0"]
#: and for the tests: a virtual X display and XTest, to drive the desktop rig's real window, and
#: the browser that Playwright drives through the teacher console
TEST_PACKAGES = [*RUN_PACKAGES, "xvfb", "xauth", "libxtst6", "chromium"]


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the command's own."""
    print(f"[dev] {message}", file=sys.stderr, flush=True)


def run(*cmd: str | Path, **kw: object) -> None:
    """Run a command, failing loudly."""
    subprocess.run([str(c) for c in cmd], check=True, **kw)  # type: ignore[call-overload]


def _missing(packages: list[str]) -> list[str]:
    """Which of the Debian packages are not installed."""
    query = ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages]
    out = subprocess.run(query, capture_output=True, text=True, check=False).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def ensure_system_packages(packages: list[str]) -> None:
    """On Debian, apt-get the system libraries that are missing (as root), or say which."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-query"):
        return
    missing = _missing(packages)
    if not missing:
        return
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        say(f"missing system packages; an administrator runs: apt-get install {' '.join(missing)}")
        return
    say(f"installing {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def _bootstrap_pip() -> None:
    """Install pip into a venv made --without-pip, from the pip wheel on PyPI."""
    with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60) as response:
        release = json.load(response)
        base = response.geturl()
    wheel = next(u for u in release["urls"] if u["filename"].endswith(".whl"))
    # mirrors answer with links relative to the JSON document
    wheel["url"] = urllib.parse.urljoin(base, wheel["url"])
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / wheel["filename"]
        with urllib.request.urlopen(wheel["url"], timeout=120) as response:
            target.write_bytes(response.read())
        if hashlib.sha256(target.read_bytes()).hexdigest() != wheel["digests"]["sha256"]:
            raise SystemExit("the pip wheel from PyPI does not match its published SHA-256")
        # a pip wheel can run itself to install itself
        run(PY, str(target / "pip"), "install", "--quiet", str(target))


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project with ``extras`` unless already done."""
    wanted = f"{extras}:{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()}"
    if STAMP.exists() and STAMP.read_text() == wanted and PY.exists():
        return
    if not PY.exists():
        say("creating .venv")
        try:
            run(sys.executable, "-m", "venv", VENV, stderr=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            # Debian without python3-venv has no ensurepip: make the venv bare, then add pip
            shutil.rmtree(VENV, ignore_errors=True)
            run(sys.executable, "-m", "venv", "--without-pip", VENV)
            _bootstrap_pip()
    say(f"installing peripatos{extras and f'[{extras}]'} into .venv")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "-qq", "-e", f".{extras and f'[{extras}]'}", cwd=ROOT)
    STAMP.write_text(wanted)


def test(args: list[str]) -> int:
    """Lint, type-check and run the whole test suite (what CI runs)."""
    ensure_system_packages(TEST_PACKAGES)
    ensure_venv("dev")
    run(PY, "-m", "tools.ralph", cwd=ROOT)  # the LRS for the xAPI tests, in its own venv
    steps = [
        [PY, "-m", "ruff", "check", "."],
        [PY, "-m", "ruff", "format", "--check", "."],
        [PY, "-m", "mypy"],
        [BIN / "lesson", "schema", "--check"],
        [
            BIN / "lesson",
            "validate",
            *sorted(str(p) for p in (ROOT / "lessons").glob("*/lesson.yaml")),
        ],
        [PY, "-m", "pytest", *args],
    ]
    for step in steps:
        say(" ".join(str(s) for s in step))
        code = subprocess.run([str(s) for s in step], cwd=ROOT).returncode
        if code != 0:
            return code
    return xr_stage()


#: the maintainers' real OpenXR runtime for tests (Monado, simulated headset), beside the checkout
XRLAB = ROOT.parent / "shared" / "xr" / "xrlab.sh"


def xr_stage() -> int:
    """The headset tests (tests/xr) against a real OpenXR runtime, inside the XR lab.

    The lab's runtime needs a newer glibc than Debian 12 has, so the runtime and the Python
    under test run in its Debian 13 root, with this checkout mounted at /src.
    """
    if not XRLAB.is_file() or not sys.platform.startswith("linux"):
        say(f"no XR lab at {XRLAB}: headset tests not run")
        return 0
    if os.geteuid() != 0:
        say("the XR lab needs root (mounts, chroot): headset tests not run")
        return 0
    env = {**os.environ, "XRLAB_BIND": str(ROOT)}
    lab = ["bash", str(XRLAB)]
    try:
        say("XR lab: setup, install, start remote")
        run(*lab, "setup", env=env)
        install = "cd /src && pip install -q --disable-pip-version-check -e . 'pytest>=8'"
        run(*lab, "run", "bash", "-c", install, env=env)
        run(*lab, "start", "remote", env=env)
        tests = "cd /src && PERIPATOS_XRLAB=1 python -m pytest -q -p no:cacheprovider tests/xr"
        say(f"XR lab: {tests}")
        return subprocess.run([*lab, "run", "bash", "-c", tests], env=env).returncode
    finally:
        subprocess.run([*lab, "teardown"], env=env, check=False)


def main(argv: list[str]) -> int:
    """``dev.py test [pytest args]`` or ``dev.py lesson ...`` (any command of the venv)."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "test":
        return test(argv[1:])
    ensure_system_packages(RUN_PACKAGES)
    ensure_venv("")
    command = BIN / argv[0]
    if not command.exists():
        print(f"dev.py: no command '{argv[0]}' in .venv (try 'lesson')", file=sys.stderr)
        return 2
    return subprocess.run([str(command), *argv[1:]], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
