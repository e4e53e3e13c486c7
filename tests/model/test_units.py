"""Quantities with units: parsing, conversion to base units, and the errors authors see."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from engine.model.units import BASE_UNIT, UNITS, Fraction, Length, UnitError, parse_quantity


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("1.5 m", "length", 1.5),
        ("25 cm", "length", 0.25),
        ("3mm", "length", 0.003),
        ("2 km", "length", 2000.0),
        ("  2  min ", "time", 120.0),
        ("250 ms", "time", 0.25),
        ("30 deg", "angle", 30.0),
        ("30 °", "angle", 30.0),
        ("1 rad", "angle", 57.29577951308232),
        ("25 mL", "volume", 0.025),
        ("0.1 mol/L", "concentration", 0.1),
        ("5 mM", "concentration", 0.005),
        ("9.81 m/s^2", "acceleration", 9.81),
        ("50 g", "mass", 0.05),
        ("0.5 mL/s", "flow", 0.0005),
        ("5 %", "fraction", 0.05),
        ("7 pH", "ph", 7.0),
        ("-4.5e-1 m", "length", -0.45),
        (".5 m", "length", 0.5),
        ("2", "length", 2.0),
        (3, "time", 3.0),
        (0.25, "fraction", 0.25),
    ],
)
def test_parses_number_and_unit_to_base_unit(text: object, dimension: str, expected: float) -> None:
    assert parse_quantity(text, dimension) == pytest.approx(expected)


def test_unknown_unit_lists_units_of_that_dimension() -> None:
    with pytest.raises(UnitError, match=r"unknown unit 'furlong' for a length; use one of: m, cm"):
        parse_quantity("3 furlong", "length")


def test_unit_of_wrong_dimension_names_both() -> None:
    with pytest.raises(UnitError, match=r"'kg' is a unit of mass, not length"):
        parse_quantity("3 kg", "length")


@pytest.mark.parametrize("value", ["", "m", "about 3 m", "3 m extra", None, [1, 2], {"a": 1}])
def test_rejects_text_that_is_not_a_quantity(value: object) -> None:
    with pytest.raises(UnitError):
        parse_quantity(value, "length")


@pytest.mark.parametrize("value", [True, False])
def test_rejects_booleans_though_they_are_ints(value: bool) -> None:
    # YAML 'yes'/'true' would otherwise slip through as 1.0
    with pytest.raises(UnitError):
        parse_quantity(value, "length")


@given(
    number=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_any_number_with_any_known_unit_scales_by_its_factor(number: float, unit: str) -> None:
    dimension, factor = UNITS[unit]
    assert parse_quantity(f"{number!r} {unit}", dimension) == pytest.approx(number * factor)


@given(unit=st.sampled_from(sorted(UNITS)), dimension=st.sampled_from(sorted(BASE_UNIT)))
def test_a_unit_is_accepted_exactly_for_its_own_dimension(unit: str, dimension: str) -> None:
    if UNITS[unit][0] == dimension:
        assert math.isfinite(parse_quantity(f"1 {unit}", dimension))
    else:
        with pytest.raises(UnitError):
            parse_quantity(f"1 {unit}", dimension)


def test_every_dimension_has_a_base_unit_of_factor_one() -> None:
    for dimension, base in BASE_UNIT.items():
        if base != "1":
            assert UNITS[base] == (dimension, 1.0)


class _Thing(BaseModel):
    size: Length
    slack: Fraction = 0.05


def test_quantity_types_validate_in_models() -> None:
    assert _Thing(size="20 cm").size == pytest.approx(0.2)
    assert _Thing.model_validate({"size": 1, "slack": "2 %"}).slack == pytest.approx(0.02)


def test_quantity_types_raise_unit_error_as_the_cause() -> None:
    with pytest.raises(ValidationError) as info:
        _Thing(size="2 s")
    assert isinstance(info.value.errors()[0]["ctx"]["error"], UnitError)


def test_quantity_json_schema_accepts_number_or_string_with_unit() -> None:
    schema = _Thing.model_json_schema()["properties"]["size"]
    assert {branch["type"] for branch in schema["anyOf"]} == {"number", "string"}
    assert "cm" in schema["anyOf"][1]["description"]
