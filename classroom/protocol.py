"""The station <-> console protocol: request and answer bodies, paths and limits.

Pure pydantic, imported by both sides (``classroom.console`` and ``classroom.station``) so a
mismatch is a type error, not a runtime surprise. The prose version is
``docs/classroom-protocol.md``; keep the two in step and keep changes backward compatible.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: every station endpoint lives under this prefix
API_PREFIX = "/api/station"
PAIR_PATH = f"{API_PREFIX}/pair"
COMMANDS_PATH = f"{API_PREFIX}/commands"
STATEMENTS_PATH = f"{API_PREFIX}/statements"
STATUS_PATH = f"{API_PREFIX}/status"
#: ``LESSON_PACK_PATH.format(lesson_id=...)``
LESSON_PACK_PATH = f"{API_PREFIX}/lessons/{{lesson_id}}.lessonpack"

#: a request body larger than this is refused (413)
MAX_BODY_BYTES = 1024 * 1024
#: statements in one POST /statements, at most
MAX_STATEMENTS_PER_REQUEST = 500
#: the longest long poll a station may ask for, in seconds
MAX_WAIT_SECONDS = 30
DEFAULT_WAIT_SECONDS = 25
#: a pairing code's digits and lifetime
PAIRING_CODE_DIGITS = 6
PAIRING_CODE_TTL_SECONDS = 600
#: a station sends status this often while a lesson runs
STATUS_INTERVAL_SECONDS = 1.0

#: what ``lesson_id`` may look like (the library is asked too; this just keeps paths out)
LESSON_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"

StationState = Literal["idle", "running", "paused", "ended"]
LaunchMode = Literal["auto", "desktop", "xr", "headless"]


class _Body(BaseModel):
    # unknown fields are ignored so a newer peer can add some without breaking an older one
    model_config = ConfigDict(extra="ignore")


class PairRequest(_Body):
    """``POST /api/station/pair``: a station offers the code the console shows."""

    code: str = Field(pattern=r"^[0-9]{6}$", description="the 6-digit one-time code")
    station_name: str = Field(min_length=1, max_length=64)


class PairResponse(_Body):
    """The station's credentials for one class session."""

    station_id: str
    token: str
    class_session_id: str
    class_name: str


class _CommandBase(_Body):
    seq: int = Field(ge=1, description="strictly increasing within a class session")
    issued: datetime


class LaunchCommand(_CommandBase):
    """Start a lesson for one learner."""

    kind: Literal["launch"] = "launch"
    lesson_id: str = Field(pattern=LESSON_ID_PATTERN)
    learner_id: str
    learner_name: str
    settings: dict[str, Any] = Field(default_factory=dict)
    mode: LaunchMode = "auto"


class PauseCommand(_CommandBase):
    """Pause the running lesson."""

    kind: Literal["pause"] = "pause"


class ResumeCommand(_CommandBase):
    """Resume a paused lesson."""

    kind: Literal["resume"] = "resume"


class FocusCommand(_CommandBase):
    """ "Look here": show an arrow towards a point of interest until it is looked at."""

    kind: Literal["focus"] = "focus"
    entity: str = Field(min_length=1, max_length=128)


class EndCommand(_CommandBase):
    """End the lesson."""

    kind: Literal["end"] = "end"


Command = Annotated[
    LaunchCommand | PauseCommand | ResumeCommand | FocusCommand | EndCommand,
    Field(discriminator="kind"),
]


class CommandsResponse(_Body):
    """``GET /api/station/commands?after=SEQ&wait=S``: commands with ``seq > after``."""

    commands: list[Command] = Field(default_factory=list)


class StatementsRequest(_Body):
    """``POST /api/station/statements``: xAPI statements, each with a UUID ``id``."""

    statements: list[dict[str, Any]] = Field(max_length=MAX_STATEMENTS_PER_REQUEST)


class StatementsResponse(_Body):
    """How many statements were new and how many the console already had."""

    stored: int
    duplicates: int


class Gaze(_Body):
    """Where the learner is looking: the entity in view (if any) and the head direction."""

    entity: str | None = None
    yaw: float = 0.0
    pitch: float = 0.0


class StatusReport(_Body):
    """``POST /api/station/status`` (204): the station's state, about once a second."""

    state: StationState
    lesson_id: str | None = None
    learner_id: str | None = None
    step: str | None = None
    lesson_time: float | None = None
    gaze: Gaze | None = None
    settings: dict[str, Any] | None = None


class ErrorBody(_Body):
    """Every 4xx answer: what is wrong."""

    detail: str
