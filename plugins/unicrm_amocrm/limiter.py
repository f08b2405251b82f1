"""amoCRM's request limits, modelled proactively: 7 requests/s per integration, 50/s per account.

The vendor counts requests per second and answers 429 (then blocks with a 403 HTML page) when
a client goes over (vendor notes §7.3). A token bucket with a burst would let 14 requests land
inside one second, so this limiter models the vendor's own rule instead: a *sliding window* —
at most N request starts in any window of W seconds — with a small safety margin on W for
the time between our send and the server's arrival stamp.

Slots are reserved under a thread lock and slept for outside it, so one limiter is fair
(first come, first served) and can be shared by every connection to the same account in the
process, whatever event loop each runs on. Windows are shared through :func:`limiter_for`:
one per integration (token/client) and one per account host.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

#: The vendor's documented limits (notes §7.3).
INTEGRATION_RATE = 7
ACCOUNT_RATE = 50
#: Added to the one-second window: requests arrive a little later than they leave.
DEFAULT_MARGIN = 0.05
#: After a 429 the limiter holds every new request this long (the vendor's warning shot).
COOL_DOWN = 1.0
#: Each 429 widens the windows by this much (up to ``MAX_WIDEN``): the margin was too small
#: for how late our requests reach the vendor's clock, so learn a larger one.
WIDEN_STEP = 0.05
MAX_WIDEN = 0.5
#: ... and every ``NARROW_AFTER`` answers without a 429 narrow them by ``NARROW_STEP`` again,
#: so one slow moment does not cost the rest of a long run its throughput.
NARROW_AFTER = 50
NARROW_STEP = 0.01


class SlidingWindow:
    """At most ``limit`` reservations in any ``window`` seconds (times from ``clock``)."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a sliding window needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        #: the window as configured (``window`` grows by :meth:`widen`)
        self.base = window
        #: the last ``limit`` reservations, each a one-item list so the time can be moved to
        #: when the request really started (see :meth:`started`)
        self._times: deque[list[float]] = deque()

    def widen(self, step: float = WIDEN_STEP, most: float = MAX_WIDEN) -> None:
        """Lengthen the window by ``step`` seconds, at most ``most`` beyond :attr:`base`."""
        self.window = min(self.base + most, self.window + step)

    def narrow(self, step: float = NARROW_STEP) -> None:
        """Shorten the window by ``step`` seconds, never below :attr:`base`."""
        self.window = max(self.base, self.window - step)

    def earliest(self, now: float) -> float:
        """The first time at or after ``now`` when one more request fits.

        Only the last ``limit`` reservations matter: one more fits a window after the
        earliest of them.
        """
        start = max(now, self._times[-1][0]) if self._times else now
        if len(self._times) >= self.limit:
            start = max(start, min(cell[0] for cell in self._times) + self.window)
        return start

    def reserve(self, when: float) -> list[float]:
        """Record a request starting at ``when``; returns its cell for :meth:`started`."""
        cell = [when]
        self._times.append(cell)
        while len(self._times) > self.limit:
            self._times.popleft()
        return cell

    @staticmethod
    def started(cell: list[float], when: float) -> None:
        """The request of ``cell`` really started at ``when`` (a busy event loop resumes a
        sleeper late; the vendor counts the late start, so the window must too)."""
        cell[0] = max(cell[0], when)


class AmoLimiter:
    """The limiter the amoCRM client acquires before every request.

    Implements the transport's ``Limiter`` protocol (``acquire`` / ``observe``).
    """

    def __init__(
        self,
        windows: tuple[SlidingWindow, ...],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.windows = windows
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hold_until = 0.0
        self._clean = 0  # answers since the last 429

    async def acquire(self, cost: int = 1) -> None:
        """Wait for a slot in every window (``cost`` slots for a multi-request call)."""
        for _ in range(max(1, cost)):
            with self._lock:
                now = self._clock()
                start = max([now, self._hold_until, *(w.earliest(now) for w in self.windows)])
                cells = [window.reserve(start) for window in self.windows]
            delay = start - now
            if delay > 0:
                await self._sleep(delay)
                resumed = self._clock()
                if resumed > start:
                    with self._lock:
                        for cell in cells:
                            SlidingWindow.started(cell, resumed)

    def observe(self, view: Any) -> None:
        """Back off on a 429: nobody starts a request during the cool-down, and the windows
        widen a little so the same spacing does not trip the vendor again; clean answers
        narrow them back slowly (additive both ways, bounded)."""
        with self._lock:
            if getattr(view, "status", None) == 429:
                self._hold_until = max(self._hold_until, self._clock() + COOL_DOWN)
                self._clean = 0
                for window in self.windows:
                    window.widen()
                return
            self._clean += 1
            if self._clean >= NARROW_AFTER:
                self._clean = 0
                for window in self.windows:
                    window.narrow()


_shared: dict[tuple[str, ...], SlidingWindow] = {}
_shared_lock = threading.Lock()


def _window(key: tuple[str, ...], limit: int, window: float) -> SlidingWindow:
    with _shared_lock:
        found = _shared.get(key)
        if found is None or found.limit != limit or found.base != window:
            found = _shared[key] = SlidingWindow(limit, window)
        return found


def limiter_for(
    account: str,
    integration: str,
    *,
    integration_rate: int = INTEGRATION_RATE,
    account_rate: int = ACCOUNT_RATE,
    margin: float = DEFAULT_MARGIN,
) -> AmoLimiter:
    """A limiter sharing windows with every other connection to the same account/integration.

    ``integration`` identifies the integration (client id, or a digest of the long-lived
    token — never the token itself).
    """
    span = 1.0 + margin
    return AmoLimiter(
        (
            _window(("integration", account, integration), integration_rate, span),
            _window(("account", account), account_rate, span),
        )
    )


__all__ = [
    "ACCOUNT_RATE",
    "INTEGRATION_RATE",
    "AmoLimiter",
    "SlidingWindow",
    "limiter_for",
]
