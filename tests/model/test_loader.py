"""The loader: YAML with positions, pydantic errors turned into located diagnostics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model.diagnostics import CODES, Diagnostic, LessonError, did_you_mean
from engine.model.loader import (
    SCHEMA_COMMENT,
    load_lesson,
    parse_yaml,
    resolve_lesson,
    validate_paths,
)
from engine.paths import LESSONS_DIR

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MINIMAL = FIXTURES / "valid" / "minimal.yaml"
HEADER = "# yaml-language-server: $schema=../../../schema/lesson.schema.json\n"
#: what leaks when a raw pydantic or Python error reaches the author
RAW = ("Traceback", "validation error for", "input_value", "errors.pydantic.dev", "[type=")


def write(tmp_path: Path, body: str, *, header: str = HEADER) -> Path:
    """A lesson file with ``body`` (dedented) under the schema comment."""
    path = tmp_path / "lesson.yaml"
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[Diagnostic]:
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    return info.value.diagnostics


def minimal_with(old: str, new: str) -> str:
    """The minimal valid lesson's text with one change (without its header line)."""
    text = MINIMAL.read_text(encoding="utf-8").split("\n", 1)[1]
    assert old in text
    return text.replace(old, new, 1)


# --- valid files -----------------------------------------------------------------------------


def test_minimal_lesson_loads_without_problems() -> None:
    loaded = load_lesson(MINIMAL)
    assert loaded.warnings == []
    assert loaded.lesson.metadata.id == "minimal"
    assert loaded.folder == MINIMAL.parent


def test_quantities_arrive_in_base_units() -> None:
    lesson = load_lesson(MINIMAL).lesson
    ball, cup = lesson.entity("ball"), lesson.entity("cup")
    assert ball.mass == pytest.approx(0.05)
    assert ball.geometry is not None and ball.geometry.radius == pytest.approx(0.03)
    assert cup.snap_zone is not None and cup.snap_zone.radius == pytest.approx(0.1)


def test_missing_schema_comment_is_a_warning_only(tmp_path: Path) -> None:
    path = write(tmp_path, minimal_with("", ""), header="")
    loaded = load_lesson(path)
    assert [(w.code, w.severity, w.line) for w in loaded.warnings] == [
        ("schema-comment", "warning", 1)
    ]
    assert SCHEMA_COMMENT in loaded.warnings[0].message
    assert str(loaded.warnings[0]).startswith(f"{path}:1:1: schema-comment (warning): ")


def test_check_false_skips_semantic_checks(tmp_path: Path) -> None:
    path = write(tmp_path, minimal_with("zone: cup}", "zone: nowhere}"))
    assert load_lesson(path, check=False).lesson.steps[0].complete_when.kind == "placed"
    assert {d.code for d in errors_of(path)} == {"unknown-entity"}


# --- located errors --------------------------------------------------------------------------


def test_diagnostic_prints_path_line_column_code_message(tmp_path: Path) -> None:
    path = write(tmp_path, minimal_with("radius: 3 cm}", "radius: 3 s}"))
    (error,) = errors_of(path)
    assert str(error) == (
        f"{path}:15:43: bad-unit: 's' is a unit of time, not length; use one of: m, cm, mm, km"
    )


def test_lesson_error_lists_every_problem_sorted(tmp_path: Path) -> None:
    body = minimal_with("radius: 3 cm}", "radius: 3 s}").replace("mass: 50 g", "mass: 50 m")
    with pytest.raises(LessonError) as info:
        load_lesson(write(tmp_path, body))
    lines = [d.line for d in info.value.diagnostics]
    assert lines == sorted(lines) and len(lines) == 2
    assert str(info.value).splitlines() == [str(d) for d in info.value.diagnostics]


def test_unknown_key_suggests_the_close_key(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, minimal_with("    grabbable: {}", "    grabable: {}")))
    assert (error.code, error.line, error.column) == ("unknown-key", 18, 5)
    assert error.message == "unknown key 'grabable'; did you mean 'grabbable'?"


def test_unknown_key_without_a_close_match_lists_the_keys(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, minimal_with("    grabbable: {}", "    wobbly: {}")))
    assert error.message.startswith("unknown key 'wobbly'; use one of: id, name, parent,")
    assert "balance" in error.message and "scale_meter" not in error.message


def test_comma_in_an_unquoted_flow_text_says_to_quote_it(tmp_path: Path) -> None:
    body = minimal_with('text: "Grab the ball, then', "text: Grab the ball, then").replace(
        'cup."}', "cup.}"
    )
    (error,) = errors_of(write(tmp_path, body))
    assert error.code == "unknown-key" and error.message.endswith("quote the whole text")


def test_unknown_key_inside_an_aliased_component_suggests_its_keys(tmp_path: Path) -> None:
    body = minimal_with("    snap_zone:", "    balance: {resolutoin: 1 g}\n    snap_zone:")
    (error,) = errors_of(write(tmp_path, body))
    assert error.code == "unknown-key"
    assert error.message.endswith("did you mean 'resolution'?")


def test_union_reports_only_the_branch_the_author_wrote(tmp_path: Path) -> None:
    body = minimal_with(
        "placed: {entity: ball, zone: cup}",
        "measured: {instrument: ball, target: {ref: ball.mass, scael: 2}}",
    )
    (error,) = errors_of(write(tmp_path, body))
    assert error.code == "unknown-key" and "did you mean 'scale'?" in error.message


def test_missing_key_points_at_the_mapping_that_lacks_it(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, minimal_with("  title: Ball in a cup\n", "")))
    assert (error.code, error.line, error.column) == ("missing-key", 5, 3)
    assert error.message == "'title' is required here"


def test_bad_value_names_the_field(tmp_path: Path) -> None:
    (error,) = errors_of(
        write(tmp_path, minimal_with("estimated_minutes: 2", "estimated_minutes: 0"))
    )
    assert (error.code, error.line, error.column) == ("bad-value", 10, 22)
    assert error.message.startswith("metadata.estimated_minutes: ")


def test_model_validator_message_is_located(tmp_path: Path) -> None:
    body = minimal_with("{level: concept,", "{level: highlight,")
    (error,) = errors_of(write(tmp_path, body))
    assert error.code == "bad-value" and "hint ladder" in error.message
    assert error.line == 30


def test_yaml_syntax_error_is_located_and_names_where_it_began(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, minimal_with("skills: [placing]", "skills: [placing")))
    assert error.code == "yaml-syntax"
    assert (error.line, error.column) == (27, 18)
    assert "it started at line 26, column 13" in error.message


def test_duplicate_yaml_key_is_a_syntax_error(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, minimal_with("  title:", "  summary: twice\n  title:")))
    assert (error.code, error.line, error.column) == ("yaml-syntax", 8, 3)
    assert 'duplicate key "summary"' in error.message


@pytest.mark.parametrize("body", ["- just\n- a list\n", "42\n", ""])
def test_a_file_that_is_not_a_mapping_is_not_a_lesson(tmp_path: Path, body: str) -> None:
    (error,) = errors_of(write(tmp_path, body))
    assert (error.code, error.line, error.column) == ("not-a-lesson", 1, 1)


def test_an_unreadable_file_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path / "absent.yaml")
    assert error.code == "not-a-lesson" and "cannot read" in error.message


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_damage_gives_located_diagnostics_never_a_raw_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    lines = text.splitlines()
    i = data.draw(st.integers(1, len(lines) - 1), label="line")
    damage = data.draw(st.sampled_from(["drop", "dedent", "garble", "empty"]), label="damage")
    if damage == "drop":
        del lines[i]
    elif damage == "dedent":
        lines[i] = lines[i].lstrip()
    elif damage == "garble":
        lines[i] = lines[i].replace(":", "", 1) + data.draw(
            st.sampled_from([" ]", " {", " x", " 7 kg"])
        )
    else:
        lines[i] = lines[i].split(":", 1)[0] + ":"
    path = tmp_path / "damaged.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for d in validate_paths([path]):
        assert d.code in CODES and d.line >= 1 and d.column >= 1
        assert not any(raw in d.message for raw in RAW), d


# --- helpers ---------------------------------------------------------------------------------


def test_source_map_positions_values_keys_and_fallbacks() -> None:
    source = parse_yaml("a:\n  b: [1, {c: 2}]\n", "x.yaml")
    assert source.position(("a", "b")) == (2, 6)
    assert source.position(("a", "b"), key=True) == (2, 3)
    assert source.position(("a", "b", 1, "c")) == (2, 14)
    assert source.position(("a", "b", 7)) == (2, 6)  # deepest part that exists
    assert source.position(("nope",)) == (1, 1)
    assert source.get(("a", "b", 1, "c")) == 2 and source.get(("a", "x")) is None


def test_resolve_lesson_accepts_a_file_a_folder_or_an_id(tmp_path: Path) -> None:
    assert resolve_lesson(MINIMAL) == MINIMAL
    assert resolve_lesson(tmp_path) == tmp_path / "lesson.yaml"
    assert resolve_lesson("pendulum-lab") == LESSONS_DIR / "pendulum-lab" / "lesson.yaml"


def test_validate_paths_collects_warnings_and_errors_of_every_file(tmp_path: Path) -> None:
    bad = write(tmp_path, minimal_with("zone: cup}", "zone: cpu}"))
    found = validate_paths([MINIMAL, bad])
    assert [(d.path, d.code) for d in found] == [(str(bad), "unknown-entity")]


def test_did_you_mean_only_for_close_names() -> None:
    assert did_you_mean("bal", ["ball", "cup"]) == "; did you mean 'ball'?"
    assert did_you_mean("zebra", ["ball", "cup"]) == ""


def test_every_code_has_a_meaning() -> None:
    assert all(meaning and code == code.lower() for code, meaning in CODES.items())
