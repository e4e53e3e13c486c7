"""Each bundled lesson in the headset, against the real runtime (Monado, remote controllers).

Runs inside ``../shared/xr/xrlab.sh`` after ``start remote`` (``dev.py test`` does it), with
the Khronos core validation layer on. The controller pilot (:mod:`tests.xr.pilot`) plays the
lesson's walkthrough with the remote Index controllers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core.script import load_script
from engine.log.jsonl import read_jsonl
from engine.paths import LESSONS_DIR, REPO_ROOT
from tests.xr.helpers import headset_run, lab_env, python, validation_errors

LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())
#: what the learner did, and what the lesson made of it, each in order
ACTS = {"interacted", "answered"}
OUTCOMES = {"initialized", "completed", "passed", "failed", "terminated"}


def story(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A statement log as what must match between rigs.

    The headset's frames and the controllers' latency pace a session differently from the
    scripted rig's fixed ticks, so statements driven by lesson time may fall elsewhere
    between the learner's actions: an instrument settling (``measured``), a narration running
    out, what was seen on the way (``experienced``), difficulty adjusted from response times;
    and only the headset logs gaze (dwells), since the scripted rig's eyes never linger.
    The learner's acts and the lesson's outcomes must match in order; measurements as a set.
    """
    acts, outcomes, measured = [], [], []
    for stmt in read_jsonl(path, strict=True):
        verb = stmt["verb"]["id"].rsplit("/", 1)[-1]
        obj = stmt["object"]["id"]
        extensions = stmt.get("result", {}).get("extensions", {})
        if any(k.endswith("/action") and v == "dwelled" for k, v in extensions.items()):
            continue  # gaze: the headset's head looks around, the scripted rig's never dwells
        if verb in ACTS:
            acts.append((verb, obj))
        elif verb in OUTCOMES and not obj.endswith("/narration"):
            outcomes.append((verb, obj))
        elif verb == "measured":
            measured.append((verb, obj))
    return {"acts": acts, "outcomes": outcomes, "measured": sorted(set(measured))}


def test_the_validation_layer_reports_what_it_finds(tmp_path: Path) -> None:
    proc = python("tests/xr/check_validation.py", tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert validation_errors(tmp_path), "the core validation layer reported nothing"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_completes_in_the_headset(lesson: str, tmp_path: Path) -> None:
    proc, summary = headset_run(lesson, tmp_path)
    assert proc.returncode == 0, (summary.get("reason"), proc.stdout[-1500:], proc.stderr[-3000:])
    assert summary["completed"] and summary["pilot_error"] is None
    assert "Segmentation fault" not in proc.stderr and "Traceback" not in proc.stderr

    # the whole lifecycle, ending cleanly on the learner's exit
    states = summary["states"]
    for state in ("IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED", "STOPPING", "EXITING"):
        assert state in states, states
    assert states[-1] == "EXITING"
    # a projection layer was submitted on every frame the headset showed
    assert summary["frames_visible"] > 100
    assert summary["frames_submitted"] == summary["frames_visible"]
    assert summary["missed_visible_frames"] == 0
    # the eye images read back from the swapchains show a scene, not a clear colour
    captures = [eye for frame in summary["captures"] for eye in frame]
    assert captures, "no swapchain image was read back"
    for eye in captures:
        assert eye["std"] > 10 and eye["colours"] > 50, eye
    if lesson == "athenian-agora":
        # outdoors, the sky is exactly the lesson's colour, as on the desktop: the eyes get
        # the desktop's tone map (the clear colour is un-tone-mapped to come out right)
        sky = [int("9cc7e8"[i : i + 2], 16) for i in (0, 2, 4)]
        assert "#9cc7e8" in (LESSONS_DIR / lesson / "lesson.yaml").read_text()
        tops = [eye["top"] for eye in captures]
        assert any(max(abs(a - b) for a, b in zip(top, sky, strict=True)) <= 3 for top in tops), (
            tops
        )
    # Monado takes depth (XR_KHR_composition_layer_depth): the submitted depth has the scene
    assert summary["depth_submitted"] and summary["depth"]
    for depth in summary["depth"]:
        assert 0.0 <= depth["min"] < depth["max"] <= 1.0 and depth["near"] > 0.05, depth
    # the layer was live for the whole run, and found nothing
    assert "Core Validation Layer is initialized" in (tmp_path / "validation.txt").read_text()
    assert validation_errors(tmp_path) == []

    # the head's gaze is evidence too, as the desktop crosshair's is: what the learner turned
    # their head to look at is logged as a dwell on it
    script = LESSONS_DIR / lesson / "scripts" / "walkthrough.yaml"
    looked = {a.look_at for a in load_script(script) if a.look_at}
    interactions = [json.loads(line) for line in (tmp_path / "xr.input.jsonl").open()][1:]
    dwells = {i["entity"]: i["dwell_ms"] for i in interactions if i["kind"] == "dwell"}
    assert all(ms >= 300 for ms in dwells.values()), dwells
    assert looked <= set(dwells), (looked, dwells)

    # the same story as the scripted desktop-path walkthrough
    desk = tmp_path / "desk"
    desk.mkdir()
    ref = python(
        "-m", "tools.cli", "run", lesson, "--headless", "--script", str(script),
        "--record", str(desk / "log.jsonl"), "--size", "320x180", tmp=desk,
    )  # fmt: skip
    assert ref.returncode == 0, ref.stderr[-2000:]
    xr_story, desk_story = story(tmp_path / "xr.jsonl"), story(desk / "log.jsonl")
    assert xr_story["acts"] and xr_story["outcomes"]
    assert xr_story == desk_story


def test_without_a_runtime_auto_falls_back_to_the_desktop(tmp_path: Path) -> None:
    missing = {"XR_RUNTIME_JSON": str(tmp_path / "no-runtime.json")}
    proc = python("-m", "tools.cli", "run", "pendulum-lab", tmp=tmp_path, **missing)
    # no display either here: the desktop then says what to do instead
    assert (
        "no headset (no OpenXR runtime is installed or active); playing on the desktop"
        in proc.stderr
    )
    assert "could not open a window" in proc.stderr
    assert "Traceback" not in proc.stderr
    forced = python("-m", "tools.cli", "run", "pendulum-lab", "--xr", tmp=tmp_path, **missing)
    assert forced.returncode == 1
    assert "headset mode: no OpenXR runtime" in forced.stderr


def test_no_headset_from_the_runtime_falls_back_with_a_message(tmp_path: Path) -> None:
    proc = python("tests/xr/faulty.py", "run", "pendulum-lab", tmp=tmp_path)
    assert "no headset (no headset is connected to the OpenXR runtime" in proc.stderr, proc.stderr[
        -2000:
    ]
    assert "playing on the desktop" in proc.stderr and "could not open a window" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_glx_binding_renders_into_the_headset_too(tmp_path: Path) -> None:
    """Ordinary Linux desktops give a GLX context (XR_KHR_opengl_enable); a window mirrors."""
    screen = ":97"
    xvfb = subprocess.Popen(
        ["Xvfb", screen, "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        assert xvfb.poll() is None, "Xvfb did not start"
        script = tmp_path / "short.yaml"
        script.write_text("- grab: bob\n- place_on: pendulum\n- press: length_long\n")
        out = tmp_path / "summary.json"
        proc = python(
            "-m", "tests.xr.run_lesson", "pendulum-lab", "--binding", "glx", "--script",
            str(script), "--out", str(out), "--store", str(tmp_path / "s.sqlite"),
            tmp=tmp_path, DISPLAY=screen,
        )  # fmt: skip
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    summary = json.loads(out.read_text())
    # the short script leaves the lesson unfinished: the run ends when the script does
    assert proc.returncode == 2 and summary["reason"] == "the script ended", summary["reason"]
    assert summary["pilot_error"] is None and summary["pilot_log"][-1] == "3 press"
    assert summary["states"][-1] == "EXITING"
    assert summary["frames_submitted"] == summary["frames_visible"] > 20
    captures = [eye for frame in summary["captures"] for eye in frame]
    assert captures and all(eye["std"] > 10 for eye in captures)
    # the window mirrors the left eye (its image, not a third render of the scene)
    assert summary["mirror"]
    for shot in summary["mirror"]:
        assert not shot["scene_camera_active"]
        window, eye = shot["window"], shot["left_eye"]
        assert window["std"] > 10 and window["colours"] > 50, shot
        assert max(abs(a - b) for a, b in zip(window["mean"], eye["mean"], strict=True)) < 12, shot
    assert validation_errors(tmp_path) == []
    assert "Traceback" not in proc.stderr and "Segmentation fault" not in proc.stderr


def test_menu_turning_and_hints_with_the_controllers(tmp_path: Path) -> None:
    out = tmp_path / "comfort.json"
    proc = python(
        "-m", "tests.xr.run_comfort", "--out", str(out), "--record", str(tmp_path / "c.jsonl"),
        tmp=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(out.read_text())
    assert seen["error"] is None, seen
    # snap turning by default, 45 degrees to the right for the stick pushed right
    assert abs(seen["turned"] + 45.0) < 0.5, seen["turned"]
    assert seen["vignette_shown"] and not seen["vignette_after"]
    # the menu pauses the lesson; turning becomes smooth, saved for this learner; resume
    assert seen["paused_in_menu"] and "menu:recentre" in seen["menu_buttons"]
    assert seen["after_menu:turn"] == {"turn_mode": "smooth", "paused": True, "menu_open": True}
    assert seen["after_menu:resume"] == {"turn_mode": "smooth", "paused": False, "menu_open": False}
    saved = json.loads(
        (tmp_path / "config" / "peripatos" / "learners" / "learner.xr.json").read_text()
    )
    assert saved["turn_mode"] == "smooth"
    assert seen["hints"] == 1
    # a teacher's "look here": an arrow in front of the eyes until the learner turns to it
    focus = seen["focus"]
    assert focus["off_axis"] > 30 and focus["arrow_shown"], focus
    assert focus["magenta"] and all(n > 100 for n in focus["magenta"]), focus
    assert focus["seen"] == [focus["entity"]] and not focus["arrow_after"], focus
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in read_jsonl(tmp_path / "c.jsonl")]
    assert "suspended" in verbs and "resumed" in verbs, verbs
    assert validation_errors(tmp_path) == []


def test_a_tracked_hand_grabs_by_pinching(tmp_path: Path) -> None:
    """XR_EXT_hand_tracking: thumb tip to index tip grabs, opening the hand lets go."""
    script = tmp_path / "pinch.yaml"
    script.write_text("- grab: bob\n- place_on: pendulum\n")
    proc, summary = headset_run("pendulum-lab", tmp_path, "--pinch", "--script", str(script))
    assert proc.returncode == 2 and summary["reason"] == "the script ended", summary
    assert summary["pilot_error"] is None and summary["pilot_log"] == ["1 grab", "2 place_on"]
    placed = [
        s for s in read_jsonl(tmp_path / "xr.jsonl", strict=True)
        if s["verb"]["id"].endswith("interacted") and s["object"]["id"].endswith("/bob")
    ]  # fmt: skip
    assert len(placed) >= 2, "grabbing and placing the bob were not recorded"
    assert validation_errors(tmp_path) == []


def test_losing_the_input_focus_pauses_the_lesson_until_it_comes_back(tmp_path: Path) -> None:
    """Another application takes the headset for a while (as a system menu would)."""
    script = tmp_path / "wait.yaml"
    script.write_text("- wait: 14 s\n")
    other = subprocess.Popen(
        [sys.executable, "tests/xr/second_client.py", "5", "3"], cwd=REPO_ROOT,
        env=lab_env(tmp_path / "other"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        proc, summary = headset_run(
            "pendulum-lab", tmp_path, "--script", str(script), "--time-scale", "1"
        )
        other_out, _ = other.communicate(timeout=60)
    finally:
        if other.poll() is None:
            other.kill()
    assert "second client: FOCUSED" in other_out, other_out[-2000:]
    assert proc.returncode == 2 and summary["reason"] == "the script ended", summary
    states = summary["states"]
    first = states.index("FOCUSED")
    assert "FOCUSED" in states[first + 2 :], states  # lost it, then got it back
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in read_jsonl(tmp_path / "xr.jsonl")]
    # paused while the other application had the focus, resumed after; the learner's own
    # exit does not count as leaving
    assert verbs.count("suspended") == 1 and verbs.count("resumed") == 1, verbs
    assert verbs.index("suspended") < verbs.index("resumed")
    assert validation_errors(tmp_path) == []
