"""Long-polls the console for commands (a background thread) and queues them for the lesson.

It asks for commands after the last one it has seen; the lesson thread saves the last one it
executed, and a restarted station starts polling from there, so no command runs twice.
"""

from __future__ import annotations

import logging
import threading

from classroom.protocol import DEFAULT_WAIT_SECONDS
from classroom.station.client import (
    ConsoleClient,
    ConsoleRefused,
    ConsoleUnreachable,
    TokenRevoked,
)
from classroom.station.inbox import Inbox, Revoked

log = logging.getLogger(__name__)

#: the longest pause between tries while the console is unreachable, seconds
MAX_BACKOFF = 2.0


class CommandPoller:
    """Fetches commands with ``seq > after`` into the inbox until stopped.

    Args:
        client: the console.
        inbox: where commands go, in ``seq`` order.
        after: the last command already executed.
        wait: the long poll's wait, seconds.
    """

    def __init__(
        self, client: ConsoleClient, inbox: Inbox, after: int, wait: float = DEFAULT_WAIT_SECONDS
    ) -> None:
        self.client = client
        self.inbox = inbox
        self.after = after
        self.wait = wait
        self.stopping = threading.Event()
        #: whether the last poll got an answer (the station reports it)
        self.connected = False
        self._thread = threading.Thread(target=self._loop, name="station-poller", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the poll in flight (a daemon thread: the process need not wait)."""
        self.stopping.set()

    def _loop(self) -> None:
        backoff = 0.1
        while not self.stopping.is_set():
            try:
                answer = self.client.commands(self.after, self.wait)
            except ConsoleUnreachable as exc:
                if self.connected:
                    log.warning("lost the console: %s", exc)
                self.connected = False
                self.stopping.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            except TokenRevoked as exc:
                self.inbox.put(Revoked(exc.args[0] if exc.args else "token revoked"))
                return
            except ConsoleRefused as exc:
                # a console that refuses the poll itself will not change its mind soon
                log.error("the console refuses to send commands: %s", exc)
                self.stopping.wait(MAX_BACKOFF)
                continue
            self.connected = True
            backoff = 0.1
            for command in answer.commands:
                if command.seq > self.after:
                    self.inbox.put(command)
                    self.after = command.seq
