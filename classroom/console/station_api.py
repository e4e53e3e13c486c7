"""The station API (``/api/station/...``), as in ``docs/classroom-protocol.md``."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from classroom.console.db import Station
from classroom.console.state import Console, console_of
from classroom.protocol import (
    API_PREFIX,
    DEFAULT_WAIT_SECONDS,
    MAX_WAIT_SECONDS,
    CommandsResponse,
    PairRequest,
    PairResponse,
    StatementsRequest,
    StatementsResponse,
    StatusReport,
)

router = APIRouter(prefix=API_PREFIX)


def client_key(request: Request) -> str:
    """The address rate limits count by."""
    return request.client.host if request.client else "unknown"


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_station(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Station:
    """The station whose bearer token came with the request, else 401."""
    console = console_of(request)
    station = console.classroom.station_for_token(_bearer(authorization))
    if station is None:
        raise HTTPException(
            401,
            "a valid station token is needed (pair again: it may have been revoked)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return station


StationDep = Annotated[Station, Depends(current_station)]
ConsoleDep = Annotated[Console, Depends(console_of)]


@router.post("/pair", response_model=PairResponse)
def pair(body: PairRequest, request: Request, console: ConsoleDep) -> PairResponse:
    """Trade the one-time code for a station token scoped to one class session."""
    key = client_key(request)
    if not console.pairing_limiter.hit(key):
        raise HTTPException(
            429,
            "too many pairing attempts; wait a minute",
            headers={"Retry-After": str(console.pairing_limiter.retry_after(key))},
        )
    station, token, cs, class_name = console.classroom.pair(body.code, body.station_name)
    return PairResponse(
        station_id=station.id, token=token, class_session_id=cs.id, class_name=class_name
    )


@router.get("/commands", response_model=CommandsResponse)
async def commands(
    station: StationDep,
    console: ConsoleDep,
    after: Annotated[int, Query(ge=0)] = 0,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = DEFAULT_WAIT_SECONDS,
) -> dict[str, Any]:
    """Long poll: the commands with ``seq > after`` as soon as there are any."""
    deadline = time.monotonic() + wait
    key = station.class_session_id
    while True:
        seen = console.hub.version(key)
        found = await run_in_threadpool(console.classroom.commands_after, station, after)
        if found:
            return {"commands": found}
        left = deadline - time.monotonic()
        if left <= 0 or console.hub.closing:
            return {"commands": []}
        await console.hub.wait(key, seen, left)
        # a revoked token ends its long poll with 401 rather than waiting on
        with console.sessions() as db:
            row = db.get(Station, station.id)
            if row is None or row.revoked:
                raise HTTPException(401, "this station's token was revoked")
        await asyncio.sleep(0)


def _check_statements(statements: list[dict[str, Any]]) -> None:
    for i, stmt in enumerate(statements):
        sid = stmt.get("id")
        if not isinstance(sid, str):
            raise HTTPException(422, f"statements[{i}]: every statement needs a UUID 'id'")
        try:
            uuid.UUID(sid)
        except ValueError:
            raise HTTPException(422, f"statements[{i}].id: {sid[:64]!r} is not a UUID") from None
        for part in ("actor", "verb", "object"):
            if not isinstance(stmt.get(part), dict):
                raise HTTPException(422, f"statements[{i}]: '{part}' must be an object")
        if not isinstance(stmt["verb"].get("id"), str):
            raise HTTPException(422, f"statements[{i}].verb: 'id' must be an IRI string")


@router.post("/statements", response_model=StatementsResponse)
def statements(
    body: StatementsRequest, station: StationDep, console: ConsoleDep
) -> StatementsResponse:
    """Store each statement once by id; say how many were new and how many duplicates."""
    _check_statements(body.statements)
    stored, duplicates = console.classroom.ingest(station, body.statements)
    return StatementsResponse(stored=stored, duplicates=duplicates)


@router.post("/status", status_code=204)
def status(body: StatusReport, station: StationDep, console: ConsoleDep) -> Response:
    """Take in the station's state, step, gaze and the learner's settings."""
    console.classroom.status(station, body.model_dump(mode="json"))
    return Response(status_code=204)


@router.get("/lessons/{lesson_id}.lessonpack")
def lesson_pack(lesson_id: str, station: StationDep, console: ConsoleDep) -> FileResponse:
    """The lesson as a pack; only lessons in the library, by id (never a path)."""
    info = console.library.get(lesson_id)
    if info is None:
        raise HTTPException(404, f"no lesson {lesson_id[:64]!r} in the console's library")
    path = console.library.pack(info)
    return FileResponse(path, media_type="application/zip", filename=f"{info.id}.lessonpack")
