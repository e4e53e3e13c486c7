"""A simple pendulum integrated numerically, so large swings really are slower.

The equation of motion is θ'' = -(g/L)·sin θ - c·θ' (θ from the vertical, c a linear damping
rate in 1/s). It is integrated with classical RK4 at a fixed substep of at most 1 ms, whatever
the frame time, so the motion does not depend on the frame rate and energy drift stays far
below anything a learner could measure. Nothing here uses the small-angle approximation except
:meth:`PendulumSim.small_angle_period`, which exists to be compared with the real thing.
"""

from __future__ import annotations

import math

from engine.sim.elliptic import agm, complete_k, jacobi_sn_cn_dn

#: RK4 substep ceiling; 1 ms keeps the energy error below 1e-10 of the swing energy per period
DEFAULT_MAX_SUBSTEP = 1e-3


def exact_period(length_m: float, g: float, amplitude_deg: float) -> float:
    """The exact period of an undamped pendulum released from rest at ``amplitude_deg``.

    Uses T = 2π√(L/g) / AGM(1, cos(θ0/2)), which is the complete elliptic integral in
    closed form.

    Args:
        length_m: pivot-to-bob length in metres (> 0).
        g: gravitational acceleration in m/s² (> 0).
        amplitude_deg: release angle from the vertical in degrees.

    Returns:
        The period in seconds; ``inf`` at 180° (balanced upside down, it never comes back).
    """
    mean = agm(1.0, abs(math.cos(math.radians(amplitude_deg) / 2.0)))
    if mean == 0.0:
        return math.inf
    return 2.0 * math.pi * math.sqrt(length_m / g) / mean


class PendulumSim:
    """A simple pendulum: a point bob on a massless rod, released from rest.

    The pendulum starts *held*: the bob is at rest at the release angle (the learner holding
    it aside). :meth:`release` lets it go; :meth:`hold` catches it where it is.

    Args:
        length_m: pivot-to-bob length in metres (> 0).
        g: gravitational acceleration in m/s² (> 0).
        amplitude_deg: release angle from the vertical, degrees, |θ0| < 180.
        damping: linear damping rate c in 1/s (≥ 0); the swing envelope decays as e^(-c·t/2).
        max_substep: RK4 substep ceiling in seconds.
    """

    def __init__(
        self,
        length_m: float = 1.0,
        g: float = 9.81,
        amplitude_deg: float = 10.0,
        damping: float = 0.0,
        *,
        max_substep: float = DEFAULT_MAX_SUBSTEP,
    ) -> None:
        _check_positive("length", length_m)
        _check_positive("g", g)
        _check_amplitude(amplitude_deg)
        if damping < 0.0:
            raise ValueError(f"damping must be ≥ 0, got {damping}")
        _check_positive("max_substep", max_substep)
        self._length = float(length_m)
        self._g = float(g)
        self._amplitude_deg = float(amplitude_deg)
        self._damping = float(damping)
        self._max_substep = float(max_substep)
        self._theta = math.radians(self._amplitude_deg)
        self._omega = 0.0
        self._held = True
        self._t = 0.0
        # the swing since the last release follows the closed form (nothing changed g mid-swing)
        self._pristine = False
        self._release_theta = self._theta
        # last zero-crossing time per direction: [downward (+ to -), upward (- to +)]
        self._last_crossing: list[float | None] = [None, None]
        self._measured: float | None = None

    # --- parameters ---------------------------------------------------------------------

    @property
    def length(self) -> float:
        """Pivot-to-bob length in metres."""
        return self._length

    @property
    def g(self) -> float:
        """Gravitational acceleration in m/s²."""
        return self._g

    @property
    def amplitude_deg(self) -> float:
        """The release angle in degrees (where :meth:`release` lets go from)."""
        return self._amplitude_deg

    @property
    def damping(self) -> float:
        """Linear damping rate in 1/s."""
        return self._damping

    def set_length(self, length_m: float) -> None:
        """Change the length; only while held (a rod cannot change length mid-swing here).

        Raises:
            RuntimeError: the pendulum is swinging.
            ValueError: the length is not positive.
        """
        if not self._held:
            raise RuntimeError("hold the pendulum before changing its length")
        _check_positive("length", length_m)
        self._length = float(length_m)
        # A period measured at the old length would be a wrong answer for the new one.
        self._measured = None
        self._last_crossing = [None, None]

    def set_g(self, g: float) -> None:
        """Change gravity; allowed mid-swing (e.g. a lift accelerating)."""
        _check_positive("g", g)
        self._g = float(g)
        self._pristine = self._pristine and self._held

    def set_damping(self, damping: float) -> None:
        """Change the damping rate (1/s, ≥ 0); allowed mid-swing."""
        if damping < 0.0:
            raise ValueError(f"damping must be ≥ 0, got {damping}")
        self._damping = float(damping)
        self._pristine = self._pristine and self._held

    def set_amplitude(self, amplitude_deg: float) -> None:
        """Set the release angle; while held at the old release angle the bob moves with it."""
        _check_amplitude(amplitude_deg)
        if self._held and self._theta == math.radians(self._amplitude_deg):
            self._theta = math.radians(amplitude_deg)
        self._amplitude_deg = float(amplitude_deg)

    # --- actions ------------------------------------------------------------------------

    def release(self, amplitude_deg: float | None = None) -> None:
        """Let go of the bob from rest at the release angle.

        Args:
            amplitude_deg: a new release angle in degrees (kept as :attr:`amplitude_deg`);
                ``None`` uses the current one. Every release starts a fresh experiment, so
                the clock and the measured period restart.
        """
        if amplitude_deg is not None:
            _check_amplitude(amplitude_deg)
            self._amplitude_deg = float(amplitude_deg)
        self._theta = math.radians(self._amplitude_deg)
        self._omega = 0.0
        self._t = 0.0
        self._last_crossing = [None, None]
        self._measured = None
        self._held = False
        self._pristine = True
        self._release_theta = self._theta

    def hold(self, angle_deg: float | None = None) -> None:
        """Catch the bob: it stops at its current angle, or at ``angle_deg`` if given."""
        if angle_deg is not None:
            _check_amplitude(angle_deg)
            self._theta = math.radians(angle_deg)
        self._omega = 0.0
        self._held = True

    def step(self, dt: float) -> None:
        """Advance the simulation by ``dt`` seconds (a no-op while held).

        The interval is split into equal RK4 substeps no longer than ``max_substep``.
        """
        if dt < 0.0:
            raise ValueError(f"dt must be ≥ 0, got {dt}")
        if self._held or dt == 0.0:
            return
        n = self._substeps(dt)
        self._integrate(dt / n, n)

    def _substeps(self, dt: float) -> int:
        """How many equal RK4 substeps a step of ``dt`` takes."""
        return max(1, math.ceil(dt / self._max_substep - 1e-9))

    def advance(self, steps: int, dt: float) -> None:
        """Advance by ``steps`` steps of ``dt`` seconds in one go, as ``step(dt)`` that often would.

        An undamped swing that nothing has disturbed since its release (no change of g or
        damping mid-swing) jumps straight to the exact solution at the new time (Jacobi
        elliptic functions), whatever the number of steps; it agrees with the integrator to
        the integrator's own accuracy (about 1e-9 rad). Any other swing is integrated with
        the very substeps ``step`` would take, bit for bit.
        """
        if steps < 0 or dt < 0.0:
            raise ValueError(f"steps and dt must be ≥ 0, got {steps} and {dt}")
        if self._held or steps == 0 or dt == 0.0:
            return
        if self._damping == 0.0 and self._pristine:
            self._exact_to(self._t + steps * dt)
            return
        n = self._substeps(dt)
        self._integrate(dt / n, n * steps)

    def _exact_to(self, t: float) -> None:
        """Put the swing where the exact undamped solution has it ``t`` s after the release."""
        theta0 = self._release_theta
        self._t = t
        if theta0 == 0.0:
            return  # hanging straight down: nothing moves, nothing crosses
        k = math.sin(0.5 * theta0)
        m = k * k
        w0 = math.sqrt(self._g / self._length)
        quarter = complete_k(m) / w0
        period = 4.0 * quarter
        # sin(θ/2) = k·sn(K + ω0·t | m); reduced to one period first, for precision
        sn, cn, dn = jacobi_sn_cn_dn(w0 * (quarter + math.fmod(t, period)), m)
        half = math.asin(max(-1.0, min(1.0, k * sn)))
        self._theta = 2.0 * half
        self._omega = 2.0 * k * w0 * cn * dn / math.cos(half)
        # zero crossings at (2j - 1)·T/4, j = 1, 2, ...; the first goes from the release side
        crossings = math.floor((t / quarter + 1.0) / 2.0)
        first = 0 if theta0 > 0.0 else 1
        self._last_crossing = [None, None]
        self._measured = None
        for j in range(max(1, crossings - 1), crossings + 1):
            self._last_crossing[first if j % 2 else 1 - first] = (2 * j - 1) * quarter
        if crossings >= 3:
            self._measured = period

    def _integrate(self, h: float, n: int) -> None:
        k = self._g / self._length
        c = self._damping
        sin = math.sin
        th, om, t = self._theta, self._omega, self._t
        sixth = h / 6.0
        half = 0.5 * h
        for _ in range(n):
            a1 = -k * sin(th) - c * om
            om2 = om + half * a1
            a2 = -k * sin(th + half * om) - c * om2
            om3 = om + half * a2
            a3 = -k * sin(th + half * om2) - c * om3
            om4 = om + h * a3
            a4 = -k * sin(th + h * om3) - c * om4
            th_next = th + sixth * (om + 2.0 * om2 + 2.0 * om3 + om4)
            om_next = om + sixth * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
            if (th > 0.0 >= th_next) or (th < 0.0 <= th_next):
                # θ is nearly linear in t at a crossing (θ'' ∝ sin θ ≈ 0 there), so linear
                # interpolation inside a ≤1 ms substep is accurate to well under a microsecond.
                crossing = t + h * th / (th - th_next)
                self._record_crossing(0 if th > 0.0 else 1, crossing)
            th, om = th_next, om_next
            t += h
        self._theta, self._omega, self._t = th, om, t

    def _record_crossing(self, direction: int, t: float) -> None:
        previous = self._last_crossing[direction]
        if previous is not None:
            self._measured = t - previous
        self._last_crossing[direction] = t

    # --- state --------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        """True while the bob is held (not swinging)."""
        return self._held

    @property
    def theta_deg(self) -> float:
        """The current angle from the vertical in degrees."""
        return math.degrees(self._theta)

    @property
    def omega(self) -> float:
        """The current angular velocity in rad/s."""
        return self._omega

    @property
    def t_since_release(self) -> float:
        """Seconds of swinging since the last release (frozen while held)."""
        return self._t

    def energy_per_mass(self) -> float:
        """Mechanical energy per unit bob mass in J/kg, zero hanging at rest."""
        speed = self._length * self._omega
        return 0.5 * speed * speed + self._g * self._length * (1.0 - math.cos(self._theta))

    def current_amplitude_deg(self) -> float:
        """The amplitude of the present swing, from its energy; the release angle while held.

        For an undamped pendulum this equals the release angle; with damping it shrinks.
        """
        if self._held:
            return abs(self._amplitude_deg)
        if self._damping == 0.0 and self._pristine:
            # energy is conserved: the swing keeps its release angle (the integrator's own
            # energy would drift in the last digits from tick to tick)
            return abs(math.degrees(self._release_theta))
        cos_max = 1.0 - self.energy_per_mass() / (self._g * self._length)
        return math.degrees(math.acos(max(-1.0, min(1.0, cos_max))))

    def bob_offset(self, plane_heading_deg: float = 0.0) -> tuple[float, float, float]:
        """Where the bob is relative to the pivot, in metres, in a Z-up frame.

        Args:
            plane_heading_deg: heading of the swing plane about Z. At 0 the bob swings along
                +X (Panda3D's convention: a node with heading h has its +X axis at
                (cos h, sin h, 0)).

        Returns:
            (x, y, z); hanging straight down is (0, 0, -L).
        """
        horizontal = self._length * math.sin(self._theta)
        heading = math.radians(plane_heading_deg)
        return (
            horizontal * math.cos(heading),
            horizontal * math.sin(heading),
            -self._length * math.cos(self._theta),
        )

    # --- periods ------------------------------------------------------------------------

    def small_angle_period(self) -> float:
        """The textbook period 2π√(L/g), exact only in the limit of tiny swings."""
        return 2.0 * math.pi * math.sqrt(self._length / self._g)

    def exact_period(self, amplitude_deg: float | None = None) -> float:
        """The exact undamped period for an amplitude (default: the present swing's).

        Damping's own slight lengthening of the period (a factor 1/√(1 - (c/2ω0)²)) is not
        included; for the damping rates of a lesson it is far below a stopwatch's resolution.
        """
        if amplitude_deg is None:
            amplitude_deg = self.current_amplitude_deg()
        return exact_period(self._length, self._g, amplitude_deg)

    def measured_period(self) -> float | None:
        """The period of the integrated motion, from the last two same-direction zero
        crossings; None until a full period has happened since the release."""
        return self._measured

    def properties(self) -> dict[str, float]:
        """The values lessons refer to as ``<pendulum>.<name>``.

        Returns:
            length (m), g (m/s²), amplitude (release angle, deg), current_amplitude (deg),
            angle (deg), omega (rad/s), damping (1/s), period (exact, for the present
            amplitude, s), small_angle_period (s), measured_period (s, nan until measured),
            t_since_release (s), held (1.0 or 0.0).
        """
        measured = self._measured
        return {
            "length": self._length,
            "g": self._g,
            "amplitude": self._amplitude_deg,
            "current_amplitude": self.current_amplitude_deg(),
            "angle": self.theta_deg,
            "omega": self._omega,
            "damping": self._damping,
            "period": self.exact_period(),
            "small_angle_period": self.small_angle_period(),
            "measured_period": math.nan if measured is None else measured,
            "t_since_release": self._t,
            "held": 1.0 if self._held else 0.0,
        }


def _check_positive(name: str, value: float) -> None:
    if not (value > 0.0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number, got {value}")


def _check_amplitude(amplitude_deg: float) -> None:
    if not (abs(amplitude_deg) < 180.0):
        raise ValueError(f"amplitude must be between -180 and 180 degrees, got {amplitude_deg}")
