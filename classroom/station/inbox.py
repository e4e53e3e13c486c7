"""The queue from the network threads to the lesson thread.

Only the lesson thread touches the lesson (the runtime, the scene, the window), so commands
and the news that the token was revoked reach it through this queue.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass

from classroom.protocol import EndCommand, FocusCommand, LaunchCommand, PauseCommand, ResumeCommand

AnyCommand = LaunchCommand | PauseCommand | ResumeCommand | FocusCommand | EndCommand


@dataclass(frozen=True)
class Revoked:
    """The console refused the station's token: stop, and say so."""

    detail: str


@dataclass(frozen=True)
class Shutdown:
    """The station was asked to stop (Ctrl+C, SIGTERM)."""

    reason: str


Message = AnyCommand | Revoked | Shutdown


class Inbox(queue.Queue[Message]):
    """Messages for the lesson thread, in arrival order."""
