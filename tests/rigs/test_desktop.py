"""The desktop rig in a real window (Xvfb, GLX on llvmpipe), driven by real X input.

Keys, clicks and mouse motion go through the X server (XTest) into Panda3D's own event loop,
so the rig's bindings, the mouse watcher, DirectGUI and the window's properties all work as
they do for a learner. Outcomes are read from the runtime, the session's log, the overlay and
the window's pixels.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from direct.task.Task import Task
from direct.task.TaskManagerGlobal import taskMgr
from panda3d.core import ConfigPage, Point3, WindowProperties

from engine.model.loader import LoadedLesson
from engine.play import PlayOptions, play
from engine.present.presenter import HOLD_DISTANCE
from engine.rigs.desktop import MOVE_LOG_STEP, WALK_SPEED
from engine.rigs.settings import DesktopSettings
from tests.rigs.conftest import SMALL, OpenRig
from tests.rigs.pilot import FPS, Pilot
from tests.rigs.xinput import XInput
from tests.scene.pixels import changed_pixels, region, to_pixel

#: a key pressed at frame k reaches the rig one or two frames later
FRAME_SLACK = 2 / FPS


def _window_id(pilot: Pilot) -> int:
    return int(pilot.app.win.get_window_handle().get_int_handle())


# --- the window and the mouse ----------------------------------------------------------------


def test_window_is_1280x720_resizable_and_follows_a_resize(open_rig: OpenRig) -> None:
    pilot = open_rig(size=None)
    win = pilot.app.win
    props = win.get_properties()
    assert (win.get_x_size(), win.get_y_size()) == (1280, 720)
    assert props.get_open() and not props.get_fixed_size()
    assert props.get_title() == "Peripatos: The pendulum: measuring g"

    resize = WindowProperties()
    resize.set_size(960, 720)
    win.request_properties(resize)
    pilot.until(lambda: win.get_x_size() == 960, "the window resized")
    pilot.frames(2)
    # ShowBase's own window-event handler still runs: the lens and the overlay follow
    assert math.isclose(pilot.app.cam.node().get_lens().get_aspect_ratio(), 960 / 720, rel_tol=1e-3)
    assert math.isclose(pilot.app.aspect2d.get_sx(), 720 / 960, rel_tol=1e-3)
    heading = pilot.rig.heading
    pilot.nudge(50, 0)
    assert math.isclose(pilot.rig.heading, heading - 50 * pilot.rig.settings.mouse_sensitivity)


def test_the_mouse_is_captured_and_turns_the_view(open_rig: OpenRig) -> None:
    pilot = open_rig()
    rig = pilot.rig
    props = pilot.app.win.get_properties()
    # X11 without XF86DGA refuses relative mode: the rig falls back to a confined pointer
    assert props.get_cursor_hidden()
    assert props.get_mouse_mode() == WindowProperties.M_confined
    s = rig.settings.mouse_sensitivity
    player = rig.scene.lesson.player
    assert (rig.heading, rig.pitch) == (player.heading, player.pitch)

    pilot.nudge(100, 0)  # right
    assert math.isclose(rig.heading, player.heading - 100 * s, abs_tol=1e-6)
    assert rig.pitch == player.pitch
    pilot.nudge(0, 50)  # towards the learner: look down
    assert math.isclose(rig.pitch, player.pitch - 50 * s, abs_tol=1e-6)
    pilot.nudge(-100, -50)
    assert math.isclose(rig.heading, player.heading, abs_tol=1e-6)
    assert math.isclose(rig.pitch, player.pitch, abs_tol=1e-6)
    h, p, _ = pilot.app.camera.get_hpr()
    assert math.isclose(h, rig.heading, abs_tol=1e-4) and math.isclose(p, rig.pitch, abs_tol=1e-4)
    # the pointer is put back in the centre after every read
    pointer = pilot.app.win.get_pointer(0)
    assert (pointer.get_x(), pointer.get_y()) == (SMALL[0] // 2, SMALL[1] // 2)


# --- walking -------------------------------------------------------------------------------------


def test_w_walks_along_the_heading_and_moves_are_logged_every_quarter_metre(
    open_rig: OpenRig,
) -> None:
    pilot = open_rig()
    rig = pilot.rig
    pilot.turn(right=30)
    assert math.isclose(rig.heading, -30.0, abs_tol=0.1)
    start = tuple(rig.position)

    pilot.hold("w", 1.0)

    dx, dy = rig.position[0] - start[0], rig.position[1] - start[1]
    assert abs(math.hypot(dx, dy) - WALK_SPEED) <= WALK_SPEED * FRAME_SLACK + 1e-6
    assert math.isclose(math.degrees(math.atan2(-dx, dy)), rig.heading, abs_tol=0.01)
    assert rig.position[2] == start[2]
    assert math.dist(pilot.app.camera.get_pos(), rig.position) < 1e-6  # float32 in Panda3D

    moves = pilot.interactions("move")
    assert len(moves) == int(math.hypot(dx, dy) / MOVE_LOG_STEP)
    feet = [start[:2], *[tuple(m["position"][:2]) for m in moves]]
    assert all(math.dist(a, b) >= MOVE_LOG_STEP for a, b in itertools.pairwise(feet))
    assert all(m["position"][2] == 0.0 for m in moves)
    assert all(math.isclose(m["heading"], -30.0, abs_tol=0.1) for m in moves)

    before = tuple(rig.position)
    pilot.hold("d", 0.5)  # strafe right: perpendicular to the heading
    sx, sy = rig.position[0] - before[0], rig.position[1] - before[1]
    assert math.isclose(math.degrees(math.atan2(-sx, sy)), rig.heading - 90, abs_tol=0.01)


def test_walls_stop_the_learner(open_rig: OpenRig) -> None:
    pilot = open_rig()
    pilot.hold("s", 2.0)  # 3.2 m back from y = -1.4: through the south wall at y = -3.5
    assert math.isclose(pilot.rig.position[1], -3.5 + 0.3)


def test_walking_to_a_building_in_the_agora_visits_it(open_rig: OpenRig) -> None:
    pilot = open_rig("athenian-agora")
    rig, rt = pilot.rig, pilot.rig.rt
    stoa = rig.scene.world_position("stoa")
    dx, dy = stoa[0] - rig.position[0], stoa[1] - rig.position[1]
    pilot.turn(right=-math.degrees(math.atan2(-dx, dy)))
    pilot.set_fps(10)  # a long walk: fewer rendered frames
    pilot.key_down("w")
    pilot.until(lambda: "stoa" in rt.visited, "reached the stoa", limit=150)
    pilot.key_up("w")
    pilot.set_fps(FPS)
    poi = rig.scene.lesson.entity("stoa").point_of_interest
    assert poi is not None
    assert math.hypot(stoa[0] - rig.position[0], stoa[1] - rig.position[1]) <= poi.radius + 0.3
    assert pilot.interactions("move")
    assert rig.presenter.hud.status.value == "Visited: Stoa of Attalos"
    visits = [
        st
        for st in pilot.statements("experienced")
        if st["object"]["id"].endswith("/entities/stoa")
    ]
    assert len(visits) == 1


# --- grabbing, placing, pressing -----------------------------------------------------------------


def test_clicks_grab_the_bob_and_place_it_on_the_hook(open_rig: OpenRig) -> None:
    pilot = open_rig()
    rig, rt = pilot.rig, pilot.rig.rt
    pilot.aim_at_entity("bob")
    pilot.click()
    assert rt.world.held == "bob"
    pilot.turn(right=10)
    # carried with the eyes (0.45 m ahead, 0.15 m below) and still drawn
    carried = pilot.app.camera.get_relative_point(
        pilot.app.render, Point3(*rig.scene.world_position("bob"))
    )
    assert math.dist(carried, (0.0, HOLD_DISTANCE, -0.15)) < 1e-3
    assert not rig.scene.nodes["bob"].is_hidden()

    pilot.aim_at_entity("pendulum")
    pilot.click()
    assert rt.world.held is None
    assert rt.in_zone("bob") == "pendulum"
    assert rt.step is not None and rt.step.id == "set_length"
    assert [d["kind"] for d in pilot.interactions() if d["kind"] in ("grab", "release")] == [
        "grab",
        "release",
    ]

    pilot.aim_at_entity("length_long")
    pilot.click()
    assert pilot.interactions("press")[-1]["entity"] == "length_long"
    pilot.frames(2)
    assert rt.step is not None and rt.step.id == "time_small"


def test_releasing_in_the_open_drops_where_it_was_carried(open_rig: OpenRig) -> None:
    pilot = open_rig()
    rt = pilot.rig.rt
    pilot.aim_at_entity("bob")
    pilot.click()
    pilot.turn(right=60, up=20)  # at the wall, away from any snap zone
    pilot.frames(2)
    carried = pilot.rig.scene.world_position("bob")
    pilot.click()
    assert rt.world.held is None and rt.in_zone("bob") is None
    released = pilot.interactions("release")[-1]["position"]
    assert math.dist(released, carried) < 1e-3


# --- hints and questions ---------------------------------------------------------------------


def test_h_shows_a_hint_and_the_highlight_shows_in_the_pixels(open_rig: OpenRig) -> None:
    pilot = open_rig()
    app, presenter = pilot.app, pilot.rig.presenter
    pilot.aim_at_entity("bob")
    bob = to_pixel(app, pilot.rig.scene.world_position("bob"))
    stopwatch = to_pixel(app, pilot.rig.scene.world_position("stopwatch"))
    before = pilot.screenshot()
    assert presenter.hud.hint.value == ""

    pilot.press("h")

    after = pilot.screenshot()
    assert presenter.hud.hint.value.startswith("Hint 1")
    assert presenter.state.highlighted == {"bob", "pendulum"}
    assert pilot.interactions("request_hint")
    assert changed_pixels(region(before, bob, 6), region(after, bob, 6)) >= 40
    assert changed_pixels(region(before, stopwatch, 6), region(after, stopwatch, 6)) == 0
    # a second H within 2 s is help abuse: adaptivity holds the next rung for 3 s, then shows it
    pilot.press("h")
    assert presenter.hud.hint.value.startswith("Hint 1")
    pilot.frames(100)  # 100 frames of 1/30 s
    assert presenter.hud.hint.value.startswith("Hint 2")


def test_number_keys_answer_a_choice_question(open_rig: OpenRig, quiz_lesson: LoadedLesson) -> None:
    pilot = open_rig(quiz_lesson)
    rt, hud = pilot.rig.rt, pilot.rig.presenter.hud
    assert "1) Jupiter" in hud.question.value
    pilot.press("3")  # there are only two options
    assert not pilot.interactions("answer")

    pilot.press("2")
    assert hud.feedback.value == "Mars is smaller than the Earth."
    assert rt.step is not None and rt.step.id == "choose"
    pilot.press("1")
    assert [a["response"] for a in pilot.interactions("answer")] == ["mars", "jupiter"]
    assert rt.step is not None and rt.step.id == "number"
    assert pilot.verbs().count("answered") == 2


def test_digits_and_enter_answer_a_numeric_question(
    open_rig: OpenRig, quiz_lesson: LoadedLesson
) -> None:
    pilot = open_rig(quiz_lesson)
    rig, rt = pilot.rig, pilot.rig.rt
    pilot.press("1")
    assert rt.step is not None and rt.step.id == "number"

    pilot.type("9.7")
    assert rig.typed == "9.7"
    assert "9.7" in rig.presenter.hud.status.value
    pilot.press("BackSpace")
    pilot.type("8")
    assert rig.typed == "9.8"
    assert not pilot.interactions("answer")[1:]
    pilot.press("Return")

    assert pilot.interactions("answer")[-1]["response"] == 9.8
    assert rig.typed == ""
    assert rt.completed
    assert "Both answered." in rig.presenter.hud.centre.value


def test_a_dwell_is_logged_when_the_gaze_leaves_and_glances_are_not(open_rig: OpenRig) -> None:
    pilot = open_rig()
    pilot.aim_at_entity("stopwatch")
    pilot.frames(1)  # a glance: 0.1 s
    pilot.aim_at_entity("bob")
    pilot.seconds(0.5)
    assert not pilot.interactions("dwell")  # still looking
    pilot.aim_at_entity("pendulum")
    dwells = pilot.interactions("dwell")
    assert [d["entity"] for d in dwells] == ["bob"]
    assert 500 <= dwells[0]["dwell_ms"] <= 700
    assert "interacted" in pilot.verbs()


# --- the pause menu and settings ---------------------------------------------------------------


def test_escape_pauses_lesson_time_and_frees_the_mouse(open_rig: OpenRig) -> None:
    pilot = open_rig()
    rig, rt = pilot.rig, pilot.rig.rt
    pilot.seconds(0.5)
    pilot.press("Escape")
    assert rig.menu is not None and rt.paused
    props = pilot.app.win.get_properties()
    assert not props.get_cursor_hidden()
    assert props.get_mouse_mode() == WindowProperties.M_absolute
    t, position, heading = rt.t, list(rig.position), rig.heading

    pilot.hold("w", 0.5)
    pilot.nudge(80, 0)
    pilot.press("h")
    assert rt.t == t and rig.position == position and rig.heading == heading
    assert not pilot.interactions("request_hint")

    pilot.press("Escape")
    assert rig.menu is None and not rt.paused
    pilot.seconds(0.5)
    assert rt.t > t
    kinds = [d["kind"] for d in pilot.interactions() if d["kind"] in ("pause", "resume")]
    assert kinds == ["pause", "resume"]
    assert pilot.app.win.get_properties().get_cursor_hidden()


def _paper_pixels(image: np.ndarray) -> int:
    """Pixels of the instruction card's paper colour in the window's top-left quarter."""
    height, width = image.shape[:2]
    top = image[: height // 2, : width // 2, :3].astype(int)
    return int((np.abs(top - (247, 245, 236)).max(axis=-1) <= 10).sum())


def test_the_pause_menu_changes_settings_that_are_saved_and_loaded_next_time(
    open_rig: OpenRig,
) -> None:
    pilot = open_rig()
    rig = pilot.rig
    hud = rig.presenter.hud
    (lo, hi) = hud.instruction.text.get_tight_bounds(pilot.app.aspect2d)
    small_area = (hi.x - lo.x) * (hi.z - lo.z)
    small_pixels = _paper_pixels(pilot.screenshot())
    assert small_pixels > 500

    pilot.press("Escape")
    menu = rig.menu
    assert menu is not None
    pilot.click_widget(menu.invert)
    assert rig.settings.invert_y
    right_end = pilot.render2d_pixel(
        pilot.app.base.render2d.get_relative_point(menu.text_size, Point3(1.1, 0, 0))
    )
    pilot.drag(pilot.widget_pixel(menu.text_size.thumb), right_end)
    assert rig.settings.text_scale == 2.0
    left_end = pilot.render2d_pixel(
        pilot.app.base.render2d.get_relative_point(menu.sensitivity, Point3(-1.1, 0, 0))
    )
    pilot.drag(pilot.widget_pixel(menu.sensitivity.thumb), left_end)
    assert math.isclose(rig.settings.mouse_sensitivity, 0.02)
    pilot.click_widget(menu.resume_button)
    assert rig.menu is None and not rig.rt.paused

    # the overlay was rebuilt at twice the size
    hud = rig.presenter.hud
    (lo, hi) = hud.instruction.text.get_tight_bounds(pilot.app.aspect2d)
    assert (hi.x - lo.x) * (hi.z - lo.z) > 3 * small_area
    assert _paper_pixels(pilot.screenshot()) > 1.8 * small_pixels  # the window clips the rest
    saved = json.loads(DesktopSettings.path("ada").read_text(encoding="utf-8"))
    assert saved == {"mouse_sensitivity": 0.02, "invert_y": True, "text_scale": 2.0}
    pilot.shut()

    again = open_rig(learner="ada")
    assert again.rig.settings == DesktopSettings(0.02, True, 2.0)
    assert again.rig.presenter.hud.text_scale == 2.0
    pitch = again.rig.pitch
    again.nudge(0, -100)  # mouse away from the learner: inverted, so look down
    assert math.isclose(again.rig.pitch, pitch - 100 * 0.02, abs_tol=1e-6)
    other = DesktopSettings.load("someone-else")
    assert other == DesktopSettings()


def test_switching_to_another_window_opens_the_pause_menu(
    open_rig: OpenRig, xinput: XInput
) -> None:
    pilot = open_rig()
    rig = pilot.rig
    xinput.unfocus()
    pilot.until(lambda: rig.menu is not None, "the menu opened on focus loss")
    assert rig.rt.paused
    xinput.focus(_window_id(pilot))
    pilot.frames(3)
    assert rig.menu is not None  # coming back does not resume by itself
    pilot.press("Escape")
    assert rig.menu is None and not rig.rt.paused


# --- ending -------------------------------------------------------------------------------------


def _give_up_after(seconds: float, what: list[str]) -> Task:
    """A guard that stops a blocking run() that does not end by itself."""

    def stop(task: Task) -> int:
        what.append("guard")
        taskMgr.stop()
        return Task.done

    return taskMgr.do_method_later(seconds, stop, "test-give-up")


def test_the_close_box_ends_run_cleanly(open_rig: OpenRig, xinput: XInput) -> None:
    pilot = open_rig()
    rig = pilot.rig
    xid = _window_id(pilot)
    stopped: list[str] = []
    guard = _give_up_after(20.0, stopped)
    taskMgr.do_method_later(0.5, lambda task: xinput.request_close(xid), "test-close-box")
    try:
        rig.run()
    finally:
        taskMgr.remove(guard)
    assert stopped == []
    assert rig.done and rig.exit_reason == "the learner closed the window"
    assert rig.app.win.get_properties().get_open()  # until the rig is closed
    assert DesktopSettings.path("ada").is_file()


def test_a_window_closed_by_the_system_ends_the_loop_without_exiting(
    open_rig: OpenRig, xinput: XInput
) -> None:
    pilot = open_rig()
    rig, win = pilot.rig, pilot.app.win
    # without a close-request event Panda3D closes the window itself and reports it closed
    win.set_close_request_event("")
    xinput.request_close(_window_id(pilot))
    pilot.until(lambda: rig.done, "the rig noticed the window closing")
    assert not win.get_properties().get_open()
    assert rig.exit_reason == "the window was closed"


def test_lesson_run_opens_a_window_and_returns_when_it_is_closed(
    xdisplay: str, quiet_audio: ConfigPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    title = "Peripatos: The pendulum: measuring g"
    finished = threading.Event()
    seen: list[int] = []

    def learner_closes_the_window() -> None:
        with XInput(xdisplay) as x:
            deadline = time.monotonic() + 30
            while not finished.is_set() and time.monotonic() < deadline:
                xid = x.find_window(title)
                if xid is not None:
                    seen.append(xid)
                    time.sleep(0.5)
                    x.request_close(xid)
                time.sleep(0.2)

    closer = threading.Thread(target=learner_closes_the_window, daemon=True)
    stopped: list[str] = []
    guard = _give_up_after(40.0, stopped)
    closer.start()
    try:
        result = play(PlayOptions(lesson="pendulum-lab", store=tmp_path / "s.sqlite", size=SMALL))
    finally:
        finished.set()
        taskMgr.remove(guard)
        closer.join(timeout=10)
    assert seen and stopped == []
    assert not result.completed
    assert result.reason == "the learner closed the window"
    assert result.step == "hang_bob"


# --- the whole lesson -----------------------------------------------------------------------


def _time_ten_swings(pilot: Pilot) -> None:
    """Start the stopwatch, let ten periods pass, stop it (clicks on the stopwatch)."""
    rt = pilot.rig.rt
    pilot.aim_at_entity("stopwatch")
    pilot.click()
    started = rt.t
    ten = 10 * rt.value("pendulum.period")
    pilot.set_fps(10)  # fewer rendered frames while nothing but waiting happens
    pilot.until(lambda: rt.t >= started + ten - 3 / FPS, "ten swings passed", limit=400)
    pilot.set_fps(FPS)
    pilot.click()


def test_the_pendulum_lab_played_through_the_window(open_rig: OpenRig) -> None:
    pilot = open_rig()
    rig, rt = pilot.rig, pilot.rig.rt

    pilot.aim_at_entity("bob")
    pilot.click()
    pilot.aim_at_entity("pendulum")
    pilot.click()
    pilot.aim_at_entity("length_long")
    pilot.click()
    assert rt.step is not None and rt.step.id == "time_small"

    pilot.aim_at_entity("release_small")
    pilot.click()
    _time_ten_swings(pilot)
    assert rt.step is not None and rt.step.id == "compute_g", rt.measurements

    period = rt.measurements["stopwatch"] / 10
    g = 4 * math.pi**2 * rt.value("pendulum.length") / period**2
    pilot.type(f"{g:.2f}")
    pilot.press("Return")
    assert rt.step is not None and rt.step.id == "time_wide"

    pilot.aim_at_entity("stopwatch_reset")
    pilot.click()
    pilot.aim_at_entity("release_wide")
    pilot.click()
    _time_ten_swings(pilot)
    assert rt.step is not None and rt.step.id == "explain"

    pilot.press("1")
    assert rt.completed
    assert rig.presenter.state.completed
    assert rig.presenter.hud.centre.value.startswith("Lab complete")
    verbs = pilot.verbs()
    assert verbs.count("answered") == 2 and "completed" in verbs
    assert rt.tally.errors == 0

    pilot.press("Escape")
    menu = rig.menu
    assert menu is not None
    pilot.click_widget(menu.quit_button)
    assert rig.done and rig.exit_reason == "completed"
