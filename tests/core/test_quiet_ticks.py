"""Behaviours keep their promise of quiet ticks (what ``lesson simulate`` jumps over).

Each bundled lesson's walkthrough is played through the pure runtime, tick by tick. Whenever
every ticking behaviour says the next ticks are quiet, those ticks (until the next
interaction) must record no measurement, change no measurement and change no readable
property except the declared volatile ones; and advancing a copy in one go must land where
ticking did.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from engine.core import events as ev
from engine.core.behaviours import Behaviour
from engine.core.runtime import Runtime
from engine.core.script import LogicPilot, ScriptDriver, load_script
from engine.model.loader import load_lesson
from engine.paths import LESSONS_DIR

LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())
#: how many ticks of each quiet stretch are checked
WINDOW = 600


def _readable(rt: Runtime, exempt: set[str]) -> dict[str, Any]:
    """Every readable property and measurement, except the exempt ``entity.prop`` ones."""
    seen: dict[str, Any] = {}
    for entity, behaviours in rt.behaviours.items():
        for b in behaviours:
            for name, value in b.properties().items():
                key = f"{entity}.{name}"
                if key not in exempt:
                    seen[key] = "nan" if isinstance(value, float) and math.isnan(value) else value
            seen[f"{entity}:measurement"] = b.measurement()
    return seen


class QuietChecker:
    """Wraps a runtime's tick and handle to check every quiet stretch it goes through."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.window = 0
        self.exempt: set[str] = set()
        self.before: dict[str, Any] = {}
        self.checked = 0
        self.stretches = 0
        self.measured: list[ev.Measured] = []
        self._tick = rt.tick
        self._handle = rt.handle
        rt.tick = self.tick  # type: ignore[method-assign]
        rt.handle = self.handle  # type: ignore[method-assign]
        rt.subscribe(lambda e: self.measured.append(e) if isinstance(e, ev.Measured) else None)

    def ticking(self) -> list[Behaviour]:
        return [b for bs in self.rt.behaviours.values() for b in bs if b.ticking]

    def handle(self, interaction: ev.Interaction) -> str | None:
        self.window = 0  # an interaction ends the promise
        return self._handle(interaction)

    def tick(self) -> None:
        measured = len(self.measured)
        self._tick()
        if self.window > 0:
            assert len(self.measured) == measured, f"a quiet tick measured: {self.measured[-1]}"
            assert _readable(self.rt, self.exempt) == self.before
            self.window -= 1
            self.checked += 1
            return
        ticking = self.ticking()
        if not ticking:
            return
        quiet = min(b.quiet_ticks(self.rt.clock.dt) for b in ticking)
        if quiet <= 0:
            return
        self.window = min(quiet, WINDOW)
        self.exempt = {f"{b.entity}.{p}" for b in ticking for p in b.volatile()}
        self.before = _readable(self.rt, self.exempt)
        self.stretches += 1


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_quiet_ticks_are_quiet(lesson_id: str) -> None:
    loaded = load_lesson(lesson_id)
    rt = Runtime(loaded.lesson, seed=3)
    checker = QuietChecker(rt)
    rt.start()
    ScriptDriver(rt, LogicPilot(), frame_dt=1.0 / 30.0).run(
        load_script(loaded.folder / "scripts" / "walkthrough.yaml")
    )
    assert rt.completed
    if lesson_id != "athenian-agora":  # nothing ticks there
        assert checker.stretches > 0 and checker.checked > 100


@pytest.mark.parametrize("lesson_id", ["pendulum-lab", "titration-lab"])
def test_advance_lands_where_ticking_does(lesson_id: str) -> None:
    loaded = load_lesson(lesson_id)
    rt = Runtime(loaded.lesson, seed=3)
    rt.start()
    driver = ScriptDriver(rt, LogicPilot(), frame_dt=1.0 / 30.0)
    compared = 0
    for action in load_script(loaded.folder / "scripts" / "walkthrough.yaml"):
        if rt.completed:
            break
        getattr(driver, f"_do_{action.kind}")(getattr(action, action.kind))
        driver.pass_time(driver.frame_dt)
        ticking = [b for bs in rt.behaviours.values() for b in bs if b.ticking]
        quiet = min((b.quiet_ticks(rt.clock.dt) for b in ticking), default=0)
        if quiet <= 0:
            continue
        n = min(quiet, 900)
        ticked, jumped = copy.deepcopy(rt), copy.deepcopy(rt)
        for _ in range(n):
            ticked.tick()
        for b in [b for bs in jumped.behaviours.values() for b in bs if b.ticking]:
            b.advance(n, rt.clock.dt)
        for entity, behaviours in ticked.behaviours.items():
            for b, twin in zip(behaviours, jumped.behaviours[entity], strict=True):
                got, want = twin.properties(), b.properties()
                assert got.keys() == want.keys()
                for name in want:
                    assert got[name] == pytest.approx(want[name], abs=1e-6, nan_ok=True), (
                        f"{entity}.{name} after {n} ticks"
                    )
        compared += 1
    assert compared > 0
