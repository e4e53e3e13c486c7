"""``lesson bench``: the numbers that say whether a lesson runs well on school hardware.

For each lesson it prints
- load time: parse + validate, and scene build (median of several runs);
- the pure core's cost per frame at 90 Hz (runtime and adaptivity), for the lesson as written and
  with
  ``entities`` extra interactive entities (grabbables and buttons), while the walkthrough
  script plays;
- headless frame time at 1280x720 of the full engine frame (runtime, presenter, overlay,
  render) next to a bare Panda3D frame of the same geometry (a copy of the built scene graph
  with none of our per-frame code and no overlay), measured in alternating rounds in the same
  process and GL context, and their ratio.
Figures are printed, never asserted: tests don't time things.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from typing import TextIO

from engine.core.script import LogicPilot, ScriptDriver, ScriptError, load_script
from engine.model.lesson import Button, Entity, Geometry, Grabbable, Lesson, Material
from engine.model.loader import LoadedLesson, load_lesson
from engine.session import build_runtime

FRAME_DT = 1.0 / 90.0


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def with_interactive_entities(lesson: Lesson, count: int) -> Lesson:
    """A copy of ``lesson`` with ``count`` extra grabbables and buttons on a grid."""
    extra = []
    for i in range(count):
        x, y = -4.0 + (i % 20) * 0.4, 3.0 + (i // 20) * 0.4
        if i % 2:
            extra.append(
                Entity(
                    id=f"bench_button_{i}",
                    position=(x, y, 0.9),
                    geometry=Geometry(primitive="box", width=0.1, depth=0.1, height=0.05),
                    material=Material(color="#3060a0"),
                    button=Button(label=str(i)),
                )
            )
        else:
            extra.append(
                Entity(
                    id=f"bench_ball_{i}",
                    position=(x, y, 0.9),
                    geometry=Geometry(primitive="sphere", radius=0.05),
                    material=Material(color="#a03030"),
                    grabbable=Grabbable(),
                )
            )
    return lesson.model_copy(update={"entities": [*lesson.entities, *extra]})


def core_frame_costs(loaded: LoadedLesson, lesson: Lesson) -> list[float]:
    """Microseconds of pure-core work per 90 Hz frame while the walkthrough plays.

    A frame's cost is everything between two presented frames: the interactions the
    scripted learner sends, the fixed ticks, behaviours and step conditions.
    """
    script = loaded.folder / "scripts" / "walkthrough.yaml"
    rt = build_runtime(lesson, folder=loaded.folder)
    rt.start()
    pilot = _FrameTimer()
    driver = ScriptDriver(rt, pilot, frame_dt=FRAME_DT)
    # the figures are what matter here; `lesson run` reports script failures
    with contextlib.suppress(ScriptError):
        driver.run(load_script(script))
    return pilot.costs[1:]  # the first "frame" includes reading the script


class _FrameTimer(LogicPilot):
    """A logic-only pilot that times the work done between frames."""

    def __init__(self) -> None:
        super().__init__()
        self.costs: list[float] = []
        self._last = time.perf_counter()

    def frame(self, dt: float) -> None:
        now = time.perf_counter()
        self.costs.append((now - self._last) * 1e6)
        self._last = time.perf_counter()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def render_frame_times(
    loaded: LoadedLesson, frames: int, out: TextIO
) -> tuple[float, float, float]:
    """(engine ms, bare ms, build ms): median frame times at 1280x720, alternating rounds."""
    from engine.present.presenter import Presenter
    from engine.scene.app import create_app, destroy_app, render_frame
    from engine.scene.builder import build_scene

    app = create_app(headless=True, size=(1280, 720))
    try:
        rt = build_runtime(loaded.lesson, folder=loaded.folder)
        start = time.perf_counter()
        scene = build_scene(loaded, app, knob_levels=rt.knobs)
        build_ms = (time.perf_counter() - start) * 1000
        presenter = Presenter(app, scene, rt)
        rt.start()
        player = loaded.lesson.player
        app.camera.setPos(
            player.position[0], player.position[1], player.position[2] + player.eye_height
        )
        app.camera.setHpr(player.heading, -10, 0)
        # the bare scene: the same nodes, none of our per-frame code, no overlay
        bare = scene.root.copyTo(app.render)
        bare.hide()
        for _ in range(10):
            render_frame(app)

        def engine_frame() -> None:
            rt.advance(FRAME_DT)
            presenter.update(FRAME_DT)
            render_frame(app)

        def bare_frame() -> None:
            render_frame(app)

        ours: list[float] = []
        theirs: list[float] = []
        rounds = 4
        per_round = max(1, frames // rounds)
        for _ in range(rounds):
            scene.root.show()
            presenter.hud.root.show()
            bare.hide()
            ours += [_median_ms(engine_frame, 1) for _ in range(per_round)]
            scene.root.hide()
            presenter.hud.root.hide()
            bare.show()
            theirs += [_median_ms(bare_frame, 1) for _ in range(per_round)]
        return statistics.median(ours), statistics.median(theirs), build_ms
    finally:
        destroy_app(app)


def run_bench(lessons: list[str], *, frames: int, entities: int, out: TextIO) -> None:
    """Measure each lesson and print the figures."""
    for name in lessons:
        parse_ms = _median_ms(lambda name=name: load_lesson(name), 5)  # type: ignore[misc]
        loaded = load_lesson(name)
        lesson_id = loaded.lesson.metadata.id
        plain = core_frame_costs(loaded, loaded.lesson)
        many = core_frame_costs(loaded, with_interactive_entities(loaded.lesson, entities))
        engine_ms, bare_ms, build_ms = render_frame_times(loaded, frames, out)
        print(f"== {lesson_id} ==", file=out)
        total = parse_ms + build_ms
        print(
            f"load: parse+validate {parse_ms:.1f} ms, build scene {build_ms:.1f} ms, "
            f"total {total:.1f} ms",
            file=out,
        )
        own = len(loaded.lesson.entities)
        for count, costs in ((own, plain), (own + entities, many)):
            print(
                f"core per 90 Hz frame ({count} entities): mean {statistics.fmean(costs):.1f} us, "
                f"p50 {_pct(costs, 0.5):.1f} us, p99 {_pct(costs, 0.99):.1f} us, "
                f"max {max(costs):.1f} us",
                file=out,
            )
        print(
            f"headless frame 1280x720: engine {engine_ms:.2f} ms, "
            f"bare Panda3D same geometry {bare_ms:.2f} ms, ratio {engine_ms / bare_ms:.3f}",
            file=out,
        )
        out.flush()
