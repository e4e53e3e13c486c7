"""Generate the feedback sounds in assets/sounds/ (short synthesised tones, CC0).

Run: python -m tools.make_sounds. Deterministic, so regenerating changes nothing.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from engine.paths import ASSETS_DIR

RATE = 22050

#: name -> list of (frequency Hz, seconds); chosen to be distinct without relying on pitch alone
TONES: dict[str, list[tuple[float, float]]] = {
    "correct": [(660.0, 0.09), (880.0, 0.14)],
    "wrong": [(330.0, 0.12), (247.0, 0.2)],
    "hint": [(740.0, 0.07), (0.0, 0.04), (740.0, 0.07)],
    "complete": [(523.0, 0.12), (659.0, 0.12), (784.0, 0.12), (1047.0, 0.3)],
    "snap": [(1200.0, 0.03), (600.0, 0.05)],
}


def synth(notes: list[tuple[float, float]]) -> bytes:
    """16-bit mono PCM of the notes, each with a short fade to avoid clicks."""
    frames = bytearray()
    for freq, seconds in notes:
        n = int(RATE * seconds)
        for i in range(n):
            envelope = min(1.0, i / 200, (n - i) / 400)
            value = 0.35 * envelope * math.sin(2 * math.pi * freq * i / RATE) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    return bytes(frames)


def main() -> None:
    """Write every sound."""
    out = ASSETS_DIR / "sounds"
    out.mkdir(parents=True, exist_ok=True)
    for name, notes in TONES.items():
        path: Path = out / f"{name}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(synth(notes))
        print(f"wrote {path.relative_to(ASSETS_DIR.parent)}")


if __name__ == "__main__":
    main()
