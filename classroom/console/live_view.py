"""The live class view's server-sent events: one ``station-<id>`` event per changed row.

Rows are rendered where the change happens (statement ingest, status) and the same HTML goes
to every watching browser, which swaps it in with htmx's SSE extension.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from classroom.console.db import ClassSession, SchoolClass
from classroom.console.hub import CLOSE, Message
from classroom.console.live import StationLive
from classroom.console.service import RowRenderer
from classroom.console.state import Console, console_of
from classroom.console.web import current_teacher

router = APIRouter()

HEARTBEAT_SECONDS = 15.0


def format_event(msg: Message) -> str:
    """One SSE frame; every line of the data gets its own ``data:`` field."""
    lines = "".join(f"data: {line}\n" for line in msg.data.splitlines() or [""])
    return f"event: {msg.event}\n{lines}\n"


def row_renderer(console: Console) -> RowRenderer:
    """A function rendering one station's row of the live table."""
    template = console.templates.get_template("_row.html")

    def render(class_session_id: str, live: StationLive) -> str:
        return template.render(st=live, session_id=class_session_id)

    return render


@router.get("/sessions/{session_id}/events")
async def events(session_id: str, request: Request) -> StreamingResponse:
    """The live view's event stream (teacher session required)."""
    console = console_of(request)
    ctx = current_teacher(request)
    with console.sessions() as db:
        cs = db.get(ClassSession, session_id)
        school_class = db.get(SchoolClass, cs.class_id) if cs else None
        if school_class is None or school_class.teacher_id != ctx.teacher.id:
            raise HTTPException(404, "no such class session")
    sub = console.hub.subscribe(session_id)

    async def stream() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while not sub.overflowed:
                try:
                    msg = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if msg is CLOSE:
                    return
                yield format_event(msg)
        finally:
            console.hub.unsubscribe(sub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
