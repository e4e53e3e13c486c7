"""``lesson replay``: re-run a recorded session through today's runtime and adaptivity.

A recording is the ``--record`` log (xAPI statements, one per line) plus its ``.input.jsonl``
(seed, starting knobs and every interaction with its tick). Replaying feeds the input to a
fresh runtime, no rendering, and compares the *decisions* (hints offered or delayed,
difficulty changes, flags) with those in the log, decision by decision, by lesson time. A
recorded session thereby becomes a regression test ("the hint still fires at 14 s").

Each decision also carries its reason, as logged (what a teacher reads when asking "why did
she get this hint?"). Reasons are not compared: a reworded reason is not a different decision.
The report can show them, and says where today's reason differs from the logged one.
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
    """One decision, comparable between the log and the replay.

    Attributes:
        t: lesson time, rounded to the millisecond.
        what: the decision ("hint compute_g/hints/2 offered", "knob x 1->0", ...).
        detail: more that must match, if any.
        why: its reason (trigger, numbers); not compared.
    """

    t: float
    what: str
    detail: str = ""
    why: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.t:8.2f} s  {self.what}{f'  ({self.detail})' if self.detail else ''}"


@dataclass
class ReplayReport:
    """Decisions that matched, and those only in the log or only in the replay."""

    matched: list[Decision] = field(default_factory=list)
    missing: list[Decision] = field(default_factory=list)
    extra: list[Decision] = field(default_factory=list)
    #: matched decisions whose reason today differs from the logged one: (logged, today's)
    reworded: list[tuple[Decision, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every logged decision happened again, at the same moment, and nothing else did."""
        return not self.missing and not self.extra

    def lines(self, *, why: bool = False) -> list[str]:
        """The report, decision by decision, in time order.

        Args:
            why: add each decision's reason under it (the logged one; an extra decision's
                is today's), and today's where it reads differently.
        """
        rows = [(d, "same   ") for d in self.matched]
        rows += [(d, "MISSING") for d in self.missing] + [(d, "EXTRA  ") for d in self.extra]
        now = {id(d): text for d, text in self.reworded}
        out = []
        for d, mark in sorted(rows, key=lambda row: row[0]):
            out.append(f"{mark} {d}")
            if why:
                out.append(f"{'':21}why: {d.why or '(no reason logged)'}")
                if id(d) in now:
                    out.append(f"{'':17}why now: {now[id(d)] or '(none)'}")
        return out


def _from_statement(stmt: dict[str, Any]) -> Decision | None:
    verb = stmt["verb"]["id"].rsplit("/", 1)[-1]
    if verb not in DECISION_VERBS:
        return None
    system = stmt.get("actor", {}).get("account", {}).get("name") == ADAPTIVITY_AGENT.account_name
    object_id = stmt["object"]["id"]
    context = stmt["context"]["extensions"]
    t = round(float(context[ext("lesson-time")]), 3)
    result = stmt.get("result", {}).get("extensions", {})
    why = str(result.get(ext("reason")) or context.get(ext("reason")) or "")
    if verb == "asked" and "/hints/" in object_id:
        asked = why or "the learner asked"
        return Decision(t, f"hint {object_id.split('/steps/')[1]} on request", why=asked)
    if verb == "experienced" and system and "/hints/" in object_id:
        trigger = context.get(ext("trigger"))
        why = f"{trigger}: {why}" if trigger and why else str(trigger or why)
        return Decision(t, f"hint {object_id.split('/steps/')[1]} offered", why=why)
    if verb == "adjusted":
        knob = result.get(ext("knob"))
        levels = f"{result.get(ext('from-level'))}->{result.get(ext('to-level'))}"
        return Decision(t, f"knob {knob} {levels}", why=why)
    if verb == "flagged":
        return Decision(t, f"flag {result.get(ext('flag'))}", why=why)
    if verb == "skipped":
        return Decision(t, f"skip {object_id.split('/steps/')[1]}", why=why)
    return None


def _from_event(event: ev.LessonEvent) -> Decision | None:
    t = round(event.t, 3)
    if isinstance(event, ev.HintShown):
        what = f"hint {event.step}/hints/{event.level}"
        if event.requested:
            return Decision(t, f"{what} on request", why=event.reason or "the learner asked")
        why = f"{event.trigger}: {event.reason}" if event.reason else event.trigger
        return Decision(t, f"{what} offered", why=why)
    if isinstance(event, ev.KnobChanged):
        what = f"knob {event.knob} {event.from_level}->{event.to_level}"
        return Decision(t, what, why=event.reason)
    if isinstance(event, ev.LearnerFlagged):
        return Decision(t, f"flag {event.flag}", why=event.reason)
    if isinstance(event, ev.StepSkipped):
        return Decision(t, f"skip {event.step}", why=event.reason)
    return None


def compare(logged: list[Decision], replayed: list[Decision]) -> ReplayReport:
    """Match decisions one to one (same moment, same decision)."""
    report = ReplayReport()
    remaining = list(replayed)
    for d in logged:
        if d in remaining:
            today = remaining.pop(remaining.index(d))
            report.matched.append(d)
            if today.why != d.why:
                report.reworded.append((d, today.why))
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
    if not lines:
        raise ReplayError(f"{source} is empty: no header line")
    header, interactions = lines[0], lines[1:]
    if header.get("peripatos-input") != INPUT_FORMAT:
        raise ReplayError(f"{source} is not a Peripatos input record (format {INPUT_FORMAT})")
    seed, end_tick = header.get("seed"), header.get("end_tick", 0)
    if not isinstance(header.get("lesson"), str) or type(seed) is not int:
        raise ReplayError(f"{source}:1: the header needs a lesson id and a whole-number seed")
    if type(end_tick) is not int:
        raise ReplayError(f"{source}:1: end_tick must be a whole number of ticks")
    for number, data in enumerate(interactions, start=2):
        # a damaged line says where it is, instead of failing inside the runtime
        fields = dict(data)
        if type(fields.pop("tick", None)) is not int:
            raise ReplayError(f"{source}:{number}: every interaction needs its whole-number tick")
        try:
            ev.interaction_from_dict(fields)
        except ValueError as exc:
            raise ReplayError(f"{source}:{number}: {exc}") from None
    loaded = load_lesson(lesson or header["lesson"])
    rt = build_runtime(
        loaded.lesson,
        seed=seed,
        knob_levels=header.get("knobs"),
        learner=header.get("learner"),
        items=header.get("items"),
        folder=loaded.folder,
    )
    events: list[ev.LessonEvent] = []
    rt.subscribe(events.append)
    rt.start()
    feed(rt, interactions, end_tick)
    logged = [d for s in read_jsonl(log, strict=True) if (d := _from_statement(s))]
    replayed = [d for e in events if (d := _from_event(e))]
    return compare(logged, replayed)
