"""The `lesson` command's other subcommands, run as a learner or author would."""

from __future__ import annotations

import re
from pathlib import Path

from engine.paths import LESSONS_DIR, REPO_ROOT
from tests.cli import lesson_cli

FIXTURES = REPO_ROOT / "tests" / "fixtures"


def test_validate_bundled_lessons_passes(tmp_path: Path) -> None:
    paths = sorted(str(p) for p in LESSONS_DIR.glob("*/lesson.yaml"))
    proc = lesson_cli("validate", *paths, tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(paths)} file(s) checked: 0 error(s)" in proc.stderr


def test_validate_reports_located_errors_and_exits_1(tmp_path: Path) -> None:
    bad = FIXTURES / "invalid" / "unknown-entity.yaml"
    expect = re.search(r"# expect: (\S+) at (\d+):(\d+)", bad.read_text())
    assert expect is not None
    proc = lesson_cli("validate", str(bad), str(FIXTURES / "valid" / "minimal.yaml"), tmp=tmp_path)
    assert proc.returncode == 1
    code, line, col = expect.groups()
    assert f"{bad}:{line}:{col}: {code}: " in proc.stderr
    assert "Traceback" not in proc.stderr


def test_schema_check_and_list(tmp_path: Path) -> None:
    assert lesson_cli("schema", "--check", tmp=tmp_path).returncode == 0
    listed = lesson_cli("list", tmp=tmp_path).stdout
    assert "pendulum-lab" in listed and "athenian-agora" in listed


def test_bench_prints_its_figures(tmp_path: Path) -> None:
    proc = lesson_cli("bench", "pendulum-lab", "--frames", "8", "--entities", "20", tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"load: parse\+validate [\d.]+ ms, build scene [\d.]+ ms", out)
    assert re.search(r"core per 90 Hz frame \(36 entities\): mean [\d.]+ us", out)
    assert re.search(r"engine [\d.]+ ms, bare Panda3D same geometry [\d.]+ ms, ratio [\d.]+", out)


def test_fit_writes_priors_a_lesson_can_ship(tmp_path: Path) -> None:
    from adaptivity.priors import priors_from_yaml

    logs = sorted(str(p) for p in LESSONS_DIR.glob("*/recordings/walkthrough.jsonl"))
    out = tmp_path / "priors.yaml"
    proc = lesson_cli("fit", *logs, "-o", str(out), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    priors = priors_from_yaml(out)
    assert {"measurement", "civic-spaces", "titration-technique"} <= set(priors)
    assert all(0 <= p.guess < 0.5 and 0 <= p.slip < 0.5 for p in priors.values())


def test_pack_install_and_run_a_pack(tmp_path: Path) -> None:
    proc = lesson_cli("pack", "athenian-agora", "-o", str(tmp_path), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pack = tmp_path / "athenian-agora.lessonpack"
    script = LESSONS_DIR / "athenian-agora" / "scripts" / "walkthrough.yaml"
    run = lesson_cli("run", str(pack), "--headless", "--script", str(script), "--size", "320x180",
                     tmp=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    library = tmp_path / "library"
    done = lesson_cli("install", str(pack), "--library", str(library), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (library / "athenian-agora" / "assets" / "models" / "doric_column.glb").is_file()
    again = lesson_cli("install", str(pack), "--library", str(library), tmp=tmp_path)
    assert again.returncode == 1 and "lesson install:" in again.stderr


def test_a_tampered_pack_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    import zipfile

    good = tmp_path / "good.lessonpack"
    assert lesson_cli("pack", "pendulum-lab", "-o", str(good), tmp=tmp_path).returncode == 0
    evil = tmp_path / "evil.lessonpack"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("../escaped.txt", "gotcha")
    library = tmp_path / "library"
    proc = lesson_cli("install", str(evil), "--library", str(library), tmp=tmp_path)
    assert proc.returncode == 1
    assert "escaped.txt" in proc.stderr
    assert not (tmp_path / "escaped.txt").exists()
    assert not library.exists() or not any(library.iterdir())


def test_thumbnail_writes_a_poster(tmp_path: Path) -> None:
    poster = tmp_path / "poster.png"
    proc = lesson_cli("thumbnail", "titration-lab", "-o", str(poster), "--size", "320x180",
                      tmp=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert poster.stat().st_size > 5000
