"""Runtime side of the simulation components: each wraps a model from :mod:`engine.sim`.

A behaviour exposes named numeric ``properties`` (what ``{ref: entity.property}`` reads),
accepts ``set`` and ``call`` from buttons, ticks only while it has something to simulate
(A-Frame's rule: idle components cost nothing per frame), and reports a text read-out for
instruments. Pure Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from engine.model.components import ACTIONS, PROPERTIES
from engine.model.custom import ComponentType
from engine.model.lesson import Entity
from engine.model.units import parse_quantity
from engine.sim.chemistry import Solution, indicator_rgba, ph, transfer
from engine.sim.instruments import Balance, PhMeter, Ruler, Stopwatch
from engine.sim.pendulum import PendulumSim

if TYPE_CHECKING:
    from engine.core.runtime import Runtime


#: "as many ticks as you like": what :meth:`Behaviour.quiet_ticks` says when nothing will happen
FOREVER = 2**62


class BehaviourError(ValueError):
    """A button asked a behaviour for something it cannot do."""


class Behaviour:
    """Base: no properties, no actions, never ticks."""

    #: the component this behaviour implements (its properties and actions are declared in
    #: :data:`engine.model.components.PROPERTIES` and ``ACTIONS``)
    component: ClassVar[str] = ""
    entity: str
    unit: str = ""
    #: measurements are events (a stopwatch stopping), not a continuous reading
    discrete: bool = False

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        self.entity = entity.id
        self.runtime = runtime

    @property
    def ticking(self) -> bool:
        """Whether :meth:`tick` has work to do now."""
        return False

    def tick(self, dt: float) -> None:
        """Advance the simulation by ``dt`` seconds."""

    def quiet_ticks(self, dt: float) -> int:
        """How many of the next ticks are *quiet* if nobody interacts in between.

        A quiet tick emits no event, records no measurement, changes no measurement and
        changes no readable property except those in :meth:`volatile`. Tools that run a
        lesson's logic without rendering (``lesson simulate``) jump over quiet ticks with
        :meth:`advance` instead of ticking each one. 0 (the default) means "cannot say":
        every tick is run.
        """
        return 0

    def volatile(self) -> frozenset[str]:
        """Readable properties that quiet ticks still change (a swinging pendulum's angle)."""
        return frozenset()

    def advance(self, ticks: int, dt: float) -> None:
        """The state after ``ticks`` quiet ticks, in one go (``ticks`` <= :meth:`quiet_ticks`).

        The default ticks them one by one; behaviours override it with something cheaper.
        """
        for _ in range(ticks):
            self.tick(dt)

    def properties(self) -> dict[str, float]:
        """Readable properties by name."""
        return {}

    def property(self, name: str) -> float | None:
        """One readable property, or None if this behaviour has no such property.

        Conditions read one property every tick; a behaviour whose :meth:`properties` is
        costly to build (a solution's concentrations) answers the common ones directly.
        """
        return self.properties().get(name)

    def set(self, prop: str, value: Any) -> None:
        """Set a property from a button action."""
        raise BehaviourError(f"'{self.entity}' has no settable property '{prop}'")

    def call(self, action: str) -> None:
        """Run a named action from a button."""
        raise BehaviourError(f"'{self.entity}' has no action '{action}'")

    def readout(self) -> str | None:
        """Text an instrument shows, or None."""
        return None

    def remove(self) -> None:
        """The lesson is over (or the entity leaves): release what the behaviour holds."""

    def declares(self, name: str, *, settable: bool = False, action: bool = False) -> bool:
        """Whether this behaviour's contract has property (or action) ``name``."""
        if action:
            return name in ACTIONS.get(self.component, ())
        prop = PROPERTIES.get(self.component, {}).get(name)
        return prop is not None and (prop.settable or not settable)

    def measurement(self) -> float | None:
        """The value a ``measured`` condition compares, or None."""
        return None


class PendulumBehaviour(Behaviour):
    """A pendulum swinging its bob while the bob hangs in the pivot's snap zone (if it has one)."""

    component = "pendulum"

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.pendulum
        assert spec is not None
        self.spec = spec
        self.needs_hook = entity.snap_zone is not None
        self.sim = PendulumSim(spec.length, spec.g, spec.amplitude, spec.damping)

    @property
    def attached(self) -> bool:
        """The bob hangs from this pendulum."""
        return (
            not self.needs_hook or self.runtime.world.entities[self.spec.bob].in_zone == self.entity
        )

    @property
    def ticking(self) -> bool:
        return self.attached and not self.sim.held

    def tick(self, dt: float) -> None:
        self.sim.step(dt)
        self.place_bob()

    #: what a swing changes from tick to tick; the period too when damping shrinks the swing
    _SWINGING = frozenset({"angle", "omega", "t_since_release", "measured_period"})
    _DAMPED = _SWINGING | {"current_amplitude", "period"}

    def quiet_ticks(self, dt: float) -> int:
        # a swing emits nothing and reaches no threshold by itself: only its state moves
        return FOREVER

    def volatile(self) -> frozenset[str]:
        return self._DAMPED if self.sim.damping > 0.0 else self._SWINGING

    def advance(self, ticks: int, dt: float) -> None:
        self.sim.advance(ticks, dt)
        self.place_bob()

    def place_bob(self) -> None:
        """Put the bob where the swing says (when it hangs here)."""
        if not self.attached:
            return
        pivot = self.runtime.world.world_position(self.entity)
        off = self.sim.bob_offset(self.spec.plane_heading)
        self.runtime.world.set_world_position(
            self.spec.bob, (pivot[0] + off[0], pivot[1] + off[1], pivot[2] + off[2])
        )

    def properties(self) -> dict[str, float]:
        return dict(self.sim.properties())

    def set(self, prop: str, value: Any) -> None:
        if prop not in ("length", "amplitude", "g", "damping"):
            super().set(prop, value)
        dimension = PROPERTIES["pendulum"][prop].dimension
        number = parse_quantity(value, dimension) if dimension else float(value)
        if prop == "length":
            self.sim.hold()
            self.sim.set_length(number)
        elif prop == "amplitude":
            self.sim.hold()
            self.sim.set_amplitude(number)
        elif prop == "damping":
            self.sim.set_damping(number)
        else:
            self.sim.set_g(number)
        self.place_bob()

    def call(self, action: str) -> None:
        if action == "release":
            self.sim.release()
        elif action == "hold":
            self.sim.hold()
        else:
            super().call(action)
        self.place_bob()


class ContainerBehaviour(Behaviour):
    """A vessel with a solution; its pH is computed from acid-base equilibria."""

    component = "container"

    unit = "pH"

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.container
        assert spec is not None
        self.capacity = spec.capacity
        self.indicator = spec.liquid.indicator
        self.solution = Solution.from_concentrations(
            spec.liquid.volume, dict(spec.liquid.solutes), self.indicator
        )
        self._ph_cache: float | None = None

    def changed(self) -> None:
        """The solution changed: forget the cached pH and tell the presentation."""
        self._ph_cache = None
        self.runtime.mark_liquid(self.entity)

    @property
    def ph(self) -> float:
        """The solution's pH (cached until it changes: solving equilibria is not free)."""
        if self._ph_cache is None:
            self._ph_cache = ph(self.solution)
        return self._ph_cache

    @property
    def fill(self) -> float:
        """Fraction of the capacity filled."""
        return min(1.0, self.solution.volume / self.capacity) if self.capacity > 0 else 0.0

    def rgba(self) -> tuple[float, float, float, float]:
        """Liquid colour, from the indicator at the current pH."""
        return indicator_rgba(self.indicator, self.ph)

    def properties(self) -> dict[str, float]:
        props = {"volume": self.solution.volume, "ph": self.ph}
        props.update({k.lower(): v for k, v in self.solution.concentrations().items()})
        return props

    def property(self, name: str) -> float | None:
        # pH and volume are what conditions read while a burette runs: skip the solutes
        if name == "ph":
            return self.ph
        if name == "volume":
            return self.solution.volume
        return super().property(name)


class BuretteBehaviour(Behaviour):
    """Dispenses its own container's liquid into another container while the tap is open."""

    component = "burette"

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.burette
        assert spec is not None
        self.spec = spec
        self.open = False
        self.dispensed = 0.0

    @property
    def ticking(self) -> bool:
        return self.open

    def _transfer(self, volume: float) -> None:
        source = self.runtime.container(self.entity)
        target = self.runtime.container(self.spec.into)
        volume = min(volume, source.solution.volume)
        if volume <= 0:
            self.open = False
            return
        transfer(source.solution, target.solution, volume)
        self.dispensed += volume
        source.changed()
        target.changed()
        # the read-out shows the volume dispensed, so it changes with every transfer
        self.runtime.mark_label(self.entity)

    def tick(self, dt: float) -> None:
        self._transfer(self.spec.flow * dt)

    def properties(self) -> dict[str, float]:
        return {"dispensed": self.dispensed, "open": float(self.open)}

    def call(self, action: str) -> None:
        if action == "open":
            self.open = True
        elif action == "close":
            self.open = False
        elif action == "toggle":
            self.open = not self.open
        elif action == "drop":
            self._transfer(self.spec.drop)
        else:
            super().call(action)

    def readout(self) -> str:
        return f"{self.dispensed * 1000:.2f} mL"


class StopwatchBehaviour(Behaviour):
    """A stopwatch; stopping it is a measurement of elapsed time."""

    component = "stopwatch"

    unit = "s"
    discrete = True

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.stopwatch
        assert spec is not None
        self.watch = Stopwatch(decimals=spec.decimals)

    @property
    def ticking(self) -> bool:
        return self.watch.running

    def tick(self, dt: float) -> None:
        self.watch.step(dt)
        self.runtime.mark_label(self.entity)

    def quiet_ticks(self, dt: float) -> int:
        # a running stopwatch only counts: its measurement is taken when it stops
        return FOREVER

    def volatile(self) -> frozenset[str]:
        return frozenset({"elapsed"})

    def advance(self, ticks: int, dt: float) -> None:
        self.watch.advance(ticks, dt)
        self.runtime.mark_label(self.entity)

    def properties(self) -> dict[str, float]:
        return {"elapsed": self.watch.reading}

    def call(self, action: str) -> None:
        was_running = self.watch.running
        actions: dict[str, Callable[[], None]] = {
            "start": self.watch.start,
            "stop": self.watch.stop,
            "toggle": self.watch.toggle,
            "reset": self.watch.reset,
        }
        if action not in actions:
            super().call(action)
        actions[action]()
        self.runtime.mark_label(self.entity)
        if was_running and not self.watch.running:
            self.runtime.record_measurement(self.entity, "elapsed", self.watch.reading, "s")

    def readout(self) -> str:
        return f"{self.watch.reading:.{self.watch.decimals}f} s"

    def measurement(self) -> float | None:
        if self.watch.running or self.watch.reading <= 0:
            return None
        return self.watch.reading


class PhMeterBehaviour(Behaviour):
    """A pH meter whose probe sits in a container; the reading settles like a real electrode."""

    component = "ph_meter"

    unit = "pH"

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.ph_meter
        assert spec is not None
        self.probe_in = spec.probe_in
        self.meter = PhMeter(decimals=spec.decimals)
        self._settled = False

    def _true_ph(self) -> float | None:
        rt = self.runtime
        target = self.probe_in or rt.world.entities[self.entity].in_zone
        container = rt.containers.get(target) if target is not None else None
        return container.ph if container is not None else None

    @property
    def ticking(self) -> bool:
        return self._true_ph() is not None

    def tick(self, dt: float) -> None:
        true = self._true_ph()
        if true is None:
            return
        before = self.meter.reading
        self.meter.step(dt, true)
        if self.meter.reading != before:
            self.runtime.mark_label(self.entity)
        # one measurement per settling, once the display shows what it will keep showing:
        # the reading a learner would note down
        settled = self._steady(true)
        if settled and not self._settled:
            self.runtime.record_measurement(self.entity, "ph", self.meter.reading, "pH")
        self._settled = settled

    def quiet_ticks(self, dt: float) -> int:
        true = self._true_ph()
        if true is None:
            return 0
        if self._steady(true):
            # settled and measured: the display keeps what it shows until the liquid changes
            return FOREVER if self._settled else 0
        # settling: every tick before the one that settles it (and records the measurement)
        settles = self.meter.steps_to_steady(dt, true)
        return FOREVER if settles is None else settles - 1

    def volatile(self) -> frozenset[str]:
        return frozenset() if self._steady() else frozenset({"ph"})

    def advance(self, ticks: int, dt: float) -> None:
        true = self._true_ph()
        if true is None or ticks <= 0:
            return
        before = self.meter.reading
        self.meter.advance(ticks, dt, true)
        if self.meter.reading != before:
            self.runtime.mark_label(self.entity)

    def properties(self) -> dict[str, float]:
        return {"ph": self.meter.reading}

    def readout(self) -> str:
        if math.isnan(self.meter.reading):
            return "pH --"
        return f"pH {self.meter.reading:.{self.meter.decimals}f}"

    def measurement(self) -> float | None:
        return self.meter.reading if self._steady() else None

    def _steady(self, true: float | None = None) -> bool:
        """The probe is in a liquid and the display shows what it will keep showing.

        ``true``: the pH around the probe, if the caller has just looked it up.
        """
        if true is None:
            true = self._true_ph()
        return (
            true is not None and self.meter.settled and self.meter.reading == self.meter.read(true)
        )


class RulerBehaviour(Behaviour):
    """A tape or ruler reading a length property of another entity."""

    component = "ruler"

    unit = "m"

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.ruler
        assert spec is not None
        self.measures = spec.measures
        self.ruler = Ruler(resolution=spec.resolution)

    def reading(self) -> float:
        """The rounded reading of the measured property."""
        return self.ruler.read(self.runtime.value(self.measures))

    def properties(self) -> dict[str, float]:
        return {"reading": self.reading()}

    def readout(self) -> str:
        return f"{self.reading() * 100:.1f} cm"

    def measurement(self) -> float | None:
        return self.reading()


class BalanceBehaviour(Behaviour):
    """A balance reading the mass of the entity in its snap zone."""

    component = "scale_meter"

    unit = "kg"

    def __init__(self, entity: Entity, runtime: Runtime) -> None:
        super().__init__(entity, runtime)
        spec = entity.scale_meter
        assert spec is not None
        self.balance = Balance(resolution=spec.resolution)

    def mass(self) -> float:
        """The rounded mass on the pan."""
        occupant = self.runtime.world.occupant(self.entity)
        raw = self.runtime.mass_of(occupant) if occupant else 0.0
        return self.balance.read(raw)

    def properties(self) -> dict[str, float]:
        return {"mass": self.mass()}

    def readout(self) -> str:
        return f"{self.mass() * 1000:.1f} g"

    def measurement(self) -> float | None:
        return self.mass()


#: component name -> behaviour class; order matters: containers exist before burettes use them
BEHAVIOURS: dict[str, type[Behaviour]] = {
    "container": ContainerBehaviour,
    "pendulum": PendulumBehaviour,
    "burette": BuretteBehaviour,
    "stopwatch": StopwatchBehaviour,
    "ph_meter": PhMeterBehaviour,
    "ruler": RulerBehaviour,
    "scale_meter": BalanceBehaviour,
}


class PluginBehaviour(Behaviour):
    """A custom component from a plugin (see :mod:`engine.model.custom`), driven A-Frame style:
    the plugin object is built with its props (init), told when they change (``update(old)``),
    ticked while ``ticking``, and removed at the end."""

    def __init__(self, entity: Entity, runtime: Runtime, spec: ComponentType) -> None:
        super().__init__(entity, runtime)
        self.spec = spec
        self.props = spec.schema.model_validate(entity.custom.get(spec.name) or {})
        self.impl = spec.behaviour(entity.id, self.props, runtime)

    @property
    def ticking(self) -> bool:
        if not hasattr(self.impl, "tick"):
            return False
        return bool(getattr(self.impl, "ticking", True))

    def tick(self, dt: float) -> None:
        self.impl.tick(dt)

    def quiet_ticks(self, dt: float) -> int:
        # optional: a plugin that can say so lets lesson simulate jump over its ticks
        quiet = getattr(self.impl, "quiet_ticks", None)
        return int(quiet(dt)) if quiet is not None else 0

    def volatile(self) -> frozenset[str]:
        names = getattr(self.impl, "volatile", None)
        return frozenset(names()) if names is not None else frozenset()

    def advance(self, ticks: int, dt: float) -> None:
        jump = getattr(self.impl, "advance", None)
        if jump is None:
            super().advance(ticks, dt)
        else:
            jump(ticks, dt)

    def properties(self) -> dict[str, float]:
        getter = getattr(self.impl, "properties", None)
        return dict(getter()) if getter is not None else {}

    def set(self, prop: str, value: Any) -> None:
        old = self.props
        try:
            self.props = self.spec.schema.model_validate({**old.model_dump(), prop: value})
        except ValueError as exc:
            raise BehaviourError(f"'{self.entity}': {self.spec.name}.{prop}: {exc}") from None
        update = getattr(self.impl, "update", None)
        if update is not None:
            self.impl.props = self.props
            update(old)

    def call(self, action: str) -> None:
        handler = getattr(self.impl, "call", None)
        if handler is None or action not in self.spec.actions:
            super().call(action)
        else:
            handler(action)

    def remove(self) -> None:
        remover = getattr(self.impl, "remove", None)
        if remover is not None:
            remover()

    def declares(self, name: str, *, settable: bool = False, action: bool = False) -> bool:
        if action:
            return name in self.spec.actions
        prop = self.spec.properties.get(name)
        if prop is not None:
            return prop.settable or not settable
        # a prop of the schema can be set by a button even if not declared readable
        return settable and name in self.spec.schema.model_fields
