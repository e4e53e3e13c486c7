"""What the pages and the station API do to a class session, in one place.

Holds the database sessionmaker, the library, the hub and the live state of every open
class session (rebuilt from stored statements on first use, so a console restart loses
nothing). Rendering of live rows is injected (``render_row``) so this module knows no HTML.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from classroom.console.db import (
    ClassSession,
    Command,
    Learner,
    SchoolClass,
    Statement,
    Station,
    utcnow,
)
from classroom.console.hub import Hub
from classroom.console.library import Library
from classroom.console.live import StationLive, StudentProgress
from classroom.console.writer import StatementWriter
from classroom.console.xapi_read import lesson_time
from classroom.protocol import PAIRING_CODE_TTL_SECONDS

if TYPE_CHECKING:
    from adaptivity.bkt import BktParams

RowRenderer = Callable[[str, StationLive], str]


class ConsoleError(ValueError):
    """A request that cannot be carried out; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _aware(when: Any) -> Any:
    # SQLite hands back naive datetimes even for timezone=True columns
    return (
        when.replace(tzinfo=utcnow().tzinfo) if when is not None and when.tzinfo is None else when
    )


def in_order(rows: Iterable[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """``(key, received, body)`` rows as ``(key, statement)``, in the order they happened.

    One request's statements share a ``received`` instant (one group commit), so lesson time
    orders them within it.
    """
    decoded = [(key, received, json.loads(body)) for key, received, body in rows]
    decoded.sort(key=lambda r: (r[1], lesson_time(r[2])))
    return [(key, stmt) for key, _, stmt in decoded]


def as_dict(row: Command) -> dict[str, Any]:
    """A command row as a :data:`classroom.protocol.Command` dict."""
    issued = _aware(row.issued)
    return {"seq": row.seq, "kind": row.kind, "issued": issued.isoformat(), **row.payload}


class Classroom:
    """Operations on class sessions, shared by pages and the station API.

    Args:
        sessions: Database sessions.
        library: The lesson library.
        hub: Wake-ups for SSE and long polls.
        forward: Whether statements are queued for an external LRS.
    """

    def __init__(
        self, sessions: sessionmaker[Session], library: Library, hub: Hub, *, forward: bool
    ) -> None:
        self.sessions = sessions
        self.library = library
        self.hub = hub
        self.forward = forward
        self.render_row: RowRenderer = lambda _sid, live: ""
        #: called after new statements were stored (wakes the LRS forwarder)
        self.on_stored: Callable[[], None] | None = None
        self._live: dict[str, dict[str, StationLive]] = {}
        # token hash -> station, so a statement request costs no token query; cleared
        # whenever a station's row changes (revoke, assign, launch)
        self._tokens: dict[str, Station] = {}
        self.writer = StatementWriter(sessions, forward=forward)
        self._lock = threading.RLock()
        #: per class session: its lesson's BKT parameters (for the live view's mastery)
        self._priors: dict[str, dict[str, BktParams]] = {}

    # --- pairing -------------------------------------------------------------------------

    def new_pairing_code(self, db: Session, cs: ClassSession) -> str:
        """Give ``cs`` a fresh code, unique among open class sessions (committed by caller)."""
        for _ in range(100):
            code = f"{secrets.randbelow(10**6):06d}"
            taken = db.scalar(
                select(ClassSession.id).where(
                    ClassSession.pairing_code == code, ClassSession.state == "open"
                )
            )
            if taken is None:
                cs.pairing_code = code
                cs.pairing_expires = utcnow() + timedelta(seconds=PAIRING_CODE_TTL_SECONDS)
                return code
        raise ConsoleError("could not find a free pairing code; close some class sessions", 503)

    def pair(self, code: str, station_name: str) -> tuple[Station, str, ClassSession, str]:
        """Pair a station by code; returns the station, its token, the session, the class name.

        Raises:
            ConsoleError: 403 for a wrong or expired code.
        """
        from classroom.console.auth import sha256

        with self.sessions() as db:
            cs = db.scalar(
                select(ClassSession).where(
                    ClassSession.pairing_code == code, ClassSession.state == "open"
                )
            )
            if (
                cs is None
                or _aware(cs.pairing_expires) is None
                or _aware(cs.pairing_expires) < utcnow()
            ):
                raise ConsoleError("wrong or expired pairing code", 403)
            token = secrets.token_urlsafe(32)
            station = Station(class_session_id=cs.id, name=station_name, token_hash=sha256(token))
            db.add(station)
            school_class = db.get(SchoolClass, cs.class_id)
            db.commit()
            class_name = school_class.name if school_class else ""
        with self._lock:
            live = self._live_for(cs.id)
            live[station.id] = self._new_live(cs.id, station.id, station.name)
        self.publish_roster(cs.id)
        return station, token, cs, class_name

    def station_for_token(self, token: str | None) -> Station | None:
        """The unrevoked station a bearer token belongs to, or None (cached)."""
        from classroom.console.auth import sha256, station_for_token

        if not token:
            return None
        key = sha256(token)
        with self._lock:
            station = self._tokens.get(key)
        if station is not None:
            return station
        with self.sessions() as db:
            station = station_for_token(db, token)
            if station is not None:
                db.expunge(station)
        if station is not None:
            with self._lock:
                self._tokens[key] = station
        return station

    def _stations_changed(self) -> None:
        with self._lock:
            self._tokens.clear()

    # --- commands ------------------------------------------------------------------------

    def issue(
        self,
        class_session_id: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        station_id: str | None = None,
    ) -> int:
        """Queue a command for the stations (one, or all); returns its ``seq``."""
        with self.sessions() as db:
            seq = self._issue(db, class_session_id, kind, payload or {}, station_id)
            db.commit()
        self.hub.notify(class_session_id)
        return seq

    def _issue(
        self,
        db: Session,
        class_session_id: str,
        kind: str,
        payload: dict[str, Any],
        station_id: str | None,
    ) -> int:
        # the row lock (PostgreSQL) / write lock (SQLite) keeps seq strictly increasing
        cs = db.scalar(
            select(ClassSession).where(ClassSession.id == class_session_id).with_for_update()
        )
        if cs is None:
            raise ConsoleError("no such class session", 404)
        seq = cs.next_seq
        cs.next_seq = seq + 1
        db.add(
            Command(
                class_session_id=cs.id, station_id=station_id, seq=seq, kind=kind, payload=payload
            )
        )
        db.flush()
        return seq

    def launch(self, class_session_id: str) -> int:
        """Launch the lesson on every paired station; unassigned ones get the next learners.

        Returns:
            How many stations were sent a launch command.
        """
        with self.sessions() as db:
            cs = db.get(ClassSession, class_session_id)
            if cs is None:
                raise ConsoleError("no such class session", 404)
            stations = list(
                db.scalars(
                    select(Station)
                    .where(Station.class_session_id == cs.id, Station.revoked.is_(False))
                    .order_by(Station.created)
                )
            )
            learners = list(
                db.scalars(
                    select(Learner).where(Learner.class_id == cs.class_id).order_by(Learner.name)
                )
            )
            taken = {s.learner_id for s in stations if s.learner_id}
            free = [lr for lr in learners if lr.id not in taken]
            by_id = {lr.id: lr for lr in learners}
            sent = 0
            for station in stations:
                if station.learner_id is None and free:
                    station.learner_id = free.pop(0).id
                learner = by_id.get(station.learner_id or "")
                if learner is None:
                    continue
                self._issue(
                    db,
                    cs.id,
                    "launch",
                    {
                        "lesson_id": cs.lesson_id,
                        "learner_id": learner.id,
                        "learner_name": learner.name,
                        "settings": dict(learner.settings or {}),
                        "mode": cs.mode,
                    },
                    station.id,
                )
                sent += 1
            db.commit()
            assigned = {s.id: by_id.get(s.learner_id or "") for s in stations}
        self._stations_changed()
        with self._lock:
            live = self._live_for(class_session_id)
            for sid, learner in assigned.items():
                if sid in live and learner is not None:
                    live[sid].learner_id, live[sid].learner_name = learner.id, learner.name
        self.hub.notify(class_session_id)
        self.publish_roster(class_session_id)
        return sent

    def commands_after(self, station: Station, after: int) -> list[dict[str, Any]]:
        """The commands for ``station`` with ``seq > after``, in order."""
        with self.sessions() as db:
            rows = db.scalars(
                select(Command)
                .where(
                    Command.class_session_id == station.class_session_id,
                    Command.seq > after,
                    (Command.station_id.is_(None)) | (Command.station_id == station.id),
                )
                .order_by(Command.seq)
            )
            return [as_dict(r) for r in rows]

    # --- statements ----------------------------------------------------------------------

    def ingest(self, station: Station, statements: list[dict[str, Any]]) -> tuple[int, int]:
        """Store each statement once; returns ``(stored, duplicates)``.

        The statements were validated by the caller (each has a UUID ``id``). Duplicates
        within one request count as duplicates too.
        """
        ids: dict[str, dict[str, Any]] = {}
        dup_in_request = 0
        for stmt in statements:
            sid = str(uuid.UUID(str(stmt["id"])))
            if sid in ids:
                dup_in_request += 1
            else:
                ids[sid] = stmt
        new = self.writer.store(station, ids)
        duplicates = dup_in_request + len(ids) - len(new)
        if duplicates:
            with self.sessions() as db:
                row = db.get(Station, station.id)
                if row is not None:
                    row.duplicates += duplicates
                    db.commit()
        if new:
            with self._lock:
                live = self._station_live(station)
                for stmt in new:
                    live.progress.add(stmt)
                html = self.render_row(station.class_session_id, live)
            self.hub.publish(station.class_session_id, f"station-{station.id}", html)
            if self.on_stored is not None:
                self.on_stored()
        return len(new), duplicates

    def status(self, station: Station, report: dict[str, Any]) -> None:
        """Take in a station's status; save the learner's settings when they changed."""
        settings = report.get("settings")
        if settings is not None and station.learner_id:
            with self.sessions() as db:
                learner = db.get(Learner, station.learner_id)
                if learner is not None and learner.settings != settings:
                    learner.settings = settings
                    db.commit()
        with self._lock:
            live = self._station_live(station)
            live.apply_status(report)
            html = self.render_row(station.class_session_id, live)
        self.hub.publish(station.class_session_id, f"station-{station.id}", html)

    # --- live state ----------------------------------------------------------------------

    def priors(self, class_session_id: str) -> dict[str, BktParams]:
        """The BKT parameters of the lesson a class session runs (empty if unknown)."""
        priors = self._priors.get(class_session_id)
        if priors is None:
            with self.sessions() as db:
                cs = db.get(ClassSession, class_session_id)
                info = self.library.get(cs.lesson_id) if cs is not None else None
            priors = self._priors[class_session_id] = dict(info.priors) if info else {}
        return priors

    def _new_live(
        self,
        class_session_id: str,
        station_id: str,
        name: str,
        learner_id: str | None = None,
        learner_name: str = "",
        *,
        revoked: bool = False,
    ) -> StationLive:
        progress = StudentProgress(params=self.priors(class_session_id))
        return StationLive(
            station_id, name, learner_id, learner_name, revoked=revoked, progress=progress
        )

    def _live_for(self, class_session_id: str) -> dict[str, StationLive]:
        # caller holds self._lock
        live = self._live.get(class_session_id)
        if live is not None:
            return live
        live = {}
        with self.sessions() as db:
            stations = db.scalars(
                select(Station)
                .where(Station.class_session_id == class_session_id)
                .order_by(Station.created)
            )
            names = {
                lr.id: lr.name
                for lr in db.scalars(
                    select(Learner)
                    .join(ClassSession, ClassSession.class_id == Learner.class_id)
                    .where(ClassSession.id == class_session_id)
                )
            }
            for st in stations:
                live[st.id] = self._new_live(
                    class_session_id,
                    st.id,
                    st.name,
                    st.learner_id,
                    names.get(st.learner_id or "", ""),
                    revoked=st.revoked,
                )
            rows = db.execute(
                select(Statement.station_id, Statement.received, Statement.body).where(
                    Statement.class_session_id == class_session_id
                )
            )
            for station_id, stmt in in_order(rows):
                if station_id in live:
                    live[station_id].progress.add(stmt)
        self._live[class_session_id] = live
        return live

    def _station_live(self, station: Station) -> StationLive:
        live = self._live_for(station.class_session_id)
        if station.id not in live:
            live[station.id] = self._new_live(
                station.class_session_id, station.id, station.name, station.learner_id
            )
        return live[station.id]

    def live(self, class_session_id: str) -> list[StationLive]:
        """Every station of a class session with its live state (a snapshot list)."""
        with self._lock:
            return list(self._live_for(class_session_id).values())

    def forget(self, class_session_id: str) -> None:
        """Drop a class session's live state (rebuilt from the database when next needed)."""
        with self._lock:
            self._live.pop(class_session_id, None)

    def publish_roster(self, class_session_id: str) -> None:
        """Tell live views that stations came, went or changed learner (they reload the table)."""
        self.hub.publish(class_session_id, "roster", "changed")

    def revoke(self, class_session_id: str, station_id: str) -> None:
        """Revoke a station's token (it gets 401 from then on)."""
        with self.sessions() as db:
            st = db.get(Station, station_id)
            if st is None or st.class_session_id != class_session_id:
                raise ConsoleError("no such station in this class session", 404)
            st.revoked = True
            db.commit()
        self._stations_changed()
        with self._lock:
            live = self._live_for(class_session_id)
            if station_id in live:
                live[station_id].revoked = True
        self.hub.notify(class_session_id)  # a long poll in progress ends now
        self.publish_roster(class_session_id)

    def assign(self, class_session_id: str, station_id: str, learner_id: str | None) -> None:
        """Put a learner (of the session's class) on a station, or none."""
        with self.sessions() as db:
            st = db.get(Station, station_id)
            cs = db.get(ClassSession, class_session_id)
            if st is None or cs is None or st.class_session_id != cs.id:
                raise ConsoleError("no such station in this class session", 404)
            name = ""
            if learner_id:
                learner = db.get(Learner, learner_id)
                if learner is None or learner.class_id != cs.class_id:
                    raise ConsoleError("that learner is not in this class", 400)
                name = learner.name
            st.learner_id = learner_id or None
            db.commit()
        self._stations_changed()
        with self._lock:
            live = self._live_for(class_session_id)
            if station_id in live:
                live[station_id].learner_id = learner_id or None
                live[station_id].learner_name = name
        self.publish_roster(class_session_id)
