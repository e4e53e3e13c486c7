"""The ``lesson`` command: run, validate, schema, bench, list.

Imports are lazy inside each command so that ``lesson validate`` starts without loading
Panda3D, and ``lesson --help`` is instant.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from tools.classroom_cli import register as register_classroom
from tools.station_cli import register as register_station

app = typer.Typer(
    name="lesson",
    help="Peripatos: run, check and build immersive lessons.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def run(
    lesson: Annotated[
        str, typer.Argument(help="lesson id (e.g. pendulum-lab), folder or lesson.yaml")
    ],
    headless: Annotated[bool, typer.Option(help="render offscreen (EGL), no window")] = False,
    script: Annotated[
        Path | None, typer.Option(help="learner script (YAML actions) to drive the lesson")
    ] = None,
    screenshot: Annotated[Path | None, typer.Option(help="save the last frame as PNG")] = None,
    record: Annotated[
        Path | None, typer.Option(help="also write the session's xAPI statements as JSON lines")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="continue this learner's unfinished session of the lesson")
    ] = False,
    learner: Annotated[
        str, typer.Option(help="learner id (the log and settings are kept per learner)")
    ] = "learner",
    store: Annotated[
        Path | None, typer.Option(help="session database (default: per-user data folder)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed, for reproducible runs")] = 0,
    size: Annotated[str, typer.Option(help="window or frame size, WIDTHxHEIGHT")] = "1280x720",
    xr: Annotated[
        bool | None,
        typer.Option(
            "--xr/--desktop",
            help="play in an OpenXR headset, or on the desktop "
            "(default: the headset when a runtime has one, else the desktop)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Play a lesson: in a headset, in a desktop window, or headless driven by a script."""
    from engine.model import LessonError
    from engine.play import PlayError, PlayOptions, play

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise typer.BadParameter("size is WIDTHxHEIGHT, e.g. 1280x720") from None
    options = PlayOptions(
        lesson=_unpacked(lesson),
        headless=headless,
        script=script,
        screenshot=screenshot,
        record=record,
        resume=resume,
        learner=learner,
        store=store,
        seed=seed,
        size=(width, height),
        mode="auto" if xr is None else ("xr" if xr else "desktop"),
    )
    try:
        result = play(options)
    except LessonError as exc:
        for d in exc.diagnostics:
            typer.echo(str(d), err=True)
        raise typer.Exit(1) from None
    except PlayError as exc:
        typer.echo(f"lesson run: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(result.summary())
    raise typer.Exit(0 if result.completed else 2)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="lesson id, kebab-case; also the folder's name")],
    template: Annotated[str, typer.Option(help="lab, site or blank")] = "blank",
    directory: Annotated[
        Path, typer.Option("--dir", help="where to create the lesson's folder")
    ] = Path("."),
    title: Annotated[str | None, typer.Option(help="title (default: from the id)")] = None,
) -> None:
    """Create a lesson folder from a template; it validates and passes its walkthrough."""
    from tools.scaffold import new_command

    raise typer.Exit(new_command(name, template, directory, title=title))


@app.command()
def preview(
    path: Annotated[str, typer.Argument(help="lesson id, folder or lesson.yaml")],
    size: Annotated[str, typer.Option(help="window size, WIDTHxHEIGHT")] = "1280x720",
) -> None:
    """A window that rebuilds the lesson whenever it (or its assets) change on disk."""
    from engine.preview import preview as open_preview

    try:
        width, height = (int(v) for v in size.lower().split("x"))
        open_preview(path, size=(width, height))
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        typer.echo(f"lesson preview: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="lesson files or folders")],
) -> None:
    """Check lesson files; print each problem as path:line:column: code: message."""
    from engine.model import validate_paths

    diagnostics = validate_paths(paths)
    for d in diagnostics:
        typer.echo(str(d), err=d.severity == "error")
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    typer.echo(f"{len(paths)} file(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
    raise typer.Exit(1 if errors else 0)


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write here (default: stdout)")
    ] = None,
    check: Annotated[
        bool, typer.Option(help="exit 1 if the committed schema is out of date")
    ] = False,
) -> None:
    """Print or write the lesson format's JSON Schema (for editors)."""
    import json

    from engine.model.schema import lesson_json_schema, write_schema
    from engine.paths import SCHEMA_PATH

    if check:
        current = (
            json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) if SCHEMA_PATH.exists() else None
        )
        if current != lesson_json_schema():
            typer.echo(
                f"{SCHEMA_PATH} is out of date: run 'lesson schema -o {SCHEMA_PATH}'", err=True
            )
            raise typer.Exit(1)
        typer.echo("schema up to date")
        return
    if output is None:
        typer.echo(json.dumps(lesson_json_schema(), indent=2, ensure_ascii=False))
    else:
        write_schema(output)
        typer.echo(f"wrote {output}")


@app.command()
def bench(
    lessons: Annotated[list[str], typer.Argument(help="lesson ids or paths")],
    frames: Annotated[int, typer.Option(help="frames to time for each renderer")] = 120,
    entities: Annotated[
        int, typer.Option(help="interactive entities in the core-cost scene")
    ] = 200,
) -> None:
    """Measure load time, the pure core's cost per frame and headless frame time vs bare Panda3D."""
    from engine.bench import run_bench

    run_bench(lessons, frames=frames, entities=entities, out=sys.stdout)


@app.command(name="replay")
def replay_command(
    log: Annotated[Path, typer.Argument(help="a --record log (its .input.jsonl beside it)")],
    lesson: Annotated[
        str | None, typer.Option(help="replay against this lesson (default: the recorded one)")
    ] = None,
    why: Annotated[
        bool, typer.Option("--why", help="show each decision's reason (and today's, if it differs)")
    ] = False,
) -> None:
    """Re-run a recorded session (no rendering); exit 0 only if every decision happens again."""
    from engine.model import LessonError
    from engine.replay import ReplayError, replay

    try:
        report = replay(log, lesson=lesson)
    except LessonError as exc:
        for d in exc.diagnostics:
            typer.echo(str(d), err=True)
        raise typer.Exit(1) from None
    except (ReplayError, OSError, ValueError, KeyError) as exc:
        typer.echo(f"lesson replay: {exc}", err=True)
        raise typer.Exit(1) from None
    for line in report.lines(why=why):
        typer.echo(line)
    verdict = "all decisions match" if report.ok else "decisions differ"
    typer.echo(
        f"{verdict}: {len(report.matched)} same, {len(report.missing)} missing, "
        f"{len(report.extra)} extra"
    )
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def fit(
    logs: Annotated[list[Path], typer.Argument(help="recorded sessions (.jsonl) or CSV files")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the priors YAML to write")],
    restarts: Annotated[int, typer.Option(help="EM restarts per skill")] = 5,
    seed: Annotated[int, typer.Option(help="random seed of the restarts")] = 0,
) -> None:
    """Fit BKT parameters per skill from recorded sessions; lessons can ship the priors."""
    from tools.fit_cli import fit_command

    raise typer.Exit(fit_command(logs, output, restarts=restarts, seed=seed))


@app.command()
def pack(
    lesson: Annotated[str, typer.Argument(help="lesson id, folder or lesson.yaml")],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="the .lessonpack file, or a folder for <id>.lessonpack"
        ),
    ] = Path("."),
) -> None:
    """Pack a lesson, only the assets it uses and a manifest of SHA-256 hashes into a zip."""
    from engine.model import LessonError
    from tools.pack import PackError, pack_lesson

    try:
        written = pack_lesson(lesson, output)
    except LessonError as exc:
        for d in exc.diagnostics:
            typer.echo(str(d), err=True)
        raise typer.Exit(1) from None
    except PackError as exc:
        typer.echo(f"lesson pack: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {written}")


@app.command()
def install(
    pack_file: Annotated[Path, typer.Argument(metavar="PACK", help="a .lessonpack file")],
    library: Annotated[
        Path | None, typer.Option(help="where lessons live (default: the lesson library)")
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="replace an installed lesson of the same id")
    ] = False,
) -> None:
    """Check a lesson pack completely, then install it into the lesson library."""
    from engine.paths import LESSONS_DIR
    from tools.pack import PackError, install_pack

    try:
        installed = install_pack(pack_file, library or LESSONS_DIR, replace=replace)
    except PackError as exc:
        typer.echo(f"lesson install: {exc}", err=True)
        for d in getattr(exc, "diagnostics", []) or []:
            typer.echo(str(d), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"installed {installed}")


@app.command()
def thumbnail(
    lesson: Annotated[str, typer.Argument(help="lesson id, folder, lesson.yaml or .lessonpack")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the poster PNG")],
    steps: Annotated[
        Path | None, typer.Option(help="also write a still for every step here")
    ] = None,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT")] = "1280x720",
) -> None:
    """Render a lesson's poster (and per-step stills) headless."""
    from engine.model import LessonError
    from tools.thumbnail import ThumbnailError
    from tools.thumbnail import thumbnail as render_thumbnail

    try:
        width, height = (int(v) for v in size.lower().split("x"))
        written = render_thumbnail(_unpacked(lesson), output, size=(width, height), steps_dir=steps)
    except LessonError as exc:
        for d in exc.diagnostics:
            typer.echo(str(d), err=True)
        raise typer.Exit(1) from None
    except (ThumbnailError, ValueError) as exc:
        typer.echo(f"lesson thumbnail: {exc}", err=True)
        raise typer.Exit(1) from None
    for path in written:
        typer.echo(f"wrote {path}")


def _unpacked(lesson: str) -> str:
    """A lesson argument, with a .lessonpack checked and unpacked into the cache first."""
    from tools.pack import PackError, is_pack, lesson_from_pack

    if not is_pack(Path(lesson)):
        return lesson
    try:
        return str(lesson_from_pack(Path(lesson)))
    except PackError as exc:
        typer.echo(f"lesson: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command(name="simulate")
def simulate_command(
    lesson: Annotated[str, typer.Argument(help="lesson id, folder or lesson.yaml")],
    learners: Annotated[int, typer.Option(help="simulated learners (all profiles)")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    workers: Annotated[int | None, typer.Option(help="processes (default: one per core)")] = None,
    script: Annotated[Path | None, typer.Option(help="walkthrough to learn the steps from")] = None,
    mastery_sessions: Annotated[
        int, typer.Option(help="sessions a learner may take to reach mastery")
    ] = 3,
) -> None:
    """Run populations of simulated learners through the lesson's logic, with adaptivity on."""
    from engine.core.script import ScriptError
    from engine.model import LessonError
    from tools.simulate import simulate

    try:
        report = simulate(
            lesson,
            learners=learners,
            seed=seed,
            out=sys.stdout,
            workers=workers,
            walkthrough=script,
            mastery_sessions=mastery_sessions,
        )
    except LessonError as exc:
        for d in exc.diagnostics:
            typer.echo(str(d), err=True)
        raise typer.Exit(1) from None
    except (ScriptError, ValueError) as exc:
        typer.echo(f"lesson simulate: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(report.exit_code)


@app.command(name="list")
def list_lessons() -> None:
    """List the bundled lessons."""
    from engine.model import LessonError, load_lesson
    from engine.paths import LESSONS_DIR

    for folder in sorted(p for p in LESSONS_DIR.iterdir() if (p / "lesson.yaml").is_file()):
        try:
            meta = load_lesson(folder / "lesson.yaml", check=False).lesson.metadata
            typer.echo(
                f"{meta.id:24} {meta.subject:10} {meta.estimated_minutes:>4g} min  {meta.title}"
            )
        except LessonError as exc:
            typer.echo(f"{folder.name:24} (invalid: {exc.diagnostics[0].code})")


# the classroom commands live with their own options in their own modules
register_classroom(app)
register_station(app)


def _configure_logging() -> None:
    # entry points configure logging; library modules only create loggers
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console entry point."""
    _configure_logging()
    app()


if __name__ == "__main__":
    main()
