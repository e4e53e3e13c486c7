"""Wake-ups across threads: SSE subscribers and long-polling stations.

Sync endpoints run in a thread pool, while SSE streams and long polls wait on the event
loop; :class:`Hub` bridges the two with ``call_soon_threadsafe`` so publishing from any
thread never blocks and never touches asyncio objects off their loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass, field

#: events a slow SSE client may fall behind by before it is dropped (it reconnects)
QUEUE_LIMIT = 5000


@dataclass(frozen=True)
class Message:
    """One server-sent event."""

    event: str
    data: str


#: the message that ends an event stream (the server is stopping)
CLOSE = Message("close", "")


@dataclass(eq=False)  # identity-hashed: each one sits in a set
class Subscription:
    """One SSE client's queue; ``overflowed`` means it fell too far behind."""

    topic: str
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False


class Hub:
    """Topics (class session ids) with SSE subscribers and change counters for long polls."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._versions: dict[str, int] = defaultdict(int)
        self._events: dict[str, asyncio.Event] = {}
        self._lock = threading.Lock()
        #: set when the server stops: long polls answer at once, event streams end
        self.closing = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the server's event loop (at start-up)."""
        self._loop = loop

    # --- SSE ---------------------------------------------------------------------------

    def subscribe(self, topic: str) -> Subscription:
        """A new subscription (call on the event loop)."""
        sub = Subscription(topic)
        with self._lock:
            self._subs[topic].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscription."""
        with self._lock:
            self._subs[sub.topic].discard(sub)

    def subscribers(self, topic: str) -> int:
        """How many SSE clients watch ``topic``."""
        with self._lock:
            return len(self._subs.get(topic, ()))

    def publish(self, topic: str, event: str, data: str) -> None:
        """Send an event to every subscriber of ``topic`` (from any thread)."""
        with self._lock:
            subs = list(self._subs.get(topic, ()))
        if not subs or self._loop is None:
            return
        msg = Message(event, data)
        for sub in subs:
            self._loop.call_soon_threadsafe(self._put, sub, msg)

    @staticmethod
    def _put(sub: Subscription, msg: Message) -> None:
        try:
            sub.queue.put_nowait(msg)
        except asyncio.QueueFull:
            sub.overflowed = True

    def close(self) -> None:
        """The server is stopping: wake every long poll and end every event stream.

        Without this, open streams and 25-second polls would hold the shutdown until
        uvicorn gives up on them.
        """
        self.closing = True
        loop = self._loop
        if loop is None:
            return
        with self._lock:
            keys = list(self._versions)
            subs = [sub for group in self._subs.values() for sub in group]
        for key in keys:
            self.notify(key)
        for sub in subs:
            loop.call_soon_threadsafe(self._put, sub, CLOSE)

    # --- long polls --------------------------------------------------------------------

    def version(self, key: str) -> int:
        """A counter that :meth:`notify` bumps; read it before looking for changes."""
        with self._lock:
            return self._versions[key]

    def notify(self, key: str) -> None:
        """Wake whoever waits on ``key`` (from any thread)."""
        with self._lock:
            self._versions[key] += 1
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake, key)

    def _wake(self, key: str) -> None:
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    async def wait(self, key: str, seen: int, timeout: float) -> bool:
        """Wait (on the loop) until ``key`` changes past version ``seen``; False on timeout."""
        if self.version(key) != seen or self.closing:
            return True
        event = self._events.setdefault(key, asyncio.Event())
        if self.version(key) != seen:  # notified between the check and the setdefault
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
