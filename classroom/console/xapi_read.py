"""Reading the engine's xAPI statements back: verbs, extensions, steps, skills.

The writing side is :mod:`engine.log.xapi`; this module only knows its IRIs.
"""

from __future__ import annotations

import re
from typing import Any

from engine.log.xapi import ACTIVITY_TYPES, ADAPTIVITY_AGENT, ext

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$")


def verb(stmt: dict[str, Any]) -> str:
    """The verb's short name (the last segment of its IRI)."""
    return str(stmt.get("verb", {}).get("id", "")).rsplit("/", 1)[-1]


def context_ext(stmt: dict[str, Any], name: str) -> Any:
    """A Peripatos context extension, or None."""
    return stmt.get("context", {}).get("extensions", {}).get(ext(name))


def result_ext(stmt: dict[str, Any], name: str) -> Any:
    """A Peripatos result extension, or None."""
    return stmt.get("result", {}).get("extensions", {}).get(ext(name))


def object_type(stmt: dict[str, Any]) -> str:
    """The object's activity kind (``step``, ``hint``, ``question``, ...) or ``""``."""
    iri = stmt.get("object", {}).get("definition", {}).get("type", "")
    for kind, type_iri in ACTIVITY_TYPES.items():
        if iri == type_iri:
            return kind
    return ""


def object_id(stmt: dict[str, Any]) -> str:
    """The object's id (an IRI)."""
    return str(stmt.get("object", {}).get("id", ""))


def by_adaptivity(stmt: dict[str, Any]) -> bool:
    """Whether the adaptivity engine made this statement (a hint, a knob change, a flag)."""
    account = stmt.get("actor", {}).get("account", {})
    return bool(
        account.get("homePage") == ADAPTIVITY_AGENT.account_home_page
        and account.get("name") == ADAPTIVITY_AGENT.account_name
    )


def learner_key(stmt: dict[str, Any]) -> str:
    """The learner a statement is about (the ``learner`` extension for system statements)."""
    agent = context_ext(stmt, "learner") or stmt.get("actor", {})
    account = agent.get("account")
    if account:
        return f"{account.get('homePage', '')}|{account.get('name', '')}"
    return str(agent.get("mbox", ""))


def lesson_time(stmt: dict[str, Any]) -> float:
    """The statement's lesson time in seconds (0 when absent)."""
    value = context_ext(stmt, "lesson-time")
    return float(value) if isinstance(value, int | float) else 0.0


def duration_seconds(text: str | None) -> float:
    """An ISO 8601 duration (``PT1M2.5S``) in seconds; 0 for anything unreadable."""
    match = _DURATION.match(text or "")
    if not match:
        return 0.0
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds
