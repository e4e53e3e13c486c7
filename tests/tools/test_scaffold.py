"""``lesson new``: every template makes a lesson that validates without a single diagnostic
and passes its own walkthrough headless through the real CLI; bad requests are refused and
nothing is ever overwritten."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from engine.core.script import load_script
from engine.model import load_lesson, validate_paths
from engine.model.loader import SCHEMA_COMMENT
from engine.paths import REPO_ROOT, SCHEMA_PATH
from tests.cli import lesson_cli
from tools import scaffold
from tools.scaffold import TEMPLATES, ScaffoldError, new_command, new_lesson, schema_reference


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content, to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- every template: valid, runnable, passing ------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_new_lesson_validates_cleanly_and_passes_its_walkthrough(
    template: str, tmp_path: Path
) -> None:
    folder = new_lesson(f"my-{template}", template, tmp_path / "lessons")
    assert folder == tmp_path / "lessons" / f"my-{template}"
    assert sorted(tree(folder)) == ["README.md", "lesson.yaml", "scripts/walkthrough.yaml"]
    for text in (p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()):
        assert not scaffold.PLACEHOLDER.search(text), "a placeholder was left unfilled"

    lesson_file = folder / "lesson.yaml"
    first = lesson_file.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_COMMENT)
    reference = first.removeprefix(SCHEMA_COMMENT)
    assert not Path(reference).is_absolute(), "relative whenever a relative path exists"
    assert (folder / reference).resolve() == SCHEMA_PATH.resolve()

    assert validate_paths([lesson_file]) == []  # no error, no warning
    meta = load_lesson(lesson_file).lesson.metadata
    assert (meta.id, meta.title) == (f"my-{template}", f"My {template}")
    assert load_script(folder / "scripts" / "walkthrough.yaml")

    script = folder / "scripts" / "walkthrough.yaml"
    log = tmp_path / "walkthrough.jsonl"
    run_args = ("--headless", "--script", str(script), "--size", "320x180", "--record", str(log))
    proc = lesson_cli("run", str(folder), *run_args, tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "completed" in proc.stdout

    # the tutorial's last step: the recording replays to the same decisions
    proc = lesson_cli("replay", str(log), "--lesson", str(folder), tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_lab_is_a_measured_experiment_with_a_numeric_question_and_a_knob(
    tmp_path: Path,
) -> None:
    lesson = load_lesson(new_lesson("bench", "lab", tmp_path)).lesson
    simulations = {"pendulum", "container"}
    assert any(simulations & set(e.components()) for e in lesson.entities)
    assert any(s.complete_when.measured is not None for s in lesson.steps)
    assert [q.kind for q in lesson.questions] == ["numeric"]
    assert lesson.difficulty, "a difficulty knob the adaptivity engine can move"


def test_the_site_has_two_narrated_places_a_timeline_and_a_choice_question(
    tmp_path: Path,
) -> None:
    lesson = load_lesson(new_lesson("square", "site", tmp_path)).lesson
    places = [e for e in lesson.entities if e.point_of_interest is not None]
    assert len(places) == 2
    assert all(e.narration is not None and e.narration.captions for e in places)
    assert any(e.info_panel is not None and e.info_panel.timeline for e in lesson.entities)
    assert [q.kind for q in lesson.questions] == ["choice"]


def test_the_blank_lesson_is_one_entity_and_one_step_and_mostly_comments(tmp_path: Path) -> None:
    folder = new_lesson("empty", "blank", tmp_path)
    lesson = load_lesson(folder).lesson
    assert (len(lesson.entities), len(lesson.steps)) == (1, 1)
    lines = (folder / "lesson.yaml").read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.lstrip().startswith("#") or " # " in line]
    assert len(comments) > len(lines) / 2


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_teaches_the_format_in_its_comments(template: str) -> None:
    text = (scaffold.TEMPLATES_DIR / template / "lesson.yaml").read_text(encoding="utf-8")
    for topic in ("Z is UP", "Units", "hint ladder", "To add a step", "lesson validate"):
        assert topic in text, f"the {template} template does not explain {topic!r}"


def test_a_title_with_yaml_syntax_in_it_stays_text(tmp_path: Path) -> None:
    title = 'Agora: "the" market #1 - [draft]'
    folder = new_lesson("agora", "site", tmp_path, title=title)
    assert validate_paths([folder / "lesson.yaml"]) == []
    assert load_lesson(folder).lesson.metadata.title == title
    assert (folder / "README.md").read_text(encoding="utf-8").startswith(f"# {title}\n")


# --- where the schema is ---------------------------------------------------------------------


def test_the_schema_reference_is_relative_from_anywhere(tmp_path: Path) -> None:
    for folder in (tmp_path / "a" / "b" / "c", REPO_ROOT / "lessons" / "x"):
        reference = schema_reference(folder)
        assert not reference.startswith(("/", "file:"))
        assert (folder / reference).resolve() == SCHEMA_PATH.resolve()
    assert schema_reference(REPO_ROOT / "lessons" / "x") == "../../schema/lesson.schema.json"


def test_the_schema_reference_is_a_file_uri_when_no_relative_path_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def other_drive(path: str, start: str | None = None) -> str:
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    monkeypatch.setattr(scaffold.os.path, "relpath", other_drive)
    assert schema_reference(tmp_path) == SCHEMA_PATH.resolve().as_uri()


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "My-Lab", "my_lab", "my lab", "-lab", "lab-", "a--b", "../up", "a/b", "x" * 65]
)
def test_a_name_that_is_not_a_kebab_case_id_is_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=r"lesson id|longer than"):
        new_lesson(name, "blank", tmp_path / "dest")
    assert not (tmp_path / "dest").exists(), "nothing is created for a refused name"


def test_an_unknown_template_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="use one of: lab, site, blank"):
        new_lesson("ok", "quiz", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_lesson_is_never_overwritten(tmp_path: Path) -> None:
    folder = new_lesson("mine", "lab", tmp_path)
    (folder / "lesson.yaml").write_text("# my own work\n", encoding="utf-8")
    (folder / "notes.txt").write_text("keep me\n", encoding="utf-8")
    before = tree(folder)
    for template in TEMPLATES:
        with pytest.raises(ScaffoldError, match=r"already exists.*never overwrites"):
            new_lesson("mine", template, tmp_path)
    assert tree(folder) == before


def test_an_existing_empty_folder_or_file_of_that_name_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "taken").write_text("a file\n", encoding="utf-8")
    for name in ("empty", "taken"):
        with pytest.raises(ScaffoldError, match="already exists"):
            new_lesson(name, "blank", tmp_path)
    assert list((tmp_path / "empty").iterdir()) == []
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file\n"


def test_a_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    dest = tmp_path / "file.txt"
    dest.write_text("x", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="is a file, not a folder"):
        new_lesson("ok", "blank", dest)


def test_a_missing_destination_is_created(tmp_path: Path) -> None:
    folder = new_lesson("deep", "blank", tmp_path / "a" / "b")
    assert (folder / "lesson.yaml").is_file()


def test_a_failed_write_leaves_no_half_made_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError):
        new_lesson("half", "lab", tmp_path)
    assert not (tmp_path / "half").exists()


def test_the_command_says_what_it_made_or_why_not(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert new_command("first", "site", tmp_path, out=out, err=err) == 0
    assert f"created {tmp_path / 'first'}" in out.getvalue()
    assert "lesson run . --headless --script scripts/walkthrough.yaml" in out.getvalue()
    assert err.getvalue() == ""

    out, err = io.StringIO(), io.StringIO()
    assert new_command("first", "lab", tmp_path, out=out, err=err) == 1
    assert err.getvalue().startswith("lesson new: ") and "already exists" in err.getvalue()
    assert out.getvalue() == ""
