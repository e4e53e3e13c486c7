"""Read a ``lesson.yaml``: YAML with positions (ruamel.yaml), then the pydantic models, then the
semantic checks; every problem comes back located as a :class:`Diagnostic`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from engine.model.diagnostics import Diagnostic, LessonError, did_you_mean
from engine.model.lesson import Lesson
from engine.model.units import UnitError
from engine.paths import ASSETS_DIR, LESSONS_DIR

SCHEMA_COMMENT = "# yaml-language-server: $schema="

Loc = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Positions of every node in the parsed YAML, looked up by a pydantic-style ``loc``."""

    root: Any

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the deepest node of ``loc`` found in the file.

        Args:
            loc: keys and indices from the document root; parts that are not in the file
                (pydantic's union tags) are skipped.
            key: point at the last mapping key rather than its value.
        """
        node = self.root
        best = (0, 0)
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
                line, col = node.lc.key(part) if (key and last) else node.lc.value(part)
                best = (line, col)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                best = node.lc.item(part)
                node = node[part]
            elif isinstance(node, CommentedMap | CommentedSeq) and best == (0, 0):
                best = (node.lc.line, node.lc.col)
        if best == (0, 0) and isinstance(self.root, CommentedMap | CommentedSeq):
            best = (self.root.lc.line, self.root.lc.col)
        return best[0] + 1, best[1] + 1

    def get(self, loc: Loc) -> Any:
        """The raw node at ``loc`` (None when absent)."""
        node = self.root
        for part in loc:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node


@dataclass
class LoadedLesson:
    """A valid lesson with where it came from."""

    lesson: Lesson
    path: Path
    source: SourceMap
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """The lesson's folder (its scripts and own assets live here)."""
        return self.path.parent

    def asset_path(self, relative: str) -> Path | None:
        """Resolve an asset: the lesson's own ``assets/`` first, then the project's."""
        return resolve_asset(relative, self.folder)


def resolve_asset(relative: str, lesson_folder: Path) -> Path | None:
    """Where an asset named in a lesson lives, or None if nowhere."""
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    for base in (lesson_folder / "assets", ASSETS_DIR):
        candidate = base / rel
        if candidate.is_file():
            return candidate
    return None


def resolve_lesson(name: str | Path) -> Path:
    """A lesson path from an id (``pendulum-lab``), a folder or a ``lesson.yaml`` path."""
    path = Path(name)
    if path.is_dir():
        return path / "lesson.yaml"
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return LESSONS_DIR / str(name) / "lesson.yaml"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def parse_yaml(text: str, path: str) -> SourceMap:
    """Parse YAML text keeping positions; raise LessonError with the syntax error located."""
    try:
        root = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        start = exc.context_mark
        if exc.context and start is not None and mark is not None and start.line != mark.line:
            # the error surfaces lines after the cause (an unclosed '[' or quote): name both
            problem += f" (it started at line {start.line + 1}, column {start.column + 1})"
        raise LessonError(
            [Diagnostic(path, line, col, "yaml-syntax", problem or str(exc))]
        ) from None
    if not isinstance(root, CommentedMap):
        raise LessonError(
            [
                Diagnostic(
                    path,
                    1,
                    1,
                    "not-a-lesson",
                    "a lesson file is a mapping with 'metadata', 'entities' and 'steps'",
                )
            ]
        )
    return SourceMap(root)


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (for did-you-mean)."""
    model: Any = Lesson
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return None
        # a YAML key is a field name or an alias (the entity's 'balance' is 'scale_meter')
        found = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if found is None:
            continue  # a union tag ('Ref', 'float'): the model is already the right one
        model = _first_model(found.annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def pydantic_diagnostics(exc: ValidationError, source: SourceMap, path: str) -> list[Diagnostic]:
    """Turn pydantic's errors into located diagnostics, one per place in the file."""
    found: dict[tuple[int, int], Diagnostic] = {}
    for err in _written_branches(exc.errors(include_url=False), source):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "missing":
            line, col = source.position(loc[:-1])
            code, message = "missing-key", f"'{loc[-1]}' is required here"
        elif kind == "extra_forbidden":
            line, col = source.position(loc, key=True)
            code, message = "unknown-key", _unknown_key_message(loc)
        else:
            line, col = source.position(loc)
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, UnitError):
                code, message = "bad-unit", str(cause)
            else:
                where = ".".join(str(p) for p in loc if not _is_union_tag(p))
                msg = err["msg"].removeprefix("Value error, ")
                code, message = "bad-value", f"{where}: {msg}" if where else msg
        found.setdefault((line, col), Diagnostic(path, line, col, code, message))
    return list(found.values())


def _unknown_key_message(loc: Loc) -> str:
    """Name the unknown key and what to write instead (a close key, or the keys allowed)."""
    model = _model_at(loc)
    fields = model.model_fields if model else {}
    # YAML spells a field by its alias where it has one ('balance', not 'scale_meter')
    allowed = [f.alias or name for name, f in fields.items()]
    key = str(loc[-1])
    message = f"unknown key '{key}'"
    if " " in key:
        # 'text: a, b' inside {...}: the comma ends the value and 'b' becomes a key
        return message + "; if it is the rest of a text after a comma, quote the whole text"
    hint = did_you_mean(key, allowed + list(fields))
    return message + (hint or (f"; use one of: {', '.join(allowed)}" if allowed else ""))


def _written_branches(errors: list[Any], source: SourceMap) -> list[Any]:
    """Drop the errors of union branches the author plainly did not mean.

    A ``float | Ref`` value that fails reports both branches; an author who wrote a mapping
    meant the model (``Ref``), one who wrote a scalar meant the number, and the other
    branch's complaint ('Input should be a valid number' about a mapping) only misleads.
    """
    kept = []
    for err in errors:
        loc = tuple(err["loc"])
        tag = next((i for i, part in enumerate(loc) if _is_union_tag(part)), None)
        if tag is None:
            kept.append(err)
            continue
        wrote_mapping = isinstance(source.get(loc[:tag]), CommentedMap)
        model_branch = str(loc[tag])[:1].isupper()
        if wrote_mapping == model_branch:
            kept.append(err)
    return kept or errors


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and (
        part in ("float", "int", "str", "bool") or "[" in part or part[:1].isupper()
    )


def load_lesson(path: str | Path, *, check: bool = True) -> LoadedLesson:
    """Load and validate a lesson file.

    Args:
        path: the ``lesson.yaml`` (or a lesson id or folder, see :func:`resolve_lesson`).
        check: also run the semantic checks (references, assets, reachability).

    Raises:
        LessonError: with every located problem; never a raw pydantic or YAML exception.
    """
    file = resolve_lesson(path)
    shown = str(path) if Path(path).suffix in (".yaml", ".yml") else str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise LessonError(
            [Diagnostic(shown, 1, 1, "not-a-lesson", f"cannot read the file: {exc.strerror}")]
        ) from None
    source = parse_yaml(text, shown)
    try:
        lesson = Lesson.model_validate(source.root)
    except ValidationError as exc:
        raise LessonError(pydantic_diagnostics(exc, source, shown)) from None
    loaded = LoadedLesson(lesson, file, source)
    warnings: list[Diagnostic] = []
    if not text.startswith(SCHEMA_COMMENT):
        warnings.append(
            Diagnostic(
                shown,
                1,
                1,
                "schema-comment",
                f"start the file with '{SCHEMA_COMMENT}<path to schema/lesson.schema.json>' "
                "for editor completion",
                "warning",
            )
        )
    if check:
        from engine.model.checks import check_lesson
        from engine.model.custom import check_custom

        problems = check_lesson(loaded, shown)
        problems += [
            Diagnostic(shown, line, col, code, message)
            for line, col, code, message in check_custom(lesson.entities, source.position)
        ]
        errors = [d for d in problems if d.severity == "error"]
        warnings += [d for d in problems if d.severity == "warning"]
        if errors:
            raise LessonError(errors)
    loaded.warnings = warnings
    return loaded


def validate_paths(paths: Sequence[str | Path]) -> list[Diagnostic]:
    """Every diagnostic (errors and warnings) for each lesson file, in order."""
    out: list[Diagnostic] = []
    for p in paths:
        try:
            out += load_lesson(p).warnings
        except LessonError as exc:
            out += exc.diagnostics
    return out
