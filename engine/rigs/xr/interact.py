"""Hand interactions: the XR counterparts of the desktop rig's click, keys and walking.

Grip grabs what is within reach (or pinch, with hand tracking) and letting go releases it,
onto a snap zone when one is close; the trigger selects along the aim ray: a grabbable is
grabbed from afar, a button pressed, a panel button chosen; touching a button with the
controller's tip presses it (poke). The right thumbstick pushed forward shows a teleport arc
and letting it go moves there; pushed sideways it turns (snap by default, smooth as an option),
with a vignette while the view moves. Everything becomes :mod:`engine.core.events`
interactions through ``session.handle``: the runtime decides, as on the desktop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from panda3d.core import (
    Camera,
    LineSegs,
    NodePath,
    PerspectiveLens,
    Point3,
    Vec3,
)

from engine.core import events as ev
from engine.rigs.comfort import ComfortSettings
from engine.rigs.xr.input import HandState
from engine.rigs.xr.panels import Panel
from engine.scene.builder import BuiltScene
from engine.session import LessonSession

#: a grip closes at this squeeze and opens again below RELEASE (hysteresis)
PRESS, RELEASE = 0.7, 0.3
#: reach of a grip grab, metres from the grip to the entity's origin
GRAB_RADIUS = 0.2
#: a release this close to a snap zone is a placement on it
SNAP_RADIUS = 0.3
#: a button is poked when the controller's tip comes this close, and re-armed beyond POKE_OFF
POKE_ON, POKE_OFF = 0.05, 0.12
#: teleport arc: launch speed (m/s), gravity, time step and the longest flight, seconds
ARC_SPEED, ARC_GRAVITY, ARC_STEP, ARC_TIME = 7.0, 9.81, 0.03, 2.5
STICK_ON, STICK_OFF = 0.6, 0.25
#: how long the vignette stays after a snap turn or a teleport, seconds
VIGNETTE_HOLD = 0.35
RIGHT = 1

KEYPAD = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "0", ".", "-"]


@dataclass
class HandLatch:
    """Edge detection per hand: what was down last frame."""

    grab: bool = False
    select: bool = False
    menu: bool = False
    hint: bool = False
    poke_armed: bool = True
    held_by_select: bool = False


@dataclass
class Locomotion:
    """Teleport and turn state."""

    aiming: bool = False
    target: Point3 | None = None
    turn_latched: bool = False
    vignette_until: float = 0.0
    turning: bool = False
    arc: NodePath | None = None


@dataclass
class Feedback:
    """What happened this frame that the hands should feel."""

    pulses: list[tuple[int, str]] = field(default_factory=list)


class Interactor:
    """Turns both hands' state into lesson interactions, panels and locomotion."""

    def __init__(
        self,
        session: LessonSession,
        scene: BuiltScene,
        render: NodePath,
        origin: NodePath,
        head: NodePath,
        comfort: ComfortSettings,
        *,
        floor_z: float,
        bounds: tuple[float, float, float, float],
        eye_height: float,
    ) -> None:
        """Attach to the session and the scene; make the hand nodes, panels and arc."""
        self.session = session
        self.rt = session.runtime
        self.scene = scene
        self.render = render
        self.origin = origin
        self.head = head
        self.comfort = comfort
        self.floor_z = floor_z
        self.bounds = bounds
        self.eye_height = eye_height
        self.latches = [HandLatch(), HandLatch()]
        self.loco = Locomotion()
        self.feedback = Feedback()
        self.held_by: int | None = None
        #: interactions the runtime accepted, by kind (a count a test or a HUD can read)
        self.counts: dict[str, int] = {}
        self.grips = [origin.attach_new_node(f"xr-grip-{i}") for i in range(2)]
        self.aims = [origin.attach_new_node(f"xr-aim-{i}") for i in range(2)]
        # a lens on each aim node lets the scene's own picker cast the ray (as from a camera)
        self.rays = []
        for i, aim in enumerate(self.aims):
            lens = PerspectiveLens()
            lens.set_near_far(0.01, 50.0)
            node = Camera(f"xr-ray-{i}", lens)
            node.set_active(False)  # it never renders; it only aims
            self.rays.append(aim.attach_new_node(node))
        self.info = Panel(render, "info", width=0.9)
        self.question = Panel(render, "question", width=0.6)
        self.menu = Panel(render, "menu", width=0.6)
        self.asked: str | None = None
        self.typed = ""
        self.menu_open = False
        self.menu_actions: dict[str, object] = {}
        self.quit_requested = False
        self.vignette = self._make_vignette()
        self.rt.subscribe(self._on_event)

    # --- per frame ----------------------------------------------------------------------------

    def update(self, hands: list[HandState], dt: float, info_text: str) -> None:
        """Read both hands: poses onto the hand nodes, then grabs, selects, pokes, movement."""
        for i, hand in enumerate(hands):
            self.grips[i].set_pos_quat(hand.grip_pos, hand.grip_quat)
            self.aims[i].set_pos_quat(hand.aim_pos, hand.aim_quat)
        self.show_panels(info_text)
        for i, hand in enumerate(hands):
            if not hand.tracked:
                continue
            self._buttons(i, hand)
            # the ray still works with the menu open (to use the menu); the lesson is paused,
            # so it reaches no entity then
            self._select(i, hand)
            if self.menu_open:
                continue
            self._grab(i, hand)
            self._poke(i, hand)
        if not self.menu_open:
            self._locomotion(hands[RIGHT], dt)
        self._vignette()

    def carry(self) -> None:
        """Keep the held entity in the hand (after the presenter placed it before the eyes)."""
        held = self.rt.world.held
        if held is not None and self.held_by is not None and held in self.scene.nodes:
            p = self.grips[self.held_by].get_pos(self.render)
            self.scene.set_world_position(held, (p.x, p.y, p.z))

    def _accepting(self) -> bool:
        return self.rt.started and not self.rt.completed and not self.rt.paused

    def _handle(self, interaction: ev.Interaction, hand: int | None = None) -> str | None:
        reason = self.session.handle(interaction)
        if reason is None:
            self.counts[interaction.kind] = self.counts.get(interaction.kind, 0) + 1
        elif hand is not None:
            self.feedback.pulses.append((hand, "wrong"))
        return reason

    # --- grab and release ---------------------------------------------------------------------

    def _grab(self, i: int, hand: HandState) -> None:
        latch = self.latches[i]
        down = hand.grab >= PRESS or hand.pinch or (latch.grab and hand.grab > RELEASE)
        if down and not latch.grab and self._accepting() and self.rt.world.held is None:
            target = self._within_reach(i)
            if target is not None and self._handle(ev.Grab(entity=target), i) is None:
                self.held_by = i
                latch.held_by_select = False
                self.feedback.pulses.append((i, "grab"))
        elif not down and latch.grab and self.held_by == i and not latch.held_by_select:
            self._release(i)
        latch.grab = down

    def _within_reach(self, i: int) -> str | None:
        hand = self.grips[i].get_pos(self.render)
        best, best_d = None, GRAB_RADIUS
        for entity in self.rt.lesson.entities:
            if entity.grabbable is None or entity.id not in self.scene.nodes:
                continue
            if not self.scene.is_visible(entity.id):
                continue
            d = (Point3(*self.scene.world_position(entity.id)) - hand).length()
            if d < best_d:
                best, best_d = entity.id, d
        return best

    def _release(self, i: int) -> None:
        held = self.rt.world.held
        self.held_by = None
        if held is None:
            return
        here = Point3(*self.scene.world_position(held))
        zone, zone_d = None, SNAP_RADIUS
        for entity in self.rt.lesson.entities:
            if entity.snap_zone is None or entity.id == held:
                continue
            d = (Point3(*self.scene.world_position(entity.id)) - here).length()
            if d < zone_d:
                zone, zone_d = entity.id, d
        where = self.scene.world_position(zone) if zone is not None else (here.x, here.y, here.z)
        self._handle(ev.Release(entity=held, position=where), i)

    # --- ray select ---------------------------------------------------------------------------

    def ray(self, i: int) -> tuple[Point3, Vec3]:
        """The aim ray of hand ``i`` in world coordinates."""
        origin = self.aims[i].get_pos(self.render)
        direction = self.render.get_relative_vector(self.aims[i], Vec3(0, 1, 0))
        direction.normalize()
        return origin, direction

    def _panel_hit(self, i: int) -> tuple[Panel | None, str | None, float]:
        origin, direction = self.ray(i)
        best: tuple[Panel | None, str | None, float] = (None, None, float("inf"))
        for panel in (self.menu, self.question):
            button, distance = panel.hit(self.render, origin, direction)
            if button is not None and distance < best[2]:
                best = (panel, button, distance)
        return best

    def _buttons(self, i: int, hand: HandState) -> None:
        """Menu and hint buttons, and the panels' hover light."""
        latch = self.latches[i]
        if hand.menu and not latch.menu:
            self.toggle_menu()
        latch.menu = hand.menu
        if hand.hint and not latch.hint and self._accepting():
            self._handle(ev.RequestHint(), i)
        latch.hint = hand.hint
        if i == RIGHT:
            panel, button, _ = self._panel_hit(i)
            for p in (self.menu, self.question):
                p.set_hover(button if p is panel else None)

    def _select(self, i: int, hand: HandState) -> None:
        latch = self.latches[i]
        down = hand.select >= PRESS or (latch.select and hand.select > RELEASE)
        pressed = down and not latch.select
        latch.select = down
        if not pressed:
            return
        panel, button, distance = self._panel_hit(i)
        target = self.scene.pick(self.rays[i], ignore=self.rt.world.held)
        if target is not None:
            d = (
                Point3(*self.scene.world_position(target)) - self.aims[i].get_pos(self.render)
            ).length()
            if d < distance:
                panel = None
        if panel is not None and button is not None:
            self._choose(panel, button, i)
            return
        if not self._accepting():
            return
        if self.held_by == i and latch.held_by_select:
            self._release(i)
            return
        if target is None:
            return
        entity = self.rt.lesson.entity(target)
        if entity.grabbable is not None and self.rt.world.held is None:
            if self._handle(ev.Grab(entity=target), i) is None:
                self.held_by = i
                latch.held_by_select = True
                self.feedback.pulses.append((i, "grab"))
        elif entity.button is not None:
            self._handle(ev.Press(entity=target), i)

    def _poke(self, i: int, hand: HandState) -> None:
        latch = self.latches[i]
        if not self._accepting():
            return
        tip = self.aims[i].get_pos(self.render)
        nearest = float("inf")
        touched = None
        for entity in self.rt.lesson.entities:
            if entity.button is None or entity.id not in self.scene.nodes:
                continue
            d = (Point3(*self.scene.world_position(entity.id)) - tip).length()
            if d < nearest:
                nearest, touched = d, entity.id
        if latch.poke_armed and touched is not None and nearest < POKE_ON:
            latch.poke_armed = False
            self._handle(ev.Press(entity=touched), i)
        elif nearest > POKE_OFF:
            latch.poke_armed = True

    # --- panels -------------------------------------------------------------------------------

    def show_panels(self, info_text: str) -> None:
        """Show the HUD's text and the question asked now on their world-space panels."""
        if info_text != self.info.text:
            first = self.info.text == ""
            self.info.set_content(info_text)
            if first:
                self.info.place_before(self.head, self.render, height=0.15, yaw=35)
        step = self.rt.step
        asked = step.ask if step is not None and not self.rt.completed else None
        if asked != self.asked:
            self.asked, self.typed = asked, ""
            self._show_question()
            if asked is not None:
                self.question.place_before(self.head, self.render, height=-0.1, yaw=-35)

    def _show_question(self) -> None:
        if self.asked is None:
            self.question.set_content("")
            return
        q = self.rt.lesson.question(self.asked)
        if q.kind == "choice":
            buttons = [(f"choice:{o.id}", o.text) for o in q.options]
            self.question.set_content(q.prompt, buttons, columns=1)
        else:
            keys = [(f"key:{k}", k) for k in KEYPAD] + [("key:del", "Del"), ("key:ok", "OK")]
            shown = self.typed or "_"
            self.question.set_content(f"{q.prompt}\n\nYour answer: {shown}", keys, columns=3)

    def _choose(self, panel: Panel, button: str, hand: int) -> None:
        kind, _, value = button.partition(":")
        if panel is self.menu:
            action = self.menu_actions.get(button)
            if callable(action):
                action()
            return
        if not self._accepting() or self.asked is None:
            return
        if kind == "choice":
            self._handle(ev.Answer(question=self.asked, response=value), hand)
            return
        if value == "ok":
            try:
                number = float(self.typed)
            except ValueError:
                self.feedback.pulses.append((hand, "wrong"))
                return
            self.typed = ""
            self._handle(ev.Answer(question=self.asked, response=number), hand)
        elif value == "del":
            self.typed = self.typed[:-1]
        else:
            self.typed += value
        self._show_question()

    def toggle_menu(self) -> None:
        """Open or close the menu (pausing the lesson while it is open)."""
        self.menu_open = not self.menu_open
        if not self.menu_open:
            self.menu.set_content("")
            if self.rt.paused:
                self.session.handle(ev.Resume())
            return
        if self.rt.started and not self.rt.completed and not self.rt.paused:
            self.session.handle(ev.Pause())
        self.show_menu()
        self.menu.place_before(self.head, self.render, height=-0.05)

    def show_menu(self) -> None:
        """Fill the menu with the comfort settings as they are now."""
        c = self.comfort
        self.menu.set_content(
            "Paused",
            [
                ("menu:resume", "Resume"),
                ("menu:recentre", "Recentre"),
                ("menu:turn", f"Turning: {c.turn_mode}"),
                ("menu:vignette", f"Vignette: {'on' if c.vignette > 0 else 'off'}"),
                ("menu:seated", f"Seated: {'yes' if c.seated else 'no'}"),
                ("menu:quit", "Quit lesson"),
            ],
        )

    # --- locomotion ---------------------------------------------------------------------------

    def _locomotion(self, hand: HandState, dt: float) -> None:
        x, y = hand.move
        loco = self.loco
        if not hand.tracked:
            return
        if y > STICK_ON and not loco.aiming:
            loco.aiming = True
        if loco.aiming:
            loco.target = self._arc(RIGHT)
            if y < STICK_OFF:
                loco.aiming = False
                self._clear_arc()
                if loco.target is not None:
                    self.teleport(loco.target)
                loco.target = None
            return
        loco.turning = False
        if self.comfort.turn_mode == "smooth":
            if abs(x) > STICK_OFF:
                self.turn(-x * self.comfort.smooth_speed * dt)
                loco.turning = True
        elif abs(x) > STICK_ON and not loco.turn_latched:
            loco.turn_latched = True
            self.turn(-math.copysign(self.comfort.snap_angle, x))
            loco.vignette_until = self.rt.t + VIGNETTE_HOLD
        elif abs(x) < STICK_OFF:
            loco.turn_latched = False

    def _arc(self, i: int) -> Point3 | None:
        """Trace the teleport arc from the aim ray; draw it; return where it meets the floor."""
        origin, direction = self.ray(i)
        p, v = Point3(origin), direction * ARC_SPEED
        segs = LineSegs("xr-teleport-arc")
        segs.set_thickness(3)
        segs.move_to(p)
        landing = None
        t = 0.0
        while t < ARC_TIME:
            nxt = p + v * ARC_STEP
            v = Vec3(v.x, v.y, v.z - ARC_GRAVITY * ARC_STEP)
            if nxt.z <= self.floor_z < p.z or nxt.z <= self.floor_z:
                f = (p.z - self.floor_z) / max(p.z - nxt.z, 1e-9)
                landing = p + (nxt - p) * f
                segs.draw_to(landing)
                break
            segs.draw_to(nxt)
            p = nxt
            t += ARC_STEP
        if landing is not None:
            x0, x1, y0, y1 = self.bounds
            inside = x0 <= landing.x <= x1 and y0 <= landing.y <= y1
            segs.set_color(0.3, 0.9, 0.4, 1) if inside else segs.set_color(0.9, 0.3, 0.3, 1)
            if not inside:
                landing = None
        self._clear_arc()
        self.loco.arc = self.render.attach_new_node(segs.create())
        self.loco.arc.set_light_off(1)
        self.loco.arc.set_shader_off(1)
        return landing

    def _clear_arc(self) -> None:
        if self.loco.arc is not None:
            self.loco.arc.remove_node()
            self.loco.arc = None

    def teleport(self, feet: Point3) -> None:
        """Move the learner so that their head is above ``feet``; log the move."""
        head = self.head.get_pos(self.render)
        self.origin.set_pos(
            self.render,
            self.origin.get_pos(self.render) + Vec3(feet.x - head.x, feet.y - head.y, 0),
        )
        self.loco.vignette_until = self.rt.t + VIGNETTE_HOLD
        if self.rt.started and not self.rt.completed:
            heading = self.head.get_h(self.render)
            self._handle(ev.Move(position=(feet.x, feet.y, self.floor_z), heading=heading))

    def turn(self, degrees: float) -> None:
        """Turn the learner about their head (not about the tracking origin)."""
        pivot = self.head.get_pos(self.render)
        helper = self.render.attach_new_node("pivot")
        helper.set_pos(pivot)
        self.origin.wrt_reparent_to(helper)
        helper.set_h(degrees)
        self.origin.wrt_reparent_to(self.render)
        helper.remove_node()

    # --- comfort ------------------------------------------------------------------------------

    def _make_vignette(self) -> NodePath:
        """A ring before the eyes, clear in the middle and dark at the edge."""
        from panda3d.core import (
            Geom,
            GeomNode,
            GeomTriangles,
            GeomVertexData,
            GeomVertexFormat,
            GeomVertexWriter,
        )

        data = GeomVertexData("vignette", GeomVertexFormat.get_v3c4(), Geom.UH_static)
        vw, cw = GeomVertexWriter(data, "vertex"), GeomVertexWriter(data, "color")
        n, inner, outer, dist = 32, 0.06, 0.3, 0.1
        for k in range(n):
            a = 2 * math.pi * k / n
            vw.add_data3(inner * math.cos(a), dist, inner * math.sin(a))
            cw.add_data4(0, 0, 0, 0)
            vw.add_data3(outer * math.cos(a), dist, outer * math.sin(a))
            cw.add_data4(0, 0, 0, 1)
        tris = GeomTriangles(Geom.UH_static)
        for k in range(n):
            a, b, c, d = 2 * k, 2 * k + 1, (2 * k + 2) % (2 * n), (2 * k + 3) % (2 * n)
            tris.add_vertices(a, b, c)
            tris.add_vertices(c, b, d)
        geom = Geom(data)
        geom.add_primitive(tris)
        node = GeomNode("xr-vignette")
        node.add_geom(geom)
        np_ = self.head.attach_new_node(node)
        np_.set_transparency(True)
        np_.set_light_off(1)
        np_.set_shader_off(1)
        np_.set_bin("fixed", 50)
        np_.set_depth_test(False)
        np_.set_depth_write(False)
        np_.set_two_sided(True)
        np_.hide()
        return np_

    def _vignette(self) -> None:
        moving = self.loco.turning or self.rt.t < self.loco.vignette_until
        if moving and self.comfort.vignette > 0:
            self.vignette.set_alpha_scale(self.comfort.vignette)
            self.vignette.show()
        else:
            self.vignette.hide()

    # --- haptics from the lesson --------------------------------------------------------------

    def _on_event(self, event: ev.LessonEvent) -> None:
        hand = self.held_by if self.held_by is not None else RIGHT
        if isinstance(event, ev.Interacted) and event.action == "placed":
            self.feedback.pulses.append((hand, "snap"))
        elif isinstance(event, ev.Answered):
            self.feedback.pulses.append((RIGHT, "correct" if event.correct else "wrong"))

    def destroy(self) -> None:
        """Remove panels, hand nodes, arc and vignette."""
        if self._on_event in self.rt.listeners:
            self.rt.listeners.remove(self._on_event)
        for panel in (self.info, self.question, self.menu):
            panel.destroy()
        self._clear_arc()
        self.vignette.remove_node()
        for node in (*self.grips, *self.aims):
            node.remove_node()
