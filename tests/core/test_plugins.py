"""Custom components from a plugin, found through its entry point (run in a subprocess whose
sys.path holds the example plugin's package and dist-info, as an installed package would)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.paths import REPO_ROOT

PLUGINS = REPO_ROOT / "tests" / "fixtures" / "plugins"


def run_with_plugin(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), str(REPO_ROOT)])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, check=False)  # fmt: skip


def test_plugin_component_drives_the_lesson() -> None:
    proc = run_with_plugin(
        f"""
        from engine.core import events as ev
        from engine.core.runtime import Runtime
        from engine.model.loader import load_lesson
        lesson = load_lesson({str(PLUGINS / "turntable.yaml")!r}).lesson
        rt = Runtime(lesson)
        spinner = rt.behaviours["table"][0].impl
        rt.start()
        rt.run_until(1.0)
        assert abs(rt.value("table.turns") - 1.0) < 1e-6, rt.value("table.turns")
        assert rt.world.entities["table"].rotation[0] == spinner.angle
        assert rt.handle(ev.Press(entity="slow_down")) is None   # set -> update(old)
        assert spinner.props.rpm == 30 and spinner.updates == [60.0]
        rt.run_until(5.0)                                         # 1 + 4 s at 0.5 turn/s = 3
        assert rt.completed, rt.value("table.turns")
        rt.end()
        assert spinner.removed
        print("ok")
        """
    )
    assert proc.stdout.strip() == "ok", proc.stderr


def test_plugin_props_are_validated_with_located_errors(tmp_path: Path) -> None:
    text = (PLUGINS / "turntable.yaml").read_text().replace("rpm: 60", "rpm: 6000")
    bad = tmp_path / "lesson.yaml"
    bad.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "rpm: 6000" in t)
    proc = run_with_plugin(
        f"""
        from engine.model import validate_paths
        for d in validate_paths([{str(bad)!r}]):
            print(d)
        """
    )
    assert f"lesson.yaml:{line}:" in proc.stdout and "bad-value: spinner.rpm" in proc.stdout


def test_without_the_plugin_the_component_is_a_located_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "tools.cli", "validate", str(PLUGINS / "turntable.yaml")],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "unknown-component: no component 'spinner'; no plugin is installed" in proc.stderr


def test_plugin_quiet_ticks_and_the_fast_forward() -> None:
    proc = run_with_plugin(
        f"""
        from engine.core.runtime import Runtime
        from engine.model.loader import load_lesson
        from tools.fast_forward import FastForward
        lesson = load_lesson({str(PLUGINS / "turntable.yaml")!r}).lesson
        ticked, jumped = Runtime(lesson), Runtime(lesson)
        b = jumped.behaviours["table"][0]
        assert b.quiet_ticks(ticked.clock.dt) == 2**62
        assert b.volatile() == {{"turns", "angle"}}
        for _ in range(240):
            ticked.behaviours["table"][0].tick(ticked.clock.dt)
        b.advance(240, jumped.clock.dt)
        assert jumped.value("table.turns") == ticked.value("table.turns")
        assert abs(ticked.value("table.turns") - 2.0) < 1e-9
        # the step watches table.turns, which moves on quiet ticks: none may be skipped,
        # and the lesson completes at the very tick it does when ticked through
        fast, slow = Runtime(lesson), Runtime(lesson)
        ff = FastForward(fast)
        fast.start()
        slow.start()
        ff.run_until(10.0, lambda: fast.completed)
        while not slow.completed:
            slow.tick()
        assert fast.completed and ff.skipped == 0, ff.skipped
        assert fast.clock.tick == slow.clock.tick, (fast.clock.tick, slow.clock.tick)
        print("ok")
        """
    )
    assert proc.stdout.strip() == "ok", proc.stderr
