"""What the station has done: the last command it ran, and the lesson it is running.

Saved after every command, so a restarted station neither re-runs a command (the poll asks
for ``seq > last_seq``) nor forgets a lesson it was in the middle of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from classroom.protocol import LaunchCommand
from classroom.station.files import StationPaths, read_json, write_json


@dataclass
class Progress:
    """A station's progress through its class session's commands.

    Attributes:
        class_session_id: the class session the sequence numbers belong to.
        last_seq: the last command executed.
        active: the launch of the lesson running now, if any.
        session_id: the engine session of that lesson, once it is open.
    """

    class_session_id: str = ""
    last_seq: int = 0
    active: LaunchCommand | None = None
    session_id: str | None = None

    @classmethod
    def load(cls, paths: StationPaths, class_session_id: str) -> Progress:
        """The saved progress; a fresh one for another class session (its seqs start over)."""
        data = read_json(paths.progress)
        if not isinstance(data, dict) or data.get("class_session_id") != class_session_id:
            return cls(class_session_id=class_session_id)
        try:
            active = LaunchCommand.model_validate(data["active"]) if data.get("active") else None
            return cls(
                class_session_id=class_session_id,
                last_seq=int(data.get("last_seq", 0)),
                active=active,
                session_id=data.get("session_id") or None,
            )
        except (ValidationError, TypeError, ValueError):
            return cls(class_session_id=class_session_id)

    def save(self, paths: StationPaths) -> None:
        """Write it durably."""
        data: dict[str, Any] = {
            "class_session_id": self.class_session_id,
            "last_seq": self.last_seq,
            "active": self.active.model_dump(mode="json") if self.active else None,
            "session_id": self.session_id,
        }
        write_json(paths.progress, data)
