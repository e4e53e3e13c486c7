"""Presentation: shows what the runtime says on the built scene and the overlay.

The presenter listens to lesson events (step started, hint, answer, narration, completion),
and once a frame copies the runtime's dirty state (moved entities, instrument read-outs,
liquids, knob-gated entities) onto the Panda3D scene. It never decides anything about the
lesson: that is the runtime's job; this is only how it looks and sounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from panda3d.core import (
    AudioSound,
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    NodePath,
    Point3,
)

from engine.core import events as ev
from engine.core.behaviours import PendulumBehaviour
from engine.core.runtime import Runtime
from engine.paths import ASSETS_DIR
from engine.present.hud import Hud
from engine.scene.app import SceneApp
from engine.scene.builder import BuiltScene

#: seconds a feedback banner stays up
FEEDBACK_SECONDS = 4.0
#: how far in front of the eyes a held entity is carried, metres
HOLD_DISTANCE = 0.45
SOUNDS = ("correct", "wrong", "hint", "complete", "snap")
#: a "look here" target counts as looked at once it is this close to the centre of view, degrees
FOCUS_SEEN_DEGREES = 12.0
#: how far from the centre of the screen the "look here" arrow sits (aspect2d units)
FOCUS_ARROW_RADIUS = 0.55
#: where a headset shows it instead, in the head's frame: metres ahead, and off-centre
FOCUS_ARROW_AHEAD = 1.0
FOCUS_ARROW_OFFSET = 0.3
#: the arrow's colour: a saturated magenta that no lesson surface or overlay box uses, so
#: it reads as "the teacher wants you to look here" (and tests can find it in the pixels)
FOCUS_ARROW_RGBA = (1.0, 0.0, 0.85, 1.0)


@dataclass
class Demo:
    """A demonstration in progress: a ghost moving along a path."""

    ghost: NodePath
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    t: float = 0.0
    duration: float = 2.0


@dataclass
class Captions:
    """Caption lines of the narration playing, each shown for its share of the duration."""

    lines: tuple[str, ...]
    started: float
    duration: float

    def line_at(self, t: float) -> str:
        """The caption to show at lesson time ``t`` ('' when over)."""
        if not self.lines or t >= self.started + self.duration:
            return ""
        words = [max(1, len(line.split())) for line in self.lines]
        elapsed = (t - self.started) / self.duration * sum(words)
        for line, w in zip(self.lines, words, strict=True):
            if elapsed < w:
                return line
            elapsed -= w
        return self.lines[-1]


@dataclass
class PresenterState:
    """What the overlay and highlights show now (tests read this, and the pixels)."""

    highlighted: set[str] = field(default_factory=set)
    feedback_until: float = 0.0
    captions: Captions | None = None
    completed: bool = False
    sounds_played: list[str] = field(default_factory=list)
    #: the entity the "look here" arrow points at, None when there is no arrow
    focus: str | None = None
    #: every "look here" target the learner then looked at, in order
    focus_seen: list[str] = field(default_factory=list)


class Presenter:
    """Draws one runtime onto one scene."""

    def __init__(
        self, app: SceneApp, scene: BuiltScene, runtime: Runtime, *, text_scale: float = 1.0
    ) -> None:
        """Attach to the runtime's events and build the overlay."""
        self.app = app
        self.scene = scene
        self.rt = runtime
        self.hud = Hud(app.aspect2d, text_scale=text_scale)
        self.state = PresenterState()
        self.demo: Demo | None = None
        self.sounds = self._load_sounds()
        self.pulse = 0.0
        self.pendulums = [
            b for bs in runtime.behaviours.values() for b in bs if isinstance(b, PendulumBehaviour)
        ]
        self.strings_shown: dict[str, bool] = {}
        self.focus_arrow = make_focus_arrow(self.hud.root)
        self.focus_arrow.hide()
        #: which way the learner should turn, radians on the view plane (0 right, pi/2 up);
        #: None when there is no arrow (rigs without an overlay, i.e. headsets, draw their own)
        self.focus_angle: float | None = None
        runtime.subscribe(self.on_event)
        self.sync(force=True)

    def _load_sounds(self) -> dict[str, AudioSound | None]:
        sounds: dict[str, AudioSound | None] = {}
        for name in SOUNDS:
            path = ASSETS_DIR / "sounds" / f"{name}.wav"
            sounds[name] = self.app.base.loader.loadSfx(str(path)) if path.is_file() else None
        return sounds

    def play(self, name: str) -> None:
        """Play a feedback sound (a no-op with the null audio of headless runs)."""
        self.state.sounds_played.append(name)
        sound = self.sounds.get(name)
        if sound is not None:
            sound.play()

    # --- events --------------------------------------------------------------------------

    def on_event(self, event: ev.LessonEvent) -> None:
        """React to a lesson event (called by the runtime)."""
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)

    def _on_step_started(self, e: ev.StepStarted) -> None:
        step = self.rt.lesson.steps[e.index]
        title = step.title or f"Step {e.index + 1}"
        self.hud.instruction.show(
            f"{title} ({e.index + 1}/{len(self.rt.lesson.steps)})\n{e.instruction}"
        )
        self.hud.hint.show("")
        self._clear_highlights()
        self._show_question(step.ask)
        self.scene.apply_knobs(self.rt.knobs)

    def _show_question(self, question_id: str | None) -> None:
        if question_id is None:
            self.hud.question.show("")
            return
        q = self.rt.lesson.question(question_id)
        if q.kind == "choice":
            options = "\n".join(f"{i}) {o.text}" for i, o in enumerate(q.options, 1))
            self.hud.question.show(f"{q.prompt}\n\n{options}\n\n(press 1-{len(q.options)})")
        else:
            unit = f" in {q.unit}" if q.unit else ""
            self.hud.question.show(f"{q.prompt}\n\nType your answer{unit}, then Enter:")

    def _on_step_completed(self, e: ev.StepCompleted) -> None:
        self._clear_highlights()
        self.hud.hint.show("")

    def _on_hint_shown(self, e: ev.HintShown) -> None:
        self.play("hint")
        label = {"highlight": "Look at the highlighted objects.", "concept": "", "demonstrate": ""}
        self.hud.hint.show(f"Hint {e.level}: {e.text or label.get(e.rung, '')}".strip())
        self._clear_highlights()
        for target in e.targets:
            if target in self.scene.nodes:
                self.scene.highlight(target, True)
                self.state.highlighted.add(target)
        step = self.rt.step
        if e.rung == "demonstrate" and step is not None:
            hint = step.hints[min(e.level, len(step.hints)) - 1]
            if hint.demonstration is not None:
                self._start_demo(
                    hint.demonstration.move, hint.demonstration.to or hint.demonstration.press
                )

    def _start_demo(self, moving: str | None, goal: str | None) -> None:
        if self.demo is not None:
            self.demo.ghost.removeNode()
            self.demo = None
        source = moving or goal
        if source is None or goal is None or source not in self.scene.nodes:
            return
        ghost = self.scene.nodes[source].copyTo(self.scene.root)
        ghost.setTransparency(True)
        ghost.setAlphaScale(0.45)
        start = self.scene.world_position(source) if moving else self._eye_point()
        end = self.scene.world_position(goal)
        self.demo = Demo(ghost, start, end)

    def _eye_point(self) -> tuple[float, float, float]:
        p = self.app.camera.getPos(self.app.render)
        return (p.x, p.y, p.z - 0.3)

    def _on_answered(self, e: ev.Answered) -> None:
        self.hud.show_feedback(e.feedback, e.correct)
        self.state.feedback_until = self.rt.t + FEEDBACK_SECONDS
        self.play("correct" if e.correct else "wrong")
        if e.correct:
            self.hud.question.show("")

    def _on_interacted(self, e: ev.Interacted) -> None:
        if e.action == "placed":
            self.play("snap")

    def _on_narration_started(self, e: ev.NarrationStarted) -> None:
        self.state.captions = Captions(e.captions, e.t, e.duration)

    def _on_poi_visited(self, e: ev.PoiVisited) -> None:
        self.hud.status.show(f"Visited: {e.title}")

    def _on_knob_changed(self, e: ev.KnobChanged) -> None:
        self.scene.apply_knobs(self.rt.knobs)

    def _on_lesson_paused(self, e: ev.LessonPaused) -> None:
        self.hud.centre.show("Paused")

    def _on_lesson_resumed(self, e: ev.LessonResumed) -> None:
        self.hud.centre.show("")

    def _on_lesson_completed(self, e: ev.LessonCompleted) -> None:
        self.state.completed = True
        self.play("complete")
        done = self.rt.lesson.completion
        minutes, seconds = divmod(int(e.duration), 60)
        self.hud.instruction.show("")
        self.hud.question.show("")
        self.hud.hint.show("")
        self.hud.centre.show(
            f"{done.title}\n\n{done.message}\n\nTime {minutes}:{seconds:02d}   Steps {e.steps}"
            f"   Hints {e.hints_used}   Score {round(e.score * 100)}%"
        )

    def _clear_highlights(self) -> None:
        for target in self.state.highlighted:
            self.scene.highlight(target, False)
        self.state.highlighted.clear()

    # --- per frame -----------------------------------------------------------------------------

    def sync(self, *, force: bool = False) -> None:
        """Copy the runtime's changed state onto the scene."""
        rt = self.rt
        world = rt.world
        moved = set(world.entities) if force else world.dirty
        for entity in moved:
            if entity == world.held or entity not in self.scene.nodes:
                continue
            state = world.entities[entity]
            # the scene graph mirrors the lesson's hierarchy: poses are parent-relative
            self.scene.set_position(entity, state.local_position)
            self.scene.set_hpr(entity, state.rotation)
            self.scene.set_visible(entity, state.visible)
        world.dirty.clear()
        labels = set(rt.behaviours) if force else rt.dirty_labels
        for entity in labels:
            text = rt.readout(entity)
            if text is not None:
                self.scene.set_label(entity, text)
        rt.dirty_labels.clear()
        liquids = set(rt.containers) if force else rt.dirty_liquids
        for entity in liquids:
            container = rt.container(entity)
            self.scene.set_liquid(entity, container.fill, container.rgba())
        rt.dirty_liquids.clear()
        for pendulum in self.pendulums:
            attached = pendulum.attached
            if attached:
                self.scene.set_pendulum(
                    pendulum.entity, pendulum.sim.bob_offset(pendulum.spec.plane_heading)
                )
            if attached != self.strings_shown.get(pendulum.entity):
                self.scene.show_string(pendulum.entity, attached)
                self.strings_shown[pendulum.entity] = attached

    # --- "look here" ------------------------------------------------------------------------------

    def point_at(self, entity: str | None) -> bool:
        """Show an arrow towards ``entity`` until the learner looks at it (None removes it).

        A teacher's "look here" on a classroom station ends up here. Returns False (and
        shows nothing) for an entity the scene does not have.
        """
        if entity is not None and entity not in self.scene.nodes:
            return False
        self.state.focus = entity
        self._update_focus()
        return True

    def _update_focus(self) -> None:
        entity = self.state.focus
        self.focus_angle = None
        if entity is None:
            self.focus_arrow.hide()
            return
        # the target in the camera's frame: +Y ahead, +X right, +Z up
        x, y, z = self.scene.world_position(entity)
        local = self.app.camera.getRelativePoint(self.app.render, Point3(x, y, z))
        off_axis = math.degrees(math.atan2(math.hypot(local.x, local.z), local.y))
        if off_axis <= FOCUS_SEEN_DEGREES:
            self.state.focus = None
            self.state.focus_seen.append(entity)
            self.focus_arrow.hide()
            return
        # straight behind, x and z say nothing: point right, the learner turns either way
        angle = math.atan2(local.z, local.x) if (local.x or local.z) else 0.0
        self.focus_angle = angle
        self.focus_arrow.setPos(
            FOCUS_ARROW_RADIUS * math.cos(angle), 0.0, FOCUS_ARROW_RADIUS * math.sin(angle)
        )
        # aspect2d's roll turns clockwise on screen; the arrow is drawn pointing right
        self.focus_arrow.setR(-math.degrees(angle))
        self.focus_arrow.show()

    def update(self, dt: float) -> None:
        """Per-frame presentation: state sync, held entity, pulses, demos, captions, timers."""
        self.sync()
        self._update_focus()
        held = self.rt.world.held
        if held is not None and held in self.scene.nodes:
            cam = self.app.camera
            point = self.app.render.getRelativePoint(cam, (0, HOLD_DISTANCE, -0.15))
            self.scene.set_world_position(held, (point.x, point.y, point.z))
        self.pulse = (self.pulse + dt) % 1.0
        if self.demo is not None:
            d = self.demo
            d.t += dt
            f = min(1.0, d.t / d.duration)
            smooth = 0.5 - 0.5 * math.cos(math.pi * f)
            d.ghost.setPos(*(a + (b - a) * smooth for a, b in zip(d.start, d.end, strict=True)))
            if d.t > d.duration + 0.8:
                d.ghost.removeNode()
                self.demo = None
        if self.state.feedback_until and self.rt.t >= self.state.feedback_until:
            self.hud.feedback.show("")
            self.state.feedback_until = 0.0
        caption = self.state.captions.line_at(self.rt.t) if self.state.captions else ""
        if self.hud.caption.value != caption:
            self.hud.caption.show(caption)

    def destroy(self) -> None:
        """Remove the overlay (the scene belongs to its builder)."""
        self.focus_arrow.removeNode()
        self.hud.destroy()
        if self.demo is not None:
            self.demo.ghost.removeNode()


def make_focus_arrow(parent: NodePath) -> NodePath:
    """A flat arrow in the parent's X-Z plane pointing along +X, about 0.2 units long.

    The overlay's "look here" arrow; a headset rig puts one in front of the eyes (in metres).
    """
    vdata = GeomVertexData("focus-arrow", GeomVertexFormat.get_v3(), Geom.UH_static)
    writer = GeomVertexWriter(vdata, "vertex")
    # shaft (two triangles) then head (one), in aspect2d's X-Z plane
    points = [(-0.1, -0.025), (0.02, -0.025), (0.02, 0.025), (-0.1, 0.025)]
    points += [(0.02, -0.07), (0.11, 0.0), (0.02, 0.07)]
    for px, pz in points:
        writer.addData3(px, 0.0, pz)
    tris = GeomTriangles(Geom.UH_static)
    for a, b, c in ((0, 1, 2), (0, 2, 3), (4, 5, 6)):
        tris.addVertices(a, b, c)
    geom = Geom(vdata)
    geom.addPrimitive(tris)
    node = GeomNode("focus-arrow")
    node.addGeom(geom)
    arrow = parent.attachNewNode(node)
    arrow.setColor(*FOCUS_ARROW_RGBA)
    arrow.setTwoSided(True)
    return arrow
