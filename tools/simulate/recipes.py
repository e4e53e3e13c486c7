"""Recipes: how each step of a lesson is done, learnt from its walkthrough or derived from
its ``complete_when`` (see the package docstring, "Recipes").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from engine.core import events as ev
from engine.core.script import (
    WALK_SPEED,
    Action,
    LogicPilot,
    ScriptDriver,
    ScriptError,
    WaitUntil,
    load_script,
)
from engine.model.lesson import Condition, Lesson, Ref
from engine.model.loader import LoadedLesson
from engine.session import build_runtime

Vec3 = tuple[float, float, float]

#: lesson seconds between two actions of a recipe (the script driver's frame)
ACT_GAP = 1.0 / 30.0


ActKind = Literal[
    "grab", "place_on", "release", "press", "move_to", "answer", "wait", "wait_step",
    "wait_heard", "look_at",
]  # fmt: skip


@dataclass(frozen=True)
class Act:
    """One thing a learner does in a recipe.

    Attributes:
        kind: what.
        target: the entity, zone, button, question, step or narration it is about.
        point: where to walk, for a ``move_to`` a point rather than an entity.
        value: an answer's response, or seconds (``wait``: how long; ``wait_*``: timeout).
        read: for an answer, ``(ref, scale)``: read the instrument showing ``ref`` at answer
            time and answer ``reading * scale`` (``value`` is the fallback).
    """

    kind: ActKind
    target: str = ""
    point: Vec3 | None = None
    value: float | str | None = None
    read: tuple[str, float] | None = None


@dataclass(frozen=True)
class Recipe:
    """How one step is done.

    Attributes:
        acts: the actions, in order (empty: the step completes by itself).
        source: ``walkthrough`` or ``derived``.
        duration: lesson seconds the recipe takes (measured in the walkthrough, or estimated).
    """

    acts: tuple[Act, ...]
    source: Literal["walkthrough", "derived"]
    duration: float


@dataclass
class RecipeBook:
    """Every step's recipe (by step index), and what could not be learnt, in words."""

    recipes: dict[int, Recipe] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    walkthrough: Path | None = None


def default_walkthrough(loaded: LoadedLesson) -> Path | None:
    """The lesson's own walkthrough script, if it has one."""
    path = loaded.folder / "scripts" / "walkthrough.yaml"
    return path if path.is_file() else None


def instrument_readers(lesson: Lesson) -> dict[str, list[tuple[str, str, str | None]]]:
    """What a learner can read off an instrument: ref -> [(instrument, property, zone)].

    ``zone`` is set for a pH probe reading a container: it only reads that container's pH
    while it sits in it (or is fixed in it with ``probe_in``).
    """
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    containers = [e.id for e in lesson.entities if e.container is not None]

    def add(ref: str, instrument: str, prop: str, zone: str | None = None) -> None:
        out.setdefault(ref, []).append((instrument, prop, zone))

    for e in lesson.entities:
        if e.stopwatch is not None:
            add(f"{e.id}.elapsed", e.id, "elapsed")
        if e.ruler is not None:
            add(f"{e.id}.reading", e.id, "reading")
            add(e.ruler.measures, e.id, "reading")
        if e.scale_meter is not None:
            add(f"{e.id}.mass", e.id, "mass")
        if e.burette is not None:
            add(f"{e.id}.dispensed", e.id, "dispensed")
        if e.ph_meter is not None:
            add(f"{e.id}.ph", e.id, "ph")
            for c in containers:
                add(f"{c}.ph", e.id, "ph", c)
    return out


def _answer_act(
    lesson: Lesson, question_id: str, typed: float | str | None
) -> tuple[Act | None, str]:
    """The answer act for a question: what the walkthrough typed, or derived; why not if none."""
    question = lesson.question(question_id)
    if question.kind == "choice":
        if typed is not None:
            return Act("answer", question_id, value=typed), ""
        right = next(o.id for o in question.options if o.correct)
        return Act("answer", question_id, value=right), ""
    answer = question.answer
    if isinstance(answer, Ref):
        if answer.ref in instrument_readers(lesson):
            return Act("answer", question_id, value=typed, read=(answer.ref, answer.scale)), ""
        if typed is not None:
            return Act("answer", question_id, value=typed), ""
        return None, (
            f"the answer to '{question_id}' is '{answer.ref}', which no instrument in the "
            "lesson shows; write a walkthrough script that answers it"
        )
    return Act("answer", question_id, value=typed if typed is not None else answer), ""


def _derive(lesson: Lesson, cond: Condition) -> tuple[list[Act] | None, str]:
    """A recipe for a condition, or None and why it cannot be derived."""
    if cond.all is not None:
        acts: list[Act] = []
        for part in cond.all:
            sub, why = _derive(lesson, part)
            if sub is None:
                return None, why
            acts += sub
        return acts, ""
    if cond.any is not None:
        reasons = []
        for part in cond.any:
            sub, why = _derive(lesson, part)
            if sub is not None:
                return sub, ""
            reasons.append(why)
        return None, "; ".join(reasons) or "'any' lists no conditions"
    if cond.placed is not None:
        return [Act("grab", cond.placed.entity), Act("place_on", cond.placed.zone)], ""
    if cond.pressed is not None:
        return [Act("press", cond.pressed)], ""
    if cond.visited is not None:
        return [Act("move_to", cond.visited)], ""
    if cond.answered is not None:
        act, why = _answer_act(lesson, cond.answered, None)
        return ([act], "") if act is not None else (None, why)
    if cond.heard is not None:
        narration = lesson.entity(cond.heard).narration
        wait = Act("wait_heard", cond.heard, value=120.0)
        if narration is not None and narration.trigger == "visit":
            return [Act("move_to", cond.heard), wait], ""
        if narration is not None and narration.trigger == "press":
            return [Act("press", cond.heard), wait], ""
        return [wait], ""
    kind = cond.kind
    return None, (
        f"a '{kind}' condition depends on the simulation, so no recipe can be derived from it; "
        "add a walkthrough script (scripts/walkthrough.yaml) that completes the step"
    )


def _estimate(acts: Iterable[Act]) -> float:
    """Lesson seconds a derived recipe takes, roughly (for the think-time budget)."""
    seconds = 0.0
    for act in acts:
        seconds += ACT_GAP
        if act.kind == "wait" and isinstance(act.value, int | float):
            seconds += float(act.value)
        elif act.kind == "move_to":
            seconds += 5.0 / WALK_SPEED
    return seconds


def _from_action(lesson: Lesson, action: Action) -> Act | None:
    """A walkthrough action as a recipe act (None for what is not part of doing the step)."""
    kind = action.kind
    if kind in ("grab", "place_on", "press", "look_at"):
        return Act(cast(ActKind, kind), str(getattr(action, kind)))
    if kind == "release":
        return Act("release")
    if kind == "move_to":
        target = action.move_to
        if isinstance(target, str):
            return Act("move_to", target)
        assert target is not None
        return Act("move_to", point=(float(target[0]), float(target[1]), float(target[2])))
    if kind == "answer":
        assert action.answer is not None
        act, _ = _answer_act(lesson, action.answer.question, action.answer.response)
        return act
    if kind == "wait":
        wait = action.wait
        if isinstance(wait, WaitUntil):
            if wait.until == "narration":
                return Act("wait_heard", wait.narration or "", value=float(wait.timeout))
            return Act("wait_step", wait.step or "", value=float(wait.timeout))
        return Act("wait", value=float(wait or 0.0))
    # hint requests, pauses and screenshots are not how a step is done
    return None


def learn_recipes(loaded: LoadedLesson, walkthrough: Path | None = None) -> RecipeBook:
    """Each step's recipe: from the walkthrough where it completes the step, else derived.

    Args:
        loaded: the lesson.
        walkthrough: the script to learn from (the lesson's own when None; none if absent).

    Raises:
        ScriptError: the script cannot be read.
    """
    lesson = loaded.lesson
    book = RecipeBook(walkthrough=walkthrough or default_walkthrough(loaded))
    index = {s.id: i for i, s in enumerate(lesson.steps)}
    filed: dict[int, list[Action]] = {}
    first_t: dict[int, float] = {}
    done_t: dict[int, float] = {}
    if book.walkthrough is not None:
        actions = load_script(book.walkthrough)
        rt = build_runtime(lesson, seed=0, folder=loaded.folder)

        def on_event(event: ev.LessonEvent) -> None:
            if isinstance(event, ev.StepCompleted):
                done_t[index[event.step]] = event.t

        rt.subscribe(on_event)
        rt.start()
        driver = ScriptDriver(rt, LogicPilot())
        for number, action in enumerate(actions, 1):
            if rt.completed:
                break
            current = rt.step_index
            filed.setdefault(current, []).append(action)
            first_t.setdefault(current, rt.t)
            try:
                driver.run([action])
            except ScriptError as exc:
                reason = str(exc).split(": ", 1)[-1]
                book.notes.append(
                    f"walkthrough {book.walkthrough.name}: action {number} ({action.kind}) "
                    f"failed: {reason}; later steps use derived recipes"
                )
                break
    for i, step in enumerate(lesson.steps):
        if i in done_t:
            acts = [a for a in (_from_action(lesson, x) for x in filed.get(i, [])) if a]
            duration = done_t[i] - first_t.get(i, done_t[i])
            book.recipes[i] = Recipe(tuple(acts), "walkthrough", max(0.0, duration))
            continue
        derived, why = _derive(lesson, step.complete_when)
        if derived is None:
            book.notes.append(f"step '{step.id}': no recipe: {why}")
        else:
            book.recipes[i] = Recipe(tuple(derived), "derived", _estimate(derived))
    return book
