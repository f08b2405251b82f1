"""Backoff bounds, jitter bounds, and Retry-After parsing (both header forms)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm.transport import Backoff, jitter, parse_retry_after

NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def test_backoff_grows_exponentially_then_caps() -> None:
    backoff = Backoff(base=0.5, cap=4.0, factor=2.0)
    assert [backoff.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.delay(-3) == 0.5
    assert Backoff().delay(1000) == 30.0  # no overflow, capped


@given(st.floats(0.001, 100), st.integers(0, 2**32))
def test_jitter_stays_within_half_and_full_delay(delay: float, seed: int) -> None:
    value = jitter(delay, random.Random(seed))
    assert delay / 2 <= value <= delay


def test_jitter_is_repeatable_with_a_seed_and_actually_varies() -> None:
    a = [jitter(10, random.Random(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng = random.Random(1)
    assert len({round(jitter(10, rng), 6) for _ in range(20)}) > 10


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("Wed, 01 May 2024 12:00:10 GMT", 10.0),
        ("Wed, 01 May 2024 11:59:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds
