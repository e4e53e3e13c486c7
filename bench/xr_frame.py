"""Per-frame CPU time of the headset rig's Python side, in a real OpenXR runtime.

Run inside the XR lab (Monado's simulated headset; see ``../shared/xr/README.md``)::

    XRLAB_BIND=$PWD ../shared/xr/xrlab.sh run bash -c \\
        'cd /src && python bench/xr_frame.py pendulum-lab --frames 200'

Prints the mean and 95th percentile, in milliseconds, of each phase of a frame: ``wait``
(xrWaitFrame: the runtime's pacing, not our cost), ``locate_sync`` (begin frame, sync actions,
locate hands, head and eyes), ``interactions`` (input to interactions, lesson tick,
presenter), ``render`` (Panda3D's stereo render plus the swapchain copies) and ``submit``
(xrEndFrame). ``python_side`` sums everything but ``wait`` and ``render``. The GPU comparison
with a bare-Panda3D stereo scene at 2x2064x2208 needs a GPU; on software GL it is not run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

from engine.play import PlayOptions, play

PHASES = ("wait", "locate_sync", "interactions", "render", "submit")


def main(argv: list[str]) -> int:
    """Run a lesson in the headset for ``--frames`` frames and print the phase timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lesson", nargs="?", default="pendulum-lab")
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    samples: list[dict[str, float]] = []
    renderer: dict[str, str] = {}

    def on_frame(rig: Any) -> None:
        if rig.frames > args.warmup and rig.timings:
            samples.append(dict(rig.timings))
        if not renderer:
            from OpenGL import GL

            renderer["gl"] = GL.glGetString(GL.GL_RENDERER).decode()
            renderer["eyes"] = " + ".join(f"{e.width}x{e.height}" for e in rig.eyes.eyes)
            renderer["runtime"] = f"{rig.system.runtime} / {rig.system.name}"
        if rig.frames >= args.frames + args.warmup:
            rig.quit("benchmark done")

    play(PlayOptions(lesson=args.lesson, mode="xr", xr_binding="egl", on_xr_frame=on_frame))
    if not samples:
        print("no frames were measured", file=sys.stderr)
        return 1
    print(f"{args.lesson}: {len(samples)} frames; {renderer.get('runtime')}")
    print(f"GL: {renderer.get('gl')}; eyes {renderer.get('eyes')}")
    rows = {p: [s[p] * 1000 for s in samples] for p in PHASES}
    rows["python_side"] = [
        (s["locate_sync"] + s["interactions"] + s["submit"]) * 1000 for s in samples
    ]
    for name, values in rows.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"  {name:13s} mean {statistics.fmean(values):7.2f} ms   p95 {p95:7.2f} ms")
    if "llvmpipe" in renderer.get("gl", "") or "softpipe" in renderer.get("gl", ""):
        print("software GL: the 2x2064x2208 stereo comparison with bare Panda3D needs a GPU")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
