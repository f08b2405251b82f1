"""Backoff delays: capped exponential growth, jitter in its own function, Retry-After parsing.

Jitter lives in :func:`jitter` alone (stripe-python style) so tests can pass a seeded
``random.Random`` and get repeatable delays.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import attrs


def jitter(delay: float, rng: random.Random | None = None) -> float:
    """ "Equal jitter": a delay uniformly drawn from ``[delay/2, delay]``."""
    source = rng or random
    return delay / 2 + source.uniform(0, delay / 2)


@attrs.frozen
class Backoff:
    """``base * factor**attempt``, capped at ``cap`` seconds (attempt counts from 0)."""

    base: float = 0.5
    cap: float = 30.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        """The un-jittered delay before retry number ``attempt`` (0-based)."""
        return min(self.cap, self.base * self.factor ** max(0, attempt))


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    current = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - current).total_seconds())
