"""Client-side rate limiting: the interface vendor limiters implement, and a token bucket.

The token bucket is hand-written rather than taken from a library because vendor limiters need
exact control of its arithmetic (Bitrix24's leaky bucket of 50 with a 2/s drain; amoCRM's 7/s),
an injectable clock and sleep for tests, and feedback from responses (:meth:`Limiter.observe`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from unicrm.transport.classify import ResponseView


class Limiter(Protocol):
    """Paces requests before they are sent and learns from responses."""

    async def acquire(self, cost: int = 1) -> None:
        """Wait until a request of ``cost`` units may be sent."""
        ...

    def observe(self, view: ResponseView) -> None:
        """Feedback from a response (limit headers, operating time, 429s)."""
        ...


class NoLimiter:
    """Never waits (emulators with limits off, tests)."""

    async def acquire(self, cost: int = 1) -> None:
        return None

    def observe(self, view: ResponseView) -> None:
        return None


class TokenBucket:
    """``burst`` tokens refilled at ``rate`` per second; each request takes ``cost`` tokens.

    FIFO-fair: waiters are served in arrival order under one lock.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("a token bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock: asyncio.Lock | None = None
        self._paused_until = 0.0

    def _refill(self) -> None:
        now = self._clock()
        if now <= self._stamp:
            return  # paused: refilling starts when the pause ends
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (e.g. after the vendor refused a request), then one
        request at once and the rest at the rate: nothing accrues during the pause, so its
        end is not a burst into a vendor that just refused us."""
        self._refill()
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._tokens = min(self._tokens, 1.0)
        self._stamp = max(self._stamp, self._paused_until)

    def drain(self, tokens: float) -> None:
        """Take ``tokens`` without waiting (the server says we used more than we thought)."""
        self._refill()
        self._tokens -= tokens

    async def acquire(self, cost: int = 1) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                self._refill()
                wait = self._paused_until - self._clock()
                if wait <= 0 and self._tokens >= cost:
                    self._tokens -= cost
                    return
                wait = max(wait, (cost - self._tokens) / self.rate)
                await self._sleep(max(wait, 0.001))

    def observe(self, view: ResponseView) -> None:
        return None


class CompositeLimiter:
    """All of several limiters must admit a request."""

    def __init__(self, *limiters: Limiter) -> None:
        self.limiters = limiters

    async def acquire(self, cost: int = 1) -> None:
        for limiter in self.limiters:
            await limiter.acquire(cost)

    def observe(self, view: ResponseView) -> None:
        for limiter in self.limiters:
            limiter.observe(view)
