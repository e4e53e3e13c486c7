"""The app factory: :func:`create_app` builds one teacher console from its settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from classroom.console import live_view, pages, station_api
from classroom.console.db import make_engine, make_sessionmaker
from classroom.console.headers import SecurityHeadersMiddleware
from classroom.console.hub import Hub
from classroom.console.library import Library
from classroom.console.limits import BodyLimitMiddleware
from classroom.console.lrs import LrsForwarder
from classroom.console.migrate import upgrade
from classroom.console.ratelimit import RateLimiter
from classroom.console.service import Classroom, ConsoleError
from classroom.console.settings import ConsoleSettings
from classroom.console.state import Console
from classroom.console.web import CsrfFailed, NotLoggedIn

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
#: a lesson pack upload may be larger than any other request
PACK_UPLOAD_MAX = 512 * 1024 * 1024


def build_console(settings: ConsoleSettings) -> Console:
    """Open (and migrate) the database and assemble the console's parts."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    from engine.paths import LESSONS_DIR

    dirs = settings.lesson_dirs or (LESSONS_DIR, settings.installed_lessons)
    library = Library(dirs, settings.data_dir / "cache", thumbnails=settings.thumbnails)
    hub = Hub()
    classroom = Classroom(sessions, library, hub, forward=settings.lrs_url is not None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    console = Console(
        settings=settings,
        engine=engine,
        sessions=sessions,
        library=library,
        hub=hub,
        classroom=classroom,
        templates=templates,
        login_limiter=RateLimiter(settings.login_limit),
        pairing_limiter=RateLimiter(settings.pairing_limit),
    )
    classroom.render_row = live_view.row_renderer(console)
    if settings.lrs_url:
        console.forwarder = LrsForwarder(
            sessions,
            settings.lrs_url,
            settings.lrs_user,
            settings.lrs_password,
            retry_seconds=settings.lrs_retry_seconds,
        )
        classroom.on_stored = console.forwarder.wake
    return console


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _error(request: Request, console: Console, status: int, detail: str) -> Response:
    if _wants_html(request):
        return console.templates.TemplateResponse(
            request, "error.html", {"status": status, "detail": detail}, status_code=status
        )
    return JSONResponse({"detail": detail}, status_code=status)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        if err.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON ({err.get('ctx', {}).get('error', '')})")
            continue
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where or 'the body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def create_app(settings: ConsoleSettings) -> FastAPI:
    """The teacher console as an ASGI app.

    Args:
        settings: Where its data lives, its database, its LRS and limits.

    Returns:
        A FastAPI app; the database is migrated before this returns.
    """
    console = build_console(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        console.hub.bind(asyncio.get_running_loop())
        if console.forwarder is not None:
            console.forwarder.start()
        try:
            yield
        finally:
            if console.forwarder is not None:
                console.forwarder.stop()
            console.classroom.writer.close()
            console.engine.dispose()

    app = FastAPI(
        title="Peripatos teacher console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = console
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        overrides={"/library/install": PACK_UPLOAD_MAX},
    )

    app.add_middleware(SecurityHeadersMiddleware)

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _exc: NotLoggedIn) -> Response:
        if request.method == "GET" and _wants_html(request):
            return RedirectResponse("/login", status_code=303)
        return JSONResponse({"detail": "log in first"}, status_code=401)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return _error(request, console, 403, "missing or wrong CSRF token; reload the page")

    @app.exception_handler(ConsoleError)
    async def console_error(request: Request, exc: ConsoleError) -> Response:
        return _error(request, console, exc.status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        resp = _error(request, console, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            resp.headers[name] = value
        return resp

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, console, 422, _validation_detail(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # last resort: log it for the developers, tell the client nothing internal
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(request, console, 500, "internal error")

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(station_api.router)
    app.include_router(live_view.router)
    app.include_router(pages.router)
    return app
