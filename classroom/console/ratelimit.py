"""A small in-memory sliding-window rate limiter (login and pairing attempts per address)."""

from __future__ import annotations

import threading
import time
from collections import deque

from classroom.console.settings import RateLimit


class RateLimiter:
    """At most ``limit.attempts`` hits per key in any ``limit.window`` seconds.

    In memory on purpose: a restart forgets the counts, which only helps someone who can
    restart the console anyway. Thread-safe (sync endpoints run in a thread pool).
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one attempt for ``key``; False when it is over the limit (not counted then)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.limit.window:
                hits.popleft()
            if len(hits) >= self.limit.attempts:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle keys so memory stays bounded
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return True

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again (at least 1)."""
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 1
            return max(1, int(self.limit.window - (time.monotonic() - hits[0])) + 1)
