"""The event log: lesson events as xAPI 1.0.3 statements, kept durably per learner session.

- :mod:`engine.log.xapi` maps each event of :mod:`engine.core.events` to statements.
- :mod:`engine.log.store` keeps sessions, statements and raw interactions in SQLite (WAL),
  one committed transaction per append, so sessions can be resumed and re-simulated.
- :mod:`engine.log.jsonl` writes and reads statements as JSON lines, fsynced per line.
- :mod:`engine.log.validate` checks statements against the xAPI rules an LRS enforces.

Pure Python: no Panda3D.
"""

from engine.log.jsonl import JsonlWriter, iter_jsonl, read_jsonl, write_jsonl
from engine.log.store import (
    SessionInfo,
    SessionRecorder,
    SessionStore,
    StatementConflict,
    UnknownSession,
)
from engine.log.validate import validate_statement
from engine.log.xapi import (
    ADAPTIVITY_AGENT,
    MAPPED_EVENTS,
    RUNTIME_AGENT,
    VERBS,
    Actor,
    SessionContext,
    StatementSequence,
    ext,
    iso_duration,
    statement_for,
    statements_for,
)

__all__ = [
    "ADAPTIVITY_AGENT",
    "MAPPED_EVENTS",
    "RUNTIME_AGENT",
    "VERBS",
    "Actor",
    "JsonlWriter",
    "SessionContext",
    "SessionInfo",
    "SessionRecorder",
    "SessionStore",
    "StatementConflict",
    "StatementSequence",
    "UnknownSession",
    "ext",
    "iso_duration",
    "iter_jsonl",
    "read_jsonl",
    "statement_for",
    "statements_for",
    "validate_statement",
    "write_jsonl",
]
