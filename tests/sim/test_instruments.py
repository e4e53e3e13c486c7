"""Instruments read the simulation the way real ones do: rounded, and the pH meter lags."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.sim.instruments import Balance, PhMeter, Ruler, Stopwatch, quantize


def test_stopwatch_is_exact_with_a_fixed_step() -> None:
    watch = Stopwatch(decimals=2)
    watch.start()
    for _ in range(60 * 600):  # ten minutes at 60 fps
        watch.step(1.0 / 60.0)
    assert watch.elapsed == pytest.approx(600.0, abs=1e-9)
    assert watch.reading == 600.0


def test_stopwatch_controls() -> None:
    watch = Stopwatch(decimals=1)
    watch.step(1.0)
    assert watch.reading == 0.0 and not watch.running
    watch.toggle()
    assert watch.running
    for _ in range(125):
        watch.step(0.01)
    watch.stop()
    watch.step(5.0)
    assert watch.elapsed == pytest.approx(1.25)
    assert watch.reading == 1.3  # 1.25 shown to one decimal
    watch.start()
    watch.step(0.5)
    watch.toggle()
    assert watch.reading == pytest.approx(1.8)
    assert watch.properties() == {"reading": 1.8, "elapsed": pytest.approx(1.75), "running": 0.0}
    watch.reset()
    assert watch.reading == 0.0 and not watch.running


def test_ruler_rounds_to_its_division() -> None:
    ruler = Ruler(resolution=0.001)
    assert ruler.read(0.99949) == 0.999
    assert ruler.read(0.9995) == 1.0
    assert ruler.read(0.3) == 0.3
    assert Ruler(0.005).read(0.4371) == 0.435
    assert ruler.uncertainty == 0.0005


def test_balance_tares() -> None:
    balance = Balance(resolution=0.0001)
    assert balance.read(0.123456) == 0.1235
    balance.tare(0.1)
    assert balance.read(0.1025) == pytest.approx(0.0025)
    assert balance.read(0.1) == 0.0


@given(
    value=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
    resolution=st.sampled_from([1.0, 0.5, 0.01, 0.005, 0.001, 0.0001]),
)
def test_quantize_is_within_half_a_step(value: float, resolution: float) -> None:
    reading = quantize(value, resolution)
    assert abs(reading - value) <= resolution / 2 * (1 + 1e-6)
    assert quantize(reading, resolution) == reading


def test_ph_meter_instant_read() -> None:
    assert PhMeter(decimals=2).read(4.7447) == 4.74
    assert PhMeter(decimals=1).read(8.72) == 8.7


def test_ph_meter_settles_with_a_first_order_lag() -> None:
    meter = PhMeter(decimals=2, time_constant=1.0, initial_ph=7.0)
    meter.step(1.0, 1.0)
    # after one time constant: 1 - 1/e of the way there
    assert meter.value == pytest.approx(7.0 - 6.0 * (1 - math.exp(-1)))
    assert not meter.settled
    for _ in range(600):  # 10 s at 60 fps
        meter.step(1.0 / 60.0, 1.0)
    assert meter.settled
    assert meter.reading == 1.0


def test_ph_meter_lag_is_frame_rate_independent() -> None:
    coarse, fine = PhMeter(), PhMeter()
    for _ in range(10):
        coarse.step(0.1, 3.0)
    for _ in range(1000):
        fine.step(0.001, 3.0)
    assert coarse.value == pytest.approx(fine.value, abs=1e-12)


def test_ph_meter_out_of_liquid() -> None:
    meter = PhMeter(time_constant=0.0)
    assert math.isnan(meter.reading)  # never dipped yet
    meter.step(0.1, 4.0)
    assert meter.reading == 4.0 and meter.settled
    meter.step(0.1, math.nan)
    assert math.isnan(meter.reading) and not meter.settled
    assert meter.value == 4.0


# --- advancing many steps at once (what lesson simulate jumps with) ------------------------------


def test_stopwatch_advance_is_the_same_sum() -> None:
    stepped, jumped = Stopwatch(), Stopwatch()
    for watch in (stepped, jumped):
        watch.start()
        watch.step(0.37)
    for _ in range(12345):
        stepped.step(1.0 / 120.0)
    jumped.advance(12345, 1.0 / 120.0)
    assert jumped.elapsed == stepped.elapsed
    stopped = Stopwatch()
    stopped.advance(100, 1.0)
    assert stopped.elapsed == 0.0


@given(st.floats(min_value=0.0, max_value=14.0), st.integers(min_value=1, max_value=6000))
def test_ph_meter_advance_is_bit_exact(true_ph: float, steps: int) -> None:
    stepped, jumped = PhMeter(decimals=2), PhMeter(decimals=2)
    for _ in range(steps):
        stepped.step(1.0 / 120.0, true_ph)
    jumped.advance(steps, 1.0 / 120.0, true_ph)
    assert jumped.value == stepped.value
    assert jumped.reading == stepped.reading


@given(st.floats(min_value=0.0, max_value=14.0), st.floats(min_value=0.0, max_value=14.0))
def test_steps_to_steady_is_when_stepping_gets_steady(start: float, true_ph: float) -> None:
    meter = PhMeter(decimals=2, initial_ph=start)
    probe = PhMeter(decimals=2, initial_ph=start)
    expected = meter.steps_to_steady(1.0 / 120.0, true_ph)
    assert meter.value == start  # looking ahead changes nothing

    def steady(m: PhMeter) -> bool:
        return m.settled and m.reading == m.read(true_ph)

    for k in range(1, 20000):
        probe.step(1.0 / 120.0, true_ph)
        if steady(probe):
            assert expected == k
            return
    assert expected is None
