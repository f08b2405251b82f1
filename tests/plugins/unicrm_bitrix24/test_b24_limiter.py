"""The proactive limiter (``unicrm_bitrix24.limiter``): computed waits on a clock the test
moves, then end to end against the emulator's own limits on a manual clock.

No wall-clock timing: the bucket reads an injected clock and the limiter's ``sleep`` moves that
clock, so every assertion is on a computed wait or on what the emulator answered. The vendor's
numbers (50 requests, draining 2/s, a batch counts once; operating time per method with
``operating_reset_at``) come from the notes §3, not from the limiter.
"""

from __future__ import annotations

import asyncio
import itertools
import selectors
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm.emulation import ManualClock
from unicrm.errors import RateLimited
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.limits import LeakyBucket as ServerBucket
from unicrm_bitrix24.limiter import (
    HEADROOM,
    OPERATING_LIMIT,
    Bitrix24Limiter,
    LeakyBucket,
    NoLimits,
    OperatingBudget,
    limiter_for,
)

from .conftest import adapter_crm

START = 1_750_000_000.0


class FakeTime:
    """A clock and an async sleep that moves it (and logs every wait asked for); for one
    caller at a time (concurrent callers run on :class:`VirtualTimeLoop` instead)."""

    def __init__(self, clock: ManualClock | None = None) -> None:
        self.clock = clock or ManualClock(START)
        self.waits: list[float] = []

    def now(self) -> float:
        return self.clock.now()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class _VirtualSelector(selectors.SelectSelector):
    """Never blocks: where the loop would wait for its next timer, the clock jumps there."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("virtual time: every task waits for I/O that never comes")
        self.clock.advance(max(timeout, 1e-6))  # a float near 1.7e9 moves in 2.4e-7 steps
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose time is a :class:`ManualClock` (the emulator's too): every task runs
    until all of them sleep, then time jumps to the earliest wake-up. Concurrent callers of the
    limiter and the retry backoff see exactly the times they would see in real time, at once."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.origin = clock.now()  # loop time counts from here: small floats, fine steps
        super().__init__(_VirtualSelector(clock))

    def time(self) -> float:
        return self.clock.now() - self.origin


def run_virtual(clock: ManualClock, coro: Any) -> Any:
    loop = VirtualTimeLoop(clock)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@attrs.frozen
class View:
    """What ``MethodLimiter.observe`` reads from a response (status and parsed body)."""

    status: int
    json: Any


def _limiter(fake: FakeTime, *, headroom: float = 0.0, limit: float = 480.0) -> Bitrix24Limiter:
    return Bitrix24Limiter(
        LeakyBucket(50.0, 2.0, headroom=headroom, clock=fake.now),
        OperatingBudget(limit, wall=fake.now),
        sleep=fake.sleep,
    )


# --- the bucket's arithmetic -----------------------------------------------------------------


def test_fifty_immediate_then_the_51st_waits_half_a_second() -> None:
    fake = FakeTime()
    bucket = LeakyBucket(50.0, 2.0, headroom=0.0, clock=fake.now)
    waits = [bucket.reserve() for _ in range(52)]
    assert waits[:50] == [0.0] * 50
    assert waits[50] == pytest.approx(0.5)
    assert waits[51] == pytest.approx(1.0)


def test_default_headroom_keeps_half_a_request_free() -> None:
    fake = FakeTime()
    bucket = LeakyBucket(50.0, 2.0, clock=fake.now)
    waits = [bucket.reserve() for _ in range(51)]
    assert waits[:49] == [0.0] * 49
    assert waits[49] == pytest.approx(0.25)  # the 50th waits until half a request has drained
    assert waits[50] == pytest.approx(0.75)


def test_idle_time_drains_the_bucket() -> None:
    fake = FakeTime()
    bucket = LeakyBucket(50.0, 2.0, headroom=0.0, clock=fake.now)
    for _ in range(50):
        bucket.reserve()
    fake.clock.advance(10.0)  # 20 requests drain away
    assert bucket.level == pytest.approx(30.0)
    assert [bucket.reserve() for _ in range(20)] == [0.0] * 20
    assert bucket.reserve() == pytest.approx(0.5)
    fake.clock.advance(1_000.0)
    assert bucket.level == 0.0  # never below empty
    assert bucket.reserve() == 0.0


def test_a_caller_that_waits_as_told_sends_two_per_second() -> None:
    fake = FakeTime()
    bucket = LeakyBucket(50.0, 2.0, headroom=0.0, clock=fake.now)
    sent = []
    for _ in range(70):
        fake.clock.advance(bucket.reserve())
        sent.append(fake.now())
    gaps = [b - a for a, b in itertools.pairwise(sent[50:])]
    assert sent[49] == START
    assert gaps == pytest.approx([0.5] * len(gaps))


def test_a_batch_costs_one_and_a_refusal_fills_the_bucket() -> None:
    fake = FakeTime()
    bucket = LeakyBucket(50.0, 2.0, headroom=2.0, clock=fake.now)
    assert bucket.reserve() == 0.0  # one batch of 50 commands: one unit
    assert bucket.level == pytest.approx(1.0)
    bucket.fill()  # the server said 503: its bucket is full
    assert bucket.level == pytest.approx(50.0)
    assert bucket.reserve() == pytest.approx((51.0 - 48.0) / 2.0)


@pytest.mark.parametrize(("capacity", "drain"), [(2.0, 2.0), (1.0, 2.0), (50.0, 0.0)])
def test_a_bucket_that_could_never_send_is_refused(capacity: float, drain: float) -> None:
    with pytest.raises(ValueError, match="leaky bucket"):
        LeakyBucket(capacity, drain, headroom=2.0)


@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=300),
    headroom=st.sampled_from([0.0, 2.0]),
)
def test_waiting_as_told_never_overflows_the_servers_bucket(
    gaps: list[float], headroom: float
) -> None:
    """Any arrival pattern, each request sent after its computed wait: the emulator's own
    bucket (written from the notes) accepts every one."""
    fake = FakeTime()
    mine = LeakyBucket(50.0, 2.0, headroom=headroom, clock=fake.now)
    server = ServerBucket(50.0, 2.0)
    for gap in gaps:
        fake.clock.advance(gap)
        fake.clock.advance(mine.reserve())
        # the server sees the request a hair later than we sent it (float rounding aside)
        assert server.hit(fake.now() + 1e-9)


# --- the operating-time budget ---------------------------------------------------------------


def test_operating_time_near_the_limit_holds_that_method_until_reset() -> None:
    fake = FakeTime()
    budget = OperatingBudget(480.0, wall=fake.now)
    reset_at = START + 130
    budget.record("crm.lead.list", {"operating": 400.0, "operating_reset_at": reset_at})
    assert budget.wait_for("crm.lead.list") == 0.0  # 400 < 90 % of 480
    budget.record("crm.lead.list", {"operating": 440.0, "operating_reset_at": reset_at})
    assert budget.wait_for("crm.lead.list") == pytest.approx(130.0)
    assert budget.wait_for("CRM.LEAD.LIST") == pytest.approx(130.0)
    assert budget.wait_for("crm.contact.list") == 0.0  # other methods keep working
    fake.clock.advance(100.0)
    assert budget.wait_for("crm.lead.list") == pytest.approx(30.0)
    fake.clock.set(reset_at)
    assert budget.wait_for("crm.lead.list") == 0.0


def test_a_429_blocks_until_its_reset_or_a_minute() -> None:
    fake = FakeTime()
    budget = OperatingBudget(wall=fake.now)
    budget.record("crm.lead.add", None, refused=True)
    assert budget.wait_for("crm.lead.add") == pytest.approx(60.0)
    budget.record("crm.lead.get", {"operating_reset_at": START + 300}, refused=True)
    assert budget.wait_for("crm.lead.get") == pytest.approx(300.0)


@pytest.mark.parametrize(
    "timing",
    [None, [], "x", {"operating": "lots", "operating_reset_at": 1}, {"operating": None}, {}],
)
def test_missing_or_odd_time_blocks_are_ignored(timing: Any) -> None:
    fake = FakeTime()
    budget = OperatingBudget(wall=fake.now)
    budget.record("crm.lead.list", timing)
    assert budget.wait_for("crm.lead.list") == 0.0


def test_limits_off_never_hold_anything() -> None:
    off = NoLimits()
    assert [off.bucket.reserve() for _ in range(10_000)] == [0.0] * 10_000
    off.budget.record("crm.lead.list", {"operating": 10_000, "operating_reset_at": 4e9})
    off.budget.record("crm.lead.list", None, refused=True)
    assert off.budget.wait_for("crm.lead.list") == 0.0


def test_limiters_are_shared_per_portal_and_plan() -> None:
    first = limiter_for("shared-test.example", "standard")
    assert limiter_for("shared-test.example", "standard") is first
    assert limiter_for("other-test.example", "standard") is not first
    enterprise = limiter_for("shared-test.example", "enterprise")
    assert enterprise is not first and enterprise.bucket.capacity == 250.0
    assert (first.bucket.capacity, first.bucket.drain) == (50.0, 2.0)
    assert first.budget.limit == OPERATING_LIMIT
    assert isinstance(limiter_for("shared-test.example", "off"), NoLimits)


# --- acquire / observe, as the transport drives them -----------------------------------------


def test_acquire_sleeps_for_the_bucket_and_the_method_budget() -> None:
    fake = FakeTime()
    limiter = _limiter(fake)

    async def go() -> None:
        lead_list = limiter.for_method("crm.lead.list")
        for _ in range(51):
            await lead_list.acquire()
        assert fake.waits == [pytest.approx(0.5)]
        reset_at = fake.now() + 200
        lead_list.observe(
            View(200, {"result": [], "time": {"operating": 470, "operating_reset_at": reset_at}})
        )
        await limiter.for_method("crm.contact.list").acquire()  # not held by the lead budget
        await lead_list.acquire()
        assert fake.now() >= reset_at

    asyncio.run(go())
    # the contact list waited for the bucket only; the lead list for its reset (the bucket
    # drained meanwhile, so no second wait)
    assert fake.waits[1:] == [pytest.approx(0.5), pytest.approx(200.0 - 0.5)]


def test_observe_503_and_429() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, headroom=2.0)
    method = limiter.for_method("crm.lead.get")
    method.observe(View(503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "x"}))
    assert limiter.bucket.level == pytest.approx(50.0)
    method.observe(View(429, {"error": "OPERATION_TIME_LIMIT", "error_description": "x"}))
    assert limiter.budget.wait_for("crm.lead.get") == pytest.approx(60.0)
    method.observe(View(502, None))  # an HTML page: nothing learned, nothing broken
    assert limiter.budget.wait_for("crm.lead.list") == 0.0


# --- end to end: the adapter against the emulator's own limits --------------------------------


@attrs.define
class Portal:
    """An emulator with vendor limits on a manual clock, and a limiter on the same clock."""

    emulator: Bitrix24Emulator
    clock: ManualClock
    waits: list[float] = attrs.field(factory=list)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)

    def limiter(self) -> Bitrix24Limiter:
        return Bitrix24Limiter(
            LeakyBucket(50.0, 2.0, clock=self.clock.now),
            OperatingBudget(wall=self.clock.now),
            sleep=self.sleep,
        )

    def run(self, coro: Any) -> Any:
        return run_virtual(self.clock, coro)


@pytest.fixture
def portal() -> Portal:
    clock = ManualClock(START)
    emulator = Bitrix24Emulator(clock=clock, limits="vendor", webhook="1/limitercode12345")
    emulator.seed(120)
    return Portal(emulator, clock)


def test_a_burst_of_calls_never_meets_query_limit_exceeded(portal: Portal) -> None:
    crm, transport = adapter_crm(portal.emulator, limiter=portal.limiter())

    async def go() -> list[Any]:
        async with crm:
            await crm.pipelines()  # the portal schema, read once
            return await asyncio.gather(*(crm.leads.get(str(i)) for i in range(1, 121)))

    leads = portal.run(go())
    assert [lead.id for lead in leads] == [str(i) for i in range(1, 121)]
    statuses = transport.statuses()
    assert len(statuses) == 121  # the schema batch and one batch per get
    assert set(statuses) == {200}
    # time only passed because the limiter waited: 121 requests with 49.5 free take 35.75 s
    assert portal.clock.now() - START == pytest.approx((121 - (50 - HEADROOM)) / 2.0)


def test_without_the_limiter_the_same_burst_is_refused(portal: Portal) -> None:
    """The control: the emulator does refuse a burst nobody paces."""
    crm, transport = adapter_crm(portal.emulator)

    async def go() -> list[Any]:
        async with crm:
            await crm.pipelines()
            return await asyncio.gather(
                *(crm.leads.get(str(i)) for i in range(1, 121)), return_exceptions=True
            )

    outcome = portal.run(go())
    assert 503 in transport.statuses()
    assert any(isinstance(o, RateLimited) for o in outcome)


def test_a_long_paced_read_is_never_refused(portal: Portal) -> None:
    portal.emulator.seed(1_000)
    crm, transport = adapter_crm(portal.emulator, limiter=portal.limiter())

    async def go() -> list[int]:
        async with crm:
            return [len(await crm.leads.all().only("id", "title").to_list()) for _ in range(40)]

    assert portal.run(go()) == [1_120] * 40
    # one probe and one chain per export; the schema rode along with the first probe
    assert len(transport.seen) == 80
    assert set(transport.statuses()) == {200}
    assert sum(portal.waits) == pytest.approx((80 - (50 - HEADROOM)) / 2.0)


def test_operating_time_is_respected_before_the_server_refuses(portal: Portal) -> None:
    """A heavy method (100 s per call on the portal's books): the 5th call's answer says
    500 s, past 90 % of 480, so the limiter holds the 6th until ``operating_reset_at`` - the
    server never has to answer 429, and the adapter gets every answer."""
    portal.emulator.method_costs["crm.lead.fields"] = 100.0
    crm, transport = adapter_crm(portal.emulator, limiter=portal.limiter())
    resets: list[float] = []

    async def go() -> None:
        async with crm:
            for _ in range(12):
                body = await crm.raw("crm.lead.fields")
                resets.append(body["time"]["operating_reset_at"])
                await asyncio.sleep(1.0)

    portal.run(go())
    assert transport.statuses() == [200] * 12
    assert any(wait > 500 for wait in portal.waits)  # held until the oldest minute dropped out
    assert portal.clock.now() >= resets[0]


def test_operating_time_billed_inside_batches_is_respected(portal: Portal) -> None:
    """Sub-commands of a ``batch`` are billed to their own methods (notes §3.2) and each
    ``result_time`` entry carries that method's ``operating``: repeated exports of a heavy list
    method must wait for the reset instead of failing with OPERATION_TIME_LIMIT inside a batch."""
    portal.emulator.method_costs["crm.lead.list"] = 4.0
    crm, transport = adapter_crm(portal.emulator, limiter=portal.limiter())

    async def go() -> list[int]:
        async with crm:
            # each export: a probe batch and a 50-command chain, 4 s each on the portal's books
            return [len(await crm.leads.all().only("id").to_list()) for _ in range(4)]

    assert portal.run(go()) == [120] * 4
    assert set(transport.statuses()) == {200}
