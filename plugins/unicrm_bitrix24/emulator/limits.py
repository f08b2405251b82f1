"""The portal's two limits (notes §3).

* :class:`LeakyBucket` - every HTTP request adds one; the level drains at ``drain`` per
  second; a request that would lift it above ``capacity`` is refused (503). A ``batch`` is one
  request.
* :class:`OperatingBudget` - seconds of execution per (credential, method) over the last ten
  minutes, kept in one-minute buckets. The check comes *before* a call: once the accumulated
  time exceeds the limit the method is refused (429) until the oldest bucket drops out; the
  call that crossed the limit still completes.
"""

from __future__ import annotations

import threading

WINDOW = 600.0
BUCKET = 60.0


class LeakyBucket:
    """Request-rate limit per portal (Bitrix24 defaults: 50 requests, draining 2/s)."""

    def __init__(self, capacity: float = 50.0, drain: float = 2.0) -> None:
        self.capacity = capacity
        self.drain = drain
        self._level = 0.0
        self._last: float | None = None
        self._lock = threading.Lock()

    def level(self, now: float) -> float:
        with self._lock:
            return self._drained(now)

    def _drained(self, now: float) -> float:
        if self._last is None:
            return self._level
        return max(0.0, self._level - max(0.0, now - self._last) * self.drain)

    def hit(self, now: float) -> bool:
        """Count one request; ``False`` (and nothing counted) when the bucket is full."""
        with self._lock:
            level = self._drained(now)
            self._last = now
            if level + 1.0 > self.capacity:
                self._level = level
                return False
            self._level = level + 1.0
            return True


class OperatingBudget:
    """Per-(credential, method) execution time over a sliding ten-minute window."""

    def __init__(self, limit: float = 480.0) -> None:
        self.limit = limit
        self._buckets: dict[tuple[str, str], list[list[float]]] = {}
        self._lock = threading.Lock()

    def _live(self, key: tuple[str, str], now: float) -> list[list[float]]:
        buckets = [b for b in self._buckets.get(key, []) if b[0] + WINDOW > now]
        self._buckets[key] = buckets
        return buckets

    def state(self, key: tuple[str, str], now: float) -> tuple[float, int]:
        """``(operating seconds, operating_reset_at)`` for a key."""
        with self._lock:
            buckets = self._live(key, now)
            used = sum(b[1] for b in buckets)
            reset = buckets[0][0] + WINDOW if buckets else now + WINDOW
            return round(used, 6), int(reset)

    def blocked(self, key: tuple[str, str], now: float) -> bool:
        used, _ = self.state(key, now)
        return used > self.limit

    def record(self, key: tuple[str, str], now: float, seconds: float) -> None:
        with self._lock:
            buckets = self._live(key, now)
            if not buckets or now >= buckets[-1][0] + BUCKET:
                buckets.append([now, 0.0])
            buckets[-1][1] += seconds
