"""The pendulum obeys the real equation of motion, not the small-angle formula."""

from __future__ import annotations

import math

import pytest

from engine.sim.pendulum import PendulumSim, agm, exact_period

FRAME = 1.0 / 60.0


def run_until_measured(sim: PendulumSim, periods: float = 2.0) -> float:
    """Release, step at 60 fps for ``periods`` exact periods, return the measured period."""
    sim.release()
    for _ in range(math.ceil(periods * sim.exact_period() / FRAME)):
        sim.step(FRAME)
    measured = sim.measured_period()
    assert measured is not None
    return measured


def test_agm_known_value() -> None:
    # Gauss's constant: 1 / AGM(1, √2) = 0.8346268416740731...
    assert 1.0 / agm(1.0, math.sqrt(2.0)) == pytest.approx(0.8346268416740731, rel=1e-14)


def test_exact_period_matches_elliptic_series() -> None:
    # T/T0 = Σ ((2n-1)!!/(2n)!!)² k^(2n) with k = sin(θ0/2): the textbook series, independent
    # of the AGM; at 60° k² = 1/4 so forty terms are exact to double precision.
    k2 = math.sin(math.radians(60.0) / 2) ** 2
    term, series = 1.0, 1.0
    for n in range(1, 40):
        term *= ((2 * n - 1) / (2 * n)) ** 2 * k2
        series += term
    t0 = 2 * math.pi * math.sqrt(1.0 / 9.81)
    assert exact_period(1.0, 9.81, 60.0) / t0 == pytest.approx(series, rel=1e-13)


def test_held_until_released() -> None:
    sim = PendulumSim(1.0, 9.81, 20.0)
    for _ in range(60):
        sim.step(FRAME)
    assert sim.held
    assert sim.theta_deg == pytest.approx(20.0)
    assert sim.omega == 0.0
    assert sim.t_since_release == 0.0
    assert sim.measured_period() is None


def test_period_scales_with_sqrt_length() -> None:
    short = run_until_measured(PendulumSim(0.5, 9.81, 10.0))
    long = run_until_measured(PendulumSim(2.0, 9.81, 10.0))
    assert long / short == pytest.approx(2.0, rel=1e-4)


def test_period_scales_with_inverse_sqrt_g() -> None:
    earth = run_until_measured(PendulumSim(1.0, 9.81, 10.0))
    moon = run_until_measured(PendulumSim(1.0, 1.62, 10.0))
    assert moon / earth == pytest.approx(math.sqrt(9.81 / 1.62), rel=1e-4)


@pytest.mark.parametrize("amplitude", [10.0, 60.0])
def test_integrated_period_matches_exact(amplitude: float) -> None:
    sim = PendulumSim(1.0, 9.81, amplitude)
    measured = run_until_measured(sim)
    assert measured == pytest.approx(sim.exact_period(), rel=1e-3)


def test_large_amplitude_is_slower_by_the_right_amount() -> None:
    sim = PendulumSim(1.0, 9.81, 60.0)
    measured = run_until_measured(sim)
    ratio = measured / sim.small_angle_period()
    # 60°: 7.3 % longer; a small-angle integrator would give 1.000
    assert ratio == pytest.approx(1.0732, abs=5e-4)
    small = run_until_measured(PendulumSim(1.0, 9.81, 5.0))
    assert small / PendulumSim(1.0, 9.81).small_angle_period() == pytest.approx(1.0005, abs=2e-4)


def test_energy_conserved_without_damping() -> None:
    sim = PendulumSim(0.25, 9.81, 45.0)
    sim.release()
    start = sim.energy_per_mass()
    worst = 0.0
    for _ in range(math.ceil(100 * sim.exact_period() / FRAME)):
        sim.step(FRAME)
        worst = max(worst, abs(sim.energy_per_mass() - start))
    assert worst / start < 1e-9
    assert sim.current_amplitude_deg() == pytest.approx(45.0, abs=1e-6)


def test_damping_decays_amplitude_exponentially() -> None:
    damping = 0.2
    sim = PendulumSim(1.0, 9.81, 5.0, damping=damping)
    sim.release()
    for _ in range(600):  # 10 s
        sim.step(FRAME)
    # Small-angle envelope: θ0 · e^(-c·t/2)
    expected = 5.0 * math.exp(-damping * 10.0 / 2)
    assert sim.current_amplitude_deg() == pytest.approx(expected, rel=0.02)


def test_swing_is_frame_rate_independent() -> None:
    a = PendulumSim(1.0, 9.81, 30.0)
    b = PendulumSim(1.0, 9.81, 30.0)
    a.release()
    b.release()
    for _ in range(300):
        a.step(1.0 / 30.0)
    for _ in range(1440):
        b.step(1.0 / 144.0)
    assert a.t_since_release == pytest.approx(b.t_since_release)
    assert a.theta_deg == pytest.approx(b.theta_deg, abs=1e-6)


def test_bob_offset_geometry() -> None:
    sim = PendulumSim(2.0, 9.81, 0.0)
    assert sim.bob_offset() == pytest.approx((0.0, 0.0, -2.0))
    sim.hold(30.0)
    x, y, z = sim.bob_offset(0.0)
    assert (x, y, z) == pytest.approx((1.0, 0.0, -math.sqrt(3.0)))
    x, y, z = sim.bob_offset(90.0)
    assert (x, y, z) == pytest.approx((0.0, 1.0, -math.sqrt(3.0)))
    assert math.hypot(x, y, z) == pytest.approx(2.0)


def test_hold_stops_and_length_only_changes_while_held() -> None:
    sim = PendulumSim(1.0, 9.81, 20.0)
    sim.release()
    sim.step(0.3)
    with pytest.raises(RuntimeError):
        sim.set_length(0.5)
    sim.hold()
    angle = sim.theta_deg
    sim.step(1.0)
    assert sim.theta_deg == angle
    sim.set_length(0.5)
    assert sim.small_angle_period() == pytest.approx(2 * math.pi * math.sqrt(0.5 / 9.81))
    sim.release(15.0)
    assert sim.theta_deg == pytest.approx(15.0)
    assert sim.amplitude_deg == 15.0


def test_measured_period_needs_a_full_swing() -> None:
    sim = PendulumSim(1.0, 9.81, 10.0)
    sim.release()
    period = sim.exact_period()
    t = 0.0
    while t < 1.2 * period:  # first same-direction pair of crossings is at 1.25 T
        sim.step(FRAME)
        t += FRAME
    assert sim.measured_period() is None
    assert math.isnan(sim.properties()["measured_period"])
    for _ in range(30):
        sim.step(FRAME)
    assert sim.measured_period() == pytest.approx(period, rel=1e-4)


def test_properties() -> None:
    sim = PendulumSim(1.0, 9.81, 60.0)
    props = sim.properties()
    required = ["length", "g", "amplitude", "angle", "period"]
    for key in [*required, "small_angle_period", "measured_period"]:
        assert isinstance(props[key], float)
    assert props["period"] == pytest.approx(exact_period(1.0, 9.81, 60.0))
    assert props["period"] > props["small_angle_period"]


@pytest.mark.parametrize(
    "bad", [{"length_m": 0.0}, {"g": -1.0}, {"amplitude_deg": 180.0}, {"damping": -0.1}]
)
def test_rejects_bad_parameters(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PendulumSim(**bad)


# --- advancing many steps at once (what lesson simulate jumps with) ------------------------------

TICK = 1.0 / 120.0


@pytest.mark.parametrize("amplitude", [0.5, 10.0, 60.0, 120.0, -30.0, 170.0])
@pytest.mark.parametrize("steps", [1, 7, 170, 1000, 5000])
def test_advance_follows_the_integrator(amplitude: float, steps: int) -> None:
    stepped, jumped = PendulumSim(0.5, 9.81, amplitude), PendulumSim(0.5, 9.81, amplitude)
    stepped.release()
    jumped.release()
    for _ in range(steps):
        stepped.step(TICK)
    jumped.advance(steps, TICK)
    # the closed form is the exact motion; the integrator is within 1e-9 rad of it
    assert jumped.theta_deg == pytest.approx(stepped.theta_deg, abs=1e-6)
    assert jumped.omega == pytest.approx(stepped.omega, abs=1e-7)
    assert jumped.t_since_release == pytest.approx(stepped.t_since_release, abs=1e-9)
    assert jumped.current_amplitude_deg() == pytest.approx(abs(amplitude), abs=1e-6)
    m1, m2 = stepped.measured_period(), jumped.measured_period()
    assert (m1 is None) == (m2 is None)
    if m1 is not None and m2 is not None:
        assert m2 == pytest.approx(m1, abs=1e-8)
        assert m2 == pytest.approx(jumped.exact_period(), rel=1e-12)


def test_advance_in_pieces_equals_advance_at_once() -> None:
    once, pieces = PendulumSim(1.0, 9.81, 45.0), PendulumSim(1.0, 9.81, 45.0)
    once.release()
    pieces.release()
    once.advance(3000, TICK)
    for n in (1, 299, 700, 2000):
        pieces.advance(n, TICK)
    assert pieces.theta_deg == pytest.approx(once.theta_deg, abs=1e-9)
    assert pieces.measured_period() == once.measured_period()


def test_advance_is_bit_exact_where_there_is_no_closed_form() -> None:
    # damping, or g changed mid-swing: the same substeps as step(), to the last bit
    for disturb in ("damping", "g"):
        stepped, jumped = PendulumSim(0.8, 9.81, 40.0), PendulumSim(0.8, 9.81, 40.0)
        for sim in (stepped, jumped):
            sim.release()
            sim.step(TICK)
            if disturb == "damping":
                sim.set_damping(0.3)
            else:
                sim.set_g(3.7)
        for _ in range(900):
            stepped.step(TICK)
        jumped.advance(900, TICK)
        assert (jumped.theta_deg, jumped.omega) == (stepped.theta_deg, stepped.omega)
        assert jumped.measured_period() == stepped.measured_period()


def test_advance_while_held_does_nothing() -> None:
    sim = PendulumSim(1.0, 9.81, 20.0)
    sim.advance(500, TICK)
    assert sim.held and sim.theta_deg == pytest.approx(20.0) and sim.t_since_release == 0.0
    with pytest.raises(ValueError):
        sim.advance(-1, TICK)
