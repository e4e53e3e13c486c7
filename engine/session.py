"""A learner session: the runtime plus its durable log, with resume by deterministic replay.

Every interaction is written to the session store *before* the runtime applies it, and every
lesson event becomes xAPI statements appended as it happens; a crash therefore loses nothing
that was logged. Resuming rebuilds the runtime by feeding the logged interactions back at the
ticks they happened (the core is deterministic), then carries on logging. Pure: no Panda3D.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adaptivity.store import LearnerStore
from adaptivity.tutor import Tutor
from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.log.jsonl import JsonlWriter, write_jsonl
from engine.log.store import SessionRecorder, SessionStore
from engine.log.xapi import Actor, SessionContext
from engine.model.lesson import Lesson
from engine.model.loader import LoadedLesson


def build_runtime(
    lesson: Lesson,
    *,
    seed: int = 0,
    knob_levels: dict[str, int] | None = None,
    learner: dict[str, Any] | None = None,
    items: dict[str, Any] | None = None,
    folder: Path | None = None,
) -> Runtime:
    """The runtime for a lesson, with everything that decides attached (one recipe for
    playing, resuming and replaying, so the three decide alike).

    Args:
        lesson: the lesson.
        seed: the runtime's random seed.
        knob_levels: starting difficulty levels (the lesson's defaults otherwise).
        learner: what adaptivity knew of the learner before this session
            (``LearnerRecord.to_dict()``; a new learner if None).
        items: the lesson's Elo item difficulties before this session (``ItemBank.to_dict()``).
        folder: the lesson's folder (for a priors file).
    """
    runtime = Runtime(lesson, seed=seed, knob_levels=knob_levels)
    if lesson.adaptivity.enabled:
        from adaptivity.elo import ItemBank
        from adaptivity.store import LearnerRecord
        from adaptivity.tutor import Tutor

        Tutor(
            lesson,
            record=LearnerRecord.from_dict(learner) if learner else None,
            items=ItemBank.from_dict(items) if items else None,
            knob_levels=runtime.knobs,
            folder=folder,
        ).attach(runtime)
    return runtime


def learner_store_path(sessions: Path) -> Path:
    """Where adaptivity keeps learners, beside the session database."""
    return sessions.with_name("learners.sqlite")


def default_store_path() -> Path:
    """The per-user session database (``$XDG_DATA_HOME/peripatos/sessions.sqlite``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "peripatos" / "sessions.sqlite"


class LessonSession:
    """One learner playing one lesson, logged durably; the object rigs drive."""

    def __init__(
        self,
        loaded: LoadedLesson,
        store: SessionStore,
        *,
        learner: str = "learner",
        record: Path | None = None,
        resume: bool = False,
        seed: int = 0,
        learners: LearnerStore | None = None,
    ) -> None:
        """Open (or resume) a session.

        Args:
            loaded: the lesson.
            store: the session database.
            learner: the learner's id.
            record: also append the statements to this JSON-lines file.
            resume: continue the learner's latest unfinished session of this lesson, if any.
            seed: the runtime's random seed (a resumed session keeps its own).
            learners: adaptivity's learner store (the learner's model follows them across
                sessions and lessons); without one, each session starts a new learner.
        """
        lesson = loaded.lesson
        self.loaded = loaded
        self.store = store
        self.actor = Actor.account("https://peripatos.dev/learners", learner, learner)
        self.resumed_from: str | None = None
        previous = store.latest_unfinished(self.actor.key, lesson.metadata.id) if resume else None
        replay: list[tuple[float, dict[str, Any]]] = []
        until_tick = 0
        if previous is not None:
            info = store.session(previous)
            seed = int(info.meta.get("seed", seed))
            start_learner, start_items = info.meta.get("learner"), info.meta.get("items")
            replay = store.interactions(previous)
            until_tick = int(info.state.get("tick", 0))
            session_id, started = previous, info.started
            self.resumed_from = previous
        else:
            started = datetime.now(UTC)
            start_learner, start_items = None, None
            if learners is not None:
                start_learner = learners.load(self.actor.key).to_dict()
                start_items = learners.load_items(lesson.metadata.id).to_dict()
            meta = {
                "seed": seed,
                "lesson_title": lesson.metadata.title,
                "learner_name": learner,
                # what adaptivity knew at the start: a resume or replay starts from the same
                "learner": start_learner,
                "items": start_items,
            }
            session_id = store.open_session(
                self.actor.key, lesson.metadata.id, started=started, meta=meta
            )
        self.session_id = session_id
        self.seed = seed
        self.record = record
        self.learners = learners
        self.start_learner, self.start_items = start_learner, start_items
        self.runtime = build_runtime(
            lesson,
            seed=seed,
            learner=start_learner,
            items=start_items,
            folder=loaded.folder,
        )
        self.start_knobs = dict(self.runtime.knobs)
        self.ctx = SessionContext(
            learner=self.actor,
            lesson_id=lesson.metadata.id,
            lesson_title=lesson.metadata.title,
            language=lesson.metadata.language,
            registration=session_id,
            started=started,
        )
        self.jsonl: JsonlWriter | None = None
        if record is not None:
            # the file holds exactly this session: earlier statements of a resumed one included
            record.unlink(missing_ok=True)
            self.jsonl = JsonlWriter(record)
            self.jsonl.write_all(store.statements(session_id))
        if replay or until_tick:
            self._replay(replay, until_tick)
        self.recorder = SessionRecorder(store, self._rebased(), self.jsonl)
        self.runtime.subscribe(self._log)

    def _rebased(self) -> SessionContext:
        if self.resumed_from is None:
            return self.ctx
        # statements after a break carry real wall-clock timestamps
        return self.ctx.rebased(self.runtime.t, datetime.now(UTC))

    def _replay(self, interactions: list[tuple[float, dict[str, Any]]], until_tick: int) -> None:
        self.runtime.start()
        feed(self.runtime, [data for _, data in interactions], until_tick)

    def checkpoint(self) -> None:
        """Save how far lesson time has run, so a resume continues from there."""
        self.store.save_state(self.session_id, {"tick": self.runtime.clock.tick})

    def _log(self, event: ev.LessonEvent) -> None:
        self.recorder.record(event)

    # --- what rigs call ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the lesson, or announce the resume of a replayed one."""
        if self.runtime.started:
            self.runtime.emit(ev.LessonResumed(self.runtime.t))
        else:
            self.runtime.start()

    def handle(self, interaction: ev.Interaction) -> str | None:
        """Log the interaction durably, then apply it (see :meth:`Runtime.handle`)."""
        rt = self.runtime
        self.recorder.record_interaction(rt.t, {"tick": rt.clock.tick, **interaction.to_dict()})
        return rt.handle(interaction)

    def advance(self, elapsed: float) -> int:
        """Run the runtime's fixed ticks for ``elapsed`` real seconds."""
        return self.runtime.advance(elapsed)

    def close(self, reason: str = "") -> None:
        """End the session (emits LessonEnded) when completed; an abandoned one stays resumable."""
        self.checkpoint()
        if self.runtime.completed:
            self.runtime.end(reason or "completed")
        tutor = self.runtime.advisor
        if self.learners is not None and isinstance(tutor, Tutor):
            self.learners.save(tutor.record)
            self.learners.save_items(self.loaded.lesson.metadata.id, tutor.items)
        if self.jsonl is not None:
            self.jsonl.close()
        if self.record is not None:
            self._write_input(input_path(self.record))

    def _write_input(self, path: Path) -> None:
        """Write what replaying this session needs: its seed and every input, with ticks."""
        header = {
            "peripatos-input": INPUT_FORMAT,
            "lesson": self.loaded.lesson.metadata.id,
            "session": self.session_id,
            "seed": self.seed,
            "knobs": self.start_knobs,
            "learner": self.start_learner,
            "items": self.start_items,
            "end_tick": self.runtime.clock.tick,
        }
        write_jsonl(
            path.with_suffix(".tmp"),
            [header, *(d for _, d in self.store.interactions(self.session_id))],
        )
        path.with_suffix(".tmp").replace(path)


#: version of the ``.input.jsonl`` files written beside a ``--record`` log
INPUT_FORMAT = 1


def input_path(record: Path) -> Path:
    """Where the input of a recorded session goes: ``log.jsonl`` -> ``log.input.jsonl``."""
    return record.with_name(f"{record.stem}.input.jsonl")


def feed(runtime: Runtime, interactions: list[dict[str, Any]], until_tick: int = 0) -> None:
    """Re-run logged interactions at the ticks they happened, then on to ``until_tick``.

    The runtime must be started. Because the core is deterministic, this rebuilds the
    session's state exactly (resume) or re-derives its decisions (replay).
    """
    for data in interactions:
        fields = dict(data)
        tick = int(fields.pop("tick"))
        for _ in range(max(0, tick - runtime.clock.tick)):
            runtime.tick()
        runtime.handle(ev.interaction_from_dict(fields))
    for _ in range(max(0, until_tick - runtime.clock.tick)):
        runtime.tick()
