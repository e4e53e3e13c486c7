"""The station's state as the console sees it: a board the lesson thread writes, and a
reporter thread that posts it (every second while a lesson runs, less often when idle).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from classroom.protocol import STATUS_INTERVAL_SECONDS, Gaze, StationState, StatusReport
from classroom.station.client import (
    ConsoleClient,
    ConsoleRefused,
    ConsoleUnreachable,
    TokenRevoked,
)
from classroom.station.inbox import Inbox, Revoked

log = logging.getLogger(__name__)

#: how often an idle station says it is still there, seconds
IDLE_INTERVAL_SECONDS = 5.0


class StatusBoard:
    """The latest state, shared between the lesson thread (writer) and the reporter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._report = StatusReport(state="idle")
        self._settings: dict[str, Any] | None = None
        self._settings_sent: dict[str, Any] | None = None
        self.changed = threading.Event()

    def set(self, **fields: Any) -> None:
        """Update some fields of the report (``state``, ``step``, ``lesson_time``, ``gaze``...)."""
        with self._lock:
            before = self._report.state
            self._report = self._report.model_copy(update=fields)
            state_changed = self._report.state != before
        if state_changed:
            self.changed.set()

    def set_settings(self, settings: dict[str, Any]) -> None:
        """The learner's current settings (sent when they differ from what was last sent)."""
        with self._lock:
            self._settings = dict(settings)

    @property
    def state(self) -> StationState:
        """The current state."""
        with self._lock:
            return self._report.state

    def snapshot(self) -> StatusReport:
        """The report to send now; settings only when they changed since the last one sent."""
        with self._lock:
            settings = self._settings if self._settings != self._settings_sent else None
            return self._report.model_copy(update={"settings": settings})

    def sent(self, report: StatusReport) -> None:
        """``report`` reached the console."""
        if report.settings is not None:
            with self._lock:
                self._settings_sent = report.settings

    def gaze(self, entity: str | None, yaw: float, pitch: float) -> None:
        """Where the learner looks."""
        self.set(gaze=Gaze(entity=entity, yaw=round(yaw, 1), pitch=round(pitch, 1)))


class StatusReporter:
    """Posts the board's report until stopped (a background thread)."""

    def __init__(self, board: StatusBoard, client: ConsoleClient, inbox: Inbox) -> None:
        self.board = board
        self.client = client
        self.inbox = inbox
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="station-status", daemon=True)

    def start(self) -> None:
        """Start reporting."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send one last report (best effort) and stop."""
        self.stopping.set()
        self.board.changed.set()
        self._thread.join(timeout)

    def send_now(self) -> None:
        """Post the current report (swallowing network trouble: the next one will do)."""
        report = self.board.snapshot()
        try:
            self.client.send_status(report)
        except (ConsoleUnreachable, ConsoleRefused) as exc:
            log.debug("status not sent: %s", exc)
            return
        self.board.sent(report)

    def _loop(self) -> None:
        while True:
            try:
                self.send_now()
            except TokenRevoked as exc:
                self.inbox.put(Revoked(exc.args[0] if exc.args else "token revoked"))
                return
            if self.stopping.is_set():
                return
            live = self.board.state in ("running", "paused")
            self.board.changed.wait(STATUS_INTERVAL_SECONDS if live else IDLE_INTERVAL_SECONDS)
            self.board.changed.clear()
