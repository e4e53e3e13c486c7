"""Lesson packs: one ``NAME.lessonpack`` file that carries a lesson to another machine.

A pack is a zip whose root *is* the lesson folder: ``lesson.yaml``, ``scripts/``,
``recordings/``, a README, the priors file if the lesson names one, and under ``assets/`` only
the models and textures the lesson uses (copied from wherever :func:`resolve_asset` finds them,
so the unpacked lesson's own ``assets/`` folder resolves them first). ``manifest.json`` lists
the pack format, the lesson format (schema) version, the lesson's id and title, the Peripatos
version that made it, and the SHA-256 and size of every other file.

Packing is deterministic: sorted entries, fixed timestamps and permissions, a sorted manifest,
so the same lesson packs to the same bytes (and the same SHA-256, which keys the run cache).

Opening a pack trusts nothing in it. Everything is checked before anything is written: entry
names (no ``..``, absolute paths, drive letters, backslashes), entry types (no links, devices
or FIFOs, judged from the zip's external attributes), the number of entries, declared and
actual sizes and the compression ratio (zip bombs), the manifest (present, a known pack and
lesson format, listing every file with the right hash and size) and the lesson itself. The
files are then extracted into a fresh temporary folder beside the destination, the lesson is
validated again in place (asset references), and only then is the folder renamed into place,
atomically; a refused pack leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import posixpath
import re
import secrets
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.model.diagnostics import Diagnostic, LessonError
from engine.model.lesson import FORMAT_VERSION, Lesson
from engine.model.loader import load_lesson, parse_yaml, pydantic_diagnostics, resolve_asset

#: the layout of the pack itself (bump when the zip layout or the manifest changes meaning)
PACK_FORMAT = 1
#: lesson format versions this engine can open from a pack
SUPPORTED_LESSON_FORMATS: frozenset[int] = frozenset({FORMAT_VERSION})
PACK_SUFFIX = ".lessonpack"
MANIFEST = "manifest.json"
LESSON_FILE = "lesson.yaml"
#: lesson sub-folders that travel whole (hidden files and caches excluded)
LESSON_FOLDERS = ("scripts", "recordings")
#: zip's earliest representable time: a fixed timestamp makes packs byte-for-byte repeatable
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: the 'unix' creator, so readers take the external attributes as a mode
_UNIX = 3
_FILE_ATTR = (stat.S_IFREG | 0o644) << 16
#: Windows' FILE_ATTRIBUTE_REPARSE_POINT: how a zip made on Windows marks a link
_DOS_REPARSE_POINT = 0x400
_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")
_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HEX64 = r"^[0-9a-f]{64}$"


class PackError(Exception):
    """A pack that cannot be made, opened or installed; the message says which entry and why.

    Attributes:
        diagnostics: when the packed lesson does not validate, its located problems.
    """

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


@dataclass(frozen=True)
class PackLimits:
    """What a pack may hold before it is refused as a zip bomb or an abuse.

    Attributes:
        max_entries: zip entries, manifest and folders included.
        max_entry_size: uncompressed bytes of one file.
        max_total_size: uncompressed bytes of all files together.
        max_ratio: uncompressed / compressed size of one entry (deflate tops out near 1000:1
            on pathological input; real lesson files stay under 20:1).
        ratio_floor: entries smaller than this skip the ratio check (a small text file of
            repeated lines compresses far better than 100:1 and harms nobody).
        max_manifest_size: bytes of ``manifest.json``.
        max_pack_size: bytes of the pack file itself.
    """

    max_entries: int = 5000
    max_entry_size: int = 64 << 20
    max_total_size: int = 256 << 20
    max_ratio: float = 100.0
    ratio_floor: int = 1 << 20
    max_manifest_size: int = 4 << 20
    max_pack_size: int = 320 << 20


DEFAULT_LIMITS = PackLimits()


# --- the manifest ---------------------------------------------------------------------------


class FileRecord(BaseModel):
    """One file of the pack as the manifest records it."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(..., pattern=_HEX64)
    size: int = Field(..., ge=0)


class LessonRecord(BaseModel):
    """Which lesson the pack holds."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str


class Manifest(BaseModel):
    """``manifest.json``: what the pack is and the hash and size of each file."""

    model_config = ConfigDict(extra="forbid")

    pack_format: int
    format: int = Field(..., description="the lesson format (schema) version")
    lesson: LessonRecord
    created_by: str
    files: dict[str, FileRecord]

    def to_bytes(self) -> bytes:
        """The manifest as written in a pack: sorted keys, so packs are repeatable."""
        return (json.dumps(self.model_dump(), sort_keys=True, indent=2) + "\n").encode("utf-8")


def _created_by() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"peripatos {version('peripatos')}"
    except PackageNotFoundError:  # a bare source checkout, never installed
        return "peripatos (source)"


# --- making a pack --------------------------------------------------------------------------


def used_assets(lesson: Lesson) -> list[str]:
    """The asset names a lesson uses (models and textures), sorted, each once."""
    names: set[str] = set()
    floor = lesson.environment.floor
    if floor is not None and floor.texture:
        names.add(floor.texture)
    for entity in lesson.entities:
        if entity.model:
            names.add(entity.model)
        if entity.material is not None and entity.material.texture:
            names.add(entity.material.texture)
    return sorted(names)


def _gltf_dependencies(name: str, source: Path) -> dict[str, Path]:
    """A ``.gltf``'s external buffers and images (a ``.glb`` embeds its own), by asset name.

    Only the ``uri`` fields are read: the loader resolves them next to the ``.gltf`` file, so
    they travel beside it.
    """
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"cannot read the glTF file {source}: {exc}") from None
    deps: dict[str, Path] = {}
    for group in ("buffers", "images"):
        for item in data.get(group, []) or []:
            uri = item.get("uri") if isinstance(item, dict) else None
            if not isinstance(uri, str) or uri.startswith("data:"):
                continue
            relative = unquote(uri)
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), relative))
            if joined.startswith("../") or joined == ".." or posixpath.isabs(relative):
                raise PackError(
                    f"{source}: '{uri}' lies outside the assets folder; keep a model's files "
                    "beside it"
                )
            dep = source.parent / relative
            if not dep.is_file():
                raise PackError(f"{source}: '{uri}' not found at {dep}")
            deps[joined] = dep
    return deps


def _walk(folder: Path) -> Iterator[Path]:
    """Regular files under ``folder``, skipping hidden files and caches."""
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        if path.is_file():
            yield path


def pack_contents(lesson: str | Path) -> tuple[Lesson, dict[str, Path]]:
    """What a pack of ``lesson`` holds: the lesson and each file by its name in the pack.

    Raises:
        LessonError: the lesson does not validate.
        PackError: a file it needs is missing, or cannot be carried portably.
    """
    loaded = load_lesson(lesson)
    folder = loaded.folder
    files: dict[str, Path] = {}

    def add(name: str, source: Path) -> None:
        problem = _name_problem(name)
        if problem is not None:
            raise PackError(f"cannot pack {source} as '{name}': its name {problem}")
        known = files.get(name)
        if known is not None and known.resolve() != source.resolve():
            raise PackError(f"two files would be packed as '{name}': {known} and {source}")
        files[name] = source

    add(LESSON_FILE, loaded.path)
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.lower().startswith("readme"):
            add(path.name, path)
    for sub in LESSON_FOLDERS:
        if not (folder / sub).is_dir():
            continue
        for path in _walk(folder / sub):
            add(path.relative_to(folder).as_posix(), path)
    priors = loaded.lesson.adaptivity.priors_file
    if priors:
        rel = PurePosixPath(priors.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            raise PackError(
                f"priors_file '{priors}' lies outside the lesson folder; move it inside so the "
                "pack can carry it"
            )
        if not (folder / rel).is_file():
            raise PackError(f"priors_file '{priors}' not found at {folder / rel}")
        add(rel.as_posix(), folder / rel)
    for name in used_assets(loaded.lesson):
        source = resolve_asset(name, folder)
        if source is None:  # load_lesson's checks report this first; kept for check=False
            raise PackError(f"asset '{name}' not found")
        asset = PurePosixPath(name).as_posix()
        add(f"assets/{asset}", source)
        if source.suffix.lower() == ".gltf":
            for dep, path in _gltf_dependencies(asset, source).items():
                add(f"assets/{dep}", path)
    return loaded.lesson, files


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    # the same creator and mode on every OS, or a pack made on Windows would differ in bytes
    info.create_system = _UNIX
    info.external_attr = _FILE_ATTR
    return info


def pack_lesson(lesson: str | Path, output: Path, *, limits: PackLimits = DEFAULT_LIMITS) -> Path:
    """Write ``lesson`` as a pack and return the pack's path.

    Args:
        lesson: a lesson id, folder or ``lesson.yaml`` (see ``resolve_lesson``).
        output: the pack file to write, or an existing folder to write ``ID.lessonpack`` in.
        limits: the pack must open within these (the written pack is checked as
            :func:`open_pack` would check it).

    Raises:
        LessonError: the lesson does not validate (located diagnostics).
        PackError: a file cannot be packed, or the pack would be refused when opened.
    """
    model, files = pack_contents(lesson)
    target = output / f"{model.metadata.id}{PACK_SUFFIX}" if output.is_dir() else output
    records: dict[str, FileRecord] = {}
    contents: dict[str, bytes] = {}
    for name in sorted(files):
        data = files[name].read_bytes()
        contents[name] = data
        records[name] = FileRecord(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    manifest = Manifest(
        pack_format=PACK_FORMAT,
        format=model.format,
        lesson=LessonRecord(id=model.metadata.id, title=model.metadata.title),
        created_by=_created_by(),
        files=records,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        # the manifest first (readers find what the pack is without seeking), then sorted files
        zf.writestr(_zip_info(MANIFEST), manifest.to_bytes(), compresslevel=9)
        for name, data in contents.items():
            zf.writestr(_zip_info(name), data, compresslevel=9)
    packed = buffer.getvalue()
    # refuse to write a pack that open_pack would refuse (too big, too many files, a bomb)
    with zipfile.ZipFile(io.BytesIO(packed)) as zf:
        _inspect(zf, str(target), limits, len(packed))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(packed)
        os.chmod(tmp, 0o644)  # mkstemp's 0o600 would keep a pack meant for sharing private
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# --- checking a pack ------------------------------------------------------------------------


def _name_problem(name: str) -> str | None:
    """Why an entry name is unsafe to extract (or unportable), or None if it is fine.

    Names are POSIX paths relative to the pack's root: a name that could land outside the
    destination on any OS (``..``, ``/x``, ``C:x``, ``a\\..\\b``) or clash with a folder is
    refused, not cleaned up, since a pack we made never has one.
    """
    if not name:
        return "is empty"
    if "\\" in name:
        return "contains a backslash (a Windows path separator could escape the folder)"
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        return "contains a control character"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    if ":" in name:
        return "contains ':' (a drive or a Windows alternate data stream)"
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        return "contains '..' and would escape the folder"
    if any(p in ("", ".") for p in parts):
        return "has an empty or '.' path component"
    if len(name) > 1024 or any(len(p.encode("utf-8")) > 255 for p in parts):
        return "is too long"
    return None


def _entry_type_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an entry is not a plain file or folder (judged from its external attributes)."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is a special file (a device, FIFO or socket), not a regular file"
    if info.external_attr & _DOS_REPARSE_POINT:
        return "is a link (a Windows reparse point)"
    if kind == stat.S_IFDIR and not info.is_dir():
        return "is marked as a folder but named as a file"
    if info.is_dir() and kind == stat.S_IFREG:
        return "is named as a folder but marked as a file"
    return None


@dataclass
class _Checked:
    """A pack that passed every check that needs no writing."""

    manifest: Manifest
    files: list[zipfile.ZipInfo]


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: PackLimits) -> Iterator[bytes]:
    """The entry's bytes in chunks, counting what is actually read against what it declares.

    The declared sizes were checked already, but they are only claims: the count here stops a
    stream that inflates beyond its declaration or the limit, whatever the header says.
    """
    name = info.filename
    cap = min(info.file_size, limits.max_entry_size)
    read = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                read += len(chunk)
                if read > cap:
                    raise PackError(
                        f"entry '{name}' holds more than the {cap} bytes it declares or may hold"
                    )
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise PackError(f"entry '{name}' is corrupt: {exc}") from None
    if read != info.file_size:
        raise PackError(f"entry '{name}' declares {info.file_size} bytes but holds {read}")


def _inspect(zf: zipfile.ZipFile, shown: str, limits: PackLimits, pack_size: int) -> _Checked:
    """Every check that can be made without writing a byte; raise PackError on the first."""
    if pack_size > limits.max_pack_size:
        raise PackError(
            f"{shown}: the pack is {pack_size} bytes, over the limit of {limits.max_pack_size}"
        )
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise PackError(
            f"{shown}: too many entries ({len(infos)}; a pack may hold {limits.max_entries})"
        )
    seen: dict[str, str] = {}
    files: list[zipfile.ZipInfo] = []
    total = 0
    for info in infos:
        name = info.filename
        problem = _name_problem(name)
        if problem is not None:
            raise PackError(f"{shown}: entry {name!r} {problem}")
        problem = _entry_type_problem(info)
        if problem is not None:
            raise PackError(f"{shown}: entry '{name}' {problem}")
        if info.flag_bits & 0x1:
            raise PackError(f"{shown}: entry '{name}' is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackError(
                f"{shown}: entry '{name}' uses compression method {info.compress_type}; "
                "packs use only stored or deflated entries"
            )
        # one name per file on every file system (Windows and macOS fold case)
        key = name.removesuffix("/").casefold()
        if key in seen:
            raise PackError(f"{shown}: entry '{name}' appears twice (as '{seen[key]}')")
        seen[key] = name
        if info.is_dir():
            if info.file_size:
                raise PackError(f"{shown}: folder entry '{name}' has contents")
            continue
        if info.file_size > limits.max_entry_size:
            raise PackError(
                f"{shown}: entry '{name}' is {info.file_size} bytes uncompressed, over the "
                f"limit of {limits.max_entry_size}"
            )
        if info.file_size >= limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise PackError(
                    f"{shown}: entry '{name}' expands {ratio:.0f} times (over "
                    f"{limits.max_ratio:g}): refused as a zip bomb"
                )
        total += info.file_size
        if total > limits.max_total_size:
            raise PackError(
                f"{shown}: the entries add up to more than {limits.max_total_size} bytes "
                f"uncompressed (at '{name}')"
            )
        files.append(info)
    # a file and a folder of the same name cannot both be extracted
    names = {info.filename.casefold() for info in files}
    for info in files:
        parts = info.filename.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]).casefold() in names:
                raise PackError(
                    f"{shown}: entry '{info.filename}' lies under '{'/'.join(parts[:i])}', "
                    "which is a file"
                )
    manifest = _read_manifest(zf, shown, files, limits)
    listed = manifest.files
    for info in files:
        if info.filename == MANIFEST:
            continue
        if info.filename not in listed:
            raise PackError(f"{shown}: entry '{info.filename}' is not listed in the manifest")
    present = {info.filename for info in files}
    for name in sorted(listed):
        if name not in present:
            raise PackError(f"{shown}: the manifest lists '{name}', which the pack lacks")
    if LESSON_FILE not in listed:
        raise PackError(f"{shown}: the pack has no {LESSON_FILE}")
    lesson_text = b""
    payload = [info for info in files if info.filename != MANIFEST]
    for info in payload:
        record = listed[info.filename]
        if info.file_size != record.size:
            raise PackError(
                f"{shown}: entry '{info.filename}' is {info.file_size} bytes but the manifest "
                f"says {record.size}"
            )
        digest = hashlib.sha256()
        keep = info.filename == LESSON_FILE
        chunks: list[bytes] = []
        for chunk in _read_entry(zf, info, limits):
            digest.update(chunk)
            if keep:
                chunks.append(chunk)
        if digest.hexdigest() != record.sha256:
            raise PackError(
                f"{shown}: entry '{info.filename}' does not match its SHA-256 in the manifest "
                "(the file was changed or damaged)"
            )
        if keep:
            lesson_text = b"".join(chunks)
    _check_lesson_text(lesson_text, manifest, shown)
    return _Checked(manifest, payload)


def _read_manifest(
    zf: zipfile.ZipFile, shown: str, files: list[zipfile.ZipInfo], limits: PackLimits
) -> Manifest:
    info = next((i for i in files if i.filename == MANIFEST), None)
    if info is None:
        raise PackError(f"{shown}: no {MANIFEST}; this is not a lesson pack")
    if info.file_size > limits.max_manifest_size:
        raise PackError(f"{shown}: {MANIFEST} is {info.file_size} bytes, over the limit")
    raw = b"".join(_read_entry(zf, info, limits))
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise PackError(f"{shown}: {MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PackError(f"{shown}: {MANIFEST} is not a JSON object")
    # the versions first: a newer pack's other fields may well not parse here
    version = data.get("pack_format")
    if version != PACK_FORMAT:
        raise PackError(
            f"{shown}: unknown pack format version {version!r} in {MANIFEST} (this Peripatos "
            f"reads version {PACK_FORMAT}); update Peripatos to open it"
        )
    lesson_format = data.get("format")
    if lesson_format not in SUPPORTED_LESSON_FORMATS:
        known = ", ".join(str(v) for v in sorted(SUPPORTED_LESSON_FORMATS))
        raise PackError(
            f"{shown}: unknown lesson format (schema) version {lesson_format!r} in {MANIFEST} "
            f"(this Peripatos reads {known}); update Peripatos to open it"
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PackError(f"{shown}: {MANIFEST} is malformed at '{where}': {first['msg']}") from None
    if not _SAFE_ID.match(manifest.lesson.id):
        raise PackError(
            f"{shown}: the manifest's lesson id {manifest.lesson.id!r} is not a folder-safe id"
        )
    for name in manifest.files:
        problem = _name_problem(name)
        if problem is not None or name == MANIFEST:
            raise PackError(f"{shown}: the manifest lists {name!r}, which {problem or 'is itself'}")
    return manifest


def _check_lesson_text(text: bytes, manifest: Manifest, shown: str) -> None:
    """Validate the lesson's schema in memory, before anything is written."""
    where = f"{shown}:{LESSON_FILE}"
    try:
        source = parse_yaml(text.decode("utf-8"), where)
        lesson = Lesson.model_validate(source.root)
    except UnicodeDecodeError:
        raise PackError(f"{where}: not UTF-8 text") from None
    except LessonError as exc:
        raise _invalid(shown, exc) from None
    except ValidationError as exc:
        raise _invalid(shown, LessonError(pydantic_diagnostics(exc, source, where))) from None
    if lesson.metadata.id != manifest.lesson.id:
        raise PackError(
            f"{shown}: the manifest names lesson '{manifest.lesson.id}' but {LESSON_FILE} is "
            f"'{lesson.metadata.id}'"
        )
    if lesson.format != manifest.format:
        raise PackError(
            f"{shown}: the manifest says lesson format {manifest.format} but {LESSON_FILE} "
            f"is format {lesson.format}"
        )


def _invalid(shown: str, exc: LessonError) -> PackError:
    lines = "\n".join(str(d) for d in exc.diagnostics)
    return PackError(f"{shown}: the lesson does not validate:\n{lines}", exc.diagnostics)


# --- opening and installing -----------------------------------------------------------------


def _open_zip(pack: Path) -> tuple[zipfile.ZipFile, int]:
    try:
        size = pack.stat().st_size
        return zipfile.ZipFile(pack), size
    except FileNotFoundError:
        raise PackError(f"{pack}: no such file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackError(f"{pack}: not a lesson pack (not a readable zip: {exc})") from None


def inspect_pack(pack: Path, *, limits: PackLimits = DEFAULT_LIMITS) -> Manifest:
    """Check a pack completely without writing anything; return its manifest.

    Raises:
        PackError: the first reason the pack is refused.
    """
    zf, size = _open_zip(pack)
    with zf:
        return _inspect(zf, str(pack), limits, size).manifest


def _extract(
    zf: zipfile.ZipFile, checked: _Checked, dest: Path, shown: str, limits: PackLimits
) -> Path:
    """Extract a checked pack into a new temporary folder beside ``dest`` and validate the
    lesson there; return the folder (the caller renames it into place). Nothing is left on
    failure.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    try:
        root = tmp.resolve()
        for info in checked.files:
            target = tmp / info.filename
            # the names were checked; this is the belt to those braces
            if not target.resolve().is_relative_to(root):
                raise PackError(f"{shown}: entry '{info.filename}' would escape the folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            record = checked.manifest.files[info.filename]
            digest = hashlib.sha256()
            # 'x': never through an existing file or link; the pack may change under us, so
            # the hash is checked again on the bytes actually written
            with target.open("xb") as out:
                for chunk in _read_entry(zf, info, limits):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != record.sha256:
                raise PackError(f"{shown}: entry '{info.filename}' changed while it was read")
        try:
            load_lesson(tmp / LESSON_FILE)
        except LessonError as exc:
            where = f"{shown}:{LESSON_FILE}"
            raise _invalid(shown, _relocate(exc, tmp / LESSON_FILE, where)) from None
        tmp.chmod(0o755)  # mkdtemp's 0o700 would hide an installed lesson from other users
        return tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _relocate(exc: LessonError, path: Path, shown: str) -> LessonError:
    """The diagnostics with the temporary folder's path replaced by the pack's name."""
    return LessonError(
        dataclasses.replace(d, path=shown) if Path(d.path) == path else d for d in exc.diagnostics
    )


def _place(tmp: Path, dest: Path, shown: str) -> None:
    """Rename the extracted folder to ``dest`` (atomic on one file system)."""
    try:
        if dest.is_dir() and not any(dest.iterdir()):
            dest.rmdir()
        os.rename(tmp, dest)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PackError(f"{shown}: cannot install into {dest}: {exc.strerror or exc}") from None


def open_pack(pack: Path, dest: Path, *, limits: PackLimits = DEFAULT_LIMITS) -> Path:
    """Check ``pack`` and unpack it as the lesson folder ``dest``; return ``dest``.

    ``dest`` must not exist (or be an empty folder). Nothing is written before every check
    that needs no writing has passed; the files then go to a temporary folder beside ``dest``
    that is renamed to ``dest`` only once the lesson validates there.

    Raises:
        PackError: the pack is refused (the message names the entry and the reason), or
            ``dest`` is taken.
    """
    zf, size = _open_zip(pack)
    with zf:
        checked = _inspect(zf, str(pack), limits, size)
        if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())):
            raise PackError(f"{pack}: {dest} already exists")
        tmp = _extract(zf, checked, dest, str(pack), limits)
    _place(tmp, dest, str(pack))
    return dest


def install_pack(
    pack: Path, library: Path, *, replace: bool = False, limits: PackLimits = DEFAULT_LIMITS
) -> Path:
    """Install ``pack`` into a lesson library as ``library/<lesson id>``; return that folder.

    Args:
        pack: the ``.lessonpack`` file.
        library: a folder of lesson folders (``lessons/``, or ``$PERIPATOS_LESSONS``).
        replace: replace an installed lesson of the same id. The old one stays untouched
            until the new one is unpacked and valid beside it; then two renames swap them.
        limits: what the pack may hold.

    Raises:
        PackError: the pack is refused, or the lesson is installed and ``replace`` is False.
    """
    zf, size = _open_zip(pack)
    shown = str(pack)
    with zf:
        checked = _inspect(zf, shown, limits, size)
        lesson_id = checked.manifest.lesson.id
        dest = library / lesson_id
        if dest.exists() and not replace:
            raise PackError(
                f"{shown}: lesson '{lesson_id}' is already installed at {dest}; replace it "
                "explicitly to update it"
            )
        tmp = _extract(zf, checked, dest, shown, limits)
    if not dest.exists():
        _place(tmp, dest, shown)
        return dest
    # a fresh name, not a folder: renaming a folder onto an existing one is not portable
    old = library / f".{lesson_id}.{secrets.token_hex(8)}.old"
    try:
        os.rename(dest, old)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PackError(f"{shown}: cannot replace {dest}: {exc.strerror or exc}") from None
    try:
        os.rename(tmp, dest)
    except OSError as exc:
        os.rename(old, dest)  # put the installed lesson back before anything is deleted
        shutil.rmtree(tmp, ignore_errors=True)
        raise PackError(f"{shown}: cannot replace {dest}: {exc.strerror or exc}") from None
    shutil.rmtree(old, ignore_errors=True)
    return dest


def pack_sha256(pack: Path) -> str:
    """The SHA-256 of a pack file (what the run cache is keyed by)."""
    digest = hashlib.sha256()
    with pack.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache() -> Path:
    """Where ``lesson run PACK`` unpacks: ``$XDG_CACHE_HOME/peripatos/packs``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "peripatos" / "packs"


def is_pack(path: str | Path) -> bool:
    """Whether ``path`` names a pack file (by its suffix; the contents are checked on open)."""
    p = Path(path)
    return p.suffix == PACK_SUFFIX and p.is_file()


def lesson_from_pack(
    pack: Path, cache: Path | None = None, *, limits: PackLimits = DEFAULT_LIMITS
) -> Path:
    """The ``lesson.yaml`` of ``pack``, unpacked once into ``cache/<pack SHA-256>/``.

    The folder appears only after a complete, valid unpack (an atomic rename), so one that
    exists is used as it is; two runs racing to unpack the same pack both end up with it.

    Raises:
        PackError: the pack is refused.
    """
    try:
        digest = pack_sha256(pack)
    except OSError as exc:
        raise PackError(f"{pack}: cannot read: {exc.strerror or exc}") from None
    dest = (cache or default_cache()) / digest
    lesson = dest / LESSON_FILE
    if lesson.is_file():
        return lesson
    try:
        open_pack(pack, dest, limits=limits)
    except PackError:
        if lesson.is_file():  # another run unpacked the same bytes first
            return lesson
        raise
    return lesson
