"""Acid-base chemistry: pH from the charge balance, titrations and indicator colours."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sim.chemistry import (
    INDICATORS,
    SPECIES,
    WATER_RGBA,
    Solution,
    _Composition,
    equivalence_volume,
    indicator_rgba,
    mix,
    ph,
    species,
    titration_curve,
    transfer,
)

ML = 1e-3


def solution(volume: float, **solutes: float) -> Solution:
    return Solution.from_concentrations(volume, solutes)


# --- single solutions -----------------------------------------------------------------------


def test_pure_water_is_neutral() -> None:
    assert ph(solution(0.1)) == pytest.approx(7.0, abs=1e-9)


def test_empty_container_has_no_ph() -> None:
    assert math.isnan(ph(Solution()))
    assert math.isnan(Solution().properties()["ph"])


@pytest.mark.parametrize(
    ("solutes", "expected"),
    [
        ({"HCl": 0.1}, 1.00),
        ({"HNO3": 0.01}, 2.00),
        ({"NaOH": 0.1}, 13.00),
        ({"KOH": 0.001}, 11.00),
        ({"HCl": 1.0}, 0.00),
        ({"NaOH": 1.0}, 14.00),
        ({"NaCl": 0.5}, 7.00),
    ],
)
def test_strong_electrolytes(solutes: dict[str, float], expected: float) -> None:
    assert ph(solution(0.05, **solutes)) == pytest.approx(expected, abs=1e-6)


def test_acetic_acid() -> None:
    # exact quadratic: [H+] = (-Ka + √(Ka² + 4·Ka·C)) / 2
    ka, c = 1.8e-5, 0.1
    h = (-ka + math.sqrt(ka * ka + 4 * ka * c)) / 2
    value = ph(solution(0.1, CH3COOH=c))
    assert value == pytest.approx(-math.log10(h), abs=1e-4)
    assert value == pytest.approx(2.87, abs=0.01)


def test_ammonia() -> None:
    # pOH from Kb = 1.8e-5: [OH-] ≈ √(Kb·C) -> pH ≈ 11.13
    assert ph(solution(0.1, NH3=0.1)) == pytest.approx(11.13, abs=0.01)


def test_very_dilute_acid_is_not_basic() -> None:
    # 1e-8 M HCl: water's own H+ dominates; pH 6.98, not the naive 8
    assert ph(solution(1.0, HCl=1e-8)) == pytest.approx(6.978, abs=1e-3)


def test_buffer_is_henderson_hasselbalch() -> None:
    buffer = solution(0.1, CH3COOH=0.1, CH3COONa=0.1)
    assert ph(buffer) == pytest.approx(-math.log10(1.8e-5), abs=1e-3)


def test_charge_balance_residual_is_zero() -> None:
    s = solution(0.1, HF=0.05, NH3=0.02, HCl=0.01)
    comp = _Composition.of(s.moles, s.volume)
    assert abs(comp.charge(-ph(s))) < 1e-14


def test_aliases_and_unknown_species() -> None:
    assert species("acetic acid").name == "CH3COOH"
    assert species("Sodium hydroxide").name == "NaOH"
    with pytest.raises(ValueError, match="unknown substance"):
        Solution.from_concentrations(0.1, {"unobtainium": 1.0})


# --- mixing -----------------------------------------------------------------------------------


def test_mix_equal_acid_and_base_is_neutral() -> None:
    mixed = mix(solution(0.05, HCl=0.1), solution(0.05, NaOH=0.1))
    assert mixed.volume == pytest.approx(0.1)
    assert ph(mixed) == pytest.approx(7.0, abs=1e-6)


def test_transfer_moves_volume_and_moles() -> None:
    source = solution(0.050, HCl=0.2)
    beaker = solution(0.050)
    moved = transfer(source, beaker, 0.010)
    assert moved == pytest.approx(0.010)
    assert source.volume == pytest.approx(0.040)
    assert source.concentration("HCl") == pytest.approx(0.2)
    assert beaker.volume == pytest.approx(0.060)
    assert beaker.concentration("HCl") == pytest.approx(0.2 * 10 / 60)
    # asking for more than there is moves what there is, and leaves nothing behind
    assert transfer(source, beaker, 1.0) == pytest.approx(0.040)
    assert source.volume == 0.0
    assert source.moles == {}
    assert beaker.moles["HCl"] == pytest.approx(0.2 * 0.050)


def test_container_properties() -> None:
    props = solution(0.025, HCl=0.1).properties()
    assert props["volume"] == pytest.approx(0.025)
    assert props["ph"] == pytest.approx(1.0, abs=1e-6)
    assert props["HCl"] == pytest.approx(0.1)


# --- titrations -------------------------------------------------------------------------------


def test_strong_acid_strong_base_titration() -> None:
    flask = solution(25 * ML, HCl=0.1)
    burette = solution(50 * ML, NaOH=0.1)
    assert equivalence_volume(flask, burette) == pytest.approx(25 * ML)
    curve = titration_curve(flask, burette, np.array([0.0, 24.9, 25.0, 25.1, 50.0]) * ML)
    assert curve[0] == pytest.approx(1.0, abs=1e-6)
    assert curve[2] == pytest.approx(7.0, abs=1e-6)
    # the jump: 0.2 mL either side of equivalence spans more than 5 pH units
    assert curve[1] < 4.0
    assert curve[3] > 10.0
    assert curve[4] == pytest.approx(14 + math.log10(0.1 * 25 / 75), abs=1e-4)
    assert flask.volume == pytest.approx(25 * ML)  # the analyte is not consumed


def test_weak_acid_titration() -> None:
    flask = solution(25 * ML, CH3COOH=0.1)
    burette = solution(50 * ML, NaOH=0.1)
    assert equivalence_volume(flask, burette) == pytest.approx(25 * ML)
    half, equivalence = titration_curve(flask, burette, [12.5 * ML, 25 * ML])
    assert half == pytest.approx(4.74, abs=0.01)  # pKa of acetic acid
    assert equivalence == pytest.approx(8.72, abs=0.02)  # acetate hydrolysis makes it basic


def test_weak_base_strong_acid_titration_is_acidic_at_equivalence() -> None:
    flask = solution(20 * ML, NH3=0.1)
    burette = solution(50 * ML, HCl=0.1)
    assert equivalence_volume(flask, burette) == pytest.approx(20 * ML)
    half, equivalence = titration_curve(flask, burette, [10 * ML, 20 * ML])
    assert half == pytest.approx(14 - 4.74, abs=0.01)
    assert equivalence == pytest.approx(5.28, abs=0.02)


def test_equivalence_volume_rejects_non_neutralising_titrant() -> None:
    with pytest.raises(ValueError):
        equivalence_volume(solution(0.025, HCl=0.1), solution(0.05, HNO3=0.1))


ACIDS = ["HCl", "HNO3", "H2SO4", "CH3COOH", "HCOOH", "HF", "NH4Cl"]
BASES = ["NaOH", "KOH", "NH3"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(SPECIES)),
    conc=st.floats(min_value=1e-9, max_value=0.5),
)
def test_ph_stays_in_range(name: str, conc: float) -> None:
    value = ph(solution(0.1, **{name: conc}))
    assert 0.0 <= value <= 14.0


@settings(max_examples=40, deadline=None)
@given(
    acids=st.dictionaries(
        st.sampled_from(ACIDS), st.floats(min_value=1e-6, max_value=0.3), min_size=1
    ),
    base=st.sampled_from(BASES),
    base_conc=st.floats(min_value=1e-3, max_value=1.0),
)
def test_adding_base_never_lowers_ph(acids: dict[str, float], base: str, base_conc: float) -> None:
    flask = solution(0.025, **acids)
    burette = solution(0.1, **{base: base_conc})
    curve = titration_curve(flask, burette, np.linspace(0.0, 0.1, 41))
    assert np.all(np.isfinite(curve))
    assert np.all(np.diff(curve) >= -1e-9)


# --- indicators -------------------------------------------------------------------------------


def test_phenolphthalein() -> None:
    assert indicator_rgba("phenolphthalein", 7.0) == WATER_RGBA
    assert indicator_rgba("phenolphthalein", 8.2) == WATER_RGBA
    pink = indicator_rgba("phenolphthalein", 11.0)
    assert pink[0] > 0.8 and pink[1] < 0.3 and pink[3] > 0.5
    between = indicator_rgba("phenolphthalein", 9.1)
    assert WATER_RGBA[1] > between[1] > pink[1]


def test_bromothymol_blue() -> None:
    yellow = indicator_rgba("bromothymol_blue", 5.0)
    green = indicator_rgba("Bromothymol blue", 6.8)
    blue = indicator_rgba("bromothymol_blue", 9.0)
    assert yellow[0] > 0.8 and yellow[1] > 0.7 and yellow[2] < 0.3
    assert green[1] > green[0] and green[1] > green[2]
    assert blue[2] > 0.7 and blue[0] < 0.3


def test_methyl_orange() -> None:
    red = indicator_rgba("methyl_orange", 2.0)
    yellow = indicator_rgba("methyl_orange", 6.0)
    assert red[0] > 0.8 and red[1] < 0.2
    assert yellow[0] > 0.9 and yellow[1] > 0.6


def test_no_indicator_and_unknown() -> None:
    assert indicator_rgba(None, 3.0) == WATER_RGBA
    assert indicator_rgba("phenolphthalein", math.nan) == WATER_RGBA
    with pytest.raises(ValueError):
        indicator_rgba("litmus_juice", 7.0)


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(INDICATORS)), value=st.floats(min_value=-2, max_value=16))
def test_colours_are_valid_rgba(name: str, value: float) -> None:
    rgba = indicator_rgba(name, value)
    assert len(rgba) == 4
    assert all(0.0 <= c <= 1.0 for c in rgba)


def test_indicator_follows_the_liquid() -> None:
    flask = Solution.from_concentrations(0.025, {"HCl": 0.1}, indicator="phenolphthalein")
    beaker = solution(0.0)
    transfer(flask, beaker, 0.010)
    assert beaker.indicator == "phenolphthalein"
    beaker.pour_in(solution(0.015, NaOH=0.2))
    assert beaker.rgba()[0] > 0.8  # now basic: pink
