"""amoCRM's request limits (vendor notes §7.3): 7 requests per second per integration and 50
per second per account, each counted over the last second; past either, 429. A client that
keeps hammering (``ABUSE_429S`` refusals within ``ABUSE_WINDOW`` seconds) is blocked: every
request then gets 403 with an HTML page for ``BLOCK_SECONDS``.

Sliding windows over the emulator's clock, written here because they must reproduce the
vendor's exact counting, not a generic token bucket.
"""

from __future__ import annotations

import collections

PER_INTEGRATION = 7
PER_ACCOUNT = 50
ABUSE_429S = 100
ABUSE_WINDOW = 60.0
BLOCK_SECONDS = 60.0


class Limits:
    """Decides 'ok', 'limited' (429) or 'blocked' (403 HTML) for each request."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._hits: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._account: collections.deque[float] = collections.deque()
        self._refusals: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0

    @staticmethod
    def _trim(window: collections.deque[float], now: float, span: float) -> None:
        while window and window[0] <= now - span:
            window.popleft()

    def check(self, integration: str, now: float) -> str:
        if not self.enabled:
            return "ok"
        if now < self._blocked_until:
            return "blocked"
        hits = self._hits[integration]
        self._trim(hits, now, 1.0)
        self._trim(self._account, now, 1.0)
        if len(hits) >= PER_INTEGRATION or len(self._account) >= PER_ACCOUNT:
            self._trim(self._refusals, now, ABUSE_WINDOW)
            self._refusals.append(now)
            if len(self._refusals) >= ABUSE_429S:
                self._blocked_until = now + BLOCK_SECONDS
                self._refusals.clear()
            return "limited"
        hits.append(now)
        self._account.append(now)
        return "ok"
