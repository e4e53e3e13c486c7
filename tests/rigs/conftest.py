"""Fixtures for the desktop rig tests: a virtual X display for the session, real input.

The rig opens a real onscreen window (GLX, Mesa's llvmpipe on CI) on an Xvfb display started
here, and the tests drive it with XTest events through the X server, as a keyboard and mouse
would. Nothing is skipped: without Xvfb or libXtst the tests fail and say what to install.

Panda3D allows one ShowBase at a time, so every test opens its own rig and closes it;
``create_app`` chooses the display module (GLX or EGL) for each app, so these tests and the
offscreen ones share a process in any order.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from panda3d.core import ConfigPage, load_prc_file_data, unload_prc_file

from engine.log.store import SessionStore
from engine.model.loader import LoadedLesson, load_lesson
from engine.rigs.desktop import DesktopRig
from engine.session import LessonSession
from tests.rigs.pilot import Pilot
from tests.rigs.xinput import XInput, XInputError

#: the virtual screen: room for the 1280x720 default window and a resize
SCREEN = "1600x900x24"
XVFB_START_SECONDS = 20.0
#: the small window most tests use: llvmpipe renders it four times faster than 1280x720
SMALL = (640, 360)


def _display_number(fd: int, xvfb: subprocess.Popen[bytes], log: Path) -> int:
    """Read the display number Xvfb writes to ``fd`` once it listens (``-displayfd``)."""
    text = b""
    deadline = time.monotonic() + XVFB_START_SECONDS
    while not text.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0.0))
        chunk = os.read(fd, 16) if ready else b""
        if not chunk:
            xvfb.kill()
            pytest.fail(f"Xvfb did not start: {log.read_text(errors='replace')[-2000:]}")
        text += chunk
    return int(text.strip())


@pytest.fixture(scope="session")
def xdisplay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Xvfb display for the whole session; ``$DISPLAY`` points at it until the end."""
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail(
            "Xvfb is not installed: the desktop rig tests open real windows on a virtual "
            "display. Install it with `apt-get install xvfb` (CI needs it too).",
            pytrace=False,
        )
    log = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    read_fd, write_fd = os.pipe()
    with log.open("wb") as out:
        # -displayfd: Xvfb takes the first free display number and tells us which
        xvfb = subprocess.Popen(
            [exe, "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=out, stderr=out, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    os.close(write_fd)
    try:
        display = f":{_display_number(read_fd, xvfb, log)}"
    finally:
        os.close(read_fd)
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        xvfb.terminate()
        try:
            xvfb.wait(timeout=10)
        except subprocess.TimeoutExpired:
            xvfb.kill()
            xvfb.wait()


@pytest.fixture(scope="session")
def xinput(xdisplay: str) -> Iterator[XInput]:
    """The session's connection for sending real input to the display."""
    try:
        x = XInput(xdisplay)
    except XInputError as exc:
        pytest.fail(f"{exc} (the desktop rig tests send real input through XTest)", pytrace=False)
    if not x.has_xtest():
        pytest.fail(f"the X server on {xdisplay} has no XTEST extension", pytrace=False)
    with x:
        yield x


@pytest.fixture(scope="session")
def quiet_audio() -> Iterator[ConfigPage]:
    """No sound card on CI: the null audio manager, instead of OpenAL's failure messages."""
    page = load_prc_file_data("peripatos-rig-tests", "audio-library-name null")
    yield page
    unload_prc_file(page)


OpenRig = Callable[..., Pilot]


@pytest.fixture
def open_rig(
    xinput: XInput, quiet_audio: ConfigPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OpenRig]:
    """Open a desktop rig on a lesson; returns its pilot. Everything is closed afterwards.

    Settings go to ``tmp_path/config`` (``$XDG_CONFIG_HOME``), sessions to a store in
    ``tmp_path``; opening the same learner twice in a test reads the settings saved before.
    """
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    pilots: list[Pilot] = []

    def open_(
        lesson: str | LoadedLesson = "pendulum-lab",
        *,
        size: tuple[int, int] | None = SMALL,
        learner: str = "ada",
    ) -> Pilot:
        loaded = load_lesson(lesson) if isinstance(lesson, str) else lesson
        store = SessionStore(tmp_path / "sessions.sqlite")
        session = LessonSession(loaded, store, learner=learner)
        try:
            if size is None:
                rig = DesktopRig(loaded, session, learner=learner)
            else:
                rig = DesktopRig(loaded, session, size=size, learner=learner)
        except RuntimeError as exc:
            session.close()
            store.close()
            pytest.fail(
                f"no window on {os.environ.get('DISPLAY')}: {exc}. If an offscreen app was "
                "opened earlier in this process, Panda3D kept its headless display module: "
                "run tests/rigs in a pytest process of its own.",
                pytrace=False,
            )
        pilot = Pilot(rig, xinput, store)
        pilots.append(pilot)
        pilot.settle()
        return pilot

    yield open_
    for pilot in pilots:
        pilot.shut()


@pytest.fixture
def quiz_lesson(tmp_path: Path) -> LoadedLesson:
    """A small lesson with a choice question, then a numeric one."""
    path = tmp_path / "quiz" / "lesson.yaml"
    path.parent.mkdir()
    path.write_text(QUIZ, encoding="utf-8")
    return load_lesson(path)


QUIZ = """
format: 1
metadata:
  id: quiz
  title: Quiz
  summary: Two questions, answered with the keyboard.
  subject: physics
  age_range: [11, 16]
  estimated_minutes: 2
  skills: [{id: recall, name: Recall}]
environment: {preset: studio}
entities:
  - id: board
    position: [0, 2, 1.5]
    geometry: {primitive: box, width: 1, depth: 0.1, height: 0.6}
questions:
  - id: planet
    prompt: Which planet is largest?
    kind: choice
    skills: [recall]
    options:
      - {id: jupiter, text: Jupiter, correct: true}
      - {id: mars, text: Mars, feedback: Mars is smaller than the Earth.}
  - id: gravity
    prompt: What is g on Earth?
    kind: numeric
    unit: m/s^2
    skills: [recall]
    answer: 9.8
    tolerance: 2 %
steps:
  - id: choose
    instruction: Answer the question.
    ask: planet
    complete_when: {answered: planet}
    hints: [{level: highlight, targets: [board]}, {level: concept}, {level: demonstrate}]
  - id: number
    instruction: Type the number.
    ask: gravity
    complete_when: {answered: gravity}
    hints: [{level: highlight, targets: [board]}, {level: concept}, {level: demonstrate}]
completion: {title: Done, message: Both answered.}
"""
