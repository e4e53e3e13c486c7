"""The teacher's pages: setup, login, classes and rosters, library, class sessions, reports."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classroom.console import auth
from classroom.console.db import ClassSession, Learner, SchoolClass, Teacher, utcnow
from classroom.console.reports import build_report, report_csv
from classroom.console.roster import parse_roster
from classroom.console.state import Console, console_of
from classroom.console.web import (
    PRE_CSRF_COOKIE,
    NotLoggedIn,
    TeacherContext,
    current_teacher,
    pre_csrf_ok,
    pre_csrf_token,
    teacher_with_csrf,
)
from classroom.protocol import LESSON_ID_PATTERN

router = APIRouter()

ConsoleDep = Annotated[Console, Depends(console_of)]
Viewer = Annotated[TeacherContext, Depends(current_teacher)]
Actor = Annotated[TeacherContext, Depends(teacher_with_csrf)]
MODES = ("auto", "desktop", "xr", "headless")
ROSTER_MAX_BYTES = 512 * 1024


def _page(
    console: Console, request: Request, name: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    return console.templates.TemplateResponse(request, name, ctx, status_code=status)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _own_class(db: Session, ctx: TeacherContext, class_id: str) -> SchoolClass:
    # another teacher's class is "not found", not "forbidden": ids reveal nothing
    school_class = db.get(SchoolClass, class_id)
    if school_class is None or school_class.teacher_id != ctx.teacher.id:
        raise HTTPException(404, "no such class")
    return school_class


def _own_session(
    db: Session, ctx: TeacherContext, session_id: str
) -> tuple[ClassSession, SchoolClass]:
    cs = db.get(ClassSession, session_id)
    if cs is None:
        raise HTTPException(404, "no such class session")
    return cs, _own_class(db, ctx, cs.class_id)


# --- first run and login ------------------------------------------------------------------


def _has_teacher(console: Console) -> bool:
    with console.sessions() as db:
        return bool(db.scalar(select(func.count()).select_from(Teacher)))


def _pre_form(
    console: Console, request: Request, name: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    token = pre_csrf_token(request)
    resp = _page(console, request, name, status, pre_csrf=token, **ctx)
    resp.set_cookie(
        PRE_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=console.settings.secure_cookies,
    )
    return resp


@router.get("/", response_model=None)
def home(request: Request, console: ConsoleDep) -> Response:
    """To the classes, the login form, or (no teacher yet) the first-run setup."""
    if not _has_teacher(console):
        return _see("/setup")
    try:
        current_teacher(request)
    except NotLoggedIn:
        return _see("/login")
    return _see("/classes")


@router.get("/setup", response_model=None)
def setup_form(request: Request, console: ConsoleDep) -> Response:
    """First run: create the first teacher account (only while there is none)."""
    if _has_teacher(console):
        return _see("/login")
    return _pre_form(console, request, "setup.html")


@router.post("/setup", response_model=None)
def setup(
    request: Request,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Create the first teacher and log them in."""
    if not pre_csrf_ok(request, csrf_token):
        raise HTTPException(403, "the form expired; reload the page and try again")
    with console.sessions() as db:
        if db.scalar(select(func.count()).select_from(Teacher)):
            raise HTTPException(403, "the console is set up already; log in")
        try:
            teacher = auth.create_teacher(db, name, password)
        except auth.AuthError as exc:
            return _pre_form(console, request, "setup.html", 400, error=str(exc))
        secret, _ = auth.open_session(db, teacher)
        db.commit()
    return _logged_in(console, secret)


def _logged_in(console: Console, secret: str) -> Response:
    resp = _see("/classes")
    resp.set_cookie(
        auth.SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=console.settings.secure_cookies,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
    )
    resp.delete_cookie(PRE_CSRF_COOKIE)
    return resp


@router.get("/login", response_model=None)
def login_form(request: Request, console: ConsoleDep) -> Response:
    """The login form."""
    if not _has_teacher(console):
        return _see("/setup")
    return _pre_form(console, request, "login.html")


@router.post("/login", response_model=None)
def login(
    request: Request,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the password (rate-limited per address) and open a session."""
    key = request.client.host if request.client else "unknown"
    if not console.login_limiter.hit(key):
        raise HTTPException(
            429,
            "too many login attempts; wait a minute",
            headers={"Retry-After": str(console.login_limiter.retry_after(key))},
        )
    if not pre_csrf_ok(request, csrf_token):
        raise HTTPException(403, "the form expired; reload the page and try again")
    with console.sessions() as db:
        teacher = auth.authenticate(db, name, password)
        if teacher is None:
            return _pre_form(console, request, "login.html", 401, error="wrong name or password")
        secret, _ = auth.open_session(db, teacher)
        db.commit()
    return _logged_in(console, secret)


@router.post("/logout", response_model=None)
def logout(ctx: Actor, console: ConsoleDep) -> Response:
    """End the session."""
    with console.sessions() as db:
        row = db.get(type(ctx.session), ctx.session.id)
        if row is not None:
            db.delete(row)
            db.commit()
    resp = _see("/login")
    resp.delete_cookie(auth.SESSION_COOKIE)
    return resp


# --- classes and rosters ----------------------------------------------------------------


@router.get("/classes", response_class=HTMLResponse)
def classes(request: Request, ctx: Viewer, console: ConsoleDep) -> HTMLResponse:
    """The teacher's classes."""
    with console.sessions() as db:
        rows = list(
            db.scalars(
                select(SchoolClass)
                .where(SchoolClass.teacher_id == ctx.teacher.id)
                .order_by(SchoolClass.name)
            )
        )
    return _page(console, request, "classes.html", ctx=ctx, classes=rows)


@router.post("/classes", response_model=None)
def create_class(
    ctx: Actor, console: ConsoleDep, name: Annotated[str, Form(min_length=1, max_length=100)]
) -> Response:
    """Create a class."""
    if not name.strip():
        raise HTTPException(422, "a class needs a name")
    with console.sessions() as db:
        school_class = SchoolClass(teacher_id=ctx.teacher.id, name=name.strip())
        db.add(school_class)
        db.commit()
    return _see(f"/classes/{school_class.id}")


def _class_page(
    console: Console,
    request: Request,
    ctx: TeacherContext,
    class_id: str,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    with console.sessions() as db:
        school_class = _own_class(db, ctx, class_id)
        learners = list(
            db.scalars(select(Learner).where(Learner.class_id == class_id).order_by(Learner.name))
        )
        sessions = list(
            db.scalars(
                select(ClassSession)
                .where(ClassSession.class_id == class_id)
                .order_by(ClassSession.created.desc())
            )
        )
    lessons = console.library.lessons()
    return _page(
        console,
        request,
        "class.html",
        status,
        ctx=ctx,
        school_class=school_class,
        learners=learners,
        sessions=sessions,
        lessons=lessons,
        modes=MODES,
        **extra,
    )


@router.get("/classes/{class_id}", response_class=HTMLResponse)
def class_page(class_id: str, request: Request, ctx: Viewer, console: ConsoleDep) -> HTMLResponse:
    """A class: its roster, its lessons (class sessions), a form to assign a lesson."""
    return _class_page(console, request, ctx, class_id)


@router.post("/classes/{class_id}/roster", response_model=None)
async def import_roster(
    class_id: str,
    request: Request,
    ctx: Actor,
    console: ConsoleDep,
    file: UploadFile | None = None,
    text: Annotated[str, Form(max_length=ROSTER_MAX_BYTES)] = "",
) -> Response:
    """Import a roster CSV (an uploaded file or pasted text); errors are listed per line."""
    if file is not None and file.filename:
        raw = await file.read(ROSTER_MAX_BYTES + 1)
        if len(raw) > ROSTER_MAX_BYTES:
            raise HTTPException(413, f"a roster file may be at most {ROSTER_MAX_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(422, "the roster file is not UTF-8 text") from None
    if not text.strip():
        raise HTTPException(422, "choose a CSV file or paste the roster")
    parsed = parse_roster(text)
    added = updated = 0
    with console.sessions() as db:
        _own_class(db, ctx, class_id)
        existing = {
            lr.external_id: lr
            for lr in db.scalars(select(Learner).where(Learner.class_id == class_id))
        }
        for entry in parsed.entries:
            row = existing.get(entry.external_id)
            if row is None:
                db.add(
                    Learner(
                        class_id=class_id,
                        external_id=entry.external_id,
                        name=entry.name,
                        settings=entry.settings,
                    )
                )
                added += 1
            else:
                row.name = entry.name
                if entry.settings:
                    row.settings = entry.settings
                updated += 1
        db.commit()
    status = 200 if not parsed.errors else 422
    return _class_page(
        console,
        request,
        ctx,
        class_id,
        status,
        roster_errors=parsed.errors,
        roster_added=added,
        roster_updated=updated,
    )


@router.get("/learners/{learner_id}", response_class=HTMLResponse)
def learner_page(
    learner_id: str, request: Request, ctx: Viewer, console: ConsoleDep
) -> HTMLResponse:
    """A learner's comfort and accessibility settings."""
    with console.sessions() as db:
        learner = db.get(Learner, learner_id)
        if learner is None:
            raise HTTPException(404, "no such learner")
        school_class = _own_class(db, ctx, learner.class_id)
    return _page(
        console,
        request,
        "learner.html",
        ctx=ctx,
        learner=learner,
        school_class=school_class,
        settings_json=json.dumps(learner.settings or {}, indent=2, sort_keys=True),
    )


@router.post("/learners/{learner_id}/settings", response_model=None)
def learner_settings(
    learner_id: str,
    ctx: Actor,
    console: ConsoleDep,
    settings: Annotated[str, Form(max_length=16_384)],
) -> Response:
    """Save a learner's settings (a JSON object); they go with every launch for them."""
    try:
        value = json.loads(settings or "{}")
    except ValueError as exc:
        raise HTTPException(422, f"the settings are not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise HTTPException(422, "the settings must be a JSON object")
    with console.sessions() as db:
        learner = db.get(Learner, learner_id)
        if learner is None:
            raise HTTPException(404, "no such learner")
        _own_class(db, ctx, learner.class_id)
        learner.settings = value
        db.commit()
    return _see(f"/learners/{learner_id}")


# --- the library ------------------------------------------------------------------------


@router.get("/library", response_class=HTMLResponse)
def library(request: Request, ctx: Viewer, console: ConsoleDep) -> HTMLResponse:
    """Every lesson the console can hand out, with thumbnails."""
    return _page(console, request, "library.html", ctx=ctx, lessons=console.library.lessons())


@router.get("/library/{lesson_id}/thumbnail", response_model=None)
def thumbnail(lesson_id: str, ctx: Viewer, console: ConsoleDep) -> Response:
    """The lesson's poster (rendered on first use), or a placeholder SVG."""
    info = console.library.get(lesson_id)
    if info is None:
        raise HTTPException(404, "no such lesson")
    path = console.library.thumbnail(info)
    if path is None:
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="270">'
            '<rect width="100%" height="100%" fill="#ccd"/></svg>'
        )
        return Response(svg, media_type="image/svg+xml")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


@router.post("/library/install", response_model=None)
async def install_pack(ctx: Actor, console: ConsoleDep, pack: UploadFile) -> Response:
    """Install an uploaded ``.lessonpack`` (checked completely) into the console's library."""
    import tempfile
    from pathlib import Path

    from fastapi.concurrency import run_in_threadpool

    from tools.pack import PackError
    from tools.pack import install_pack as install

    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "upload.lessonpack"
        with dest.open("wb") as out:
            # in chunks: a pack may be far larger than memory should hold at once
            while chunk := await pack.read(1 << 20):
                out.write(chunk)
        console.settings.installed_lessons.mkdir(parents=True, exist_ok=True)
        try:
            await run_in_threadpool(install, dest, console.settings.installed_lessons, replace=True)
        except PackError as exc:
            raise HTTPException(
                422, f"the pack was refused: {str(exc).replace(str(dest), 'the pack')}"
            ) from None
    console.library.refresh()
    return _see("/library")


# --- class sessions ---------------------------------------------------------------------


@router.post("/classes/{class_id}/sessions", response_model=None)
def create_session(
    class_id: str,
    ctx: Actor,
    console: ConsoleDep,
    lesson_id: Annotated[str, Form(pattern=LESSON_ID_PATTERN)],
    mode: Annotated[str, Form()] = "auto",
) -> Response:
    """Assign a lesson to a class: a class session with a pairing code."""
    if console.library.get(lesson_id) is None:
        raise HTTPException(422, f"there is no lesson {lesson_id!r} in the library")
    if mode not in MODES:
        raise HTTPException(422, f"mode must be one of {', '.join(MODES)}")
    with console.sessions() as db:
        _own_class(db, ctx, class_id)
        cs = ClassSession(class_id=class_id, lesson_id=lesson_id, mode=mode, next_seq=1)
        db.add(cs)
        console.classroom.new_pairing_code(db, cs)
        db.commit()
    return _see(f"/sessions/{cs.id}")


def _session_ctx(
    console: Console, ctx: TeacherContext, session_id: str, guide: bool = False
) -> dict[str, Any]:
    with console.sessions() as db:
        cs, school_class = _own_session(db, ctx, session_id)
        learners = list(
            db.scalars(
                select(Learner).where(Learner.class_id == cs.class_id).order_by(Learner.name)
            )
        )
    info = console.library.get(cs.lesson_id)
    expires = cs.pairing_expires
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    code_valid = cs.state == "open" and expires is not None and expires > utcnow()
    return {
        "ctx": ctx,
        "cs": cs,
        "school_class": school_class,
        "lesson": info,
        "stations": console.classroom.live(cs.id),
        "learners": learners,
        "guide": guide,
        "code_valid": code_valid,
    }


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    session_id: str, request: Request, ctx: Viewer, console: ConsoleDep, guide: bool = False
) -> HTMLResponse:
    """The live class view."""
    return _page(console, request, "session.html", **_session_ctx(console, ctx, session_id, guide))


@router.get("/sessions/{session_id}/stations", response_class=HTMLResponse)
def session_rows(
    session_id: str, request: Request, ctx: Viewer, console: ConsoleDep, guide: bool = False
) -> HTMLResponse:
    """The live table's body (reloaded when stations come and go)."""
    return _page(console, request, "_rows.html", **_session_ctx(console, ctx, session_id, guide))


@router.post("/sessions/{session_id}/pairing", response_model=None)
def new_code(session_id: str, ctx: Actor, console: ConsoleDep) -> Response:
    """A fresh pairing code (the old one stops working)."""
    with console.sessions() as db:
        cs, _ = _own_session(db, ctx, session_id)
        if cs.state != "open":
            raise HTTPException(409, "this class session has ended")
        console.classroom.new_pairing_code(db, cs)
        db.commit()
    return _see(f"/sessions/{session_id}")


@router.post("/sessions/{session_id}/launch", response_model=None)
def launch(session_id: str, ctx: Actor, console: ConsoleDep) -> Response:
    """Launch the lesson on every paired station."""
    with console.sessions() as db:
        cs, _ = _own_session(db, ctx, session_id)
        if cs.state != "open":
            raise HTTPException(409, "this class session has ended")
    console.classroom.launch(session_id)
    return _see(f"/sessions/{session_id}")


@router.post("/sessions/{session_id}/command/{kind}", response_model=None)
def command(
    session_id: str,
    kind: str,
    ctx: Actor,
    console: ConsoleDep,
    entity: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Pause all, resume all, look here (``focus`` with an entity), end for all."""
    if kind not in ("pause", "resume", "focus", "end"):
        raise HTTPException(404, "no such command")
    with console.sessions() as db:
        cs, _ = _own_session(db, ctx, session_id)
        if cs.state != "open":
            raise HTTPException(409, "this class session has ended")
    payload: dict[str, Any] = {}
    if kind == "focus":
        info = console.library.get(cs.lesson_id)
        if info is None or entity not in info.pois:
            raise HTTPException(422, "choose one of the lesson's points of interest")
        payload["entity"] = entity
    console.classroom.issue(session_id, kind, payload)
    if kind == "end":
        with console.sessions() as db:
            row = db.get(ClassSession, session_id)
            if row is not None:
                row.state, row.ended, row.pairing_code = "ended", utcnow(), None
                db.commit()
    return _see(f"/sessions/{session_id}")


@router.post("/sessions/{session_id}/stations/{station_id}/revoke", response_model=None)
def revoke(session_id: str, station_id: str, ctx: Actor, console: ConsoleDep) -> Response:
    """Revoke a station's token."""
    with console.sessions() as db:
        _own_session(db, ctx, session_id)
    console.classroom.revoke(session_id, station_id)
    return _see(f"/sessions/{session_id}")


@router.post("/sessions/{session_id}/stations/{station_id}/assign", response_model=None)
def assign(
    session_id: str,
    station_id: str,
    ctx: Actor,
    console: ConsoleDep,
    learner_id: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """Put a learner on a station (before launching)."""
    with console.sessions() as db:
        _own_session(db, ctx, session_id)
    console.classroom.assign(session_id, station_id, learner_id or None)
    return _see(f"/sessions/{session_id}")


# --- reports ----------------------------------------------------------------------------


@router.get("/sessions/{session_id}/report", response_class=HTMLResponse)
def report_page(
    session_id: str, request: Request, ctx: Viewer, console: ConsoleDep
) -> HTMLResponse:
    """The per-learner and class report."""
    with console.sessions() as db:
        cs, school_class = _own_session(db, ctx, session_id)
        info = console.library.get(cs.lesson_id)
        report = build_report(db, session_id, priors=info.priors if info else None)
    return _page(
        console,
        request,
        "report.html",
        ctx=ctx,
        cs=cs,
        school_class=school_class,
        report=report,
        lesson=info,
    )


@router.get("/sessions/{session_id}/report.csv", response_model=None)
def report_export(session_id: str, ctx: Viewer, console: ConsoleDep) -> Response:
    """The report as CSV."""
    with console.sessions() as db:
        cs, _ = _own_session(db, ctx, session_id)
        info = console.library.get(cs.lesson_id)
        report = build_report(db, session_id, priors=info.priors if info else None)
    filename = f"{cs.lesson_id}-{cs.created:%Y%m%d-%H%M}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
