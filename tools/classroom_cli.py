"""``lesson teach``: the teacher console's command (registered on the ``lesson`` app)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

#: read instead of prompting, for scripts and tests (never put a password on a command line)
PASSWORD_ENV = "PERIPATOS_TEACHER_PASSWORD"
LRS_PASSWORD_ENV = "PERIPATOS_LRS_PASSWORD"


def register(app: typer.Typer) -> None:
    """Add the ``teach`` command to ``app``."""
    app.command(name="teach")(teach)


def teach(
    host: Annotated[
        str, typer.Option(help="interface to listen on (0.0.0.0: the classroom LAN)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8765,
    db: Annotated[
        str | None, typer.Option(help="SQLAlchemy database URL (default: SQLite in --data)")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="data folder (default: ~/.local/share/peripatos/console)")
    ] = None,
    create_teacher: Annotated[
        str | None,
        typer.Option(
            help=f"create this teacher account and exit (password: prompt or ${PASSWORD_ENV})"
        ),
    ] = None,
    lrs_url: Annotated[
        str | None, typer.Option(help="forward every statement to this xAPI LRS (…/xAPI)")
    ] = None,
    lrs_user: Annotated[str, typer.Option(help="the LRS's basic-auth user")] = "",
    thumbnails: Annotated[bool, typer.Option(help="render lesson thumbnails")] = True,
) -> None:
    """Start the teacher console: classes, rosters, lessons, the live class view, reports."""
    from classroom.console.auth import AuthError
    from classroom.console.server import create_teacher_account, default_data_dir, serve
    from classroom.console.settings import ConsoleSettings

    settings = ConsoleSettings(
        data_dir=(data or default_data_dir()).absolute(),
        db_url=db,
        lrs_url=lrs_url,
        lrs_user=lrs_user,
        lrs_password=os.environ.get(LRS_PASSWORD_ENV, ""),
        thumbnails=thumbnails,
    )
    if create_teacher is not None:
        password = os.environ.get(PASSWORD_ENV) or typer.prompt(
            f"password for {create_teacher}", hide_input=True, confirmation_prompt=True
        )
        try:
            create_teacher_account(settings, create_teacher, password)
        except AuthError as exc:
            typer.echo(f"lesson teach: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"created teacher {create_teacher!r} in {settings.database_url}")
        return
    typer.echo(f"teacher console on http://{host}:{port}/ (data: {settings.data_dir})")
    serve(settings, host, port)
