"""Jacobi elliptic functions: the identities and special values that define them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.sim.elliptic import complete_k, jacobi_sn_cn_dn
from engine.sim.pendulum import exact_period

PARAMETERS = st.floats(min_value=0.0, max_value=0.999, allow_nan=False)
ARGUMENTS = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)


@given(ARGUMENTS, PARAMETERS)
def test_identities(u: float, m: float) -> None:
    sn, cn, dn = jacobi_sn_cn_dn(u, m)
    assert sn * sn + cn * cn == pytest.approx(1.0, abs=1e-14)
    assert dn * dn + m * sn * sn == pytest.approx(1.0, abs=1e-14)


@given(ARGUMENTS, PARAMETERS)
def test_sn_derivative_is_cn_dn(u: float, m: float) -> None:
    h = 1e-6
    slope = (jacobi_sn_cn_dn(u + h, m)[0] - jacobi_sn_cn_dn(u - h, m)[0]) / (2 * h)
    _, cn, dn = jacobi_sn_cn_dn(u, m)
    assert slope == pytest.approx(cn * dn, abs=1e-8)


@pytest.mark.parametrize("m", [0.0, 1e-12, 0.01, 0.25, 0.5, 0.9, 0.999])
def test_quarter_periods(m: float) -> None:
    k = complete_k(m)
    assert jacobi_sn_cn_dn(0.0, m) == pytest.approx((0.0, 1.0, 1.0), abs=1e-15)
    assert jacobi_sn_cn_dn(k, m) == pytest.approx((1.0, 0.0, math.sqrt(1.0 - m)), abs=1e-12)
    assert jacobi_sn_cn_dn(2 * k, m) == pytest.approx((0.0, -1.0, 1.0), abs=1e-12)
    # period 4K
    for u in (0.3, 1.1, 2.9):
        assert jacobi_sn_cn_dn(u + 4 * k, m) == pytest.approx(jacobi_sn_cn_dn(u, m), abs=1e-12)


def test_tends_to_sine_and_tanh() -> None:
    assert jacobi_sn_cn_dn(0.7, 0.0)[0] == pytest.approx(math.sin(0.7), abs=1e-15)
    # as m -> 1, sn -> tanh
    assert jacobi_sn_cn_dn(0.7, 1 - 1e-12)[0] == pytest.approx(math.tanh(0.7), abs=1e-5)


def test_complete_k_gives_the_pendulum_period() -> None:
    # T = 4 K(sin²(θ0/2)) / ω0, the same number as the AGM form the pendulum uses
    for amplitude in (1.0, 30.0, 90.0, 170.0):
        m = math.sin(math.radians(amplitude) / 2) ** 2
        period = 4 * complete_k(m) / math.sqrt(9.81 / 0.7)
        assert period == pytest.approx(exact_period(0.7, 9.81, amplitude), rel=1e-14)


def test_parameter_out_of_range() -> None:
    with pytest.raises(ValueError, match="parameter"):
        jacobi_sn_cn_dn(0.1, 1.0)
    with pytest.raises(ValueError, match="parameter"):
        complete_k(-0.1)
