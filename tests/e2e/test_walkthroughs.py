"""Each bundled lesson, end to end through the real CLI: headless, scripted, recorded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import PNMImage

from engine.log.jsonl import read_jsonl
from engine.log.validate import validate_statement
from engine.paths import LESSONS_DIR, REPO_ROOT
from tests.cli import lesson_cli

LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())


def png_pixels(path: Path) -> np.ndarray:
    image = PNMImage()
    assert image.read(str(path)), f"cannot read {path}"
    w, h = image.get_x_size(), image.get_y_size()
    return np.array([[image.get_xel_val(x, y) for x in range(0, w, 4)] for y in range(0, h, 4)])


def verb(stmt: dict) -> str:
    return stmt["verb"]["id"].rsplit("/", 1)[-1]


@pytest.mark.parametrize("lesson", LESSONS)
def test_walkthrough_completes_with_valid_statements_and_a_real_frame(
    lesson: str, tmp_path: Path
) -> None:
    png, log = tmp_path / "out.png", tmp_path / "log.jsonl"
    script = LESSONS_DIR / lesson / "scripts" / "walkthrough.yaml"
    proc = lesson_cli(
        "run",
        lesson,
        "--headless",
        "--script",
        str(script),
        "--screenshot",
        str(png),
        "--record",
        str(log),
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "completed" in proc.stdout

    pixels = png_pixels(png)
    assert pixels.shape[0] >= 170 and pixels.shape[1] >= 310  # 1280x720 sampled every 4 px
    colours = {tuple(p) for row in pixels for p in row}
    assert len(colours) > 200, "the frame is (nearly) blank"
    assert pixels.std() > 20

    statements = read_jsonl(log, strict=True)
    assert statements, "nothing recorded"
    for stmt in statements:
        assert validate_statement(stmt) == [], stmt
    verbs = [verb(s) for s in statements]
    assert verbs[0] == "initialized"
    assert verbs[-1] == "terminated"
    assert "passed" in verbs and verbs.count("completed") >= 2
    registrations = {s["context"]["registration"] for s in statements}
    assert len(registrations) == 1
    assert len({s["id"] for s in statements}) == len(statements)


def test_pendulum_statements_tell_the_learners_story(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    script = LESSONS_DIR / "pendulum-lab" / "scripts" / "walkthrough.yaml"
    proc = lesson_cli(
        "run",
        "pendulum-lab",
        "--headless",
        "--script",
        str(script),
        "--record",
        str(log),
        "--size",
        "320x180",
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    statements = read_jsonl(log, strict=True)
    placed = [
        s
        for s in statements
        if verb(s) == "interacted" and s["object"]["id"].endswith("/entities/bob")
    ]
    assert placed, "grabbing and placing the bob were not recorded"
    answers = [s for s in statements if verb(s) == "answered"]
    assert [a["result"]["success"] for a in answers] == [True, True]
    measured = [s for s in statements if verb(s) == "measured"]
    assert len(measured) == 2


def test_a_script_that_stops_early_fails_with_the_reason(tmp_path: Path) -> None:
    script = tmp_path / "lazy.yaml"
    script.write_text("- grab: bob\n- place_on: pendulum\n")
    proc = lesson_cli(
        "run",
        "pendulum-lab",
        "--headless",
        "--script",
        str(script),
        "--size",
        "320x180",
        tmp=tmp_path,
    )
    assert proc.returncode == 2
    assert "not completed at step 'set_length'" in proc.stdout


def test_a_script_action_that_cannot_happen_names_the_action(tmp_path: Path) -> None:
    script = tmp_path / "bad.yaml"
    script.write_text("- grab: bench\n")
    proc = lesson_cli(
        "run",
        "pendulum-lab",
        "--headless",
        "--script",
        str(script),
        "--size",
        "320x180",
        tmp=tmp_path,
    )
    assert proc.returncode == 2
    assert "action 1 (grab)" in proc.stdout and "cannot be picked up" in proc.stdout


def test_headless_without_a_script_is_refused(tmp_path: Path) -> None:
    proc = lesson_cli("run", "pendulum-lab", "--headless", tmp=tmp_path)
    assert proc.returncode == 1
    assert "--headless needs --script" in proc.stderr


def test_an_invalid_lesson_prints_located_errors_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "lesson.yaml"
    bad.write_text(
        (LESSONS_DIR / "pendulum-lab" / "lesson.yaml")
        .read_text()
        .replace("zone: pendulum", "zone: pendulumm")
    )
    proc = lesson_cli("run", str(bad), "--headless", "--script", "x.yaml", tmp=tmp_path)
    assert proc.returncode == 1
    assert "unknown-entity" in proc.stderr and "did you mean 'pendulum'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_resume_continues_an_interrupted_session(tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text("- grab: bob\n- place_on: pendulum\n- press: length_long\n")
    proc = lesson_cli(
        "run",
        "pendulum-lab",
        "--headless",
        "--script",
        str(first),
        "--size",
        "320x180",
        tmp=tmp_path,
    )
    assert proc.returncode == 2
    rest = tmp_path / "rest.yaml"
    walkthrough = (
        (LESSONS_DIR / "pendulum-lab" / "scripts" / "walkthrough.yaml").read_text().splitlines()
    )
    actions = [line for line in walkthrough if line.startswith("- ")]
    rest.write_text("\n".join(actions[3:]) + "\n")
    log = tmp_path / "rest.jsonl"
    proc = lesson_cli(
        "run",
        "pendulum-lab",
        "--resume",
        "--headless",
        "--script",
        str(rest),
        "--record",
        str(log),
        "--size",
        "320x180",
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    statements = read_jsonl(log, strict=True)
    verbs = [verb(s) for s in statements]
    # the record holds the whole session: before the break, the resume, and the rest
    assert verbs[0] == "initialized" and verbs.count("initialized") == 1
    assert "resumed" in verbs and verbs[-1] == "terminated"
    assert len({s["id"] for s in statements}) == len(statements)
    bob = [s for s in statements if verb(s) == "interacted" and s["object"]["id"].endswith("/bob")]
    assert bob, "the placement from before the break is in the record"


def test_without_a_display_the_desktop_mode_says_what_to_do(tmp_path: Path) -> None:
    import os as _os

    env = {k: v for k, v in _os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run(
        [sys.executable, "-m", "tools.cli", "run", "pendulum-lab"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "could not open a window" in proc.stderr and "--headless --script" in proc.stderr
    assert "Traceback" not in proc.stderr
