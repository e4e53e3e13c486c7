"""``lesson station``: run this PC as a student station of a teacher console."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer


def station(
    console: Annotated[str, typer.Option(help="the teacher console's URL, http://HOST:PORT")],
    code: Annotated[
        str | None,
        typer.Option(help="the one-time pairing code the console shows (once per class session)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="this station's name on the console (default: host name)")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="the station's data folder (default: one per name, per user)"),
    ] = None,
    headless: Annotated[
        bool, typer.Option(help="a simulated learner: offscreen, driven by --script")
    ] = False,
    script: Annotated[
        Path | None, typer.Option(help="learner script (YAML actions) for headless runs")
    ] = None,
    pace: Annotated[
        float, typer.Option(help="headless: lesson seconds per wall-clock second", min=0.01)
    ] = 1.0,
    size: Annotated[str, typer.Option(help="window or frame size, WIDTHxHEIGHT")] = "1280x720",
    snapshots: Annotated[
        Path | None, typer.Option(help="headless: save a still here after each command")
    ] = None,
) -> None:
    """Pair with the teacher's console, then run the lessons it launches.

    The lessons' statements stream back to the console, queued on disk while it is away.
    """
    import socket

    from classroom.station.files import default_data_dir
    from classroom.station.runner import RunnerOptions
    from classroom.station.station import Station, StationError, StationOptions

    if headless and script is None:
        raise typer.BadParameter("--headless needs --script FILE (a learner script)")
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise typer.BadParameter("size is WIDTHxHEIGHT, e.g. 1280x720") from None
    station_name = name or socket.gethostname()
    options = StationOptions(
        console=console,
        name=station_name,
        data=data or default_data_dir(station_name),
        code=code,
        runner=RunnerOptions(
            headless=headless,
            script=script,
            pace=pace,
            size=(width, height),
            snapshots=snapshots,
        ),
    )

    def say(line: str) -> None:
        typer.echo(f"station {station_name}: {line}", err=True)

    runner = Station(options, say=say)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _: runner.request_stop(signal.strsignal(number) or ""))
    try:
        status = runner.run()
    except StationError as exc:
        typer.echo(f"lesson station: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(status)


def register(app: typer.Typer) -> None:
    """Add ``lesson station`` to the ``lesson`` command."""
    app.command(name="station")(station)
