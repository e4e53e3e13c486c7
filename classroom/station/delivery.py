"""Delivers the outbox to the console, in order, in batches, forever (a background thread).

A batch leaves the outbox only after the console's 200 for it. While the console is down the
sender waits and tries again (backing off up to :data:`MAX_BACKOFF` seconds), so a lesson
never waits for the network; statements simply queue on disk.
"""

from __future__ import annotations

import logging
import threading
import time

from classroom.protocol import MAX_BODY_BYTES, MAX_STATEMENTS_PER_REQUEST
from classroom.station.client import (
    ConsoleClient,
    ConsoleRefused,
    ConsoleUnreachable,
    TokenRevoked,
)
from classroom.station.inbox import Inbox, Revoked
from classroom.station.outbox import Outbox

log = logging.getLogger(__name__)

#: the longest pause between tries while the console is unreachable, seconds
MAX_BACKOFF = 2.0
#: room for the envelope around the statements in one request
BATCH_BYTES = MAX_BODY_BYTES - 16 * 1024


class Sender:
    """Sends what is in the outbox until stopped.

    Args:
        outbox: the statements to deliver.
        client: the console.
        inbox: where to say that the token was revoked.
    """

    def __init__(self, outbox: Outbox, client: ConsoleClient, inbox: Inbox) -> None:
        self.outbox = outbox
        self.client = client
        self.inbox = inbox
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.sent = 0
        self.limit = MAX_STATEMENTS_PER_REQUEST
        self._thread = threading.Thread(target=self._loop, name="station-sender", daemon=True)

    def start(self) -> None:
        """Start the sending thread."""
        self._thread.start()

    def nudge(self) -> None:
        """There is something new to send (the outbox calls this)."""
        self.wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the request in flight (what is not sent stays in the outbox)."""
        self.stopping.set()
        self.wake.set()
        self._thread.join(timeout)

    def flush(self, timeout: float = 30.0) -> bool:
        """Send everything waiting now, on the calling thread, for at most about ``timeout``
        seconds; True when the outbox is empty.

        Used when a station stops, so a console that is up gets everything before the exit.
        """
        deadline = time.monotonic() + timeout
        try:
            while self.outbox.pending() and time.monotonic() < deadline:
                self._send_batch()
        except (ConsoleUnreachable, TokenRevoked):
            return False
        return not self.outbox.pending()

    def _loop(self) -> None:
        backoff = 0.1
        while not self.stopping.is_set():
            if not self.outbox.pending():
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            try:
                self._send_batch()
                backoff = 0.1
            except ConsoleUnreachable as exc:
                log.info("statements wait in the outbox: %s", exc)
                self.stopping.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
            except TokenRevoked as exc:
                self.inbox.put(Revoked(exc.args[0] if exc.args else "token revoked"))
                return

    def _send_batch(self) -> None:
        batch = self.outbox.peek(self.limit, BATCH_BYTES)
        if not batch:
            return
        try:
            self.client.send_statements(batch)
        except ConsoleRefused as exc:
            if exc.status == 413 and len(batch) > 1:
                # the console takes less than the protocol promises: smaller batches from now
                self.limit = max(1, len(batch) // 2)
                return
            # a refused batch would block every statement behind it: find the culprit(s)
            self._one_by_one(batch)
            return
        self.outbox.delivered(str(s["id"]) for s in batch)
        self.sent += len(batch)

    def _one_by_one(self, batch: list[dict[str, object]]) -> None:
        for stmt in batch:
            try:
                self.client.send_statements([stmt])
            except ConsoleRefused as exc:
                log.error("the console refuses statement %s: %s", stmt["id"], exc.detail)
                self.outbox.reject(str(stmt["id"]), exc.detail)
                continue
            self.outbox.delivered([str(stmt["id"])])
            self.sent += 1
