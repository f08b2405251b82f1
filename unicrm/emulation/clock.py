"""Clocks for emulators: the real one, and one that tests move by hand.

Emulators read time only through a :class:`Clock`, so token expiry, rate-limit buckets and
timestamps can be tested without sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Where an emulator reads the time from (Unix seconds, float)."""

    def now(self) -> float:
        """Return the current time in Unix seconds."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that stands still until a test moves it (thread-safe)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (must not be negative)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += seconds

    def set(self, when: float) -> None:
        """Put the clock at ``when`` (Unix seconds)."""
        with self._lock:
            self._now = float(when)

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
