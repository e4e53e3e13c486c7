"""Pure-Python simulations behind lesson components: no Panda3D, no numpy at import.

- :mod:`engine.sim.pendulum`: a simple pendulum integrated with RK4 (:class:`PendulumSim`).
- :mod:`engine.sim.chemistry`: aqueous acid-base chemistry (:class:`Solution`, :func:`ph`,
  titrations, indicator colours).
- :mod:`engine.sim.instruments`: what a learner reads (:class:`Stopwatch`, :class:`Ruler`,
  :class:`Balance`, :class:`PhMeter`).
"""

from engine.sim.chemistry import (
    INDICATORS,
    KW,
    SPECIES,
    Solution,
    Species,
    acid_equivalents,
    equivalence_volume,
    indicator_rgba,
    mix,
    ph,
    species,
    titration_curve,
    transfer,
)
from engine.sim.instruments import Balance, PhMeter, Ruler, Stopwatch, quantize
from engine.sim.pendulum import PendulumSim, agm, exact_period

__all__ = [
    "INDICATORS",
    "KW",
    "SPECIES",
    "Balance",
    "PendulumSim",
    "PhMeter",
    "Ruler",
    "Solution",
    "Species",
    "Stopwatch",
    "acid_equivalents",
    "agm",
    "equivalence_volume",
    "exact_period",
    "indicator_rgba",
    "mix",
    "ph",
    "quantize",
    "species",
    "titration_curve",
    "transfer",
]
