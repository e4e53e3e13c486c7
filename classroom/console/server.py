"""Running the console: uvicorn around :func:`classroom.console.app.create_app`."""

from __future__ import annotations

import os
from pathlib import Path
from types import FrameType

from classroom.console.settings import ConsoleSettings


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/peripatos/console`` (``~/.local/share/...`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "peripatos" / "console"


def serve(settings: ConsoleSettings, host: str, port: int, *, log_level: str = "info") -> None:
    """Serve the console until interrupted."""
    import uvicorn

    from classroom.console.app import create_app

    app = create_app(settings)
    hub = app.state.console.hub

    class Server(uvicorn.Server):
        # Ctrl+C / SIGTERM: end event streams and long polls first, so the graceful
        # shutdown that follows finds no request still waiting
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            hub.close()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=3,
        proxy_headers=False,
    )
    Server(config).run()


def create_teacher_account(settings: ConsoleSettings, name: str, password: str) -> str:
    """Add a teacher account to the console's database (migrating it first); returns its id.

    Raises:
        classroom.console.auth.AuthError: The name is taken or the password too short.
    """
    from classroom.console.auth import create_teacher
    from classroom.console.db import make_engine, make_sessionmaker
    from classroom.console.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as db:
            teacher = create_teacher(db, name, password)
            db.commit()
            return teacher.id
    finally:
        engine.dispose()
