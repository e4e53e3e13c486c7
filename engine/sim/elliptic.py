"""Jacobi elliptic functions, for the exact motion of an undamped pendulum.

A pendulum released from rest at θ0 swings as sin(θ/2) = k·sn(K + ω0·t | m), with
k = sin(θ0/2), m = k², ω0 = √(g/L) and K the complete elliptic integral of the first kind.
That closed form lets the simulation jump over many ticks at once (see
:meth:`engine.sim.pendulum.PendulumSim.advance`) instead of integrating every one of them.
"""

from __future__ import annotations

import math

#: where the Landen scale's c_n has vanished against a_n (one ulp)
_EPS = 2.0**-52


def agm(a: float, b: float) -> float:
    """The arithmetic-geometric mean of two non-negative numbers.

    Args:
        a: first number (≥ 0).
        b: second number (≥ 0).

    Returns:
        The common limit of the arithmetic and geometric mean iteration.
    """
    if a < 0.0 or b < 0.0:
        raise ValueError("the AGM is defined for non-negative numbers")
    # Converges quadratically: about five rounds reach double precision for any ratio used here.
    for _ in range(64):
        if abs(a - b) <= 1e-15 * max(a, b):
            break
        a, b = 0.5 * (a + b), math.sqrt(a * b)
    return 0.5 * (a + b)


def complete_k(m: float) -> float:
    """The complete elliptic integral of the first kind, K(m) = π / (2·AGM(1, √(1 - m))).

    Args:
        m: the parameter, 0 ≤ m < 1.
    """
    if not 0.0 <= m < 1.0:
        raise ValueError(f"the parameter m must be in [0, 1), got {m}")
    return math.pi / (2.0 * agm(1.0, math.sqrt(1.0 - m)))


def jacobi_sn_cn_dn(u: float, m: float) -> tuple[float, float, float]:
    """sn, cn and dn of ``u`` for the parameter ``m`` (0 ≤ m < 1).

    Uses the descending Landen transformation (the AGM scale, Abramowitz & Stegun 16.4):
    accurate to a few ulps for the parameters a pendulum needs (m = sin²(θ0/2)).
    """
    if not 0.0 <= m < 1.0:
        raise ValueError(f"the parameter m must be in [0, 1), got {m}")
    if m < 1e-9:
        # first order in m (A&S 16.13): exact enough for swings under a hundredth of a degree
        sin, cos = math.sin(u), math.cos(u)
        correction = 0.25 * m * (u - sin * cos)
        return sin - correction * cos, cos + correction * sin, 1.0 - 0.5 * m * sin * sin
    a = [1.0]
    c = [math.sqrt(m)]
    b = math.sqrt(1.0 - m)
    scale = 1.0
    while abs(c[-1]) > _EPS * a[-1] and len(a) < 16:
        ai = a[-1]
        c.append(0.5 * (ai - b))
        a.append(0.5 * (ai + b))
        b = math.sqrt(ai * b)
        scale *= 2.0
    # back down the scale: φ_{n-1} = (φ_n + asin(c_n·sin φ_n / a_n)) / 2
    phi = scale * a[-1] * u
    for i in range(len(a) - 1, 0, -1):
        phi = 0.5 * (math.asin(c[i] * math.sin(phi) / a[i]) + phi)
    sn = math.sin(phi)
    # dn from its identity, not cn / cos(φ1 - φ0), which is 0/0 where cn vanishes
    return sn, math.cos(phi), math.sqrt(1.0 - m * sn * sn)
