"""The authoring guide cannot go stale: the generated pages equal what ``tools.docs_gen`` makes
today, every lint code has a golden example, and the tutorial's lesson validates, passes its
script headless, and says what ``lesson validate`` really prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.model.diagnostics import CODES
from engine.model.loader import validate_paths
from engine.model.schema import lesson_json_schema
from engine.paths import REPO_ROOT
from tests.cli import lesson_cli
from tools import docs_gen
from tools.docs_gen import (
    EXAMPLES_DIR,
    LINT_CODES_PATH,
    NOTES,
    REFERENCE_PATH,
    diagnostics,
    examples,
    examples_by_code,
)

DOCS = REPO_ROOT / "docs"
TUTORIAL = DOCS / "tutorial.md"
FENCE = re.compile(r"^```(?P<info>[^`\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")


def blocks(path: Path, info: str) -> list[str]:
    """The bodies of the fenced blocks of ``path`` whose info string is exactly ``info``."""
    text = path.read_text(encoding="utf-8")
    return [m["body"] for m in FENCE.finditer(text) if m["info"].strip() == info]


# --- the generated pages ------------------------------------------------------------------------


def test_the_committed_pages_are_what_docs_gen_generates_today() -> None:
    for path, text in docs_gen.generated().items():
        name = path.relative_to(REPO_ROOT)
        assert path.is_file(), f"{name} is missing: run 'python -m tools.docs_gen'"
        current = path.read_text(encoding="utf-8")
        assert current == text, f"{name} is out of date: run 'python -m tools.docs_gen'"


def test_the_reference_documents_every_model_and_every_key() -> None:
    schema = lesson_json_schema()
    text = REFERENCE_PATH.read_text(encoding="utf-8")
    models = [("Lesson", schema), *schema["$defs"].items()]
    for name, model in models:
        section = text.split(f"\n## {name}\n", 1)
        assert len(section) == 2, f"no section for {name}"
        body = section[1].split("\n## ", 1)[0]
        for key in model.get("properties", {}):
            assert f"| `{key}` |" in body, f"{name}.{key} is not in the reference"


def test_notes_only_fill_keys_the_models_leave_undescribed() -> None:
    schema = lesson_json_schema()
    for note in NOTES:
        model, key = note.split(".", 1)
        properties = (schema if model == "Lesson" else schema["$defs"].get(model, {})).get(
            "properties", {}
        )
        assert key in properties, f"NOTES['{note}'] names a key the format no longer has"
        assert not properties[key].get("description"), (
            f"{note} now has a description in the model: delete NOTES['{note}']"
        )


def test_every_code_has_a_section_and_a_golden_example() -> None:
    text = LINT_CODES_PATH.read_text(encoding="utf-8")
    by_code = examples_by_code()
    for code in CODES:
        assert f"\n## {code}\n" in text, f"{code} is not in lint-codes.md"
        assert by_code.get(code), (
            f"no example triggers '{code}': add a lesson headed '# expect: {code} at L:C' "
            f"('# expect-warning:' for a warning) to tests/fixtures/invalid/ or "
            f"{EXAMPLES_DIR.relative_to(REPO_ROOT)}/"
        )


def test_every_example_gives_the_diagnostics_its_header_expects() -> None:
    for example in examples():
        assert example.expected, f"{example.shown_path} has no '# expect:' line"
        assert example.summary, f"{example.shown_path} has no summary line in its header"
        found = {(d.code, d.line, d.column, d.severity) for d in diagnostics(example)}
        for expected in example.expected:
            assert expected[0] in CODES, f"{example.shown_path}: unknown code {expected[0]}"
            assert expected in found, f"{example.shown_path}: {expected} not in {sorted(found)}"


@pytest.mark.parametrize("path", sorted(EXAMPLES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_guides_own_examples_give_exactly_their_diagnostics(path: Path) -> None:
    example = docs_gen.read_example(path)
    found = {(d.code, d.line, d.column, d.severity) for d in diagnostics(example)}
    assert found == set(example.expected)


def test_check_mode_writes_nothing_and_fails_on_a_stale_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docs_gen, "REFERENCE_PATH", tmp_path / "reference.md")
    monkeypatch.setattr(docs_gen, "LINT_CODES_PATH", tmp_path / "lint-codes.md")
    assert docs_gen.main(["--check"]) == 1
    assert list(tmp_path.iterdir()) == []
    assert docs_gen.main([]) == 0
    assert docs_gen.main(["--check"]) == 0
    (tmp_path / "lint-codes.md").write_text("edited by hand\n", encoding="utf-8")
    assert docs_gen.main(["--check"]) == 1


# --- the tutorial ------------------------------------------------------------------------------


def tutorial_lesson() -> tuple[str, str]:
    """The tutorial's finished lesson and its walkthrough script."""
    lessons, scripts = blocks(TUTORIAL, "yaml lesson"), blocks(TUTORIAL, "yaml script")
    assert len(lessons) == 1 and len(scripts) == 1, "one lesson block and one script block"
    return lessons[0], scripts[0]


def test_the_tutorials_lesson_validates_and_passes_its_script_headless(tmp_path: Path) -> None:
    lesson, script = tutorial_lesson()
    folder = tmp_path / "ball-in-cup"
    (folder / "scripts").mkdir(parents=True)
    (folder / "lesson.yaml").write_text(lesson, encoding="utf-8")
    (folder / "scripts" / "walkthrough.yaml").write_text(script, encoding="utf-8")
    assert validate_paths([folder / "lesson.yaml"]) == []

    log = tmp_path / "walkthrough.jsonl"
    script_path = str(folder / "scripts" / "walkthrough.yaml")
    run_args = ("--headless", "--script", script_path, "--size", "320x180", "--record", str(log))
    proc = lesson_cli("run", str(folder), *run_args, tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = lesson_cli("replay", str(log), "--lesson", str(folder), tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_plain_yaml_block_of_the_tutorial_is_an_excerpt_of_its_lesson() -> None:
    lesson, _ = tutorial_lesson()
    excerpts = blocks(TUTORIAL, "yaml")
    assert excerpts
    for excerpt in excerpts:
        assert excerpt in lesson, f"not in the finished lesson:\n{excerpt}"


def test_the_tutorials_validate_output_is_what_validate_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson, _ = tutorial_lesson()
    assert "`zone: blue_cupp`" in TUTORIAL.read_text(encoding="utf-8")
    assert lesson.count("zone: blue_cup}") == 1
    (tmp_path / "lesson.yaml").write_text(
        lesson.replace("zone: blue_cup}", "zone: blue_cupp}"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    printed = [str(d) for d in validate_paths(["lesson.yaml"])]
    (shown,) = blocks(TUTORIAL, "text validate-output")
    assert printed == shown.splitlines()


# --- links ------------------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_every_link_in_the_guide_leads_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    outside = FENCE.sub("", text)
    for match in LINK.finditer(outside):
        target = match["target"]
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path) if path else page
        assert file.exists(), f"{page.name}: {target} does not exist"
        if anchor and file.suffix == ".md":
            headings = re.findall(
                r"^#+ (.+)$", FENCE.sub("", file.read_text(encoding="utf-8")), re.M
            )
            assert anchor in {_slug(h) for h in headings}, f"{page.name}: no heading #{anchor}"


def test_the_index_links_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        if page.name != "README.md":
            assert f"]({page.name})" in index, f"docs/README.md does not link {page.name}"


# --- the adaptivity page ------------------------------------------------------------------------

ADAPTIVITY = DOCS / "adaptivity.md"


def test_the_adaptivity_page_lists_every_threshold_with_its_default() -> None:
    import dataclasses

    from adaptivity.config import AdaptivityConfig

    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", ADAPTIVITY.read_text(encoding="utf-8"), re.M)
    listed = {name: float(default) for name, default in rows}
    config = AdaptivityConfig()
    fields = {f.name: float(getattr(config, f.name)) for f in dataclasses.fields(config)}
    assert listed == fields


def test_the_adaptivity_pages_examples_are_excerpts_of_the_pendulum_lab() -> None:
    lesson = (REPO_ROOT / "lessons" / "pendulum-lab" / "lesson.yaml").read_text(encoding="utf-8")
    found = blocks(ADAPTIVITY, "yaml")
    assert found
    for body in found:
        assert body in lesson, f"not an excerpt of the pendulum lab:\n{body}"


def test_the_adaptivity_pages_replay_output_is_what_replay_prints(tmp_path: Path) -> None:
    log = REPO_ROOT / "lessons" / "pendulum-lab" / "recordings" / "struggling.jsonl"
    proc = lesson_cli("replay", str(log), "--why", tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (shown,) = blocks(ADAPTIVITY, "text")
    assert shown in proc.stdout
