"""The lesson library: bundled lessons, thumbnails rendered on demand, packs installed."""

from __future__ import annotations

import shutil
from pathlib import Path

from classroom.console.settings import ConsoleSettings
from engine.paths import LESSONS_DIR
from tests.classroom.conftest import ConsoleFactory
from tools.pack import pack_lesson

PNG = b"\x89PNG\r\n\x1a\n"


def test_library_lists_lessons_and_renders_a_cached_thumbnail(
    console_factory: ConsoleFactory,
) -> None:
    console = console_factory(thumbnails=True)
    teacher = console.teacher()
    page = teacher.http.get("/library").text
    for lesson in ("pendulum-lab", "titration-lab", "athenian-agora"):
        assert f'id="lesson-{lesson}"' in page
    r = teacher.http.get("/library/pendulum-lab/thumbnail")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(PNG)
    cached = list((console.settings.data_dir / "cache" / "thumbnails").glob("pendulum-lab-*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == r.content
    assert teacher.http.get("/library/no-such-lesson/thumbnail").status_code == 404
    assert teacher.http.get("/library/..%2F..%2Fetc/thumbnail").status_code == 404


def test_a_placeholder_stands_in_when_thumbnails_are_off(console_factory: ConsoleFactory) -> None:
    console = console_factory(thumbnails=False)
    r = console.teacher().http.get("/library/pendulum-lab/thumbnail")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")


def test_an_uploaded_pack_joins_the_library_and_reaches_stations(
    console_factory: ConsoleFactory, tmp_path: Path
) -> None:
    # a lesson the console does not bundle: the pendulum lab under another id
    folder = tmp_path / "pendulum-copy"
    shutil.copytree(LESSONS_DIR / "pendulum-lab", folder)
    yaml = folder / "lesson.yaml"
    yaml.write_text(yaml.read_text().replace("id: pendulum-lab", "id: pendulum-copy", 1))
    pack = pack_lesson(folder, tmp_path / "pendulum-copy.lessonpack")
    console = console_factory()
    settings: ConsoleSettings = console.settings
    teacher = console.teacher()
    with pack.open("rb") as f:
        r = teacher.post("/library/install", files={"pack": ("p.lessonpack", f, "application/zip")})
    assert r.status_code == 200 and 'id="lesson-pendulum-copy"' in r.text
    assert (settings.installed_lessons / "pendulum-copy" / "lesson.yaml").is_file()
    info = console.class_session(teacher, lesson_id="pendulum-copy")
    token = console.pair(info.code)["token"]
    r = console.client().get(
        "/api/station/lessons/pendulum-copy.lessonpack",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
