"""Presentation on a real offscreen frame: hints, feedback, captions, the held bob, picking."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.model.loader import load_lesson
from engine.present.hud import CORRECT, WRONG
from engine.present.presenter import Presenter
from engine.rigs.headless import HeadlessPilot
from engine.scene import SceneApp, build_scene
from engine.session import build_runtime
from tests.scene.pixels import changed_pixels, frame, region, to_pixel


@pytest.fixture
def lab(app: SceneApp) -> Iterator[tuple[Runtime, Presenter, HeadlessPilot]]:
    loaded = load_lesson("pendulum-lab")
    rt = Runtime(loaded.lesson)
    scene = build_scene(loaded, app, knob_levels=rt.knobs)
    presenter = Presenter(app, scene, rt)
    pilot = HeadlessPilot(app, scene, presenter)
    rt.start()
    app.camera.set_pos(0, -1.0, 1.5)
    pilot.look_at(rt.world.world_position("bob"))
    yield rt, presenter, pilot
    presenter.destroy()
    scene.destroy()


def test_highlight_hint_lights_up_the_target(app: SceneApp, lab) -> None:  # type: ignore[no-untyped-def]
    rt, presenter, _ = lab
    at_bob = to_pixel(app, rt.world.world_position("bob"))
    before = frame(app)
    rt.handle(ev.RequestHint())
    presenter.update(0.1)
    after = frame(app)
    assert presenter.state.highlighted == {"bob", "pendulum"}
    assert changed_pixels(region(before, at_bob, 12), region(after, at_bob, 12)) > 40
    # the hint box appears in the top right of the overlay
    top_right = (int(app.size[0] * 0.8), int(app.size[1] * 0.06))
    assert changed_pixels(region(before, top_right, 8), region(after, top_right, 8)) > 20
    rt.handle(ev.Grab(entity="bob"))
    rt.handle(ev.Release(entity="bob", position=rt.world.world_position("pendulum")))
    presenter.update(0.1)
    assert presenter.state.highlighted == set()  # the step is done: highlights go


def test_wrong_and_right_answers_show_distinct_banners(app: SceneApp, lab) -> None:  # type: ignore[no-untyped-def]
    rt, presenter, _ = lab
    rt.step_index = 3  # compute_g asks g_value
    banner = (app.size[0] // 2, int(app.size[1] * (1 - 0.45) / 2))
    rt.handle(ev.Answer(question="g_value", response=3.0))
    wrong = region(frame(app), banner, 2).reshape(-1, 3).mean(axis=0)
    rt.handle(ev.Answer(question="g_value", response=9.81))
    right = region(frame(app), banner, 2).reshape(-1, 3).mean(axis=0)
    # orange for wrong, blue for right (colour-blind-safe pair)
    assert wrong[0] > wrong[2] + 60 and right[2] > right[0] + 60
    assert presenter.state.sounds_played[-2:] == ["wrong", "correct"]
    assert WRONG != CORRECT


def test_held_bob_follows_the_camera_and_is_not_picked(app: SceneApp, lab) -> None:  # type: ignore[no-untyped-def]
    rt, presenter, pilot = lab
    frame(app)
    assert pilot.picked() == "bob"
    rt.handle(ev.Grab(entity="bob"))
    app.camera.set_hpr(90, 0, 0)
    presenter.update(0.1)
    bob = presenter.scene.nodes["bob"].get_pos(app.camera)
    assert bob.y == pytest.approx(0.45, abs=0.01)  # carried in front of the eyes
    assert pilot.picked() != "bob"  # the crosshair sees through what the hand holds


def test_stopwatch_readout_is_drawn(app: SceneApp, lab) -> None:  # type: ignore[no-untyped-def]
    rt, presenter, pilot = lab
    pilot.look_at(rt.world.world_position("stopwatch"))
    at_watch = to_pixel(app, rt.world.world_position("stopwatch"))
    before = frame(app)
    rt.handle(ev.Press(entity="stopwatch"))
    rt.run_until(3.0)
    presenter.update(0.1)
    after = frame(app)
    assert rt.readout("stopwatch") == "3.00 s"
    assert changed_pixels(region(before, at_watch, 40), region(after, at_watch, 40)) > 10


def test_narration_captions_follow_the_voice(app: SceneApp) -> None:
    loaded = load_lesson("athenian-agora")
    rt = Runtime(loaded.lesson)
    scene = build_scene(loaded, app, knob_levels=rt.knobs)
    presenter = Presenter(app, scene, rt)
    try:
        rt.start()
        presenter.update(0.1)
        first = presenter.hud.caption.value
        assert first.startswith("Welcome to the Agora of Athens.")
        rt.run_until(6.0)
        presenter.update(0.1)
        assert presenter.hud.caption.value.startswith("Walk to each building")
        bottom = (app.size[0] // 2, int(app.size[1] * 0.93))
        pixels = region(frame(app), bottom, 3)
        assert np.mean(pixels) < 120  # white text on the dark caption band
    finally:
        presenter.destroy()
        scene.destroy()


def test_an_unasked_hint_shows_in_the_frame(app: SceneApp) -> None:
    loaded = load_lesson("pendulum-lab")
    rt = build_runtime(loaded.lesson, folder=loaded.folder)  # with the tutor attached
    scene = build_scene(loaded, app, knob_levels=rt.knobs)
    presenter = Presenter(app, scene, rt)
    hints: list[ev.HintShown] = []
    rt.subscribe(lambda e: hints.append(e) if isinstance(e, ev.HintShown) else None)
    try:
        rt.start()
        app.camera.set_pos(0, -1.0, 1.5)
        HeadlessPilot(app, scene, presenter).look_at(rt.world.world_position("bob"))
        at_bob = to_pixel(app, rt.world.world_position("bob"))
        rt.run_until(59.0)  # the learner stands idle, looking at nothing in particular
        presenter.update(0.1)
        before = frame(app)
        assert hints == []
        rt.run_until(61.0)
        presenter.update(0.1)
        after = frame(app)
        assert [(h.requested, h.rung) for h in hints] == [(False, "highlight")]
        assert presenter.state.highlighted == {"bob", "pendulum"}
        assert changed_pixels(region(before, at_bob, 12), region(after, at_bob, 12)) > 40
    finally:
        presenter.destroy()
        scene.destroy()


def test_parented_entities_stay_where_the_lesson_puts_them(app: SceneApp) -> None:
    loaded = load_lesson("athenian-agora")
    rt = Runtime(loaded.lesson)
    scene = build_scene(loaded, app, knob_levels=rt.knobs)
    presenter = Presenter(app, scene, rt)  # its first sync copies every pose
    try:
        children = [e.id for e in loaded.lesson.entities if e.parent]
        assert children
        for entity in children:
            assert scene.world_position(entity) == pytest.approx(
                rt.world.world_position(entity), abs=1e-4
            ), entity
    finally:
        presenter.destroy()
        scene.destroy()
