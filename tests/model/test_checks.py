"""Semantic checks: every invalid fixture gives exactly its expected located errors, and each
check catches what authors really get wrong (and only that)."""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from engine.model.checks import INSTRUMENTS, PROPERTIES
from engine.model.diagnostics import CODES, Diagnostic
from engine.model.lesson import Entity
from engine.model.lint import RULES
from engine.model.loader import validate_paths

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
HEADER = "# yaml-language-server: $schema=../../../schema/lesson.schema.json"
RAW = ("Traceback", "validation error for", "input_value", "errors.pydantic.dev", "[type=")
EXPECT = re.compile(r"^# expect: (?P<code>[a-z-]+) at (?P<line>\d+):(?P<column>\d+)$")
EXPECT_WARNING = re.compile(EXPECT.pattern.replace("expect:", "expect-warning:"))

# --- the fixtures ----------------------------------------------------------------------------


def expectations(path: Path) -> tuple[set[tuple[str, int, int]], list[str]]:
    """The ``# expect: code at line:col`` and ``# message: text`` lines of a fixture's header."""
    expected: set[tuple[str, int, int]] = set()
    messages: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if match := EXPECT.match(line):
            expected.add((match["code"], int(match["line"]), int(match["column"])))
        elif line.startswith("# message: "):
            messages.append(line.removeprefix("# message: "))
    return expected, messages


def expected_warnings(path: Path) -> set[tuple[str, int, int]]:
    """The ``# expect-warning: code at line:col`` lines; a fixture with any gets exactly those."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = (EXPECT_WARNING.match(line) for line in itertools.takewhile(_comment, lines))
    return {(m["code"], int(m["line"]), int(m["column"])) for m in found if m}


def _comment(line: str) -> bool:
    return line.startswith("#")


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_gives_exactly_its_expected_errors(path: Path) -> None:
    expected, messages = expectations(path)
    warned = expected_warnings(path)
    assert expected or warned, f"{path.name} has no '# expect: <code> at <line>:<column>' line"
    found = validate_paths([path])
    errors = [d for d in found if d.severity == "error"]
    assert {(d.code, d.line, d.column) for d in errors} == expected, "\n".join(map(str, found))
    if warned:
        warnings = {(d.code, d.line, d.column) for d in found if d.severity == "warning"}
        assert warnings == warned, "\n".join(map(str, found))
    for text in messages:
        said = errors if expected else found
        assert any(text in d.message for d in said), f"no diagnostic says {text!r}"
    for d in found:
        assert d.code in CODES
        assert str(d).startswith(f"{path}:{d.line}:{d.column}: {d.code}")
        assert not any(raw in d.message for raw in RAW), d


def test_fixtures_cover_every_code_an_author_can_hit() -> None:
    covered = {code for path in INVALID for code, _, _ in expectations(path)[0]}
    covered |= {code for path in INVALID for code, _, _ in expected_warnings(path)}
    assert covered >= set(CODES) - {"not-a-lesson", "schema-comment", "unused"}
    flavours = [p for p in INVALID if p.stem.startswith("never-completes")]
    assert len(flavours) >= 5


@pytest.mark.parametrize("path", [*INVALID, *sorted((FIXTURES / "valid").glob("*.yaml"))])
def test_fixtures_start_with_the_relative_schema_comment(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == HEADER
    assert (path.parent / first.split("=", 1)[1]).resolve().name == "lesson.schema.json"


def test_valid_fixtures_have_no_diagnostics() -> None:
    assert validate_paths(sorted((FIXTURES / "valid").glob("*.yaml"))) == []


# --- a lesson built in the test --------------------------------------------------------------

HINTS = [
    {"level": "highlight", "targets": ["ball"]},
    {"level": "concept", "text": "Think."},
    {"level": "demonstrate", "demonstration": {"look_at": "ball"}},
]

BASE: dict[str, Any] = {
    "metadata": {
        "id": "built",
        "title": "Built",
        "summary": "Built by a test.",
        "subject": "physics",
        "age_range": [10, 14],
        "estimated_minutes": 5,
        "skills": [{"id": "doing", "name": "Doing"}],
    },
    "entities": [
        {"id": "ball", "grabbable": {}, "mass": "50 g"},
        {"id": "cup", "snap_zone": {"accepts": ["ball"]}},
        {"id": "bowl", "snap_zone": {}},
        {"id": "pivot", "pendulum": {"bob": "bob", "length": "1 m"}},
        {"id": "bob"},
        {"id": "watch", "stopwatch": {}, "button": {"actions": [{"call": "watch.toggle"}]}},
        {"id": "flask", "container": {"capacity": "250 mL"}},
        {"id": "meter", "ph_meter": {"probe_in": "flask"}},
        {"id": "sign", "point_of_interest": {"title": "Sign"}},
    ],
    "steps": [],
}


def step(complete_when: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A step with a valid hint ladder, tagged with the declared skill."""
    return {
        "id": extra.pop("id", "s"),
        "instruction": "Do it.",
        "skills": ["doing"],
        "complete_when": complete_when,
        "hints": HINTS,
        **extra,
    }


PLACE = {"placed": {"entity": "ball", "zone": "cup"}}


def run(tmp_path: Path, *steps: dict[str, Any], **sections: Any) -> list[Diagnostic]:
    """Every diagnostic of BASE with ``steps`` (default: place the ball) and ``sections``.

    ``entities`` are added to BASE's, ``replace`` (id -> entity) swaps some of BASE's;
    other sections replace BASE's.
    """
    data = copy.deepcopy(BASE)
    swap = sections.pop("replace", {})
    data["entities"] = [swap.get(e["id"], e) for e in data["entities"]]
    data["entities"] += sections.pop("entities", [])
    data.update(sections)
    data["steps"] = list(steps) or [step(PLACE)]
    # these tests are about checks.py; the lint rules (reach, captions...) have test_lint.py
    data.setdefault("lint", {"ignore": sorted(RULES)})
    path = tmp_path / "lesson.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        YAML(typ="safe", pure=True).dump(data, out)
    return validate_paths([path])


def codes(found: list[Diagnostic], severity: str = "error") -> list[str]:
    return [d.code for d in found if d.severity == severity]


def one(found: list[Diagnostic], code: str, severity: str = "error") -> Diagnostic:
    """The single diagnostic with ``code`` (and nothing else of that severity)."""
    matching = [d for d in found if d.severity == severity]
    assert [d.code for d in matching] == [code], "\n".join(map(str, found))
    return matching[0]


def test_the_built_base_is_clean(tmp_path: Path) -> None:
    assert run(tmp_path) == []


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "cond"),
    [
        ({"id": "x", "parent": "bal"}, PLACE),
        ({"id": "x", "snap_zone": {"accepts": ["bal"]}}, PLACE),
        ({"id": "x", "pendulum": {"bob": "bal"}}, PLACE),
        ({"id": "x", "container": {"capacity": 1}, "burette": {"into": "flsk"}}, PLACE),
        ({"id": "x", "ph_meter": {"probe_in": "flsk"}}, PLACE),
        ({"id": "x", "ruler": {"measures": "pivto.length"}}, PLACE),
        ({"id": "x", "button": {"actions": [{"call": "wtch.toggle"}]}}, PLACE),
        ({"id": "x", "button": {"actions": [{"set": "pivto.length", "value": 1}]}}, PLACE),
        (None, {"pressed": "wach"}),
        (None, {"visited": "sing"}),
        (None, {"heard": "sing"}),
        (None, {"measured": {"instrument": "wach", "target": 1}}),
        (None, {"state": {"ref": "pivto.period", "min": 1}}),
        (None, {"placed": {"entity": "ball", "zone": "cp"}}),
    ],
)
def test_every_entity_reference_is_checked(
    tmp_path: Path, extra: dict[str, Any] | None, cond: dict[str, Any]
) -> None:
    found = run(tmp_path, step(cond), entities=[extra] if extra else [])
    error = one(found, "unknown-entity")
    assert "did you mean" in error.message


@pytest.mark.parametrize(
    "hint",
    [
        {"level": "demonstrate", "demonstration": {"look_at": "bal"}},
        {"level": "demonstrate", "demonstration": {"press": "wtch"}},
        {"level": "demonstrate", "demonstration": {"move": "bal", "to": "cup"}},
        {"level": "demonstrate", "demonstration": {"move": "ball", "to": "cp"}},
        {"level": "demonstrate", "targets": ["bal"]},
    ],
)
def test_hint_references_are_checked(tmp_path: Path, hint: dict[str, Any]) -> None:
    found = run(tmp_path, step(PLACE, hints=[*HINTS[:2], hint]))
    assert one(found, "unknown-entity").message.endswith("?")


def test_step_narration_must_name_a_narrator(tmp_path: Path) -> None:
    error = one(run(tmp_path, step(PLACE, narration="sign")), "wrong-component")
    assert "add 'narration: {text: ...}'" in error.message
    assert one(run(tmp_path, step(PLACE, narration="sgn")), "unknown-entity")


def test_unknown_question_knob_and_skill(tmp_path: Path) -> None:
    assert one(run(tmp_path, step(PLACE, ask="q1")), "unknown-question")
    assert one(run(tmp_path, step(PLACE, skills=["doin"])), "unknown-skill").message.endswith(
        "did you mean 'doing'?"
    )
    found = run(
        tmp_path,
        step({"measured": {"instrument": "watch", "target": 1, "tolerance": {"knob": "slack"}}}),
    )
    assert one(found, "unknown-knob").message.startswith("'slack' is not a difficulty knob; fix")


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("pivot.perod", "did you mean 'period'?"),
        ("watch.period", "use one of: elapsed"),
        ("flask.mass", "use one of: volume, ph"),
        ("ball.mass", "simulates nothing"),
        ("meter.ph", None),
        ("pivot.measured_period", None),
    ],
)
def test_properties_come_from_the_components(tmp_path: Path, ref: str, says: str | None) -> None:
    found = run(tmp_path, step({"state": {"ref": ref, "min": 0}}))
    if says is None:
        assert codes(found) == []
    else:
        assert says in one(found, "unknown-property").message


def test_property_table_names_real_components() -> None:
    fields = set(Entity.model_fields)
    assert set(PROPERTIES) <= fields and set(INSTRUMENTS) <= set(PROPERTIES)
    assert all(PROPERTIES[c][p] for c, p in INSTRUMENTS.items())


def test_button_sets_only_settable_properties_with_right_units(tmp_path: Path) -> None:
    def button(*actions: dict[str, Any]) -> list[Diagnostic]:
        return run(tmp_path, entities=[{"id": "b", "button": {"actions": list(actions)}}])

    assert codes(button({"set": "pivot.length", "value": "80 cm"})) == []
    assert (
        "settable" in one(button({"set": "pivot.period", "value": 2}), "unknown-property").message
    )
    assert "not length" in one(button({"set": "pivot.length", "value": "3 s"}), "bad-unit").message
    assert one(button({"set": "pivot.length"}), "missing-key")
    assert one(button({"set": "pivot.length", "value": 1, "call": "watch.reset"}), "bad-value")
    assert one(button({"call": "toggle"}), "bad-value").message.endswith("e.g. 'pendulum.length'")


# --- components an entity needs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cond", "says"),
    [
        ({"placed": {"entity": "bob", "zone": "bowl"}}, "add 'grabbable: {}'"),
        ({"placed": {"entity": "ball", "zone": "flask"}}, "add 'snap_zone: {}'"),
        ({"pressed": "ball"}, "add 'button: {label: ...}'"),
        ({"visited": "ball"}, "add 'point_of_interest: {title: ...}'"),
        ({"heard": "ball"}, "add 'narration: {text: ...}'"),
        ({"measured": {"instrument": "flask", "target": 1}}, "'stopwatch', 'ph_meter'"),
    ],
)
def test_conditions_need_the_right_component(
    tmp_path: Path, cond: dict[str, Any], says: str
) -> None:
    assert says in one(run(tmp_path, step(cond)), "wrong-component").message


@pytest.mark.parametrize(
    "entity",
    [
        {"id": "b2", "container": {"capacity": 1}, "burette": {"into": "ball"}},
        {"id": "b2", "burette": {"into": "flask"}},
        {"id": "m2", "ph_meter": {"probe_in": "ball"}},
        {"id": "z", "snap_zone": {"accepts": ["bob"]}},
        {"id": "scale", "balance": {}},
    ],
)
def test_components_need_their_partners(tmp_path: Path, entity: dict[str, Any]) -> None:
    assert one(run(tmp_path, entities=[entity]), "wrong-component")


def test_a_balance_with_a_zone_reads_mass(tmp_path: Path) -> None:
    scale = {"id": "scale", "balance": {}, "snap_zone": {}}
    cond = {"measured": {"instrument": "scale", "target": 0.05}}
    assert codes(run(tmp_path, step(cond), entities=[scale])) == []


def test_demonstrations_use_the_right_components(tmp_path: Path) -> None:
    def demo(**d: str) -> list[Diagnostic]:
        hint = {"level": "demonstrate", "demonstration": d}
        return run(tmp_path, step(PLACE, hints=[*HINTS[:2], hint]))

    assert one(demo(move="bob", to="cup"), "wrong-component")
    assert one(demo(move="ball", to="bob"), "wrong-component")
    assert one(demo(press="ball"), "wrong-component")
    assert one(demo(move="ball"), "missing-key")
    assert one(demo(), "missing-key")
    assert codes(demo(press="watch")) == []


def test_pendulum_bob_is_another_entity(tmp_path: Path) -> None:
    found = run(tmp_path, entities=[{"id": "p2", "pendulum": {"bob": "p2"}}])
    assert "another entity" in one(found, "bad-value").message


def test_parent_loops_are_caught(tmp_path: Path) -> None:
    found = run(tmp_path, entities=[{"id": "a", "parent": "b"}, {"id": "b", "parent": "a"}])
    assert codes(found) == ["bad-value", "bad-value"]
    assert all("own ancestor" in d.message for d in found if d.severity == "error")


# --- units and dimensions --------------------------------------------------------------------


def test_ruler_measures_lengths(tmp_path: Path) -> None:
    assert codes(run(tmp_path, entities=[{"id": "t", "ruler": {"measures": "pivot.length"}}])) == []
    found = run(tmp_path, entities=[{"id": "t", "ruler": {"measures": "pivot.period"}}])
    assert "a ruler reads lengths" in one(found, "bad-unit").message


def test_measured_target_is_of_the_kind_the_instrument_reads(tmp_path: Path) -> None:
    cond = {"measured": {"instrument": "watch", "target": {"ref": "pivot.length"}}}
    assert "'watch' reads a time" in one(run(tmp_path, step(cond)), "bad-unit").message


def test_numeric_answer_unit_matches_its_ref(tmp_path: Path) -> None:
    def question(unit: str) -> list[Diagnostic]:
        q = {
            "id": "q",
            "prompt": "Period?",
            "kind": "numeric",
            "answer": {"ref": "pivot.period"},
            "unit": unit,
        }
        return run(tmp_path, step(PLACE, ask="q"), questions=[q])

    assert codes(question("s")) == [] and codes(question("swings")) == []
    assert "'m' is a unit of length" in one(question("m"), "bad-unit").message


def test_knob_used_as_tolerance_has_fraction_levels(tmp_path: Path) -> None:
    knob = {"id": "slack", "levels": ["10 %", "5 %", "loose"]}
    cond = {"measured": {"instrument": "watch", "target": 1, "tolerance": {"knob": "slack"}}}
    error = one(run(tmp_path, step(cond), difficulty=[knob]), "bad-unit")
    assert "used as a tolerance" in error.message


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "section", ["entities", "steps", "questions", "difficulty", "skills", "options"]
)
def test_duplicate_ids_in_every_kind(tmp_path: Path, section: str) -> None:
    options = [{"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B"}]
    question = {"id": "q", "prompt": "?", "kind": "choice", "options": options}
    knob = {"id": "k", "levels": [1, 2]}
    gated = [{"id": "g", "only_when": {"knob": "k", "min_level": 1}}]
    sections: dict[str, Any] = {"questions": [question], "difficulty": [knob], "entities": gated}
    steps = [step(PLACE, ask="q")]
    if section == "entities":
        sections["entities"] = [*gated, {"id": "ball"}]
    elif section == "steps":
        steps.append(step(PLACE))
    elif section == "questions":
        sections["questions"] = [question, question]
    elif section == "difficulty":
        sections["difficulty"] = [knob, knob]
    elif section == "skills":
        meta = copy.deepcopy(BASE["metadata"])
        meta["skills"] *= 2
        sections["metadata"] = meta
    else:
        question["options"] = [*options, {"id": "a", "text": "A again"}]
    error = one(run(tmp_path, *steps, **sections), "duplicate-id")
    assert "already the id of the" in error.message and "rename one" in error.message


# --- steps that can never complete -----------------------------------------------------------


def test_any_completes_if_one_branch_can(tmp_path: Path) -> None:
    cond = {"any": [{"answered": "nowhere-asked"}, PLACE]}
    q = {"id": "nowhere-asked", "prompt": "?", "kind": "numeric", "answer": 1}
    assert codes(run(tmp_path, step(cond), questions=[q])) == []


def test_an_empty_any_never_completes(tmp_path: Path) -> None:
    assert one(run(tmp_path, step({"any": []})), "never-completes")


def test_answered_counts_questions_asked_at_or_before_the_step(tmp_path: Path) -> None:
    q = {"id": "q", "prompt": "?", "kind": "numeric", "answer": 1}
    first, second = step(PLACE, id="one", ask="q"), step({"answered": "q"}, id="two")
    assert codes(run(tmp_path, first, second, questions=[q])) == []
    early, late = step({"answered": "q"}, id="one"), step(PLACE, id="two", ask="q")
    error = one(run(tmp_path, early, late, questions=[q]), "never-completes")
    assert "step 'two' asks it, but later" in error.message


@pytest.mark.parametrize(
    ("narrator", "steps_narration", "ok"),
    [
        ({"text": "Hi.", "trigger": "step"}, True, True),
        ({"text": "Hi.", "trigger": "step"}, False, False),
        ({"text": "Hi.", "trigger": "visit"}, False, False),
        ({"text": "Hi.", "trigger": "press"}, False, False),
    ],
)
def test_heard_needs_a_narration_that_plays(
    tmp_path: Path, narrator: dict[str, Any], steps_narration: bool, ok: bool
) -> None:
    extra = {"narration": "guide"} if steps_narration else {}
    found = run(
        tmp_path,
        step({"heard": "guide"}, **extra),
        entities=[{"id": "guide", "narration": narrator}],
    )
    assert codes(found) == ([] if ok else ["never-completes"])


def test_visit_and_press_narrations_play_with_their_component(tmp_path: Path) -> None:
    guides = [
        {
            "id": "g1",
            "narration": {"text": "Hi.", "trigger": "visit"},
            "point_of_interest": {"title": "G"},
        },
        {"id": "g2", "narration": {"text": "Hi.", "trigger": "press"}, "button": {}},
    ]
    cond = {"all": [{"heard": "g1"}, {"heard": "g2"}]}
    assert run(tmp_path, step(cond), entities=guides) == []


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ({"ref": "flask.ph", "min": 15}, "always between 0 and 14 pH"),
        ({"ref": "pivot.period", "max": -1}, "always at least 0 s"),
        ({"ref": "pivot.length", "min": 2, "max": 1}, "min 2 is above max 1"),
    ],
)
def test_state_ranges_that_cannot_hold(tmp_path: Path, state: dict[str, Any], says: str) -> None:
    assert says in one(run(tmp_path, step({"state": state})), "never-completes").message


def test_all_with_disjoint_state_ranges(tmp_path: Path) -> None:
    cond = {
        "all": [
            {"state": {"ref": "flask.ph", "max": 6}},
            {"all": [{"state": {"ref": "flask.ph", "min": 8}}]},
        ]
    }
    assert "do not overlap" in one(run(tmp_path, step(cond)), "never-completes").message


def test_measured_target_outside_what_the_instrument_can_read(tmp_path: Path) -> None:
    cond = {"measured": {"instrument": "meter", "target": 15}}
    assert "never reads 15 pH" in one(run(tmp_path, step(cond)), "never-completes").message


def test_zero_tolerance_on_a_reading_is_a_warning(tmp_path: Path) -> None:
    cond = {"measured": {"instrument": "watch", "target": {"ref": "pivot.period"}, "tolerance": 0}}
    found = run(tmp_path, step(cond))
    assert codes(found) == [] and codes(found, "warning") == ["never-completes"]


def test_state_check_without_range_is_a_warning(tmp_path: Path) -> None:
    found = run(tmp_path, step({"state": {"ref": "pivot.period"}}))
    assert codes(found) == [] and "always true" in one(found, "bad-value", "warning").message


def test_entity_placed_in_itself(tmp_path: Path) -> None:
    entity = {"id": "nest", "grabbable": {}, "snap_zone": {}}
    cond = {"placed": {"entity": "nest", "zone": "nest"}}
    assert (
        "in itself" in one(run(tmp_path, step(cond), entities=[entity]), "never-completes").message
    )


# --- difficulty knobs ------------------------------------------------------------------------


def with_ball_gated(tmp_path: Path, levels: list[Any], **gate: Any) -> list[Diagnostic]:
    """The base lesson with the ball (needed by the step) shown only at some levels of 'k'."""
    ball = {"id": "ball", "grabbable": {}, "only_when": {"knob": "k", **gate}}
    return run(tmp_path, replace={"ball": ball}, difficulty=[{"id": "k", "levels": levels}])


def test_gate_levels_must_exist(tmp_path: Path) -> None:
    found = with_ball_gated(tmp_path, [0, 1], min_level=2)
    # the bad gate, and the step it breaks
    assert codes(found) == ["bad-value", "never-completes"]
    assert "has levels 0..1" in found[0].message
    found = with_ball_gated(tmp_path, [0, 1, 2], min_level=2, max_level=1)
    assert "never shown; swap them" in found[0].message


def test_needed_entity_hidden_at_some_levels_is_a_warning(tmp_path: Path) -> None:
    found = with_ball_gated(tmp_path, ["easy", "hard"], max_level=0)
    assert codes(found) == []
    assert (
        "at level(s) 1 of knob 'k', 'ball' is hidden"
        in one(found, "never-completes", "warning").message
    )


def test_needed_entity_hidden_by_its_parent_at_every_level(tmp_path: Path) -> None:
    box = {"id": "box", "only_when": {"knob": "k", "min_level": 1}}
    ball = {
        "id": "ball",
        "grabbable": {},
        "parent": "box",
        "only_when": {"knob": "k", "max_level": 0},
    }
    found = run(
        tmp_path, replace={"ball": ball}, entities=[box], difficulty=[{"id": "k", "levels": [0, 1]}]
    )
    assert "hidden at every level of knob 'k'" in one(found, "never-completes").message


def test_unused_knob_and_unused_levels_are_warnings(tmp_path: Path) -> None:
    found = run(tmp_path, difficulty=[{"id": "k", "levels": [0, 1]}])
    assert (
        codes(found) == []
        and "no tolerance uses knob 'k'" in one(found, "unused", "warning").message
    )
    found = with_ball_gated(tmp_path, [0, 1, 2, 3], min_level=0, max_level=1)
    levels = [d for d in found if d.code == "unused"]
    assert [d.message.split(" of knob")[0] for d in levels] == ["level 1", "level 3"]


def test_tolerance_knob_levels_that_repeat_are_unused(tmp_path: Path) -> None:
    cond = {"measured": {"instrument": "watch", "target": 1, "tolerance": {"knob": "k"}}}
    found = run(tmp_path, step(cond), difficulty=[{"id": "k", "levels": ["5 %", "5 %", "1 %", 0]}])
    assert codes(found) == []
    assert sorted(d.code for d in found) == [
        "never-completes",
        "unused",
    ]  # level 1 repeats level 0; level 3 is 0


def test_unasked_questions_untagged_skills_and_silent_narrations_are_warnings(
    tmp_path: Path,
) -> None:
    meta = copy.deepcopy(BASE["metadata"])
    meta["skills"].append({"id": "idle", "name": "Idle"})
    q = {"id": "q", "prompt": "?", "kind": "numeric", "answer": 1}
    guide = {"id": "guide", "narration": {"text": "Hi.", "trigger": "step"}}
    found = run(tmp_path, metadata=meta, questions=[q], entities=[guide])
    assert codes(found) == [] and codes(found, "warning") == ["unused"] * 3


# --- metadata and assets ---------------------------------------------------------------------


def test_age_range_is_youngest_first(tmp_path: Path) -> None:
    meta = {**BASE["metadata"], "age_range": [14, 10]}
    assert "write [10, 14]" in one(run(tmp_path, metadata=meta), "bad-value").message


def test_assets_are_looked_up_in_the_lesson_and_the_project(tmp_path: Path) -> None:
    (tmp_path / "assets" / "textures").mkdir(parents=True)
    (tmp_path / "assets" / "textures" / "wood.png").write_bytes(b"png")
    cup = {
        "id": "cup",
        "snap_zone": {"accepts": ["ball"]},
        "material": {"texture": "textures/wood.png"},
    }
    assert run(tmp_path, replace={"cup": cup}) == []
    env = {"floor": {"texture": "textures/stone.png"}}
    error = one(run(tmp_path, environment=env), "missing-asset")
    assert (
        "looked for" in error.message
        and str(Path("assets", "textures", "stone.png")) in error.message
    )


def test_assets_cannot_leave_the_assets_folder(tmp_path: Path) -> None:
    found = run(tmp_path, entities=[{"id": "m", "model": "../secret.glb"}])
    assert "without a leading '/' or '..'" in one(found, "missing-asset").message


# --- adaptivity settings ---------------------------------------------------------------------


def test_a_misspelt_threshold_is_an_unknown_key_with_a_suggestion(tmp_path: Path) -> None:
    found = run(tmp_path, adaptivity={"thresholds": {"idle_factr": 3}})
    d = one(found, "unknown-key")
    assert "unknown adaptivity setting 'idle_factr'; did you mean 'idle_factor'?" in d.message


@pytest.mark.parametrize(
    ("thresholds", "says"),
    [
        ({"hysteresis": 0}, "'hysteresis' must be at least 1 (got 0)"),
        ({"hysteresis": 1.5}, "'hysteresis' must be a whole number"),
        ({"mastery": 1.2}, "'mastery' must lie in [0.0, 1.0]"),
        ({"band_low": 0.9}, "the success band must hold the target"),
        ({"proactive_quiet_s": -1}, "'proactive_quiet_s' must be positive"),
    ],
)
def test_a_threshold_the_tutor_would_refuse_is_a_bad_value(
    tmp_path: Path, thresholds: dict[str, float], says: str
) -> None:
    # the tutor reads these as the lesson starts: refused there, the lesson would not start
    assert says in one(run(tmp_path, adaptivity={"thresholds": thresholds}), "bad-value").message


def test_thresholds_right_one_by_one_can_still_clash(tmp_path: Path) -> None:
    found = run(tmp_path, adaptivity={"thresholds": {"band_low": 0.75, "target_success": 0.72}})
    assert "the success band must hold the target" in one(found, "bad-value").message
    fine = {"band_low": 0.65, "target_success": 0.75, "hysteresis": 1, "idle_factor": 3}
    assert run(tmp_path, adaptivity={"thresholds": fine}) == []


def test_a_yes_no_is_not_a_number_of_one(tmp_path: Path) -> None:
    # 'idle_gaze_share: true' is a slip, not 100 %: it must not pass as 1.0
    found = run(tmp_path, adaptivity={"thresholds": {"idle_gaze_share": True}})
    assert "idle_gaze_share" in one(found, "bad-value").message


def test_priors_for_an_undeclared_skill(tmp_path: Path) -> None:
    priors = {"doin": {"prior": 0.5, "learn": 0.2, "guess": 0.2, "slip": 0.1}}
    d = one(run(tmp_path, adaptivity={"priors": priors}), "unknown-skill")
    assert d.message.startswith("priors for skill 'doin'") and "did you mean 'doing'?" in d.message


def test_a_priors_file_must_exist_inside_the_lesson_and_load(tmp_path: Path) -> None:
    missing = one(run(tmp_path, adaptivity={"priors_file": "fitted.yaml"}), "bad-value")
    assert "priors_file 'fitted.yaml' does not exist" in missing.message
    assert "lesson fit" in missing.message
    (tmp_path / "fitted.yaml").write_text("version: 7\n", encoding="utf-8")
    broken = one(run(tmp_path, adaptivity={"priors_file": "fitted.yaml"}), "bad-value")
    assert broken.message.startswith("priors_file 'fitted.yaml': not a priors file")
    assert str(tmp_path) not in broken.message
    outside = one(run(tmp_path, adaptivity={"priors_file": "../elsewhere.yaml"}), "bad-value")
    assert "outside the lesson folder" in outside.message
    (tmp_path / "fitted.yaml").write_text(
        "version: 1\nskills:\n  doing: {prior: 0.4, learn: 0.2, guess: 0.2, slip: 0.1}\n",
        encoding="utf-8",
    )
    assert run(tmp_path, adaptivity={"priors_file": "fitted.yaml"}) == []


# --- values a simulation cannot take ---------------------------------------------------------


@pytest.mark.parametrize(
    ("swap", "where"),
    [
        ({"id": "pivot", "pendulum": {"bob": "bob", "length": "0 m"}}, "pendulum.length"),
        ({"id": "pivot", "pendulum": {"bob": "bob", "g": 0}}, "pendulum.g"),
        ({"id": "pivot", "pendulum": {"bob": "bob", "amplitude": "180 deg"}}, "amplitude"),
        ({"id": "flask", "container": {"capacity": "0 mL"}}, "container.capacity"),
        (
            {"id": "flask", "container": {"capacity": "1 L", "liquid": {"volume": "-5 mL"}}},
            "liquid.volume",
        ),
        (
            {"id": "flask", "container": {"capacity": "1 L", "liquid": {"solutes": {"HCl": -1}}}},
            "liquid.solutes",
        ),
        # and things that ran but could never be seen or reached
        ({"id": "sign", "point_of_interest": {"title": "Sign", "radius": 0}}, "radius"),
        ({"id": "ball", "grabbable": {}, "geometry": {"primitive": "box", "width": -1}}, "width"),
        ({"id": "bowl", "snap_zone": {}, "text": {"value": "Bowl", "size": 0}}, "text.size"),
        ({"id": "bowl", "snap_zone": {}, "scale": 0}, "scale must be greater than 0"),
        ({"id": "bowl", "snap_zone": {}, "scale": [1, 0, 1]}, "no scale component may be 0"),
    ],
)
def test_a_simulation_value_the_engine_would_refuse_is_a_located_error(
    tmp_path: Path, swap: dict[str, Any], where: str
) -> None:
    # each used to pass validation and stop the lesson as it started
    d = one(run(tmp_path, replace={swap["id"]: swap}), "bad-value")
    assert where in d.message


def test_a_burette_that_never_flows_and_a_step_with_no_time_are_errors(tmp_path: Path) -> None:
    burette = {"id": "tap", "container": {"capacity": "50 mL"}}
    burette["burette"] = {"into": "flask", "flow": "0 mL/s"}
    assert "burette.flow" in one(run(tmp_path, entities=[burette]), "bad-value").message
    found = run(tmp_path, step(PLACE, expected_time="0 s"))
    assert "expected_time" in one(found, "bad-value").message


def test_a_button_may_not_set_what_the_simulation_cannot_take(tmp_path: Path) -> None:
    def button(value: str) -> dict[str, Any]:
        actions = [{"set": "pivot.amplitude", "value": value}]
        return {"id": "swing", "button": {"actions": actions}}

    d = one(run(tmp_path, entities=[button("180 deg")]), "bad-value")
    assert (
        d.message == "'pivot.amplitude' cannot be set to '180 deg': input should be less than 180"
    )
    assert run(tmp_path, entities=[button("30 deg")]) == []


def test_a_skill_listed_twice_would_count_twice(tmp_path: Path) -> None:
    d = one(run(tmp_path, step(PLACE, skills=["doing", "doing"])), "bad-value")
    assert d.message.startswith("skill 'doing' is listed twice")


def test_a_common_wrong_answer_needs_a_tolerance_that_can_match(tmp_path: Path) -> None:
    wrong = {"value": 2, "tolerance": "-10 %", "feedback": "Doubled."}
    q = {"id": "q", "prompt": "?", "kind": "numeric", "answer": 1, "common_wrong": [wrong]}
    d = one(run(tmp_path, step(PLACE, ask="q"), questions=[q]), "bad-value")
    assert "cannot be negative" in d.message


# --- a pH the lesson's liquids can never reach -------------------------------------------------

ACID = {"volume": "25 mL", "solutes": {"CH3COOH": 0.08}}


def _titration(tmp_path: Path, titrant: dict[str, Any] | None) -> list[Diagnostic]:
    flask = {"id": "flask", "container": {"capacity": "250 mL", "liquid": ACID}}
    extra = []
    if titrant is not None:
        burette = {"id": "tap", "container": {"capacity": "50 mL", "liquid": titrant}}
        burette["burette"] = {"into": "flask"}
        extra.append(burette)
    end_point = step({"state": {"ref": "flask.ph", "min": 8.2}})
    return run(tmp_path, end_point, replace={"flask": flask}, entities=extra)


def test_an_end_point_within_the_burettes_reach_is_fine(tmp_path: Path) -> None:
    assert codes(_titration(tmp_path, {"volume": "50 mL", "solutes": {"NaOH": 0.1}})) == []


@pytest.mark.parametrize(
    ("titrant", "says"),
    [
        ({"volume": "50 mL", "solutes": {"NaOH": 0.0001}}, "from 'tap'"),  # far too dilute
        ({"volume": "0 mL", "solutes": {"NaOH": 0.1}}, "'tap' is empty"),
        (None, "nothing flows into 'flask'"),
    ],
)
def test_an_end_point_the_liquids_cannot_reach_never_completes(
    tmp_path: Path, titrant: dict[str, Any] | None, says: str
) -> None:
    d = one(_titration(tmp_path, titrant), "never-completes")
    assert "'flask.ph' can only be" in d.message and says in d.message


# --- an instrument that rounds more than the tolerance allows ----------------------------------


def _read_ph(
    tmp_path: Path, decimals: int, cond: dict[str, Any], **sections: Any
) -> list[Diagnostic]:
    """The acid (pH 2.92) in the flask, read by a meter showing ``decimals``; NaOH runs in."""
    flask = {"id": "flask", "container": {"capacity": "250 mL", "liquid": ACID}}
    meter = {"id": "meter", "ph_meter": {"probe_in": "flask", "decimals": decimals}}
    titrant = {"volume": "50 mL", "solutes": {"NaOH": 0.1}}
    burette = {"id": "tap", "container": {"capacity": "50 mL", "liquid": titrant}}
    burette["burette"] = {"into": "flask"}
    replace = {"flask": flask, "meter": meter}
    ask = sections.pop("ask", {})
    return run(tmp_path, step(cond, **ask), replace=replace, entities=[burette], **sections)


READ_PH = {"measured": {"instrument": "meter", "target": {"ref": "flask.ph"}, "tolerance": "1 %"}}


def test_a_display_coarser_than_the_tolerance_is_a_warning(tmp_path: Path) -> None:
    assert _read_ph(tmp_path, 2, READ_PH) == []  # 0.005 of rounding, 0.029 allowed
    found = _read_ph(tmp_path, 1, READ_PH)
    d = one(found, "never-completes", "warning")
    assert codes(found) == []
    assert "rounds to 0.1 pH (ph_meter.decimals)" in d.message
    assert "allows only 0.029 at 2.92" in d.message and "about 42%" in d.message
    # located at the tolerance the author may widen
    line = (tmp_path / "lesson.yaml").read_text(encoding="utf-8").splitlines()[d.line - 1]
    assert line[d.column - 1 :].startswith("1 %")


def test_the_rest_of_an_all_bounds_the_value_compared(tmp_path: Path) -> None:
    # the end point: past pH 8.2, where 1 % is 0.082 and a 0.1 display is fine; 1 pH is not
    end_point = {"all": [{"state": {"ref": "flask.ph", "min": 8.2}}, READ_PH]}
    assert _read_ph(tmp_path, 1, end_point) == []
    d = one(_read_ph(tmp_path, 0, end_point), "never-completes", "warning")
    assert "allows only 0.082 at 8.2" in d.message


def test_a_tolerance_knob_is_judged_at_its_tightest_level(tmp_path: Path) -> None:
    cond = copy.deepcopy(READ_PH)
    cond["measured"]["tolerance"] = {"knob": "tol"}
    knobs = [{"id": "tol", "levels": ["5 %", "1 %"]}]
    d = one(_read_ph(tmp_path, 1, cond, difficulty=knobs), "never-completes", "warning")
    assert "1 %, knob 'tol' at its tightest level" in d.message
    knobs = [{"id": "tol", "levels": ["5 %", "2 %"]}]
    assert _read_ph(tmp_path, 1, cond, difficulty=knobs) == []


def test_an_answer_read_off_a_coarse_meter_is_a_warning(tmp_path: Path) -> None:
    question = {
        "id": "q",
        "kind": "numeric",
        "prompt": "pH?",
        "skills": ["doing"],
        "answer": {"ref": "flask.ph"},
        "tolerance": "1 %",
    }
    answered, ask = {"answered": "q"}, {"ask": "q"}
    assert _read_ph(tmp_path, 2, answered, questions=[question], ask=ask) == []
    found = _read_ph(tmp_path, 1, answered, questions=[question], ask=ask)
    d = one(found, "never-completes", "warning")
    assert "what the learner reads can be off by 0.05" in d.message


def test_a_literal_target_is_judged_at_its_own_size(tmp_path: Path) -> None:
    cond = {"measured": {"instrument": "watch", "target": 2, "tolerance": "0.1 %"}}
    d = one(run(tmp_path, step(cond)), "never-completes", "warning")
    assert "rounds to 0.01 s (stopwatch.decimals)" in d.message
    cond["measured"]["tolerance"] = "1 %"
    assert run(tmp_path, step(cond)) == []
