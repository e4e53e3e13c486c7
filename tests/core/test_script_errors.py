"""A learner script with a mistake says where it is and what is wrong, as a lesson does."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.script import ScriptError, load_script
from engine.paths import LESSONS_DIR


def error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "script.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    return message[len(str(path)) :]


def test_an_unknown_action_is_named_with_its_line_and_the_known_ones(tmp_path: Path) -> None:
    said = error(tmp_path, "- grab: bob\n- {teleport: bob}\n")
    assert said.startswith(":2:4: action 2: unknown action 'teleport' (known: look_at,")


def test_a_missing_field_points_at_its_action(tmp_path: Path) -> None:
    said = error(tmp_path, "- grab: bob\n- wait: 2 s\n- answer:\n    question: g_value\n")
    assert said == ":3:3: action 3: answer.response: Field required"


def test_a_script_that_is_not_a_list(tmp_path: Path) -> None:
    assert error(tmp_path, "grab: bob\n") == (
        ":1:1: a script is a list of actions, each a line like '- grab: bob'"
    )


def test_a_yaml_error_keeps_its_own_location(tmp_path: Path) -> None:
    assert "line 1, column 9" in error(tmp_path, "- grab: [bob\n")


@pytest.mark.parametrize("script", sorted(LESSONS_DIR.glob("*/scripts/*.yaml")), ids=str)
def test_every_bundled_script_loads(script: Path) -> None:
    assert load_script(script)
