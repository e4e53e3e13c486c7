"""Quantities with units, as lesson authors write them ("0.5 m", "30 deg", "25 mL").

Every quantity is stored in the SI base unit of its dimension (metres, seconds, radians are
*not* used: angles stay in degrees, the unit authors think in). A bare number means the base
unit. Parsing is strict: an unknown unit or a unit of the wrong dimension raises
:class:`UnitError`, which the lesson loader turns into a located ``bad-unit`` diagnostic.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

#: unit symbol -> (dimension, factor to the base unit of that dimension)
UNITS: dict[str, tuple[str, float]] = {
    "m": ("length", 1.0),
    "cm": ("length", 0.01),
    "mm": ("length", 0.001),
    "km": ("length", 1000.0),
    "s": ("time", 1.0),
    "ms": ("time", 0.001),
    "min": ("time", 60.0),
    "deg": ("angle", 1.0),
    "°": ("angle", 1.0),
    "rad": ("angle", 57.29577951308232),
    "L": ("volume", 1.0),
    "mL": ("volume", 0.001),
    "uL": ("volume", 1e-6),
    "mol/L": ("concentration", 1.0),
    "M": ("concentration", 1.0),
    "mM": ("concentration", 0.001),
    "m/s^2": ("acceleration", 1.0),
    "m/s2": ("acceleration", 1.0),
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "mL/s": ("flow", 0.001),
    "L/s": ("flow", 1.0),
    "%": ("fraction", 0.01),
    "pH": ("ph", 1.0),
}

#: the base unit each dimension is stored in, for messages and the JSON Schema
BASE_UNIT: dict[str, str] = {
    "length": "m",
    "time": "s",
    "angle": "deg",
    "volume": "L",
    "concentration": "mol/L",
    "acceleration": "m/s^2",
    "mass": "kg",
    "flow": "L/s",
    "fraction": "1",
    "ph": "pH",
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)?\s*$")


class UnitError(ValueError):
    """A quantity that cannot be read: unknown unit, wrong dimension or not a number."""


def parse_quantity(value: Any, dimension: str) -> float:
    """Read ``value`` (a number or ``"<number> <unit>"``) as a quantity of ``dimension``.

    Args:
        value: what the author wrote.
        dimension: a key of :data:`BASE_UNIT`.

    Returns:
        The value in the base unit of ``dimension``.

    Raises:
        UnitError: the text is not a number with a known unit of that dimension.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a {dimension} such as '1.5 {BASE_UNIT[dimension]}', got {value}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a {dimension} such as '1.5 {BASE_UNIT[dimension]}'")
    match = _QUANTITY.match(value)
    if not match:
        raise UnitError(
            f"'{value}' is not a {dimension}; write a number and a unit, "
            f"e.g. '1.5 {BASE_UNIT[dimension]}'"
        )
    number, unit = float(match.group(1)), match.group(2)
    if unit is None:
        return number
    if unit not in UNITS:
        known = ", ".join(u for u, (d, _) in UNITS.items() if d == dimension)
        raise UnitError(f"unknown unit '{unit}' for a {dimension}; use one of: {known}")
    unit_dimension, factor = UNITS[unit]
    if unit_dimension != dimension:
        known = ", ".join(u for u, (d, _) in UNITS.items() if d == dimension)
        raise UnitError(
            f"'{unit}' is a unit of {unit_dimension}, not {dimension}; use one of: {known}"
        )
    return number * factor


def _quantity_type(dimension: str) -> Any:
    units = [u for u, (d, _) in UNITS.items() if d == dimension]
    schema = {
        "anyOf": [
            {"type": "number", "description": f"in {BASE_UNIT[dimension]}"},
            {
                "type": "string",
                "description": f"a {dimension} with a unit: {', '.join(units)}",
                "examples": [f"1 {units[0]}"],
            },
        ]
    }
    return Annotated[
        float,
        BeforeValidator(lambda v: parse_quantity(v, dimension)),
        PlainSerializer(lambda v: v, return_type=float),
        WithJsonSchema(schema),
    ]


Length = _quantity_type("length")
Duration = _quantity_type("time")
Angle = _quantity_type("angle")
Volume = _quantity_type("volume")
Concentration = _quantity_type("concentration")
Acceleration = _quantity_type("acceleration")
Mass = _quantity_type("mass")
Flow = _quantity_type("flow")
Fraction = _quantity_type("fraction")
