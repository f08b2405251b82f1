"""The overall time budget of one call: a slow server cannot stretch it, retries spend it.

httpx's timeouts are per operation: a server that sends its headers and then one byte every
half second never trips a 2 s read timeout, and a call retried six times with backoff may take
six timeouts plus the sleeps. :class:`Deadline` bounds the whole call instead: every attempt,
every wait for a retry, every token refresh the call waits for, runs within what is left, and
a retry whose delay would not fit is not attempted.

The budget starts when the call's first attempt is admitted by the limiter: waiting behind
one's own other requests (the client-side rate limit) is the caller's concurrency, not the
server's slowness. Retries wait for the limiter within the budget.

Written here rather than taken from a library: ``asyncio.timeout`` needs Python 3.11 (unicrm
supports 3.10) and anyio's cancel scopes would impose their semantics on every caller's loop;
``asyncio.wait_for`` does the one thing needed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def call_budget(client: httpx.AsyncClient) -> float | None:
    """The overall budget a call through ``client`` gets: its largest configured timeout
    (for :func:`~unicrm.transport.make_async_client`, the connection's ``timeout`` option),
    or None (no deadline) when it has none."""
    timeout = client.timeout
    parts = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return max(parts) if parts else None


class Deadline:
    """``seconds`` from :meth:`start` on (None or infinite: no deadline), on an injectable
    clock."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        finite = seconds is not None and math.isfinite(seconds)
        self.seconds = seconds if finite else None
        self._clock = clock
        self._ends: float | None = None
        self.started = False

    def start(self) -> None:
        """Start counting (idempotent)."""
        if not self.started:
            self.started = True
            if self.seconds is not None:
                self._ends = self._clock() + self.seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline or before the start."""
        if self._ends is None:
            return None
        return max(0.0, self._ends - self._clock())

    def fits(self, delay: float) -> bool:
        """Whether waiting ``delay`` seconds still leaves time to try again."""
        left = self.remaining()
        return left is None or delay < left

    async def run(self, step: Awaitable[T]) -> T:
        """``await step`` within what is left; ``asyncio.TimeoutError`` when it runs out."""
        left = self.remaining()
        if left is None:
            return await step
        if left <= 0:
            if asyncio.iscoroutine(step):
                step.close()
            raise asyncio.TimeoutError
        return await asyncio.wait_for(step, left)


async def within(seconds: float, step: Awaitable[T]) -> T:
    """``await step`` for at most ``seconds`` overall (``asyncio.TimeoutError`` after)."""
    deadline = Deadline(seconds)
    deadline.start()
    return await deadline.run(step)


__all__ = ["Deadline", "call_budget", "within"]
