"""Client-side limiters: the token bucket's arithmetic on a fake clock, fairness, pauses."""

from __future__ import annotations

import asyncio

import pytest

from unicrm.transport import CompositeLimiter, NoLimiter, ResponseView, TokenBucket

from .conftest import FakeTime


def bucket(rate: float, burst: float) -> tuple[TokenBucket, FakeTime]:
    time = FakeTime()
    return TokenBucket(rate, burst, clock=time.clock, sleep=time.sleep), time


def test_burst_passes_at_once_then_paces_at_the_rate() -> None:
    limiter, time = bucket(rate=2, burst=5)

    async def go() -> list[float]:
        stamps = []
        for _ in range(11):
            await limiter.acquire()
            stamps.append(time.now - 1000.0)
        return stamps

    stamps = asyncio.run(go())
    assert stamps[:5] == [0.0] * 5
    assert stamps[5:] == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])


def test_idle_time_refills_but_never_beyond_the_burst() -> None:
    limiter, time = bucket(rate=1, burst=3)

    async def go() -> None:
        for _ in range(3):
            await limiter.acquire()
        time.now += 100  # idle a long time
        for _ in range(3):
            await limiter.acquire()
        assert time.sleeps == []
        await limiter.acquire()
        assert time.sleeps == [pytest.approx(1.0)]

    asyncio.run(go())


def test_cost_takes_several_tokens() -> None:
    limiter, time = bucket(rate=10, burst=10)

    async def go() -> None:
        await limiter.acquire(cost=10)
        await limiter.acquire(cost=5)
        assert time.now - 1000 == pytest.approx(0.5)

    asyncio.run(go())


def test_pause_and_drain() -> None:
    limiter, time = bucket(rate=1, burst=5)

    async def go() -> None:
        limiter.pause(4)  # holds everything for 4 s, then one request at once
        await limiter.acquire()
        assert time.now - 1000 == pytest.approx(4.0)
        await limiter.acquire()  # nothing accrued during the pause: the next waits 1/rate
        assert time.now - 1000 == pytest.approx(5.0)
        # The server says we used 10 more than we thought: 0 - 10 = -10 tokens, so the next
        # request waits 11 s.
        start = time.now
        limiter.drain(10)
        await limiter.acquire()
        assert time.now - start == pytest.approx(11.0)

    asyncio.run(go())


def test_concurrent_waiters_are_served_in_arrival_order() -> None:
    limiter, time = bucket(rate=1, burst=1)
    order: list[int] = []

    async def worker(n: int) -> None:
        await limiter.acquire()
        order.append(n)

    async def go() -> None:
        tasks = [asyncio.create_task(worker(n)) for n in range(6)]
        await asyncio.gather(*tasks)

    asyncio.run(go())
    assert order == list(range(6))
    assert time.now - 1000 == pytest.approx(5.0)


def test_invalid_buckets_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0, 5)
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(1, -1)


def test_composite_asks_every_limiter_and_forwards_observations() -> None:
    first, time = bucket(rate=1, burst=1)
    second = TokenBucket(0.5, 1, clock=time.clock, sleep=time.sleep)
    seen: list[int] = []

    class Spy(NoLimiter):
        def observe(self, view: ResponseView) -> None:
            seen.append(view.status)

    composite = CompositeLimiter(first, second, Spy())

    async def go() -> None:
        await composite.acquire()
        await composite.acquire()  # the slower of the two decides
        assert time.now - 1000 == pytest.approx(2.0)

    asyncio.run(go())
    composite.observe(ResponseView(status=429))
    assert seen == [429]
