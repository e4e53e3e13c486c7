"""A checker for the xAPI 1.0.3 statement rules an LRS enforces.

Not a full conformance suite: it covers what the runtime can get wrong (required fields,
IRIs, UUIDs, timestamps, durations, scores, language maps, unknown or null properties) and
reports every problem as ``"<path>: <what>"`` so a test failure points at the field.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from typing import Any

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LANG = re.compile(r"^(?:[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*|[xX](?:-[A-Za-z0-9]{1,8})+)$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$"
)
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?!$)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$"
)

_STATEMENT_KEYS = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
_SUBSTATEMENT_KEYS = {"objectType", "actor", "verb", "object", "result", "context", "timestamp"}
_AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "member"}
_ACTIVITY_KEYS = {"objectType", "id", "definition"}
_DEFINITION_KEYS = {
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
}
_INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
_RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
_SCORE_KEYS = {"scaled", "raw", "min", "max"}
_CONTEXT_KEYS = {
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
}
_CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, path: str, what: str) -> None:
        self.errors.append(f"{path}: {what}")

    # --- generic shapes ----------------------------------------------------------------

    def obj(self, path: str, value: Any, allowed: set[str]) -> bool:
        if not isinstance(value, dict):
            self.err(path, f"must be an object, got {type(value).__name__}")
            return False
        for key in sorted(set(value) - allowed):
            self.err(f"{path}.{key}", "is not an xAPI property")
        return True

    def no_nulls(self, path: str, value: Any) -> None:
        if value is None:
            self.err(path, "is null (xAPI forbids null values)")
        elif isinstance(value, float) and not math.isfinite(value):
            self.err(path, "is not a finite number (not valid JSON)")
        elif isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):
                    self.err(path, f"has a non-string key {k!r}")
                self.no_nulls(f"{path}.{k}", v)
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                self.no_nulls(f"{path}[{i}]", v)

    def iri(self, path: str, value: Any) -> None:
        if not isinstance(value, str) or not _IRI.match(value):
            self.err(path, f"must be an absolute IRI, got {value!r}")
        elif value.lower().startswith(("http:", "https:")) and not re.match(
            r"^https?://[^/?#]+", value, re.IGNORECASE
        ):
            self.err(path, f"http(s) IRI has no host: {value!r}")

    def uuid(self, path: str, value: Any) -> None:
        if not isinstance(value, str) or not _UUID.match(value):
            self.err(path, f"must be a UUID string, got {value!r}")
            return
        if uuid.UUID(value).variant != uuid.RFC_4122:
            self.err(path, f"is not an RFC 4122 UUID: {value!r}")

    def lang_map(self, path: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.err(path, "must be a language map (object)")
            return
        if not value:
            self.err(path, "language map is empty")
        for tag, text in value.items():
            if not isinstance(tag, str) or not _LANG.match(tag):
                self.err(path, f"key {tag!r} is not an RFC 5646 language tag")
            if not isinstance(text, str):
                self.err(f"{path}.{tag}", "must be a string")

    def extensions(self, path: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.err(path, "must be an object")
            return
        for key in value:
            self.iri(f"{path} key", key)

    def boolean(self, path: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.err(path, f"must be a boolean, got {value!r}")

    def string(self, path: str, value: Any) -> None:
        if not isinstance(value, str):
            self.err(path, f"must be a string, got {value!r}")

    def number(self, path: str, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.err(path, f"must be a number, got {value!r}")
            return False
        return True

    # --- xAPI objects --------------------------------------------------------------------

    def agent(self, path: str, value: Any, *, group_ok: bool = True) -> None:
        if not self.obj(path, value, _AGENT_KEYS):
            return
        kind = value.get("objectType", "Agent")
        if kind not in ("Agent", "Group") or (kind == "Group" and not group_ok):
            self.err(f"{path}.objectType", f"unexpected {kind!r}")
            return
        ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in value]
        if "name" in value:
            self.string(f"{path}.name", value["name"])
        if kind == "Agent":
            if "member" in value:
                self.err(f"{path}.member", "only a Group has members")
            if len(ifis) != 1:
                self.err(path, f"an Agent needs exactly one identifier, has {ifis or 'none'}")
        else:
            members = value.get("member")
            if not ifis and not members:
                self.err(path, "an anonymous Group needs members")
            if len(ifis) > 1:
                self.err(path, f"a Group has at most one identifier, has {ifis}")
            if members is not None:
                if not isinstance(members, list):
                    self.err(f"{path}.member", "must be a list")
                else:
                    for i, m in enumerate(members):
                        self.agent(f"{path}.member[{i}]", m, group_ok=False)
        if "mbox" in value and not (
            isinstance(value["mbox"], str) and _MAILTO.match(value["mbox"])
        ):
            self.err(f"{path}.mbox", f"must be a mailto: IRI, got {value['mbox']!r}")
        if "mbox_sha1sum" in value and not (
            isinstance(value["mbox_sha1sum"], str) and _SHA1.match(value["mbox_sha1sum"])
        ):
            self.err(f"{path}.mbox_sha1sum", "must be 40 lowercase hex digits")
        if "openid" in value:
            self.iri(f"{path}.openid", value["openid"])
        if "account" in value:
            account = value["account"]
            if self.obj(f"{path}.account", account, {"homePage", "name"}):
                if "homePage" not in account or "name" not in account:
                    self.err(f"{path}.account", "needs homePage and name")
                else:
                    self.iri(f"{path}.account.homePage", account["homePage"])
                    self.string(f"{path}.account.name", account["name"])

    def verb(self, path: str, value: Any) -> None:
        if not self.obj(path, value, {"id", "display"}):
            return
        if "id" not in value:
            self.err(path, "needs an id")
        else:
            self.iri(f"{path}.id", value["id"])
        if "display" in value:
            self.lang_map(f"{path}.display", value["display"])

    def activity(self, path: str, value: Any) -> None:
        if not self.obj(path, value, _ACTIVITY_KEYS):
            return
        if value.get("objectType", "Activity") != "Activity":
            self.err(f"{path}.objectType", "must be 'Activity'")
        if "id" not in value:
            self.err(path, "an Activity needs an id")
        else:
            self.iri(f"{path}.id", value["id"])
        if "definition" in value:
            self.definition(f"{path}.definition", value["definition"])

    def definition(self, path: str, value: Any) -> None:
        if not self.obj(path, value, _DEFINITION_KEYS):
            return
        for key in ("name", "description"):
            if key in value:
                self.lang_map(f"{path}.{key}", value[key])
        for key in ("type", "moreInfo"):
            if key in value:
                self.iri(f"{path}.{key}", value[key])
        if "extensions" in value:
            self.extensions(f"{path}.extensions", value["extensions"])
        kind = value.get("interactionType")
        if kind is not None and kind not in _INTERACTION_TYPES:
            self.err(f"{path}.interactionType", f"unknown interaction type {kind!r}")
        pattern = value.get("correctResponsesPattern")
        if pattern is not None and not (
            isinstance(pattern, list) and all(isinstance(p, str) for p in pattern)
        ):
            self.err(f"{path}.correctResponsesPattern", "must be a list of strings")
        components = ("choices", "scale", "source", "target", "steps")
        if kind is None and any(k in value for k in (*components, "correctResponsesPattern")):
            self.err(path, "interaction components need an interactionType")

    def statement_object(self, path: str, value: Any, *, sub_ok: bool = True) -> None:
        if not isinstance(value, dict):
            self.err(path, "must be an object")
            return
        kind = value.get("objectType", "Activity")
        if kind == "Activity":
            self.activity(path, value)
        elif kind in ("Agent", "Group"):
            self.agent(path, value)
        elif kind == "StatementRef":
            if self.obj(path, value, {"objectType", "id"}):
                self.uuid(f"{path}.id", value.get("id"))
        elif kind == "SubStatement" and sub_ok:
            self.substatement(path, value)
        else:
            self.err(f"{path}.objectType", f"unexpected {kind!r}")

    def score(self, path: str, value: Any) -> None:
        if not self.obj(path, value, _SCORE_KEYS):
            return
        nums = {
            k: value[k] for k in _SCORE_KEYS if k in value and self.number(f"{path}.{k}", value[k])
        }
        if "scaled" in nums and not -1 <= nums["scaled"] <= 1:
            self.err(f"{path}.scaled", f"must be in [-1, 1], got {nums['scaled']}")
        low, high = nums.get("min"), nums.get("max")
        if low is not None and high is not None and low >= high:
            self.err(path, "min must be below max")
        if "raw" in nums:
            if low is not None and nums["raw"] < low:
                self.err(f"{path}.raw", "is below min")
            if high is not None and nums["raw"] > high:
                self.err(f"{path}.raw", "is above max")

    def result(self, path: str, value: Any) -> None:
        if not self.obj(path, value, _RESULT_KEYS):
            return
        if "score" in value:
            self.score(f"{path}.score", value["score"])
        for key in ("success", "completion"):
            if key in value:
                self.boolean(f"{path}.{key}", value[key])
        if "response" in value:
            self.string(f"{path}.response", value["response"])
        if "duration" in value and not (
            isinstance(value["duration"], str) and _DURATION.match(value["duration"])
        ):
            self.err(f"{path}.duration", f"not an ISO 8601 duration: {value['duration']!r}")
        if "extensions" in value:
            self.extensions(f"{path}.extensions", value["extensions"])

    def context(self, path: str, value: Any, object_is_activity: bool) -> None:
        if not self.obj(path, value, _CONTEXT_KEYS):
            return
        if "registration" in value:
            self.uuid(f"{path}.registration", value["registration"])
        if "instructor" in value:
            self.agent(f"{path}.instructor", value["instructor"])
        if "team" in value:
            team = value["team"]
            if isinstance(team, dict) and team.get("objectType") != "Group":
                self.err(f"{path}.team", "must be a Group")
            self.agent(f"{path}.team", team)
        for key in ("revision", "platform"):
            if key in value:
                self.string(f"{path}.{key}", value[key])
                if not object_is_activity:
                    self.err(f"{path}.{key}", "is only allowed when the object is an Activity")
        if "language" in value and not (
            isinstance(value["language"], str) and _LANG.match(value["language"])
        ):
            self.err(f"{path}.language", f"not an RFC 5646 tag: {value['language']!r}")
        if "statement" in value:
            ref = value["statement"]
            if self.obj(f"{path}.statement", ref, {"objectType", "id"}):
                if ref.get("objectType") != "StatementRef":
                    self.err(f"{path}.statement.objectType", "must be 'StatementRef'")
                self.uuid(f"{path}.statement.id", ref.get("id"))
        if "extensions" in value:
            self.extensions(f"{path}.extensions", value["extensions"])
        acts = value.get("contextActivities")
        if acts is not None and self.obj(f"{path}.contextActivities", acts, _CONTEXT_ACTIVITY_KEYS):
            for key, items in acts.items():
                for i, item in enumerate(items if isinstance(items, list) else [items]):
                    self.activity(f"{path}.contextActivities.{key}[{i}]", item)

    def timestamp(self, path: str, value: Any) -> None:
        if not isinstance(value, str) or not _TIMESTAMP.match(value):
            self.err(path, f"not an ISO 8601 timestamp with a time zone: {value!r}")
            return
        if value.endswith("-00:00") or value.endswith("-0000"):
            self.err(path, "the offset -00:00 is forbidden by xAPI")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            self.err(path, f"not a real instant: {exc}")

    def core(self, path: str, value: dict[str, Any]) -> None:
        for key in ("actor", "verb", "object"):
            if key not in value:
                self.err(path or "statement", f"missing required {key!r}")
        if "actor" in value:
            self.agent(f"{path}actor", value["actor"])
        if "verb" in value:
            self.verb(f"{path}verb", value["verb"])
        if "object" in value:
            self.statement_object(f"{path}object", value["object"], sub_ok=not path)
        if "result" in value:
            self.result(f"{path}result", value["result"])
        if "context" in value:
            obj = value.get("object")
            is_activity = isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity"
            self.context(f"{path}context", value["context"], is_activity)
        if "timestamp" in value:
            self.timestamp(f"{path}timestamp", value["timestamp"])

    def substatement(self, path: str, value: dict[str, Any]) -> None:
        if self.obj(path, value, _SUBSTATEMENT_KEYS):
            self.core(f"{path}.", value)


def validate_statement(stmt: Any, *, strict: bool = True) -> list[str]:
    """Check one statement against the xAPI 1.0.3 rules; return the problems found.

    Args:
        stmt: A decoded statement (a dict).
        strict: Also require what Peripatos always sets though xAPI leaves it optional:
            ``id`` and ``timestamp``.

    Returns:
        ``"<path>: <problem>"`` strings; empty when the statement is valid.
    """
    check = _Checker()
    if not check.obj("statement", stmt, _STATEMENT_KEYS):
        return check.errors
    check.no_nulls("statement", stmt)
    if strict:
        for key in ("id", "timestamp"):
            if key not in stmt:
                check.err("statement", f"missing {key!r}")
    if "id" in stmt:
        check.uuid("id", stmt["id"])
    check.core("", stmt)
    if "stored" in stmt:
        check.timestamp("stored", stmt["stored"])
    if "authority" in stmt:
        check.agent("authority", stmt["authority"])
    if "version" in stmt and not (
        isinstance(stmt["version"], str) and re.match(r"^1\.0(\.\d+)?$", stmt["version"])
    ):
        check.err("version", f"must be 1.0.x, got {stmt['version']!r}")
    return check.errors
