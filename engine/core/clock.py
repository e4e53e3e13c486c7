"""A fixed-timestep clock: lesson logic advances in equal ticks whatever the frame rate.

Rigs call :meth:`FixedClock.advance` with real frame time; the clock says how many ticks to
run. Lesson time is ``tick * dt`` exactly, so a replay that feeds the same interactions at the
same ticks reproduces the session bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

#: 120 Hz: above a headset's 90 Hz, and small enough for the pendulum integrator's substeps
DEFAULT_DT = 1.0 / 120.0
#: a long hitch (loading, a debugger) is not simulated in one go: cap the catch-up
MAX_TICKS_PER_ADVANCE = 30


@dataclass
class FixedClock:
    """Counts fixed ticks; ``t`` is lesson time in seconds."""

    dt: float = DEFAULT_DT
    tick: int = 0
    _accumulator: float = 0.0

    @property
    def t(self) -> float:
        """Lesson time in seconds."""
        return self.tick * self.dt

    def advance(self, elapsed: float) -> int:
        """Add real elapsed seconds; return how many ticks are now due (the caller runs them)."""
        self._accumulator += max(0.0, elapsed)
        due = int(self._accumulator / self.dt + 1e-9)
        self._accumulator -= due * self.dt
        if due > MAX_TICKS_PER_ADVANCE:
            due = MAX_TICKS_PER_ADVANCE
            self._accumulator = 0.0
        return due

    def ticks_until(self, t: float) -> int:
        """Ticks needed to reach lesson time ``t`` (0 if already there)."""
        return max(0, round(t / self.dt) - self.tick)
