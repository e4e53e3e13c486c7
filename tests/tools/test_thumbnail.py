"""Lesson thumbnails: a real poster and a distinct still for every step, rendered headless.

Each render runs in a fresh process: Panda3D allows one ShowBase at a time, and the scene
tests keep one open for the whole session.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from panda3d.core import PNMImage

from engine.model.loader import load_lesson
from engine.paths import LESSONS_DIR, REPO_ROOT
from tools.thumbnail import still_name

SIZE = (480, 270)

RUN = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from tools.thumbnail import thumbnail

    args = json.loads(sys.argv[1])
    steps = Path(args["steps_dir"]) if args["steps_dir"] else None
    paths = thumbnail(
        args["lesson"], Path(args["output"]), size=tuple(args["size"]), steps_dir=steps,
        walk=args["walk"],
    )
    print(json.dumps([str(p) for p in paths]))
    """
)


def render(
    lesson: str | Path,
    output: Path,
    *,
    steps_dir: Path | None = None,
    walk: bool = True,
    size: tuple[int, int] = SIZE,
) -> list[Path]:
    """Call :func:`tools.thumbnail.thumbnail` in a fresh process; its returned paths."""
    args: dict[str, Any] = {
        "lesson": str(lesson),
        "output": str(output),
        "size": list(size),
        "steps_dir": str(steps_dir) if steps_dir else None,
        "walk": walk,
    }
    proc = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # a walk that stopped early would still give stills (framed ones): make it loud here
    assert "stopped early" not in proc.stderr, proc.stderr[-3000:]
    return [Path(p) for p in json.loads(proc.stdout.strip().splitlines()[-1])]


def pixels(path: Path) -> np.ndarray:
    """The image as an (height, width, 3) array of 0-255 values."""
    image = PNMImage()
    assert image.read(str(path)), f"cannot read {path}"
    w, h = image.get_x_size(), image.get_y_size()
    return np.array([[image.get_xel_val(x, y) for x in range(w)] for y in range(h)])


def assert_not_blank(image: np.ndarray, *, min_std: float = 20.0) -> None:
    colours = {tuple(p) for row in image[::2, ::2] for p in row}
    assert len(colours) > 200, f"only {len(colours)} colours: the image is (nearly) blank"
    assert image.std() > min_std


@pytest.fixture(scope="module")
def pendulum(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The pendulum lab's poster and step stills, rendered once for the module."""
    out = tmp_path_factory.mktemp("thumbs")
    return render("pendulum-lab", out / "poster.png", steps_dir=out / "steps")


def test_the_poster_is_a_real_frame_of_the_requested_size(pendulum: list[Path]) -> None:
    poster = pendulum[0]
    assert poster.name == "poster.png" and poster.is_file()
    image = pixels(poster)
    assert image.shape == (SIZE[1], SIZE[0], 3)
    assert_not_blank(image)


def test_every_step_of_the_pendulum_lab_has_its_own_still(pendulum: list[Path]) -> None:
    steps = load_lesson("pendulum-lab").lesson.steps
    stills = pendulum[1:]
    assert [p.name for p in stills] == [still_name(i, s) for i, s in enumerate(steps)]
    images = [pixels(p) for p in stills]
    for image in images:
        assert image.shape == (SIZE[1], SIZE[0], 3)
        assert_not_blank(image)
    digests = {hashlib.sha256(image.tobytes()).hexdigest() for image in images}
    assert len(digests) == len(steps), "two steps have the same still"
    # distinct as pictures, not by a few pixels: each differs from the next in many places
    for a, b in itertools.pairwise(images):
        changed = (np.abs(a.astype(int) - b.astype(int)).max(axis=-1) > 24).sum()
        assert changed > 0.01 * a.shape[0] * a.shape[1]


def test_the_poster_shows_no_overlay_but_the_first_still_does(pendulum: list[Path]) -> None:
    # both are taken from the player's start; only the step still carries the instruction
    poster, first = pixels(pendulum[0]), pixels(pendulum[1])
    changed = (np.abs(poster.astype(int) - first.astype(int)).max(axis=-1) > 24).sum()
    assert changed > 500


def test_without_steps_only_the_poster_is_rendered(tmp_path: Path) -> None:
    paths = render("athenian-agora", tmp_path / "agora.png", size=(320, 180))
    assert paths == [tmp_path / "agora.png"]
    image = pixels(paths[0])
    assert image.shape == (180, 320, 3)
    assert_not_blank(image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agora.png"]


def test_a_lesson_without_a_script_frames_each_steps_targets(tmp_path: Path) -> None:
    lesson = tmp_path / "pendulum"
    shutil.copytree(LESSONS_DIR / "pendulum-lab", lesson)
    shutil.rmtree(lesson / "scripts")
    steps = load_lesson(lesson).lesson.steps
    paths = render(lesson, tmp_path / "poster.png", steps_dir=tmp_path / "steps", size=(320, 180))
    assert [p.name for p in paths[1:]] == [still_name(i, s) for i, s in enumerate(steps)]
    images = [pixels(p) for p in paths[1:]]
    for image in images:
        # a still of a card on a pale wall is honestly low in contrast, yet far from blank
        assert_not_blank(image, min_std=10.0)
    assert len({hashlib.sha256(i.tobytes()).hexdigest() for i in images}) == len(steps)
