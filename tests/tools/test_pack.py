"""Lesson packs: what a pack holds, that it is repeatable and runs once installed, and that
every kind of hostile or damaged pack is refused with nothing written.

Each refusal is a crafted zip that is a valid pack in every way but one, so the test shows
that one check, not whichever check happened to fire first.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import struct
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from engine.model.lesson import FORMAT_VERSION
from engine.model.loader import load_lesson
from engine.paths import ASSETS_DIR, LESSONS_DIR
from tests.cli import lesson_cli
from tools.pack import (
    MANIFEST,
    PACK_FORMAT,
    PACK_SUFFIX,
    PackError,
    PackLimits,
    install_pack,
    lesson_from_pack,
    open_pack,
    pack_contents,
    pack_lesson,
    used_assets,
)

LESSONS = sorted(p.name for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file())
LESSON = "pendulum-lab"

Entry = tuple[str | zipfile.ZipInfo, bytes]


# --- helpers --------------------------------------------------------------------------------


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lesson_files(lesson: str = LESSON) -> dict[str, bytes]:
    """What a genuine pack of ``lesson`` holds, by name (the manifest aside)."""
    _, files = pack_contents(lesson)
    return {name: path.read_bytes() for name, path in sorted(files.items())}


def manifest_for(files: Iterable[Entry], **overrides: Any) -> dict[str, Any]:
    """A manifest that lists ``files`` truthfully, with ``overrides`` on top."""
    listed = {}
    for name, data in files:
        key = name.filename if isinstance(name, zipfile.ZipInfo) else name
        listed[key] = {"sha256": sha(data), "size": len(data)}
    manifest: dict[str, Any] = {
        "pack_format": PACK_FORMAT,
        "format": FORMAT_VERSION,
        "lesson": {"id": LESSON, "title": "The simple pendulum"},
        "created_by": "tests",
        "files": listed,
    }
    manifest.update(overrides)
    return manifest


def craft(
    path: Path,
    entries: Sequence[Entry],
    manifest: dict[str, Any] | bytes | None,
) -> Path:
    """Write a zip of ``entries`` (names or ZipInfos) and, unless None, ``manifest``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if manifest is not None:
            raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            zf.writestr(MANIFEST, raw)
        for name, data in entries:
            zf.writestr(name, data)
    return path


def genuine_entries(**changes: bytes) -> list[Entry]:
    files = lesson_files()
    files.update(changes)
    return list(files.items())


def with_extra(*extra: Entry, listed: bool = True) -> tuple[list[Entry], dict[str, Any]]:
    """The genuine pendulum files plus ``extra``; the manifest lists the extras too."""
    entries = genuine_entries() + list(extra)
    return entries, manifest_for(entries if listed else genuine_entries())


def patch_central(pack: Path, name: str, **fields: int) -> None:
    """Rewrite fields of ``name``'s central directory record (what zip readers trust)."""
    offsets = {"flags": (8, "<H"), "crc": (16, "<I"), "compress_size": (20, "<I")}
    offsets["file_size"] = (24, "<I")
    data = bytearray(pack.read_bytes())
    wanted = name.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == wanted:
            for field, value in fields.items():
                offset, fmt = offsets[field]
                struct.pack_into(fmt, data, at + offset, value)
            pack.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no central record for {name}")


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (to prove that a refusal wrote nothing anywhere)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def assert_refused(
    pack: Path, tmp_path: Path, *messages: str, limits: PackLimits | None = None
) -> PackError:
    """Both ways of opening ``pack`` refuse it, naming ``messages``, and write nothing.

    The library sits two folders below ``tmp_path`` so that an entry climbing out with
    ``../`` or ``../../`` would land inside ``tmp_path``, where the check would see it.
    """
    library = tmp_path / "home" / "library"
    library.mkdir(parents=True, exist_ok=True)
    before = tree(tmp_path)
    limits = limits or PackLimits()
    with pytest.raises(PackError) as installed:
        install_pack(pack, library, limits=limits)
    dest = tmp_path / "home" / "opened"
    with pytest.raises(PackError) as opened:
        open_pack(pack, dest, limits=limits)
    for exc in (installed.value, opened.value):
        for message in messages:
            assert message in str(exc), str(exc)
    assert tree(tmp_path) == before, "a refused pack wrote files"
    assert not dest.exists()
    assert not any(library.iterdir()), "a refused pack left a partial install"
    return installed.value


# --- making packs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every bundled lesson, packed once for the module."""
    out = tmp_path_factory.mktemp("packs")
    return {lesson: pack_lesson(lesson, out / f"{lesson}{PACK_SUFFIX}") for lesson in LESSONS}


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_pack_holds_the_lesson_and_only_the_assets_it_uses(
    lesson: str, packs: dict[str, Path]
) -> None:
    folder = LESSONS_DIR / lesson
    loaded = load_lesson(lesson)
    with zipfile.ZipFile(packs[lesson]) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(MANIFEST))
        contents = {n: zf.read(n) for n in names if n != MANIFEST}
        infos = zf.infolist()

    # the manifest first, then every file in sorted order; nothing else
    assert names[0] == MANIFEST and names[1:] == sorted(names[1:])
    assert "lesson.yaml" in contents
    expected_lesson = {"lesson.yaml"} | {
        p.relative_to(folder).as_posix()
        for sub in ("scripts", "recordings")
        for p in (folder / sub).rglob("*")
        if p.is_file()
    }
    assets = {n for n in contents if n.startswith("assets/")}
    assert set(contents) - assets == expected_lesson
    assert assets == {f"assets/{a}" for a in used_assets(loaded.lesson)}
    for name in assets:
        assert contents[name] == (ASSETS_DIR / name.removeprefix("assets/")).read_bytes()
    for name in expected_lesson:
        assert contents[name] == (folder / name).read_bytes()

    assert manifest["pack_format"] == PACK_FORMAT
    assert manifest["format"] == FORMAT_VERSION
    assert manifest["lesson"] == {"id": lesson, "title": loaded.lesson.metadata.title}
    assert manifest["created_by"].startswith("peripatos ")
    assert manifest["files"] == {
        n: {"sha256": sha(data), "size": len(data)} for n, data in contents.items()
    }
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert stat.S_ISREG(info.external_attr >> 16)


def test_the_agora_pack_carries_its_models_and_textures_but_no_others(
    packs: dict[str, Path],
) -> None:
    with zipfile.ZipFile(packs["athenian-agora"]) as zf:
        assets = sorted(n for n in zf.namelist() if n.startswith("assets/"))
    assert assets == ["assets/models/doric_column.glb", "assets/textures/marble.png"]
    with zipfile.ZipFile(packs["pendulum-lab"]) as zf:
        assert not [n for n in zf.namelist() if n.startswith("assets/")]


def test_packing_is_repeatable_to_the_byte(packs: dict[str, Path], tmp_path: Path) -> None:
    # a copy elsewhere, with new timestamps and a stray file, packs to the same bytes
    copy = tmp_path / "elsewhere" / "pendulum-lab"
    shutil.copytree(LESSONS_DIR / "pendulum-lab", copy, copy_function=shutil.copy)
    (copy / "scripts" / ".notes.swp").write_text("editor junk")
    again = pack_lesson(LESSON, tmp_path / "again.lessonpack")
    moved = pack_lesson(copy, tmp_path / "moved.lessonpack")
    original = packs[LESSON].read_bytes()
    assert again.read_bytes() == original
    assert moved.read_bytes() == original


def test_a_lessons_own_assets_are_packed_before_the_projects(tmp_path: Path) -> None:
    copy = tmp_path / "agora"
    shutil.copytree(LESSONS_DIR / "athenian-agora", copy)
    own = copy / "assets" / "textures" / "marble.png"
    own.parent.mkdir(parents=True)
    shutil.copy(ASSETS_DIR / "textures" / "stone_floor.png", own)  # a different, valid image
    (copy / "assets" / "textures" / "unused.png").write_bytes(own.read_bytes())
    pack = pack_lesson(copy, tmp_path)
    assert pack == tmp_path / f"athenian-agora{PACK_SUFFIX}"  # a folder gets ID.lessonpack
    with zipfile.ZipFile(pack) as zf:
        assert zf.read("assets/textures/marble.png") == own.read_bytes()
        assert "assets/textures/unused.png" not in zf.namelist()


def test_an_invalid_lesson_is_not_packed(tmp_path: Path) -> None:
    from engine.model import LessonError

    bad = tmp_path / "bad"
    shutil.copytree(LESSONS_DIR / LESSON, bad)
    text = (bad / "lesson.yaml").read_text().replace("zone: pendulum", "zone: pendulumm")
    (bad / "lesson.yaml").write_text(text)
    with pytest.raises(LessonError, match="unknown-entity"):
        pack_lesson(bad, tmp_path / "bad.lessonpack")
    assert not (tmp_path / "bad.lessonpack").exists()


# --- installing and running -----------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS)
def test_an_installed_pack_runs_its_walkthrough(
    lesson: str, packs: dict[str, Path], tmp_path: Path
) -> None:
    library = tmp_path / "library"
    installed = install_pack(packs[lesson], library)
    assert installed == library / lesson
    assert sorted(p.name for p in library.iterdir()) == [lesson]  # no temporary folders left
    with zipfile.ZipFile(packs[lesson]) as zf:
        listed = json.loads(zf.read(MANIFEST))["files"]
    on_disk = {
        p.relative_to(installed).as_posix(): p.read_bytes()
        for p in installed.rglob("*")
        if p.is_file()
    }
    assert {n: sha(d) for n, d in on_disk.items()} == {n: f["sha256"] for n, f in listed.items()}

    proc = lesson_cli(
        "run",
        str(installed / "lesson.yaml"),
        "--headless",
        "--script",
        str(installed / "scripts" / "walkthrough.yaml"),
        "--size",
        "320x180",
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "completed" in proc.stdout


def test_installing_twice_needs_replace(packs: dict[str, Path], tmp_path: Path) -> None:
    library = tmp_path / "library"
    installed = install_pack(packs[LESSON], library)
    (installed / "scripts" / "walkthrough.yaml").write_text("# edited\n")
    with pytest.raises(PackError, match="already installed"):
        install_pack(packs[LESSON], library)
    assert (installed / "scripts" / "walkthrough.yaml").read_text() == "# edited\n"
    assert install_pack(packs[LESSON], library, replace=True) == installed
    original = (LESSONS_DIR / LESSON / "scripts" / "walkthrough.yaml").read_bytes()
    assert (installed / "scripts" / "walkthrough.yaml").read_bytes() == original
    assert sorted(p.name for p in library.iterdir()) == [LESSON]


def test_a_refused_replacement_keeps_the_installed_lesson(
    packs: dict[str, Path], tmp_path: Path
) -> None:
    library = tmp_path / "library"
    installed = install_pack(packs[LESSON], library)
    before = {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()}
    entries = genuine_entries()
    bad = craft(tmp_path / "bad.lessonpack", entries, manifest_for(entries, format=99))
    with pytest.raises(PackError, match="unknown lesson format"):
        install_pack(bad, library, replace=True)
    assert {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in library.iterdir()) == [LESSON]


def test_lesson_from_pack_unpacks_once_keyed_by_the_packs_hash(
    packs: dict[str, Path], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    pack = packs["athenian-agora"]
    lesson = lesson_from_pack(pack, cache)
    assert lesson == cache / sha(pack.read_bytes()) / "lesson.yaml"
    loaded = load_lesson(lesson)
    assert loaded.lesson.metadata.id == "athenian-agora"
    # the models and textures come from the unpacked lesson, not the project
    assert loaded.asset_path("textures/marble.png") == lesson.parent / "assets/textures/marble.png"
    stamp = lesson.stat().st_mtime_ns
    assert lesson_from_pack(pack, cache) == lesson
    assert lesson.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [lesson.parent.name]


# --- refusals: where entries would land -----------------------------------------------------


def test_refuses_an_entry_climbing_out_with_dot_dot(tmp_path: Path) -> None:
    entries, manifest = with_extra(("../../evil.txt", b"owned"))
    pack = craft(tmp_path / "packs" / "slip.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'../../evil.txt'", "'..'")
    assert not (tmp_path / "evil.txt").exists()


def test_refuses_an_absolute_entry(tmp_path: Path) -> None:
    target = tmp_path / "abs-evil.txt"
    entries, manifest = with_extra((str(target), b"owned"))
    pack = craft(tmp_path / "packs" / "abs.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, str(target), "absolute path")
    assert not target.exists()


def test_refuses_an_entry_with_a_drive_letter(tmp_path: Path) -> None:
    entries, manifest = with_extra(("C:/Windows/evil.txt", b"owned"))
    pack = craft(tmp_path / "packs" / "drive.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'C:/Windows/evil.txt'", "drive letter")


def test_refuses_an_entry_with_backslashes(tmp_path: Path) -> None:
    name = "scripts\\..\\..\\evil.txt"
    entries, manifest = with_extra((name, b"owned"))
    pack = craft(tmp_path / "packs" / "backslash.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, repr(name), "backslash")


# --- refusals: what entries are -------------------------------------------------------------


def _special(name: str, kind: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (kind | 0o777) << 16
    return info


def test_refuses_a_symbolic_link(tmp_path: Path) -> None:
    link = _special("scripts/passwd.yaml", stat.S_IFLNK)
    entries, manifest = with_extra((link, b"../../../../etc/passwd"))
    pack = craft(tmp_path / "packs" / "link.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'scripts/passwd.yaml'", "symbolic link")


def test_refuses_a_device_or_fifo(tmp_path: Path) -> None:
    fifo = _special("scripts/pipe", stat.S_IFIFO)
    entries, manifest = with_extra((fifo, b""))
    pack = craft(tmp_path / "packs" / "fifo.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'scripts/pipe'", "not a regular file")


def test_refuses_too_many_entries(tmp_path: Path) -> None:
    many = [(f"scripts/n{i:05d}.yaml", b"- wait: 1 s\n") for i in range(5000)]
    entries, manifest = with_extra(*many)
    pack = craft(tmp_path / "packs" / "many.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "too many entries", "5000")


def test_refuses_an_entry_declared_over_the_size_limit(tmp_path: Path) -> None:
    entries, manifest = with_extra(("recordings/big.jsonl", b"{}\n"))
    pack = craft(tmp_path / "packs" / "big.lessonpack", entries, manifest)
    # a header claiming 3 GB: refused on the claim, before a byte is inflated
    patch_central(pack, "recordings/big.jsonl", file_size=3_000_000_000)
    assert_refused(pack, tmp_path, "'recordings/big.jsonl'", "over the limit")


def test_refuses_entries_that_add_up_over_the_total_limit(tmp_path: Path) -> None:
    genuine = sum(len(data) for _, data in genuine_entries())
    blob = bytes(range(256)) * 40  # 10 kB, far under the limit of one entry
    entries, manifest = with_extra(*[(f"recordings/part{i}.bin", blob) for i in range(4)])
    pack = craft(tmp_path / "packs" / "total.lessonpack", entries, manifest)
    limit = genuine + 2 * len(blob) + 4096  # the manifest and two parts fit, four do not
    limits = PackLimits(max_total_size=limit)
    assert_refused(pack, tmp_path, f"add up to more than {limit} bytes", limits=limits)


def test_refuses_a_zip_bomb_by_its_compression_ratio(tmp_path: Path) -> None:
    entries, manifest = with_extra(("recordings/bomb.jsonl", bytes(20 << 20)))
    pack = craft(tmp_path / "packs" / "bomb.lessonpack", entries, manifest)
    assert pack.stat().st_size < 200_000  # 20 MB of zeros in a small file
    assert_refused(pack, tmp_path, "'recordings/bomb.jsonl'", "zip bomb")


def test_refuses_an_entry_holding_fewer_bytes_than_it_declares(tmp_path: Path) -> None:
    entries = genuine_entries()
    files = dict(entries)
    name = "scripts/walkthrough.yaml"
    real = len(files[name])
    manifest = manifest_for(entries)
    manifest["files"][name]["size"] = real + 100  # the manifest agrees with the lie
    pack = craft(tmp_path / "packs" / "short.lessonpack", entries, manifest)
    patch_central(pack, name, file_size=real + 100)
    assert_refused(pack, tmp_path, f"'{name}' declares {real + 100} bytes but holds {real}")


def test_refuses_an_entry_inflating_past_what_it_declares(tmp_path: Path) -> None:
    entries = genuine_entries()
    files = dict(entries)
    name = "scripts/walkthrough.yaml"
    real = len(files[name])
    manifest = manifest_for(entries)
    manifest["files"][name]["size"] = real - 100
    pack = craft(tmp_path / "packs" / "long.lessonpack", entries, manifest)
    patch_central(pack, name, file_size=real - 100)
    assert_refused(pack, tmp_path, f"'{name}' is corrupt")


def test_refuses_an_encrypted_entry(tmp_path: Path) -> None:
    entries, manifest = with_extra()
    pack = craft(tmp_path / "packs" / "locked.lessonpack", entries, manifest)
    patch_central(pack, "scripts/walkthrough.yaml", flags=0x1)
    assert_refused(pack, tmp_path, "'scripts/walkthrough.yaml' is encrypted")


def test_refuses_the_same_name_twice(tmp_path: Path) -> None:
    # the copy extracted last would win over the one that was checked
    entries = genuine_entries()
    second = ("scripts/walkthrough.yaml", b"- wait: 1 s\n")
    pack = tmp_path / "packs" / "twice.lessonpack"
    with pytest.warns(UserWarning, match="Duplicate name"):
        craft(pack, [*entries, second], manifest_for(entries))
    assert_refused(pack, tmp_path, "'scripts/walkthrough.yaml' appears twice")


def test_refuses_names_that_differ_only_in_case(tmp_path: Path) -> None:
    # one file on Windows and macOS: which one survives depends on the order of extraction
    entries, manifest = with_extra(("Lesson.yaml", b"format: 1\n"))
    pack = craft(tmp_path / "packs" / "case.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'Lesson.yaml' appears twice (as 'lesson.yaml')")


# --- refusals: the manifest -----------------------------------------------------------------


def test_refuses_a_hash_mismatch(tmp_path: Path) -> None:
    entries = genuine_entries()
    manifest = manifest_for(entries)
    manifest["files"]["scripts/walkthrough.yaml"]["sha256"] = sha(b"something else")
    pack = craft(tmp_path / "packs" / "hash.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'scripts/walkthrough.yaml' does not match its SHA-256")


def test_refuses_a_file_changed_after_packing(tmp_path: Path) -> None:
    entries = genuine_entries()
    manifest = manifest_for(entries)
    swapped = genuine_entries(**{"lesson.yaml": dict(entries)["lesson.yaml"] + b"# extra\n"})
    manifest["files"]["lesson.yaml"]["size"] = len(dict(swapped)["lesson.yaml"])
    pack = craft(tmp_path / "packs" / "changed.lessonpack", swapped, manifest)
    assert_refused(pack, tmp_path, "'lesson.yaml' does not match its SHA-256")


def test_refuses_a_size_mismatch(tmp_path: Path) -> None:
    entries = genuine_entries()
    manifest = manifest_for(entries)
    manifest["files"]["lesson.yaml"]["size"] += 1
    pack = craft(tmp_path / "packs" / "size.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'lesson.yaml' is", "but the manifest says")


def test_refuses_a_file_the_manifest_does_not_list(tmp_path: Path) -> None:
    entries, manifest = with_extra(("scripts/stowaway.yaml", b"- wait: 1 s\n"), listed=False)
    pack = craft(tmp_path / "packs" / "stowaway.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "'scripts/stowaway.yaml' is not listed in the manifest")


def test_refuses_a_listed_file_the_pack_lacks(tmp_path: Path) -> None:
    entries = genuine_entries()
    manifest = manifest_for([*entries, ("assets/models/ghost.glb", b"glTF")])
    pack = craft(tmp_path / "packs" / "lacking.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "lists 'assets/models/ghost.glb', which the pack lacks")


def test_refuses_a_pack_without_a_manifest(tmp_path: Path) -> None:
    pack = craft(tmp_path / "packs" / "bare.lessonpack", genuine_entries(), None)
    assert_refused(pack, tmp_path, "no manifest.json")


def test_refuses_a_manifest_that_is_not_json(tmp_path: Path) -> None:
    pack = craft(tmp_path / "packs" / "garbled.lessonpack", genuine_entries(), b"{files: [")
    assert_refused(pack, tmp_path, "manifest.json is not valid JSON")


def test_refuses_an_unknown_pack_format_version(tmp_path: Path) -> None:
    entries = genuine_entries()
    pack = craft(
        tmp_path / "packs" / "v2.lessonpack", entries, manifest_for(entries, pack_format=2)
    )
    assert_refused(pack, tmp_path, "unknown pack format version 2", "update Peripatos")


def test_refuses_an_unknown_lesson_format_version(tmp_path: Path) -> None:
    entries = genuine_entries()
    pack = craft(tmp_path / "packs" / "f2.lessonpack", entries, manifest_for(entries, format=2))
    assert_refused(pack, tmp_path, "unknown lesson format (schema) version 2")


def test_refuses_a_lesson_id_that_is_not_a_folder_name(tmp_path: Path) -> None:
    entries = genuine_entries()
    manifest = manifest_for(entries, lesson={"id": "../escape", "title": "x"})
    pack = craft(tmp_path / "packs" / "id.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "lesson id '../escape' is not a folder-safe id")


def test_refuses_a_manifest_naming_another_lesson(tmp_path: Path) -> None:
    entries = genuine_entries()
    manifest = manifest_for(entries, lesson={"id": "titration-lab", "title": "x"})
    pack = craft(tmp_path / "packs" / "other.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "names lesson 'titration-lab' but lesson.yaml is")


def test_refuses_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    pack = tmp_path / "packs" / "text.lessonpack"
    pack.parent.mkdir()
    pack.write_text("just text")
    assert_refused(pack, tmp_path, "not a lesson pack")


# --- refusals: the lesson -------------------------------------------------------------------


def test_refuses_a_lesson_that_does_not_match_the_schema(tmp_path: Path) -> None:
    text = lesson_files()["lesson.yaml"].replace(b"estimated_minutes:", b"estimated_minutez:", 1)
    entries = genuine_entries(**{"lesson.yaml": text})
    pack = craft(tmp_path / "packs" / "schema.lessonpack", entries, manifest_for(entries))
    error = assert_refused(pack, tmp_path, "the lesson does not validate", "unknown-key")
    assert error.diagnostics and error.diagnostics[0].path.endswith("lesson.yaml")


def test_refuses_a_lesson_that_fails_its_checks_after_unpacking(tmp_path: Path) -> None:
    # valid to the schema (so it is unpacked to a temporary folder), then fails the checks
    text = lesson_files()["lesson.yaml"].replace(b"zone: pendulum", b"zone: pendulumm")
    entries = genuine_entries(**{"lesson.yaml": text})
    pack = craft(tmp_path / "packs" / "checks.lessonpack", entries, manifest_for(entries))
    error = assert_refused(pack, tmp_path, "the lesson does not validate", "unknown-entity")
    # located in the pack, not in the temporary folder that no longer exists
    assert all(d.path == f"{pack}:lesson.yaml" for d in error.diagnostics)


def test_refuses_a_lesson_missing_an_asset_it_uses(tmp_path: Path) -> None:
    files = lesson_files("athenian-agora")
    text = files["lesson.yaml"].replace(b"models/doric_column.glb", b"models/ionic_column.glb")
    files["lesson.yaml"] = text
    entries = list(files.items())
    manifest = manifest_for(entries, lesson={"id": "athenian-agora", "title": "The Agora"})
    pack = craft(tmp_path / "packs" / "asset.lessonpack", entries, manifest)
    assert_refused(pack, tmp_path, "missing-asset", "ionic_column.glb")


def test_an_intact_crafted_pack_is_accepted(tmp_path: Path) -> None:
    """The helpers above make a valid pack when nothing is wrong (so each refusal is real)."""
    entries, manifest = with_extra()
    pack = craft(tmp_path / "packs" / "fine.lessonpack", entries, manifest)
    dest = open_pack(pack, tmp_path / "opened")
    assert load_lesson(dest / "lesson.yaml").lesson.metadata.id == LESSON
    assert (dest / "lesson.yaml").read_bytes() == dict(entries)["lesson.yaml"]
