"""Play a lesson in the headset, driven by its walkthrough through the remote controllers.

Run inside the XR lab (``python -m tests.xr.run_lesson LESSON --out summary.json ...``): it
prints the run's summary line and writes what the tests check (frames, states, the eye images'
statistics, the pilot's outcome) as JSON. Exit code: 0 completed, 2 not completed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from engine.core.script import load_script
from engine.paths import LESSONS_DIR
from engine.play import PlayOptions, play
from engine.scene.app import screenshot_rgba
from tests.xr.pilot import ControllerPilot, PinchPilot
from tests.xr.remote import RemoteControllers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("lesson")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--script", type=Path)
    parser.add_argument("--time-scale", type=float, default=2.0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--binding", choices=("egl", "glx"), default="egl")
    parser.add_argument("--pinch", action="store_true", help="grab by pinching (hand tracking)")
    args = parser.parse_args(argv)
    script = args.script or LESSONS_DIR / args.lesson / "scripts" / "walkthrough.yaml"
    remote = RemoteControllers()
    pilot = (PinchPilot if args.pinch else ControllerPilot)(load_script(script), remote)
    seen: dict[str, Any] = {"captures": []}

    def on_frame(rig: Any) -> None:
        # read an eye image back now and then, and once near the end
        if rig.frames % 150 == 40:
            rig.eyes.capture = True
        if rig.eyes.captured:
            seen["captures"].append([_stats(img) for img in rig.eyes.captured])
            # the window (GLX) or buffer (EGL) shows the left eye of the same frame
            window = screenshot_rgba(rig.app)
            seen.setdefault("mirror", []).append(
                {
                    "window": _stats(_centre(window)),
                    "left_eye": _stats(_centre(rig.eyes.captured[0])),
                    "scene_camera_active": rig.app.base.cam.node().is_active(),
                }
            )
            rig.eyes.captured = []
            seen.setdefault("depth", []).extend(
                {"min": float(d.min()), "max": float(d.max()), "near": float((d < 0.999).mean())}
                for d in rig.eyes.captured_depth
            )
            rig.eyes.captured_depth = []
        pilot.on_frame(rig)
        seen["rig"] = rig

    result = play(
        PlayOptions(
            lesson=args.lesson,
            mode="xr",
            xr_binding=args.binding,
            record=args.record,
            store=args.store,
            resume=args.resume,
            time_scale=args.time_scale,
            size=(320, 180),  # the GLX mirror window: small, software GL is slow
            on_xr_frame=on_frame,
        )
    )
    remote.close()
    rig = seen.get("rig")
    summary = {
        "completed": result.completed,
        "reason": result.reason,
        "step": result.step,
        "session": result.session_id,
        "pilot_error": pilot.error,
        "pilot_log": pilot.log,
        "states": rig.states if rig else [],
        "frames": rig.frames if rig else 0,
        "frames_submitted": rig.frames_submitted if rig else 0,
        "frames_visible": rig.frames_visible if rig else 0,
        "missed_visible_frames": rig.missed_visible_frames if rig else 0,
        "profile": rig.input.current_profile(1)
        if rig and not rig.lost and rig.input.spaces
        else "",
        "captures": seen["captures"],
        "depth_submitted": bool(rig and rig.eyes.depth),
        "depth": seen.get("depth", []),
        "mirror": seen.get("mirror", []),
    }
    args.out.write_text(json.dumps(summary, indent=1))
    print(result.summary())
    return 0 if result.completed else 2


def _centre(image: np.ndarray) -> np.ndarray:
    """The middle half of an image (both ways): inside the mirror's letterbox."""
    h, w = image.shape[:2]
    return image[h // 4 : h - h // 4, w // 4 : w - w // 4]


def _stats(image: np.ndarray) -> dict[str, Any]:
    rgb = image[:, :, :3]
    w = rgb.shape[1]
    return {
        "shape": list(image.shape),
        "std": float(rgb.std()),
        "colours": len({tuple(p) for p in rgb.reshape(-1, 3)[::5]}),
        "mean": [float(v) for v in rgb.reshape(-1, 3).mean(axis=0)],
        # the top edge's middle: sky, outdoors, with the head level
        "top": [float(v) for v in rgb[:3, w * 9 // 20 : w * 11 // 20].reshape(-1, 3).mean(axis=0)],
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
