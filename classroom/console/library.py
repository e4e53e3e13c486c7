"""The lesson library: bundled lessons plus packs installed on the console.

Lessons are only ever found by id in this library, so a request can never name a path.
Thumbnails are rendered lazily by ``lesson thumbnail`` in a subprocess (Panda3D stays out of
the web server's process) and cached by the lesson file's hash; packs for stations are built
with :func:`tools.pack.pack_lesson` and cached the same way.
"""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from classroom.protocol import LESSON_ID_PATTERN

if TYPE_CHECKING:
    from adaptivity.bkt import BktParams

log = logging.getLogger(__name__)

THUMB_SIZE = "480x270"
THUMB_TIMEOUT_S = 180
_ID = re.compile(LESSON_ID_PATTERN)


@dataclass(frozen=True)
class LessonInfo:
    """What the console shows and needs of one lesson."""

    id: str
    title: str
    subject: str
    summary: str
    minutes: float
    folder: Path
    skills: dict[str, str] = field(default_factory=dict)
    steps: tuple[str, ...] = ()
    #: points of interest for "look here": entity id -> display name
    pois: dict[str, str] = field(default_factory=dict)
    #: the BKT parameters the lesson ships, per skill (what the live view's mastery uses)
    priors: dict[str, BktParams] = field(default_factory=dict)

    @property
    def lesson_file(self) -> Path:
        """The lesson's ``lesson.yaml``."""
        return self.folder / "lesson.yaml"


def _load(folder: Path) -> LessonInfo | None:
    from adaptivity.tutor import lesson_priors
    from engine.model import LessonError, load_lesson

    try:
        lesson = load_lesson(folder / "lesson.yaml", check=False).lesson
    except (LessonError, OSError) as exc:
        log.warning("skipping %s: %s", folder, exc)
        return None
    try:
        priors = lesson_priors(lesson, folder)
    except (ValueError, OSError) as exc:
        # the lesson still plays (its tutor says the same); mastery falls back to defaults
        log.warning("%s: its priors cannot be read (%s); mastery uses default BKT", folder, exc)
        priors = {}
    meta = lesson.metadata
    pois = {
        e.id: e.point_of_interest.title or e.name or e.id
        for e in lesson.entities
        if e.point_of_interest is not None
    }
    if not pois:
        # a lesson without marked points of interest: any named thing can be pointed at
        pois = {e.id: e.name for e in lesson.entities if e.name}
    return LessonInfo(
        id=meta.id,
        title=meta.title,
        subject=meta.subject,
        summary=meta.summary,
        minutes=meta.estimated_minutes,
        folder=folder,
        skills={s.id: s.name for s in meta.skills},
        steps=tuple(s.id for s in lesson.steps),
        pois=pois,
        priors=priors,
    )


class Library:
    """The lessons a teacher can assign, by id.

    Args:
        dirs: Folders of lesson folders, searched in order (an id found first wins).
        cache_dir: Where thumbnails and packs are cached.
        thumbnails: Render thumbnails at all (False: every lesson gets the placeholder).
    """

    def __init__(self, dirs: tuple[Path, ...], cache_dir: Path, *, thumbnails: bool) -> None:
        self.dirs = dirs
        self.cache_dir = cache_dir
        self.thumbnails = thumbnails
        self._lessons: dict[str, LessonInfo] | None = None
        self._lock = threading.Lock()
        # one render at a time: each is a whole headless Panda3D process
        self._render_lock = threading.Lock()
        self._failed: set[str] = set()

    def lessons(self) -> dict[str, LessonInfo]:
        """Every valid lesson, by id (read once; :meth:`refresh` re-reads)."""
        with self._lock:
            if self._lessons is None:
                found: dict[str, LessonInfo] = {}
                for base in self.dirs:
                    if not base.is_dir():
                        continue
                    for folder in sorted(base.iterdir()):
                        if folder.name.startswith(".") or not (folder / "lesson.yaml").is_file():
                            continue
                        info = _load(folder)
                        if info is not None and info.id not in found:
                            found[info.id] = info
                self._lessons = found
            return self._lessons

    def refresh(self) -> None:
        """Forget the cached list (after a pack was installed)."""
        with self._lock:
            self._lessons = None

    def get(self, lesson_id: str) -> LessonInfo | None:
        """The lesson with this id, or None (also for anything that is not an id)."""
        if not _ID.match(lesson_id):
            return None
        return self.lessons().get(lesson_id)

    def _digest(self, info: LessonInfo) -> str:
        return hashlib.sha256(info.lesson_file.read_bytes()).hexdigest()[:16]

    def thumbnail(self, info: LessonInfo) -> Path | None:
        """The lesson's poster PNG, rendered on first use; None when it cannot be rendered."""
        if not self.thumbnails:
            return None
        out = self.cache_dir / "thumbnails" / f"{info.id}-{self._digest(info)}.png"
        if out.is_file():
            return out
        with self._render_lock:
            if out.is_file():
                return out
            if out.name in self._failed:
                return None
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp.png")
            cmd = [
                sys.executable,
                "-m",
                "tools.cli",
                "thumbnail",
                str(info.folder),
                "--output",
                str(tmp),
                "--size",
                THUMB_SIZE,
            ]
            try:
                done = subprocess.run(
                    cmd,
                    capture_output=True,
                    timeout=THUMB_TIMEOUT_S,
                    check=False,
                    cwd=Path(__file__).resolve().parents[2],
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("thumbnail of %s failed: %s", info.id, exc)
                self._failed.add(out.name)
                return None
            if done.returncode != 0 or not tmp.is_file():
                log.warning("thumbnail of %s failed: %s", info.id, done.stderr[-500:])
                self._failed.add(out.name)
                return None
            tmp.replace(out)
            return out

    def pack(self, info: LessonInfo) -> Path:
        """The lesson as a ``.lessonpack`` (built once per lesson file version)."""
        from tools.pack import pack_lesson

        out = self.cache_dir / "packs" / f"{info.id}-{self._digest(info)}.lessonpack"
        with self._lock:
            if not out.is_file():
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".tmp")
                pack_lesson(info.folder, tmp)
                tmp.replace(out)
        return out
