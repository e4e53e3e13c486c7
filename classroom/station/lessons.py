"""Getting the lesson a launch names: from the console as a pack, else from what is here.

The station asks the console for the lesson's pack (``If-None-Match`` with the hash of the
pack it installed last, so an unchanged lesson is not downloaded again) and installs it with
the engine's pack code, which checks everything before writing (zip slip, links, bombs,
hashes). When the console has no pack or cannot be reached, an installed copy or a lesson
bundled with the engine is used.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from classroom.protocol import LESSON_ID_PATTERN
from classroom.station.client import ConsoleClient, ConsoleRefused, ConsoleUnreachable
from classroom.station.files import StationPaths, read_json, write_json

log = logging.getLogger(__name__)


class LessonUnavailable(Exception):
    """The lesson can be neither fetched nor found here; the message says why."""


def _installed(paths: StationPaths) -> dict[str, str]:
    data = read_json(paths.lessons / ".installed.json")
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def lesson_folder(
    lesson_id: str, paths: StationPaths, client: ConsoleClient, library: Path
) -> Path:
    """The folder of lesson ``lesson_id``, fetched and installed from the console if it has it.

    Args:
        lesson_id: the lesson's id (checked against the protocol's pattern: no paths).
        paths: the station's data folder.
        client: the console.
        library: the engine's bundled lessons, the last resort.

    Raises:
        LessonUnavailable: no pack and no local copy, or the console's pack was refused.
    """
    from tools.pack import PackError, install_pack

    if not re.fullmatch(LESSON_ID_PATTERN, lesson_id):
        raise LessonUnavailable(f"'{lesson_id}' is not a lesson id")
    installed = _installed(paths)
    dest = paths.lessons / lesson_id
    have = installed.get(lesson_id) if (dest / "lesson.yaml").is_file() else None
    pack = paths.packs / f"{lesson_id}.lessonpack"
    try:
        digest = client.download_pack(lesson_id, pack, have)
    except (ConsoleUnreachable, ConsoleRefused) as exc:
        log.info("no pack of %s from the console (%s); looking here", lesson_id, exc)
        digest = None
    if digest is not None and digest != have:
        try:
            folder = install_pack(pack, paths.lessons, replace=True)
        except PackError as exc:
            raise LessonUnavailable(f"the pack of {lesson_id} is refused: {exc}") from None
        if folder.name != lesson_id:
            raise LessonUnavailable(f"the console's pack for {lesson_id} holds {folder.name}")
        installed[lesson_id] = digest
        write_json(paths.lessons / ".installed.json", installed)
    for folder in (dest, library / lesson_id):
        if (folder / "lesson.yaml").is_file():
            return folder
    raise LessonUnavailable(f"lesson '{lesson_id}' is neither on the console nor on this station")
