"""Shared rate budgets: token-bucket arithmetic (sans-I/O) and the store limiters consult.

A vendor limit is a :class:`BucketRule` (``burst`` units refilled at ``rate`` per second) on a
key such as ``"bitrix24:acme.bitrix24.ru"``. The arithmetic is pure functions of a
:class:`BucketState` and a time (:func:`take`, :func:`charge`, :func:`pause`); a
:class:`BudgetStore` keeps the states and applies one of those steps atomically per key: in
this process (:class:`MemoryBudgetStore`) or for every process and machine
(:class:`~unicrm.state.budget_postgres.PostgresBudgetStore`, on the database's clock).

The vendors' rules map onto it as (see ``docs/scale.md``):

* Bitrix24 leaky bucket per portal: ``BucketRule(rate=2, burst=50)`` (enterprise 5, 250),
  one unit per request (a batch is one request);
* Bitrix24 operating time per method (10-minute window): a request first takes ``cost=0``,
  which waits only while the key is paused; a response whose ``time.operating`` (the method's
  accumulated seconds, counted by the portal for every worker) nears the limit pauses the key
  until its ``operating_reset_at``;
* amoCRM: ``BucketRule(rate=7, burst=7)`` per integration and ``BucketRule(50, 50)`` per
  account, both taken for each request;
* a refusal (503 ``QUERY_LIMIT_EXCEEDED``, 429) is :meth:`BudgetStore.pause`: nobody sends for
  the given seconds, then one request, then the rate.

``take`` never reserves: it grants now or says how long to wait, so a Celery task can re-queue
itself with that countdown instead of holding a slot (or a worker) while it sleeps.
"""

from __future__ import annotations

import abc
import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

import attrs

from unicrm.transport.classify import ResponseView


@attrs.frozen
class BucketRule:
    """``burst`` units, refilled at ``rate`` per second."""

    rate: float
    burst: float

    def __attrs_post_init__(self) -> None:
        if self.rate <= 0 or self.burst <= 0:
            raise ValueError("a bucket needs a positive rate and burst")


@attrs.frozen
class BucketState:
    """Units available at ``stamp`` (may be negative: a debt), and no sending before
    ``paused_until``. Times are seconds on the store's clock."""

    tokens: float
    stamp: float
    paused_until: float = 0.0

    @classmethod
    def full(cls, rule: BucketRule, now: float) -> BucketState:
        return cls(rule.burst, now)


@attrs.frozen
class Outcome:
    """What a step decided: ``wait`` seconds before asking again (0: granted now) at ``at``,
    the store's clock when it decided."""

    wait: float
    at: float


Step = Callable[[BucketState, BucketRule, float], tuple[BucketState, float]]
"""A pure step: (state, rule, now) -> (new state, wait)."""


def refill(state: BucketState, rule: BucketRule, now: float) -> BucketState:
    """``state`` brought to ``now``; nothing accrues before ``stamp`` (a pause moves it ahead)."""
    if now <= state.stamp:
        return state
    tokens = min(rule.burst, state.tokens + (now - state.stamp) * rule.rate)
    return attrs.evolve(state, tokens=tokens, stamp=now)


def take(cost: float) -> Step:
    """Take ``cost`` units if they are there (wait 0), else take nothing and say how long."""
    if cost < 0:
        raise ValueError("a cost cannot be negative")

    def step(state: BucketState, rule: BucketRule, now: float) -> tuple[BucketState, float]:
        if cost > rule.burst:
            raise ValueError(f"a cost of {cost} can never fit a bucket of {rule.burst}")
        state = refill(state, rule, now)
        if now < state.paused_until:
            return state, state.paused_until - now
        if state.tokens >= cost:
            return attrs.evolve(state, tokens=state.tokens - cost), 0.0
        return state, (cost - state.tokens) / rule.rate

    return step


def charge(amount: float) -> Step:
    """Take ``amount`` units without waiting (the vendor says more was used than planned, e.g.
    a response's cost in units; may leave a debt that later takes wait out)."""

    def step(state: BucketState, rule: BucketRule, now: float) -> tuple[BucketState, float]:
        state = refill(state, rule, now)
        return attrs.evolve(state, tokens=state.tokens - amount), 0.0

    return step


def pause(seconds: float) -> Step:
    """Send nothing for ``seconds``, then one request at once and the rest at the rate."""

    def step(state: BucketState, rule: BucketRule, now: float) -> tuple[BucketState, float]:
        state = refill(state, rule, now)
        until = max(state.paused_until, now + seconds)
        return BucketState(min(state.tokens, 1.0), max(state.stamp, until), until), 0.0

    return step


class BudgetStore(abc.ABC):
    """Bucket states by key; :meth:`apply` runs one step atomically for its key."""

    @abc.abstractmethod
    def apply(self, key: str, rule: BucketRule, step: Step) -> Outcome:
        """Run ``step`` on the state of ``key`` (a full bucket if new) and keep the result."""

    def take(self, key: str, rule: BucketRule, cost: float = 1.0) -> float:
        """0 if ``cost`` units were taken now, else the seconds to wait before asking again."""
        return self.apply(key, rule, take(cost)).wait

    def charge(self, key: str, rule: BucketRule, amount: float) -> None:
        """Take ``amount`` units after the fact (reported usage); may leave a debt."""
        self.apply(key, rule, charge(amount))

    def pause(self, key: str, rule: BucketRule, seconds: float) -> None:
        """Nobody sharing ``key`` sends for ``seconds`` (after a vendor refusal)."""
        self.apply(key, rule, pause(seconds))


class MemoryBudgetStore(BudgetStore):
    """Budgets of this process only (one machine, one process; tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._states: dict[str, BucketState] = {}
        self._lock = threading.Lock()

    def apply(self, key: str, rule: BucketRule, step: Step) -> Outcome:
        with self._lock:
            now = self._clock()
            state = self._states.get(key) or BucketState.full(rule, now)
            self._states[key], wait = step(state, rule, now)
            return Outcome(wait, now)


class SharedBucket:
    """A transport :class:`~unicrm.transport.Limiter` over one key of a budget store: what a
    vendor limiter composes when its budget must be shared by processes (``acquire`` waits
    here; a Celery task would rather call :meth:`BudgetStore.take` and re-queue itself)."""

    def __init__(
        self,
        store: BudgetStore,
        key: str,
        rule: BucketRule,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.key = key
        self.rule = rule
        self._sleep = sleep

    async def acquire(self, cost: int = 1) -> None:
        while True:
            wait = await asyncio.to_thread(self.store.take, self.key, self.rule, cost)
            if wait <= 0:
                return
            await self._sleep(max(wait, 0.001))

    def observe(self, view: ResponseView) -> None:
        return None  # vendor limiters read their signals and call charge()/pause()


__all__ = [
    "BucketRule",
    "BucketState",
    "BudgetStore",
    "MemoryBudgetStore",
    "Outcome",
    "SharedBucket",
    "Step",
    "charge",
    "pause",
    "refill",
    "take",
]
