"""Lesson thumbnails: a poster and a still for every step, rendered headless.

The poster is what a learner sees on arrival: the camera at the player's start with the
lesson's pitch, the scene after a few frames, without the overlay (a library tile needs no
instructions). Step stills show each step as it begins, overlay included (its instruction
says what the step is). With a walkthrough script they are taken by walking it, through the
headless rig's pilot, so every still shows the lesson's real state at that moment (the bob on
its hook, the stopwatch reading); a step the script does not reach, or a lesson without a
script, gets a still from the player's start looking at what the step is about.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from engine.core import events as ev
from engine.core.conditions import targets
from engine.core.runtime import Runtime
from engine.core.script import ScriptDriver, ScriptError, load_script
from engine.model.lesson import Condition, Step
from engine.model.loader import load_lesson

#: frames rendered before the first still: simplepbr's buffers and textures settle in these
WARMUP_FRAMES = 3
#: frames the walk renders per second of lesson time between stills; picking needs none, so
#: this only keeps Panda3D's tasks turning over while the script plays
WALK_RENDER_HZ = 0.5
WALKTHROUGH = Path("scripts") / "walkthrough.yaml"

log = logging.getLogger(__name__)

Vec3 = tuple[float, float, float]


class ThumbnailError(Exception):
    """Thumbnails could not be rendered (no offscreen renderer, an unreadable script)."""


def still_name(index: int, step: Step) -> str:
    """The file name of a step's still: ``01-hang_bob.png`` (numbered, so they sort in order)."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", step.id).strip("-") or "step"
    return f"{index + 1:02d}-{safe}.png"


def _condition_entities(cond: Condition) -> list[str]:
    """The entities a completion condition is about, simulated properties' owners included."""
    found = list(targets(cond))
    for child in (cond.all or []) + (cond.any or []):
        found += [e for e in _condition_entities(child) if e not in found]
    if cond.state is not None:
        found.append(cond.state.ref.split(".", 1)[0])
    return found


def step_focus(step: Step, runtime: Runtime) -> list[str]:
    """The entities a still of ``step`` should frame: what completes it, else what its
    highlight hint points at, else its narrator; only entities the world has.
    """
    highlighted = [t for h in step.hints if h.level == "highlight" for t in h.targets]
    narrator = [step.narration] if step.narration else []
    for group in (_condition_entities(step.complete_when), highlighted, narrator):
        present = [e for e in dict.fromkeys(group) if e in runtime.world.entities]
        if present:
            return present
    return []


def _centroid(points: list[Vec3]) -> Vec3:
    n = len(points)
    return (
        sum(p[0] for p in points) / n,
        sum(p[1] for p in points) / n,
        sum(p[2] for p in points) / n,
    )


def thumbnail(
    lesson: str | Path,
    output: Path,
    *,
    size: tuple[int, int] = (1280, 720),
    steps_dir: Path | None = None,
    script: Path | None = None,
    walk: bool = True,
) -> list[Path]:
    """Render a lesson's poster to ``output`` and, with ``steps_dir``, a still per step.

    Args:
        lesson: a lesson id, folder or ``lesson.yaml``.
        output: the poster PNG.
        size: width and height of every image, in pixels.
        steps_dir: write one PNG per step here (``01-<step id>.png``, ...).
        script: the learner script to walk for the step stills (default: the lesson's
            ``scripts/walkthrough.yaml``, if it has one).
        walk: walk a script at all; False frames every step from the player's start.

    Returns:
        The poster's path, then the stills' paths in step order.

    Raises:
        LessonError: the lesson does not validate.
        ThumbnailError: no offscreen renderer, or the script cannot be read.
    """
    from engine.present.presenter import Presenter
    from engine.rigs.headless import HeadlessPilot
    from engine.scene.app import create_app, destroy_app, render_frame, save_png
    from engine.scene.builder import build_scene
    from engine.session import build_runtime

    loaded = load_lesson(lesson)
    model = loaded.lesson
    if script is None and (loaded.folder / WALKTHROUGH).is_file():
        script = loaded.folder / WALKTHROUGH
    actions = None
    if steps_dir is not None and walk and script is not None:
        try:
            actions = load_script(script)
        except (OSError, ScriptError) as exc:
            raise ThumbnailError(str(exc)) from None
    try:
        app = create_app(headless=True, size=size)
    except RuntimeError as exc:
        raise ThumbnailError(f"no offscreen renderer: {exc}") from None
    try:
        # the same runtime a session builds (adaptivity attached), so a walk plays as it would
        rt = build_runtime(model, folder=loaded.folder)
        scene = build_scene(loaded, app, knob_levels=rt.knobs)
        presenter = Presenter(app, scene, rt)
        pilot = HeadlessPilot(app, scene, presenter, render_hz=WALK_RENDER_HZ)
        driver = ScriptDriver(rt, pilot)
        start_eye, start_heading = driver.eye, driver.heading

        def to_start() -> None:
            app.camera.setHpr(start_heading, model.player.pitch, 0)
            pilot.set_position(start_eye, start_heading)

        to_start()
        for _ in range(WARMUP_FRAMES):
            pilot.render()

        stills: dict[int, Path] = {}

        def on_event(event: ev.LessonEvent) -> None:
            # the presenter hears the event first (it subscribed first), so the overlay
            # already shows this step when the still is taken
            if isinstance(event, ev.StepStarted) and steps_dir is not None:
                path = steps_dir / still_name(event.index, model.steps[event.index])
                pilot.screenshot(str(path))
                stills[event.index] = path

        if actions is not None:
            rt.subscribe(on_event)
        rt.start()

        app.aspect2d.hide()
        presenter.update(0.0)
        render_frame(app)
        poster = save_png(app, output)
        app.aspect2d.show()

        if actions is not None:
            try:
                driver.run(actions)
            except ScriptError as exc:
                # no failure for a thumbnail: the steps it did not reach are framed below
                log.warning(
                    "%s stopped early (%s); framing the steps it did not reach", script, exc
                )
        if steps_dir is None:
            return [poster]
        for index, step in enumerate(model.steps):
            if index in stills:
                continue
            # show this step's overlay without running the lesson to it
            presenter.on_event(
                ev.StepStarted(rt.t, step=step.id, index=index, instruction=step.instruction)
            )
            to_start()
            focus = step_focus(step, rt)
            if focus:
                pilot.look_at(_centroid([rt.world.world_position(e) for e in focus]))
            path = steps_dir / still_name(index, step)
            pilot.screenshot(str(path))
            stills[index] = path
        return [poster] + [stills[i] for i in range(len(model.steps))]
    finally:
        destroy_app(app)
