"""The runtime going away mid-lesson: a clean end with a message, the log kept, resumable.

The test starts its own ``monado-service`` (simulated headset, its own ``XDG_RUNTIME_DIR``), so
stopping it leaves the lab's service for the other tests untouched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.log.jsonl import read_jsonl
from engine.paths import LESSONS_DIR, REPO_ROOT
from tests.xr.helpers import lab_env, python, validation_errors


def start_service(run_dir: Path, log: Path) -> subprocess.Popen:
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(run_dir),
        "XRT_COMPOSITOR_NULL": "1",
        "SIMULATED_ENABLE": "1",
        "SIMULATED_LEFT": "simple",
        "SIMULATED_RIGHT": "simple",
        "XRT_NO_STDIN": "1",
    }
    env.pop("P_OVERRIDE_ACTIVE_CONFIG", None)
    service = subprocess.Popen(
        ["monado-service"], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (run_dir / "monado_comp_ipc").exists() and "service has started" in log.read_text():
            return service
        assert service.poll() is None, log.read_text()[-2000:]
        time.sleep(0.1)
    service.kill()
    raise AssertionError("monado-service did not start")


def verbs(path: Path) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in read_jsonl(path, strict=True)]


def test_the_runtime_stopping_mid_lesson_ends_cleanly_and_the_session_resumes(
    tmp_path: Path,
) -> None:
    store = str(tmp_path / "sessions.sqlite")
    # some progress first: the bob hung on the pendulum, then the learner stopped
    first = tmp_path / "first.yaml"
    first.write_text("- grab: bob\n- place_on: pendulum\n")
    proc = python(
        "-m", "tools.cli", "run", "pendulum-lab", "--headless", "--script", str(first),
        "--store", store, "--size", "320x180", tmp=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]

    run_dir = tmp_path / "xr-run"
    service = start_service(run_dir, tmp_path / "monado.log")
    record = tmp_path / "xr.jsonl"
    env = lab_env(tmp_path, XDG_RUNTIME_DIR=str(run_dir))
    player = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "pendulum-lab", "--xr", "--resume",
         "--store", store, "--record", str(record)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # in the headset (the resume is recorded), then the runtime stops
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (record.exists() and "resumed" in verbs(record)):
            assert player.poll() is None, player.communicate()
            time.sleep(0.2)
        assert "resumed" in verbs(record)
        time.sleep(2.0)
        service.send_signal(signal.SIGTERM)
        out, err = player.communicate(timeout=60)
    finally:
        if player.poll() is None:
            player.kill()
        if service.poll() is None:
            service.kill()
        service.wait(timeout=10)
    assert player.returncode == 2, (out, err[-3000:])  # ended, not completed, no crash
    assert "not completed" in out and "headset runtime" in out, out
    assert "Traceback" not in err and "Segmentation fault" not in err
    assert validation_errors(tmp_path) == []

    # the log kept everything, and the session carries on (here on the scripted rig)
    rest = tmp_path / "rest.yaml"
    walkthrough = (LESSONS_DIR / "pendulum-lab" / "scripts" / "walkthrough.yaml").read_text()
    actions = [line for line in walkthrough.splitlines() if line.startswith("- ")]
    rest.write_text("\n".join(actions[2:]) + "\n")
    final = tmp_path / "final.jsonl"
    proc = python(
        "-m", "tools.cli", "run", "pendulum-lab", "--resume", "--headless", "--script", str(rest),
        "--store", store, "--record", str(final), "--size", "320x180", tmp=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    told = verbs(final)
    assert told[0] == "initialized" and told.count("initialized") == 1
    assert told.count("resumed") >= 2 and told[-1] == "terminated"
