"""Monado's remote driver (protocol ``mndrmt3``): the test's hands on the simulated controllers.

The service listens on TCP 127.0.0.1:4242, first sends two 376-byte records (its reset state,
then its latest), and takes records that start with ``mndrmt3\\0``. Offsets are for Monado 25
and checked against the state the service sends (the left controller's quaternion w is 1).
"""

from __future__ import annotations

import socket
import struct

PACKET = 376
HEAD, LEFT, RIGHT = 8, 136, 256
CENTRE_POSE = 104  # the head's centre pose: quaternion at 104, position at 120


class RemoteControllers:
    """Write head and controller poses and buttons to the running service."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4242) -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        data = b""
        while len(data) < 2 * PACKET:
            chunk = self.sock.recv(2 * PACKET - len(data))
            if not chunk:
                raise ConnectionError("the remote driver closed the connection")
            data += chunk
        self.packet = bytearray(data[PACKET:])
        w = struct.unpack_from("<f", self.packet, LEFT + 12)[0]
        if w != 1.0:
            raise RuntimeError(f"unexpected mndrmt3 layout (left quaternion w = {w})")
        self.packet[:8] = b"mndrmt3\0"
        for base in (LEFT, RIGHT):
            self.packet[base + 105] = 1  # active
            # the service keeps the last client's state: start from open, untracked hands
            self.packet[base + 104] = 0
            struct.pack_into("<5f", self.packet, base + 52, *([0.0] * 5))

    def hand(
        self,
        right: bool,
        *,
        pos: tuple[float, float, float] | None = None,
        quat: tuple[float, float, float, float] | None = None,
        trigger: float | None = None,
        squeeze: float | None = None,
        stick: tuple[float, float] | None = None,
        a: bool | None = None,
        b: bool | None = None,
        curl: float | None = None,
    ) -> None:
        """Set a controller's pose (OpenXR stage axes, quaternion x y z w) and inputs.

        ``curl`` turns the driver's hand tracking on and curls every finger and the thumb
        that far (0 open, 1 closed: the simulated hand's thumb tip then meets its index tip).
        """
        base = RIGHT if right else LEFT
        p = self.packet
        if quat is not None:
            struct.pack_into("<4f", p, base, *quat)
        if pos is not None:
            struct.pack_into("<3f", p, base + 16, *pos)
        if trigger is not None:
            struct.pack_into("<f", p, base + 72, trigger)
            p[base + 112] = int(trigger > 0.5)
        if squeeze is not None:
            struct.pack_into("<f", p, base + 76, squeeze)
        if stick is not None:
            struct.pack_into("<2f", p, base + 84, *stick)
        if curl is not None:
            p[base + 104] = 1  # hand_tracking_active
            struct.pack_into("<5f", p, base + 52, *([curl] * 5))
        if a is not None:
            p[base + 108] = int(a)
        if b is not None:
            p[base + 110] = int(b)

    def turn_head(self, quat: tuple[float, float, float, float]) -> None:
        """Set the head's orientation (OpenXR stage axes, x y z w), keeping its position."""
        struct.pack_into("<4f", self.packet, CENTRE_POSE, *quat)

    def head_pose(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The head's centre pose as last written: (quaternion xyzw, position)."""
        q = struct.unpack_from("<4f", self.packet, CENTRE_POSE)
        pos = struct.unpack_from("<3f", self.packet, CENTRE_POSE + 16)
        return q, pos

    def send(self) -> None:
        """Send the state."""
        self.sock.sendall(bytes(self.packet))

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()
