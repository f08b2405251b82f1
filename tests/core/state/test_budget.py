"""Token-bucket arithmetic (pure steps) and the in-process budget store: whatever the sequence
of requests, what is granted in any window never exceeds burst + rate x window; charges make a
debt that takes wait out; a pause stops everyone and then lets one request through."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm.state.budget import (
    BucketRule,
    BucketState,
    MemoryBudgetStore,
    SharedBucket,
    charge,
    pause,
    take,
)

RULE = BucketRule(rate=2.0, burst=5.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@given(
    st.lists(
        st.tuples(st.floats(0, 2, allow_nan=False), st.sampled_from([0.0, 1.0, 2.0, 3.0])),
        min_size=1,
        max_size=80,
    ),
    st.floats(0.5, 20),
    st.floats(1, 10),
)
def test_grants_never_exceed_burst_plus_rate_times_window(
    requests: list[tuple[float, float]], rate: float, burst: float
) -> None:
    rule = BucketRule(rate, burst)
    now = 0.0
    state = BucketState.full(rule, now)
    granted: list[tuple[float, float]] = []
    for gap, cost in requests:
        now += gap
        state, wait = take(min(cost, burst))(state, rule, now)
        assert wait >= 0
        if wait == 0:
            granted.append((now, min(cost, burst)))
        else:  # asking again after the wait it named is granted (no starvation of one caller)
            _, again = take(min(cost, burst))(state, rule, now + wait + 1e-9)
            assert again < 1e-6
    for i, (start, _) in enumerate(granted):
        total = 0.0
        for end, cost in granted[i:]:
            total += cost
            assert total <= burst + rule.rate * (end - start) + 1e-9


def test_take_waits_exactly_until_the_units_are_back() -> None:
    state = BucketState.full(RULE, 0.0)
    for _ in range(5):
        state, wait = take(1)(state, RULE, 0.0)
        assert wait == 0
    state, wait = take(1)(state, RULE, 0.0)
    assert wait == pytest.approx(0.5)  # one unit at 2/s
    state, wait = take(1)(state, RULE, 0.25)
    assert wait == pytest.approx(0.25)
    state, wait = take(1)(state, RULE, 0.5)
    assert wait == 0 and state.tokens == pytest.approx(0)
    with pytest.raises(ValueError, match="never fit"):
        take(6)(state, RULE, 1.0)


def test_a_charge_makes_a_debt_that_zero_cost_takes_wait_out() -> None:
    budget = BucketRule(rate=0.8, burst=480)
    state = BucketState.full(budget, 0.0)
    state, _ = charge(500)(state, budget, 10.0)  # the vendor reported 500 units used
    assert state.tokens == pytest.approx(-20)
    state, wait = take(0)(state, budget, 10.0)
    assert wait == pytest.approx(25.0)  # a debt of 20 units at 0.8 per second
    state, wait = take(0)(state, budget, 35.0)
    assert wait == 0


def test_a_pause_stops_everyone_then_lets_one_through() -> None:
    state = BucketState.full(RULE, 0.0)
    state, _ = pause(3.0)(state, RULE, 1.0)
    state, wait = take(1)(state, RULE, 2.0)
    assert wait == pytest.approx(2.0)
    state, wait = take(1)(state, RULE, 4.0)
    assert wait == 0  # the pause's end: one request at once...
    state, wait = take(1)(state, RULE, 4.0)
    assert wait == pytest.approx(0.5)  # ...then the rate, not a burst into a refusing vendor


def test_the_memory_store_keeps_keys_apart_and_shares_a_key() -> None:
    clock = Clock()
    store = MemoryBudgetStore(clock)
    assert [store.take("portal-a", RULE) for _ in range(6)][-1] == pytest.approx(0.5)
    assert store.take("portal-b", RULE) == 0
    store.pause("portal-b", RULE, 10)
    assert store.take("portal-b", RULE) == pytest.approx(10)
    clock.now += 0.5
    assert store.take("portal-a", RULE) == 0
    store.charge("portal-a", RULE, 2)
    assert store.take("portal-a", RULE) == pytest.approx(1.5)


def test_shared_bucket_is_a_limiter_that_sleeps_what_the_store_says() -> None:
    clock = Clock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    limiter = SharedBucket(MemoryBudgetStore(clock), "portal", RULE, sleep=sleep)

    async def main() -> None:
        for _ in range(7):
            await limiter.acquire()

    asyncio.run(main())
    assert slept == [pytest.approx(0.5), pytest.approx(0.5)]
