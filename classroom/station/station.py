"""A student station: pair, then run what the console says until stopped or revoked.

The lesson runs on the calling (main) thread, because windows and renderers want it; three
daemon threads talk to the console: the command poller, the outbox sender and the status
reporter. A station killed at any moment loses nothing: its progress, outbox and session
log are on disk, and the next start delivers the outbox and continues the lesson it was in.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from classroom.protocol import LaunchCommand
from classroom.station.client import ConsoleClient, ConsoleError
from classroom.station.delivery import Sender
from classroom.station.files import StationPaths
from classroom.station.inbox import Inbox, Message, Revoked, Shutdown
from classroom.station.outbox import Outbox
from classroom.station.pairing import Credentials, forget_credentials, load_credentials, pair
from classroom.station.poller import CommandPoller
from classroom.station.progress import Progress
from classroom.station.runner import LessonRunner, RunError, RunnerOptions
from classroom.station.status import StatusBoard, StatusReporter

log = logging.getLogger(__name__)

#: exit status when the console revoked the station's token
EXIT_REVOKED = 3
#: how long a stopping station keeps trying to hand over its outbox, seconds
FLUSH_SECONDS = 3.0


class StationError(Exception):
    """The station cannot start; the message says what to do."""


@dataclass
class StationOptions:
    """What ``lesson station`` was asked to do.

    Attributes:
        console: the console's URL.
        name: the station's name on the console.
        data: the station's data folder.
        code: a one-time pairing code (None: use the stored token).
        runner: how lessons run here.
    """

    console: str
    name: str
    data: Path
    code: str | None = None
    runner: RunnerOptions = field(default_factory=RunnerOptions)


class Station:
    """One student station.

    Args:
        options: what to do.
        say: prints a line for the person at the station's terminal.
    """

    def __init__(self, options: StationOptions, say: Callable[[str], None] = print) -> None:
        self.options = options
        self.say = say
        self.paths = StationPaths(options.data)
        self.inbox = Inbox()
        self.board = StatusBoard()
        #: set (by a signal handler) to a reason when the station must stop
        self.stop_reason: str | None = None

    def request_stop(self, reason: str) -> None:
        """Ask the station to stop soon (safe from a signal handler: it only sets a field)."""
        self.stop_reason = reason

    def _credentials(self, client: ConsoleClient) -> Credentials:
        if self.options.code:
            try:
                creds = pair(client, self.options.code, self.options.name, self.paths)
            except ValidationError:
                raise StationError(
                    "the pairing code is the 6 digits the console shows, and the station name "
                    "is 1 to 64 characters"
                ) from None
            except ConsoleError as exc:
                raise StationError(f"pairing failed: {exc}") from None
            self.say(f"paired with {creds.class_name} as {self.options.name}")
            return creds
        stored = load_credentials(self.paths, client.base_url)
        if stored is None:
            raise StationError(
                "this station is not paired with that console: give --code with the code the "
                "teacher's console shows"
            )
        client.token = stored.token
        return stored

    def run(self) -> int:
        """Pair (or reuse the stored token), then obey commands until stopped.

        Returns:
            The exit status: 0 when stopped, :data:`EXIT_REVOKED` when the token was revoked.

        Raises:
            StationError: the station could not start (not paired, pairing refused).
        """
        self.paths.create()
        try:
            client = ConsoleClient(self.options.console)
        except ValueError as exc:
            raise StationError(str(exc)) from None
        creds = self._credentials(client)
        progress = Progress.load(self.paths, creds.class_session_id)
        outbox = Outbox(self.paths.outbox)
        sender = Sender(outbox, client, self.inbox)
        outbox.on_add = sender.nudge
        self._reconcile(outbox, progress)
        poller = CommandPoller(client, self.inbox, progress.last_seq)
        reporter = StatusReporter(self.board, client, self.inbox)
        runner = LessonRunner(
            paths=self.paths,
            client=client,
            outbox=outbox,
            board=self.board,
            inbox=self.inbox,
            progress=progress,
            options=self.options.runner,
            stop_requested=lambda: self.stop_reason,
            say=self.say,
        )
        for worker in (sender, poller, reporter):
            worker.start()
        self.say(f"ready ({outbox.pending()} statements to deliver)")
        try:
            return self._loop(runner, progress)
        finally:
            poller.stop()
            reporter.stop()
            sender.stop()
            if outbox.pending():
                sender.flush(FLUSH_SECONDS)
            left = outbox.pending()
            if left:
                self.say(f"{left} statements wait in the outbox for the next start")
            outbox.close()

    def _reconcile(self, outbox: Outbox, progress: Progress) -> None:
        """Queue any statement of the interrupted session that the log has and the outbox lost
        (a crash between the two commits): already delivered or queued ones are skipped."""
        if progress.session_id is None or not self.paths.sessions.is_file():
            return
        from engine.log.store import SessionStore, UnknownSession

        with SessionStore(self.paths.sessions) as store:
            try:
                outbox.add(store.statements(progress.session_id))
            except UnknownSession:
                return

    def _loop(self, runner: LessonRunner, progress: Progress) -> int:
        pending: Message | None = None
        resume = False
        if progress.active is not None:
            # killed mid-lesson: carry on with it (a scripted learner starts its script over)
            pending, resume = progress.active, runner.mode_for(progress.active) != "headless"
            self.say(f"continuing {progress.active.lesson_id} after a restart")
        while True:
            message = pending if pending is not None else self._next()
            pending = None
            if isinstance(message, Revoked):
                forget_credentials(self.paths)
                self.board.set(state="idle")
                self.say(
                    f"stopped: the console revoked this station's token ({message.detail}); "
                    "pair again with a new code from the teacher's console"
                )
                return EXIT_REVOKED
            if isinstance(message, Shutdown):
                self.board.set(state="idle")
                self.say(f"stopped: {message.reason}")
                return 0
            if isinstance(message, LaunchCommand):
                pending = self._launch(runner, progress, message, resume)
                resume = False
                continue
            # pause, resume, focus or end with no lesson running: nothing to do, but done
            progress.last_seq = max(progress.last_seq, message.seq)
            progress.save(self.paths)

    def _next(self) -> Message:
        """The next message; polls so that a stop request (a signal) is noticed."""
        while True:
            if self.stop_reason is not None:
                return Shutdown(self.stop_reason)
            try:
                return self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue

    def _launch(
        self, runner: LessonRunner, progress: Progress, launch: LaunchCommand, resume: bool
    ) -> Message | None:
        progress.active = launch
        progress.last_seq = max(progress.last_seq, launch.seq)
        progress.save(self.paths)
        try:
            outcome = runner.run(launch, resume=resume)
        except RunError as exc:
            self.say(f"cannot run {launch.lesson_id}: {exc}")
            self.board.set(state="idle", lesson_id=None, learner_id=None, step=None)
            progress.active, progress.session_id = None, None
            progress.save(self.paths)
            return None
        if isinstance(outcome.next, Revoked | Shutdown):
            # the lesson was interrupted, not ended: a restart carries on with it
            return outcome.next
        progress.active, progress.session_id = None, None
        progress.save(self.paths)
        return outcome.next
