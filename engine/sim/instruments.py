"""Measuring instruments: what the learner reads is rounded to the instrument, not the truth.

Each instrument turns a true value from the simulation into the reading a real one would show:
quantised to its resolution and, for the pH meter, lagging behind while its electrode settles.
"""

from __future__ import annotations

import functools
import math


def quantize(value: float, resolution: float) -> float:
    """Round ``value`` to the nearest multiple of ``resolution`` (halves away from -inf).

    The result is cleaned of binary noise (0.30000000000000004 -> 0.3), so readings print as
    the instrument shows them. ``nan`` stays ``nan``.

    Args:
        value: the true value.
        resolution: the step of the display (> 0).
    """
    if resolution <= 0.0:
        raise ValueError(f"resolution must be > 0, got {resolution}")
    if not math.isfinite(value):
        return value
    # Rounding the quotient first stops 0.0125/0.001 = 12.4999... from rounding down.
    steps = math.floor(round(value / resolution, 9) + 0.5)
    return round(steps * resolution, _digits(resolution))


@functools.lru_cache(maxsize=64)
def _digits(resolution: float) -> int:
    """Decimals that keep a multiple of ``resolution`` exact once rounded (an instrument has
    one resolution, and a reading is taken every tick: worth remembering)."""
    return max(0, -math.floor(math.log10(resolution))) + 3


class Stopwatch:
    """A stopwatch driven by the simulation clock (so it is exact under a fixed time step).

    Args:
        decimals: digits after the point on the display (0-3).
    """

    def __init__(self, decimals: int = 2) -> None:
        if not 0 <= decimals <= 6:
            raise ValueError(f"decimals must be 0-6, got {decimals}")
        self.decimals = decimals
        self._elapsed = 0.0
        self._carry = 0.0  # Kahan compensation: thousands of 1/60 s ticks add up exactly
        self._running = False

    @property
    def running(self) -> bool:
        """True while it counts."""
        return self._running

    @property
    def elapsed(self) -> float:
        """The exact elapsed time in seconds."""
        return self._elapsed

    @property
    def reading(self) -> float:
        """The elapsed time as displayed, rounded to :attr:`decimals`."""
        return quantize(self._elapsed, 10.0**-self.decimals)

    def start(self) -> None:
        """Start (or keep) counting from the current reading."""
        self._running = True

    def stop(self) -> None:
        """Stop counting; the reading stays."""
        self._running = False

    def toggle(self) -> None:
        """Start if stopped, stop if running (the one button of a simple stopwatch)."""
        self._running = not self._running

    def reset(self) -> None:
        """Stop and return to zero."""
        self._running = False
        self._elapsed = 0.0
        self._carry = 0.0

    def step(self, dt: float) -> None:
        """Advance the clock by ``dt`` seconds; counts only while running."""
        self.advance(1, dt)

    def advance(self, steps: int, dt: float) -> None:
        """``steps`` calls of :meth:`step` with ``dt`` in one go (the same sums, bit for bit)."""
        if dt < 0.0:
            raise ValueError(f"dt must be ≥ 0, got {dt}")
        if not self._running:
            return
        elapsed, carry = self._elapsed, self._carry
        for _ in range(steps):
            y = dt - carry
            total = elapsed + y
            carry = (total - elapsed) - y
            elapsed = total
        self._elapsed, self._carry = elapsed, carry

    def properties(self) -> dict[str, float]:
        """reading (s, as displayed), elapsed (s, exact), running (1.0 or 0.0)."""
        return {
            "reading": self.reading,
            "elapsed": self._elapsed,
            "running": 1.0 if self._running else 0.0,
        }


class Ruler:
    """A ruler or tape: reads a length to its resolution.

    Args:
        resolution: the smallest division in metres (default 1 mm).
    """

    def __init__(self, resolution: float = 0.001) -> None:
        if resolution <= 0.0:
            raise ValueError(f"resolution must be > 0, got {resolution}")
        self.resolution = resolution

    @property
    def uncertainty(self) -> float:
        """Half a division: the reading uncertainty a learner should quote."""
        return 0.5 * self.resolution

    def read(self, value: float) -> float:
        """The reading for a true length, in metres."""
        return quantize(value, self.resolution)


class Balance:
    """An electronic balance with a tare button.

    Args:
        resolution: the last digit's step in kilograms (default 0.1 g).
    """

    def __init__(self, resolution: float = 0.0001) -> None:
        if resolution <= 0.0:
            raise ValueError(f"resolution must be > 0, got {resolution}")
        self.resolution = resolution
        self._tare = 0.0

    @property
    def tare_mass(self) -> float:
        """The mass subtracted from every reading, in kilograms."""
        return self._tare

    def tare(self, current_mass: float = 0.0) -> None:
        """Zero the display with ``current_mass`` (e.g. an empty beaker) on the pan."""
        self._tare = current_mass

    def read(self, mass: float) -> float:
        """The reading with ``mass`` kilograms on the pan."""
        return quantize(mass - self._tare, self.resolution)


class PhMeter:
    """A pH meter whose glass electrode settles with a first-order lag.

    Call :meth:`step` every tick with the true pH of what the probe is in; the displayed
    reading approaches it as 1 - e^(-t/τ). :meth:`read` gives an instant (settled) reading.

    Args:
        decimals: digits after the point on the display (0-3).
        time_constant: τ in seconds (0: instant).
        initial_ph: where the electrode starts (meters are stored in a near-neutral buffer).
    """

    def __init__(
        self, decimals: int = 2, time_constant: float = 1.0, initial_ph: float = 7.0
    ) -> None:
        if not 0 <= decimals <= 6:
            raise ValueError(f"decimals must be 0-6, got {decimals}")
        if time_constant < 0.0:
            raise ValueError(f"time_constant must be ≥ 0, got {time_constant}")
        self.decimals = decimals
        self.time_constant = time_constant
        self._value = initial_ph
        self._target = math.nan
        self._resolution = 10.0**-decimals
        # the last pH rounded by read(), and the electrode value last rounded for the display:
        # both are read several times a tick (and alternate, so each has its own memo)
        self._read_of = self._shown_of = math.nan
        self._read = self._shown = math.nan

    def read(self, ph: float) -> float:
        """The display for a true pH once settled, rounded to :attr:`decimals`."""
        if ph == self._read_of:
            return self._read
        shown = quantize(ph, self._resolution)
        self._read_of, self._read = ph, shown
        return shown

    def step(self, dt: float, true_ph: float) -> None:
        """Advance the electrode by ``dt`` seconds in a liquid of pH ``true_ph``.

        Args:
            dt: seconds.
            true_ph: the pH around the probe; nan when the probe is not in a liquid (the
                electrode then holds its last value, as a wet glass bulb does in air).
        """
        if dt < 0.0:
            raise ValueError(f"dt must be ≥ 0, got {dt}")
        self._target = true_ph
        if math.isnan(true_ph):
            return
        if self.time_constant == 0.0:
            self._value = true_ph
            return
        self._value += (true_ph - self._value) * self._gain(dt)

    def _gain(self, dt: float) -> float:
        """The share of the gap to the true pH closed in ``dt``: the exact solution of the
        first-order lag over ``dt``, stable at any frame time."""
        return -math.expm1(-dt / self.time_constant)

    def advance(self, steps: int, dt: float, true_ph: float) -> None:
        """``steps`` calls of :meth:`step` in one liquid, in one go (bit for bit the same).

        The lag converges to a fixed point within a few thousand steps; from there on each
        step changes nothing, so the loop stops early.
        """
        if steps <= 0:
            return
        self.step(dt, true_ph)
        if math.isnan(true_ph) or self.time_constant == 0.0:
            return
        value, gain = self._value, self._gain(dt)
        for _ in range(steps - 1):
            after = value + (true_ph - value) * gain
            if after == value:
                break
            value = after
        self._value = value

    def steps_to_steady(self, dt: float, true_ph: float) -> int | None:
        """How many :meth:`step` calls in this liquid until the display is steady: settled, and
        showing what it will keep showing (``read(true_ph)``); None if it never will (the lag
        reaches its fixed point first, as it can when the true pH sits on a rounding edge).

        Nothing changes: this looks ahead on a copy of the electrode's value.
        """
        if math.isnan(true_ph):
            return None
        if self.time_constant == 0.0:
            return 1
        half, want = 0.5 * 10.0**-self.decimals, self.read(true_ph)
        value, gain = self._value, self._gain(dt)
        k = 0
        while True:
            after = value + (true_ph - value) * gain
            k += 1
            if abs(after - true_ph) < half and self.read(after) == want:
                return k
            if after == value:
                return None
            value = after

    @property
    def value(self) -> float:
        """The electrode's present (unrounded) pH."""
        return self._value

    @property
    def in_liquid(self) -> bool:
        """True when the last :meth:`step` had the probe in a liquid."""
        return not math.isnan(self._target)

    @property
    def reading(self) -> float:
        """What the display shows: the electrode value rounded, nan with the probe out."""
        if not self.in_liquid:
            return math.nan
        value = self._value
        if value != self._shown_of:
            self._shown_of, self._shown = value, quantize(value, self._resolution)
        return self._shown

    @property
    def settled(self) -> bool:
        """True when the electrode is within half a display digit of the true pH."""
        return self.in_liquid and abs(self._value - self._target) < 0.5 * 10.0**-self.decimals

    def properties(self) -> dict[str, float]:
        """reading (pH, nan with the probe out), settled (1.0 or 0.0)."""
        return {"reading": self.reading, "settled": 1.0 if self.settled else 0.0}
