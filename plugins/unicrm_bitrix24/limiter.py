"""Bitrix24's limits, modelled proactively (vendor notes §3).

* The portal's **leaky bucket**: every HTTP request (a ``batch`` counts once) adds one to a
  counter that drains ``drain`` per second; above ``capacity`` the server answers 503
  ``QUERY_LIMIT_EXCEEDED``. :class:`LeakyBucket` keeps the same counter on our side (with a
  small headroom, see :data:`HEADROOM`) and makes a request wait until it fits.
* The per-method **operating-time budget**: every response says in ``time.operating`` how many
  seconds this method has used in the last 10 minutes and in ``operating_reset_at`` when the
  oldest minute drops out. :class:`OperatingBudget` holds a method back once it is within
  ``margin`` of the limit until that time, so the server never has to answer 429.

A 503 fills our bucket (the server's is full); a 429 blocks the method until its reset time.
Buckets are shared per portal within the process (:func:`limiter_for`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

#: Plan limits: capacity X, drain Y per second (notes §3.1).
PLANS: Mapping[str, tuple[float, float]] = {"standard": (50.0, 2.0), "enterprise": (250.0, 5.0)}
#: Operating-time limit per method per 10 minutes (cloud default in the notes, §3.2).
OPERATING_LIMIT = 480.0
#: Requests kept free in the bucket (connection option ``headroom``). The server counts each
#: request when it handles it, a little after we counted it; when the first requests of a run
#: reach it later than the ones after them (a connection or TLS handshake), its level runs
#: ahead of our mirror. Other clients of the portal add one unit per request of theirs: raise
#: the headroom when other integrations share the portal. Measured against the emulator
#: (bench/bitrix24_export.py, 200,000 rows, 20 ms latency): with 0, three exports in four drew
#: a 503; with 0.25 none in three; with 0.5 none in seventeen, and one when a stray request of
#: another client was in the bucket.
HEADROOM = 0.5


class LeakyBucket:
    """The vendor's counter, mirrored: fill + 1 per request, drain per second."""

    def __init__(
        self,
        capacity: float,
        drain: float,
        *,
        headroom: float = HEADROOM,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check(capacity, drain, headroom)
        self.capacity = capacity
        self.drain = drain
        self.headroom = headroom
        self._clock = clock
        self._level = 0.0
        self._stamp = clock()
        self._lock = threading.Lock()

    @staticmethod
    def _check(capacity: float, drain: float, headroom: float) -> None:
        if capacity <= headroom or drain <= 0:
            raise ValueError("a leaky bucket needs capacity > headroom and a positive drain")

    def keep_free(self, headroom: float) -> None:
        """Keep at least ``headroom`` requests free: connections sharing this bucket each ask
        for theirs, and the largest wins."""
        if headroom > self.headroom:
            self._check(self.capacity, self.drain, headroom)
            self.headroom = headroom

    def _leak(self, now: float) -> None:
        self._level = max(0.0, self._level - (now - self._stamp) * self.drain)
        self._stamp = now

    def reserve(self, cost: float = 1.0) -> float:
        """Take ``cost`` units; returns how long the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            self._leak(now)
            self._level += cost
            over = self._level - (self.capacity - self.headroom)
            return max(0.0, over / self.drain)

    def fill(self) -> None:
        """The server said the bucket is full (503): assume so."""
        with self._lock:
            self._leak(self._clock())
            self._level = max(self._level, self.capacity)

    @property
    def level(self) -> float:
        with self._lock:
            self._leak(self._clock())
            return self._level


class OperatingBudget:
    """Per-method operating time from the server's ``time`` block."""

    def __init__(
        self,
        limit: float = OPERATING_LIMIT,
        *,
        margin: float = 0.9,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.margin = margin
        self._wall = wall
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_for(self, method: str) -> float:
        """Seconds to hold ``method`` back (0 when it may run)."""
        with self._lock:
            until = self._blocked.get(method.lower(), 0.0)
        return max(0.0, until - self._wall())

    def record(self, method: str, timing: Any, *, refused: bool = False) -> None:
        """Learn from a response's ``time`` block (or from a 429 refusal)."""
        if self.limit == float("inf") or (not isinstance(timing, Mapping) and not refused):
            return  # limits off: never hold a method back
        timing = timing if isinstance(timing, Mapping) else {}
        try:
            used = float(timing.get("operating") or 0.0)
            reset = float(timing.get("operating_reset_at") or 0.0)
        except (TypeError, ValueError):
            return
        if refused and not reset:
            reset = self._wall() + 60.0
        with self._lock:
            if refused or used >= self.limit * self.margin:
                self._blocked[method.lower()] = max(self._blocked.get(method.lower(), 0.0), reset)


class Bitrix24Limiter:
    """What the client acquires before each request: the bucket, then the method's budget."""

    def __init__(
        self,
        bucket: LeakyBucket,
        budget: OperatingBudget,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.bucket = bucket
        self.budget = budget
        self._sleep = sleep

    def for_method(self, method: str) -> MethodLimiter:
        return MethodLimiter(self, method)

    async def hold_methods(self, methods: Iterable[str]) -> None:
        """Wait until every method of a ``batch``'s sub-commands may run (their budgets)."""
        hold = max((self.budget.wait_for(m) for m in set(methods)), default=0.0)
        if hold > 0:
            await self._sleep(hold)

    def observe_commands(
        self,
        methods: Mapping[str, str],
        timings: Mapping[str, Any],
        refused: Mapping[str, str | None],
    ) -> None:
        """Learn from a ``batch`` answer: each sub-command is billed to its own method and its
        ``result_time`` entry carries that method's ``operating`` (notes §3.2, §5).

        ``methods``: command key -> method; ``timings``: key -> ``result_time`` entry;
        ``refused``: key -> error code of the sub-commands a limit refused.
        """
        latest: dict[str, Any] = {}
        for key, timing in timings.items():
            method = methods.get(key)
            if method is not None and isinstance(timing, Mapping):
                self.budget.record(method, timing)
                latest[method] = timing
        for key, code in refused.items():
            method = methods.get(key)
            if method is None:
                continue
            if (code or "").lower() == "query_limit_exceeded":
                self.bucket.fill()
            else:
                self.budget.record(method, latest.get(method), refused=True)


class MethodLimiter:
    """The transport's ``Limiter`` protocol for one method (``acquire`` / ``observe``)."""

    def __init__(self, parent: Bitrix24Limiter, method: str) -> None:
        self.parent = parent
        self.method = method

    async def acquire(self, cost: int = 1) -> None:
        hold = self.parent.budget.wait_for(self.method)
        if hold > 0:
            await self.parent._sleep(hold)
        delay = self.parent.bucket.reserve(float(cost))
        if delay > 0:
            await self.parent._sleep(delay)

    def observe(self, view: Any) -> None:
        status = getattr(view, "status", None)
        body = getattr(view, "json", None)
        timing = body.get("time") if isinstance(body, Mapping) else None
        if status == 503:
            self.parent.bucket.fill()
        self.parent.budget.record(self.method, timing, refused=status == 429)


class NoLimits(Bitrix24Limiter):
    """Limits off (an emulator started with ``limits="off"``)."""

    def __init__(self) -> None:
        super().__init__(LeakyBucket(1e12, 1e12), OperatingBudget(float("inf")))


_shared: dict[tuple[str, str], Bitrix24Limiter] = {}
_shared_lock = threading.Lock()


def limiter_for(
    portal: str, plan: str = "standard", *, headroom: float = HEADROOM
) -> Bitrix24Limiter:
    """The limiter shared by every connection to ``portal`` in this process (keeping the
    largest ``headroom`` any of them asked for)."""
    if plan == "off":
        return NoLimits()
    capacity, drain = PLANS[plan]
    with _shared_lock:
        found = _shared.get((portal, plan))
        if found is None:
            found = _shared[(portal, plan)] = Bitrix24Limiter(
                LeakyBucket(capacity, drain, headroom=headroom), OperatingBudget()
            )
        else:
            found.bucket.keep_free(headroom)
        return found


__all__ = [
    "HEADROOM",
    "OPERATING_LIMIT",
    "PLANS",
    "Bitrix24Limiter",
    "LeakyBucket",
    "MethodLimiter",
    "OperatingBudget",
    "limiter_for",
]
