"""Thresholds of the hint policy and the difficulty controller, with per-lesson overrides.

Every number comes from ``shared/design/adaptivity.md`` (proactive-help guards, gaming and
wheel-spinning detectors, the 0.70-0.85 success band). All times are lesson seconds, never
wall-clock time, so a replayed session meets the same thresholds at the same moments.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.model.diagnostics import did_you_mean


@dataclass(frozen=True)
class AdaptivityConfig:
    """Every adaptivity threshold, with the defaults from the design notes.

    Attributes:
        proactive_quiet_s: an unasked hint comes at least this long after the previous hint.
        stuck_p_known: "stuck" needs P(known) below this ...
        stuck_errors: ... and at least this many errors on the current step.
        idle_factor: "idle" needs no interaction for more than this many times the step's
            expected time ...
        idle_gaze_share: ... while gaze dwelt on task-relevant entities for less than this
            share of that idle window.
        abuse_gap_s: a hint request less than this long after the previous hint is help abuse.
        rapid_gap_s: attempts less than this long apart are rapid ...
        rapid_attempts: ... and this many of them in a row are rapid guessing.
        gaming_delay_s: the response to gaming: the next hint level waits this long (never a
            penalty, never a popup).
        wheel_spin_opportunities: this many opportunities on a skill without mastery is
            wheel-spinning (every attempt counts, failed manipulations included) ...
        wheel_spin_p_known: ... while P(known) is below this: a learner whose latest
            successes have lifted it above is nearly there, not spinning. 0.9 with the
            model's shared blame for failed steps of several skills (measured in the
            policy benchmark: more spinners caught and fewer false alarms than 0.5 with
            each skill taking the whole failure).
        wheel_spin_blame_margin: when a step with several skills fails, a skill can be
            flagged as wheel-spinning from it only if its P(known) is at most this far above
            the step's weakest skill (1: any of them; 0: only the weakest, the most likely
            cause). The model shares the failure out by Bayes either way.
        mastery: P(known) at or above this is mastery.
        target_success: the predicted success the difficulty controller aims for.
        band_low: below this predicted success the lesson gets easier ...
        band_high: ... above this it gets harder.
        hysteresis: consecutive out-of-band predictions before a knob moves.
        knob_logit_per_level: the prior effect of one knob level on the steps the knob
            touches, in logits of P(success) (harder levels lower it); the steps' Elo
            difficulties learn what it does not explain.
        max_changes: at most this many knob changes ...
        rate_window_s: ... within any window of this many seconds.
    """

    proactive_quiet_s: float = 10.0
    stuck_p_known: float = 0.4
    stuck_errors: int = 2
    idle_factor: float = 2.0
    idle_gaze_share: float = 0.30
    abuse_gap_s: float = 2.0
    rapid_gap_s: float = 5.0
    rapid_attempts: int = 3
    gaming_delay_s: float = 3.0
    wheel_spin_opportunities: int = 10
    wheel_spin_p_known: float = 0.9
    wheel_spin_blame_margin: float = 1.0
    mastery: float = 0.95
    target_success: float = 0.80
    band_low: float = 0.70
    band_high: float = 0.85
    hysteresis: int = 2
    knob_logit_per_level: float = 0.5
    max_changes: int = 3
    rate_window_s: float = 300.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            kind = _FIELD_TYPES[f.name]
            value = getattr(self, f.name)
            _check_type(f.name, value, kind)
            if kind is float:
                # frozen: normalise ints given for float thresholds (YAML's ``10``) to floats
                object.__setattr__(self, f.name, float(value))
        if self.knob_logit_per_level < 0:
            raise ValueError(
                f"'knob_logit_per_level' must not be negative (got {self.knob_logit_per_level})"
            )
        for name in (
            "stuck_p_known",
            "idle_gaze_share",
            "mastery",
            "target_success",
            "wheel_spin_p_known",
            "wheel_spin_blame_margin",
        ):
            _check_range(name, getattr(self, name), 0.0, 1.0)
        for name in ("band_low", "band_high"):
            _check_range(name, getattr(self, name), 0.0, 1.0)
        if not self.band_low <= self.target_success <= self.band_high:
            raise ValueError(
                f"the success band must hold the target: band_low {self.band_low} <= "
                f"target_success {self.target_success} <= band_high {self.band_high}"
            )
        if self.band_low >= self.band_high:
            raise ValueError(
                f"band_low ({self.band_low}) must be below band_high ({self.band_high})"
            )
        for name in (
            "proactive_quiet_s",
            "abuse_gap_s",
            "rapid_gap_s",
            "gaming_delay_s",
            "rate_window_s",
            "idle_factor",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"'{name}' must be positive (got {getattr(self, name)})")
        for name in (
            "stuck_errors",
            "rapid_attempts",
            "wheel_spin_opportunities",
            "hysteresis",
            "max_changes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"'{name}' must be at least 1 (got {getattr(self, name)})")

    def with_overrides(self, overrides: Mapping[str, Any]) -> AdaptivityConfig:
        """A copy with some thresholds replaced, e.g. from a lesson's ``adaptivity:`` mapping.

        Integers are accepted for float thresholds (YAML writes ``10`` for ``10.0``); booleans
        and strings are not numbers here.

        Args:
            overrides: threshold name to new value.

        Returns:
            A new, validated config; ``self`` is unchanged.

        Raises:
            ValueError: for an unknown name (with a did-you-mean), a value of the wrong type,
                or a value out of range.
        """
        known = [f.name for f in dataclasses.fields(self)]
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            if name not in _FIELD_TYPES:
                raise ValueError(
                    f"unknown adaptivity setting '{name}'{did_you_mean(str(name), known)} "
                    f"(known: {', '.join(known)})"
                )
            changes[name] = value
        return dataclasses.replace(self, **changes)


def _check_type(name: str, value: Any, kind: type) -> None:
    # bool is a subclass of int: reject it explicitly, 'hysteresis: true' is a typo, not 1
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{name}' must be a number (got {value!r})")
    if kind is int and not isinstance(value, int):
        raise ValueError(f"'{name}' must be a whole number (got {value!r})")
    if not math.isfinite(value):
        raise ValueError(f"'{name}' must be finite (got {value!r})")


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"'{name}' must lie in [{low}, {high}] (got {value})")


# Resolved once from the annotations (strings under ``from __future__ import annotations``),
# so validation needs no typing.get_type_hints() call per construction.
_FIELD_TYPES: dict[str, type] = {
    f.name: int if f.type in ("int", int) else float for f in dataclasses.fields(AdaptivityConfig)
}
