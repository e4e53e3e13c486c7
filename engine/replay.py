"""``lesson replay``: re-run a recorded session through today's runtime and adaptivity.

A recording is the ``--record`` log (xAPI statements, one per line) plus its ``.input.jsonl``
(seed, starting knobs and every interaction with its tick). Replaying feeds the input to a
fresh runtime, no rendering, and compares the *decisions* (hints offered or delayed,
difficulty changes, flags) with those in the log, decision by decision, by lesson time. A
recorded session thereby becomes a regression test ("the hint still fires at 14 s").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import events as ev
from engine.log.jsonl import read_jsonl
from engine.log.xapi import ADAPTIVITY_AGENT, ext
from engine.model.loader import load_lesson
from engine.session import INPUT_FORMAT, build_runtime, feed, input_path

#: verbs whose statements are decisions (what a replay must reproduce)
DECISION_VERBS = ("asked", "experienced", "adjusted", "flagged", "skipped")


class ReplayError(Exception):
    """A recording that cannot be replayed (missing input, unknown lesson...)."""


@dataclass(frozen=True, order=True)
class Decision:
    """One decision, comparable between the log and the replay."""

    t: float
    what: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.t:8.2f} s  {self.what}{f'  ({self.detail})' if self.detail else ''}"


@dataclass
class ReplayReport:
    """Decisions that matched, and those only in the log or only in the replay."""

    matched: list[Decision] = field(default_factory=list)
    missing: list[Decision] = field(default_factory=list)
    extra: list[Decision] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every logged decision happened again, at the same moment, and nothing else did."""
        return not self.missing and not self.extra

    def lines(self) -> list[str]:
        """The report, decision by decision, in time order."""
        rows = [(d, "same   ") for d in self.matched]
        rows += [(d, "MISSING") for d in self.missing] + [(d, "EXTRA  ") for d in self.extra]
        return [f"{mark} {d}" for d, mark in sorted(rows)]


def _from_statement(stmt: dict[str, Any]) -> Decision | None:
    verb = stmt["verb"]["id"].rsplit("/", 1)[-1]
    if verb not in DECISION_VERBS:
        return None
    system = stmt.get("actor", {}).get("account", {}).get("name") == ADAPTIVITY_AGENT.account_name
    object_id = stmt["object"]["id"]
    t = float(stmt["context"]["extensions"][ext("lesson-time")])
    result = stmt.get("result", {}).get("extensions", {})
    if verb == "asked" and "/hints/" in object_id:
        return Decision(round(t, 3), f"hint {object_id.split('/steps/')[1]} on request")
    if verb == "experienced" and system and "/hints/" in object_id:
        return Decision(round(t, 3), f"hint {object_id.split('/steps/')[1]} offered")
    if verb == "adjusted":
        knob = result.get(ext("knob"))
        return Decision(
            round(t, 3),
            f"knob {knob} {result.get(ext('from-level'))}->{result.get(ext('to-level'))}",
        )
    if verb == "flagged":
        return Decision(round(t, 3), f"flag {result.get(ext('flag'))}")
    if verb == "skipped":
        return Decision(round(t, 3), f"skip {object_id.split('/steps/')[1]}")
    return None


def _from_event(event: ev.LessonEvent) -> Decision | None:
    t = round(event.t, 3)
    if isinstance(event, ev.HintShown):
        how = "on request" if event.requested else "offered"
        return Decision(t, f"hint {event.step}/hints/{event.level} {how}")
    if isinstance(event, ev.KnobChanged):
        return Decision(t, f"knob {event.knob} {event.from_level}->{event.to_level}")
    if isinstance(event, ev.LearnerFlagged):
        return Decision(t, f"flag {event.flag}")
    if isinstance(event, ev.StepSkipped):
        return Decision(t, f"skip {event.step}")
    return None


def compare(logged: list[Decision], replayed: list[Decision]) -> ReplayReport:
    """Match decisions one to one (same moment, same decision)."""
    report = ReplayReport()
    remaining = list(replayed)
    for d in logged:
        if d in remaining:
            remaining.remove(d)
            report.matched.append(d)
        else:
            report.missing.append(d)
    report.extra = remaining
    return report


def replay(log: Path, *, lesson: str | None = None) -> ReplayReport:
    """Replay the recording at ``log`` and compare its decisions.

    Args:
        log: the ``--record`` JSON-lines file (its ``.input.jsonl`` must sit beside it).
        lesson: the lesson to replay against (default: the recorded lesson id).

    Raises:
        ReplayError: the input file is missing or not a Peripatos input record.
        LessonError: the lesson does not load.
    """
    source = input_path(log)
    if not source.is_file():
        raise ReplayError(f"no input record {source}: record sessions with 'lesson run --record'")
    lines = read_jsonl(source, strict=True)
    header, interactions = lines[0], lines[1:]
    if header.get("peripatos-input") != INPUT_FORMAT:
        raise ReplayError(f"{source} is not a Peripatos input record (format {INPUT_FORMAT})")
    loaded = load_lesson(lesson or header["lesson"])
    rt = build_runtime(
        loaded.lesson,
        seed=int(header["seed"]),
        knob_levels=header.get("knobs"),
        learner=header.get("learner"),
        items=header.get("items"),
        folder=loaded.folder,
    )
    events: list[ev.LessonEvent] = []
    rt.subscribe(events.append)
    rt.start()
    feed(rt, interactions, int(header.get("end_tick", 0)))
    logged = [d for s in read_jsonl(log, strict=True) if (d := _from_statement(s))]
    replayed = [d for e in events if (d := _from_event(e))]
    return compare(logged, replayed)
