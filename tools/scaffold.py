"""``lesson new``: a new lesson folder from a template that validates and passes on first run.

A template is a folder under ``tools/templates/<name>/`` holding the files of a lesson
(``lesson.yaml``, ``scripts/walkthrough.yaml``, ``README.md``) with placeholders:

- ``{{id}}``: the lesson id (also the folder's name);
- ``{{title}}``: the title as plain text (Markdown, YAML comments);
- ``{{title_yaml}}``: the title as a quoted YAML scalar (safe whatever the title holds);
- ``{{schema}}``: where ``schema/lesson.schema.json`` is, relative to the new folder, for the
  first line's ``# yaml-language-server: $schema=...`` comment.

Templates are plain files rather than strings in code so that authors and reviewers read them
as the lesson they produce; a test creates, validates and runs every one of them. Register the
command in ``tools/cli.py`` as::

    @app.command()
    def new(
        name: Annotated[str, typer.Argument(help="lesson id, kebab-case; also the folder's name")],
        template: Annotated[str, typer.Option(help="lab, site or blank")] = "blank",
        directory: Annotated[
            Path, typer.Option("--dir", help="where to create the lesson's folder")
        ] = Path("."),
        title: Annotated[str | None, typer.Option(help="title (default: from the id)")] = None,
    ) -> None:
        'Create a lesson folder from a template; it validates and passes its walkthrough.'
        from tools.scaffold import new_command

        raise typer.Exit(new_command(name, template, directory, title=title))
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TextIO

from engine.paths import SCHEMA_PATH

#: where the templates live, one folder each
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: the templates ``lesson new`` offers, in the order ``--help`` lists them
TEMPLATES: tuple[str, ...] = ("lab", "site", "blank")
#: a lesson id: lowercase words of letters and digits joined by single hyphens. Stricter than
#: the format's own id pattern (no trailing or doubled hyphen) because it also names a folder.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: a folder name longer than this is a mistake, not an id (and trips some file systems)
MAX_ID_LENGTH = 64

#: a placeholder in a template file: {{name}}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class ScaffoldError(Exception):
    """The lesson cannot be created as asked; the message says why and what to do."""


def default_title(name: str) -> str:
    """A readable title from an id: ``"my-first-lab"`` -> ``"My first lab"``."""
    return name.replace("-", " ").capitalize()


def check_name(name: str) -> None:
    """Raise :class:`ScaffoldError` unless ``name`` is a kebab-case lesson id."""
    if not ID_PATTERN.match(name):
        raise ScaffoldError(
            f"'{name}' is not a lesson id: use lowercase letters and digits in words joined "
            "by single hyphens, e.g. 'pendulum-lab'"
        )
    if len(name) > MAX_ID_LENGTH:
        raise ScaffoldError(f"'{name}' is longer than {MAX_ID_LENGTH} characters; shorten it")


def schema_reference(folder: Path) -> str:
    """How a ``lesson.yaml`` in ``folder`` names the schema in its first-line comment.

    A relative path keeps working when the checkout moves; an absolute ``file:`` URI is the
    fallback when no relative path exists (another drive on Windows).
    """
    base, target = folder.resolve(), SCHEMA_PATH.resolve()
    try:
        return Path(os.path.relpath(target, base)).as_posix()
    except ValueError:
        return target.as_uri()


def _template_files(template: str) -> list[Path]:
    """Every file of a template, relative to its folder (caches and dotfiles left out)."""
    root = TEMPLATES_DIR / template
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") or part == "__pycache__" for part in p.parts)
    )


def render(text: str, values: dict[str, str]) -> str:
    """Fill a template's ``{{name}}`` placeholders; an unknown name is a bug in the template."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise ScaffoldError(f"unknown placeholder '{{{{{key}}}}}' in a template")
        return values[key]

    return PLACEHOLDER.sub(fill, text)


def new_lesson(name: str, template: str, dest: Path, *, title: str | None = None) -> Path:
    """Create the lesson folder ``dest/name/`` from a template.

    The folder holds ``lesson.yaml`` (its first line points editors at the schema),
    ``scripts/walkthrough.yaml`` (a learner script that completes the lesson) and a
    ``README.md`` for the author. It validates without any diagnostic and its walkthrough
    passes headless as created.

    Args:
        name: the lesson id, kebab-case; also the folder's name and ``metadata.id``.
        template: one of :data:`TEMPLATES`.
        dest: the folder to create the lesson in (created if missing).
        title: the lesson's title (default: from the id, ``my-lab`` -> ``My lab``).

    Returns:
        The new lesson folder.

    Raises:
        ScaffoldError: a bad id, title or template, or ``dest/name`` already exists (nothing
            is ever overwritten).
    """
    check_name(name)
    if template not in TEMPLATES:
        raise ScaffoldError(f"unknown template '{template}'; use one of: {', '.join(TEMPLATES)}")
    title = default_title(name) if title is None else title.strip()
    if not title or any(ord(c) < 32 for c in title):
        raise ScaffoldError("the title must be one line of text, not empty")
    if dest.exists() and not dest.is_dir():
        raise ScaffoldError(f"{dest} is a file, not a folder; choose a folder with --dir")
    folder = dest / name
    dest.mkdir(parents=True, exist_ok=True)
    try:
        # mkdir without exist_ok is the check: atomic, so two runs cannot both create it
        folder.mkdir()
    except FileExistsError:
        raise ScaffoldError(
            f"{folder} already exists; lesson new never overwrites: choose another name, "
            "another --dir, or remove the folder first"
        ) from None
    values = {
        "id": name,
        "title": title,
        # JSON strings are YAML double-quoted scalars: quotes, colons and '#' stay text
        "title_yaml": json.dumps(title, ensure_ascii=False),
        "schema": schema_reference(folder),
    }
    try:
        for relative in _template_files(template):
            text = (TEMPLATES_DIR / template / relative).read_text(encoding="utf-8")
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(text, values), encoding="utf-8")
    except BaseException:
        # the folder is ours (just created above): leave nothing half-made behind
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def new_command(
    name: str,
    template: str,
    dest: Path,
    *,
    title: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``lesson new``: create the folder, say what was made and what to run next.

    Returns:
        The exit status: 0 created, 1 refused (the reason is printed to ``err``).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        folder = new_lesson(name, template, dest, title=title)
    except ScaffoldError as exc:
        print(f"lesson new: {exc}", file=err)
        return 1
    except OSError as exc:
        print(f"lesson new: cannot write {exc.filename or dest}: {exc.strerror}", file=err)
        return 1
    next_steps = (
        ("lesson validate lesson.yaml", "file:line:column: code: message"),
        ("lesson run .", "play it in a window"),
        ("lesson run . --headless --script scripts/walkthrough.yaml", "exit 0: it completes"),
    )
    print(f"created {folder} from the '{template}' template; next, from that folder:", file=out)
    for command, what in next_steps:
        print(f"  {command:58}  # {what}", file=out)
    return 0
