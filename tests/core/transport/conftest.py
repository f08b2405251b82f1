"""Shared helpers for the transport tests."""

from __future__ import annotations

import asyncio


class FakeTime:
    """A clock that only moves when the code under test sleeps (pass ``clock`` and ``sleep``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
