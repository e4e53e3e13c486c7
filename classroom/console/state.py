"""The console's running state: what the app factory builds and every request reaches."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from classroom.console.hub import Hub
from classroom.console.library import Library
from classroom.console.lrs import LrsForwarder
from classroom.console.ratelimit import RateLimiter
from classroom.console.service import Classroom
from classroom.console.settings import ConsoleSettings


@dataclass
class Console:
    """Everything one console app holds (no module globals: tests run several at once)."""

    settings: ConsoleSettings
    engine: Engine
    sessions: sessionmaker[Session]
    library: Library
    hub: Hub
    classroom: Classroom
    templates: Jinja2Templates
    login_limiter: RateLimiter
    pairing_limiter: RateLimiter
    forwarder: LrsForwarder | None = None


def console_of(request: Request) -> Console:
    """The console serving ``request``."""
    console: Console = request.app.state.console
    return console
