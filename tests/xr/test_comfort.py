"""Comfort settings follow the learner: saved per learner, damaged files give defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.rigs.comfort import ComfortSettings


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path


def test_settings_are_saved_per_learner() -> None:
    mine = ComfortSettings(turn_mode="smooth", snap_angle=30, vignette=0.0, seated=True)
    mine.save("ana")
    assert ComfortSettings.load("ana") == mine
    assert ComfortSettings.load("ben") == ComfortSettings()
    # beside the learner's desktop settings, not in place of them
    assert ComfortSettings.path("ana").name == "ana.xr.json"


def test_a_damaged_file_gives_defaults_and_values_are_clamped(config_home: Path) -> None:
    path = ComfortSettings.path("ana")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert ComfortSettings.load("ana") == ComfortSettings()
    path.write_text('{"turn_mode": "spin", "snap_angle": 720, "vignette": "x", "seated": 1}')
    loaded = ComfortSettings.load("ana")
    assert loaded.turn_mode == "snap" and loaded.snap_angle == 90.0
    assert loaded.vignette == ComfortSettings().vignette and loaded.seated is False
