"""AdaptivityConfig: the design notes' thresholds as defaults; validated per-lesson overrides."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adaptivity.config import AdaptivityConfig


def test_defaults_are_the_design_numbers() -> None:
    c = AdaptivityConfig()
    assert c.proactive_quiet_s == 10.0
    assert (c.stuck_p_known, c.stuck_errors) == (0.4, 2)
    assert (c.idle_factor, c.idle_gaze_share) == (2.0, 0.30)
    assert c.abuse_gap_s == 2.0
    assert (c.rapid_gap_s, c.rapid_attempts) == (5.0, 3)
    assert c.gaming_delay_s == 3.0
    assert c.wheel_spin_opportunities == 10
    assert c.mastery == 0.95
    assert (c.band_low, c.target_success, c.band_high) == (0.70, 0.80, 0.85)
    assert c.hysteresis == 2
    assert (c.max_changes, c.rate_window_s) == (3, 300.0)


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        AdaptivityConfig().mastery = 0.9  # type: ignore[misc]


def test_overrides_make_a_new_config_and_leave_the_old_one() -> None:
    base = AdaptivityConfig()
    new = base.with_overrides({"proactive_quiet_s": 20, "hysteresis": 3, "band_high": 0.9})
    assert new.proactive_quiet_s == 20.0
    assert isinstance(new.proactive_quiet_s, float)  # YAML's ``20`` becomes a float
    assert new.hysteresis == 3
    assert new.band_high == 0.9
    assert base == AdaptivityConfig()
    assert base.with_overrides({}) == base


def test_unknown_override_is_named_with_a_suggestion() -> None:
    with pytest.raises(ValueError) as err:
        AdaptivityConfig().with_overrides({"proactive_quiet": 5})
    message = str(err.value)
    assert "unknown adaptivity setting 'proactive_quiet'" in message
    assert "did you mean 'proactive_quiet_s'?" in message


def test_unknown_override_without_a_close_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"'zzz'.*known: proactive_quiet_s"):
        AdaptivityConfig().with_overrides({"zzz": 1})


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("mastery", "high", "must be a number"),
        ("hysteresis", True, "must be a number"),
        ("hysteresis", 2.5, "whole number"),
        ("max_changes", 3.0, "whole number"),
        ("rate_window_s", float("inf"), "finite"),
        ("mastery", 1.5, r"\[0.0, 1.0\]"),
        ("hysteresis", 0, "at least 1"),
        ("gaming_delay_s", 0, "positive"),
        ("band_low", 0.9, "band must hold the target"),
        ("target_success", 0.5, "band must hold the target"),
    ],
)
def test_bad_override_values_are_refused(name: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        AdaptivityConfig().with_overrides({name: value})


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="band_low"):
        AdaptivityConfig(band_low=0.8, target_success=0.8, band_high=0.8)


FIELDS = [f.name for f in dataclasses.fields(AdaptivityConfig)]
SECONDS = [name for name in FIELDS if name.endswith("_s")]


@given(st.sampled_from(FIELDS))
def test_overriding_a_field_with_its_own_value_is_identity(name: str) -> None:
    base = AdaptivityConfig()
    assert base.with_overrides({name: getattr(base, name)}) == base


@given(
    st.sampled_from(SECONDS),
    st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False),
)
def test_an_override_changes_that_field_only(name: str, value: float) -> None:
    base = AdaptivityConfig()
    new = base.with_overrides({name: value})
    assert getattr(new, name) == value
    for other in FIELDS:
        if other != name:
            assert getattr(new, other) == getattr(base, other)
