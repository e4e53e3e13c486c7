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

from engine.core import events as ev
from engine.core.runtime import Runtime
from engine.log.jsonl import JsonlWriter
from engine.log.store import SessionRecorder, SessionStore
from engine.log.xapi import Actor, SessionContext
from engine.model.loader import LoadedLesson


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
    ) -> None:
        """Open (or resume) a session.

        Args:
            loaded: the lesson.
            store: the session database.
            learner: the learner's id.
            record: also append the statements to this JSON-lines file.
            resume: continue the learner's latest unfinished session of this lesson, if any.
            seed: the runtime's random seed (a resumed session keeps its own).
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
            replay = store.interactions(previous)
            until_tick = int(info.state.get("tick", 0))
            session_id, started = previous, info.started
            self.resumed_from = previous
        else:
            started = datetime.now(UTC)
            meta = {"seed": seed, "lesson_title": lesson.metadata.title, "learner_name": learner}
            session_id = store.open_session(
                self.actor.key, lesson.metadata.id, started=started, meta=meta
            )
        self.session_id = session_id
        self.runtime = Runtime(lesson, seed=seed)
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
        rt = self.runtime
        rt.start()
        for _, data in interactions:
            fields = dict(data)
            tick = int(fields.pop("tick"))
            for _ in range(max(0, tick - rt.clock.tick)):
                rt.tick()
            rt.handle(ev.interaction_from_dict(fields))
        # lesson time that passed after the last interaction (saved at checkpoints)
        for _ in range(max(0, until_tick - rt.clock.tick)):
            rt.tick()

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
        if self.jsonl is not None:
            self.jsonl.close()
