"""OAuth refresh done once: a single-flight :class:`TokenRefresher` and an httpx auth flow.

Refresh tokens may be single-use (amoCRM rotates them on every refresh), so two refreshes of
the same pair are a bug that logs the integration out. :meth:`TokenRefresher.refresh`
therefore

* returns at once a pair this refresher already holds that is newer than the refused one;
* otherwise holds the store's lock (``async_lock()``, shared by every connection, thread, loop
  and — for a file store — process using that store; a process-wide lock for stores without
  one), re-reads the store, and uses the pair found there when someone else rotated it;
* only then calls the vendor, and saves the new pair to the store *before* anyone uses it.

The vendor call and the save run to completion even when the caller is cancelled (its deadline
ran out): a rotated pair that was issued but not stored would be lost for good.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, TypeVar

import httpx

from unicrm.errors import AuthError
from unicrm.transport.tokens import TokenPair, TokenStore, store_lock

RefreshCall = Callable[[TokenPair], Awaitable[TokenPair]]
T = TypeVar("T")
#: How many times one request may be refused, refreshed and replayed: more than once, because
#: the pair another connection rotated may itself have expired by the time it is tried.
MAX_REPLAYS = 3


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark the outcome of a refresh as seen (its caller may have gone: no asyncio warning)."""
    if not task.cancelled():
        task.exception()


async def _to_completion(step: Awaitable[T]) -> T:
    """Await ``step`` in its own task that a cancelled caller does not abandon."""
    task = asyncio.ensure_future(step)
    task.add_done_callback(_retrieve)
    return await asyncio.shield(task)


#: id(store) -> the code exchange filling it, so calls made meanwhile on that loop wait for it
_first_pairs: dict[int, asyncio.Future[None]] = {}


async def ensure_first_pair(store: TokenStore, obtain: Callable[[], Awaitable[TokenPair]]) -> None:
    """Fill an empty ``store`` with ``obtain()`` (an authorization-code exchange), once.

    Runs under the store's lock and re-checks the store there, so connections sharing a store
    exchange a (single-use) code once; runs to completion even if the caller is cancelled, so
    an issued pair is always saved. :meth:`TokenRefresher.current` waits for it.
    """

    async def fill() -> None:
        async with store_lock(store):
            if store.load() is None:
                store.save(await obtain())

    if store.load() is not None:
        return
    key = id(store)
    task = _first_pairs.get(key)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = _first_pairs[key] = asyncio.ensure_future(fill())
        task.add_done_callback(_retrieve)
        task.add_done_callback(lambda done: _first_pairs.pop(key, None))
    await asyncio.shield(task)


async def _first_pair_of(store: TokenStore) -> TokenPair | None:
    """The store's pair, waiting for a code exchange under way (in this loop or elsewhere)."""
    pending = _first_pairs.get(id(store))
    if pending is not None and pending.get_loop() is asyncio.get_running_loop():
        await asyncio.shield(pending)
    async with store_lock(store):
        return store.load()


class TokenRefresher:
    """Hands out the current token pair and refreshes it exactly once per expiry."""

    def __init__(
        self,
        store: TokenStore,
        refresh: RefreshCall,
        *,
        clock: Callable[[], float] = time.time,
        leeway: float = 30.0,
    ) -> None:
        self.store = store
        self._refresh = refresh
        self._clock = clock
        self._leeway = leeway
        self._current: TokenPair | None = None
        self.refresh_count = 0

    async def current(self) -> TokenPair:
        """The pair to use now (refreshed first if it is known to be expired).

        An empty store is read again under its lock, so a call made while another one is
        exchanging the first authorization code waits for that pair instead of failing.
        """
        pair = self._current or self.store.load() or await _first_pair_of(self.store)
        if pair is None:
            raise AuthError("no access token: the token store is empty")
        self._current = pair
        expiring = pair.expires_at is not None and self._clock() >= pair.expires_at - self._leeway
        if expiring and pair.refresh_token is not None:
            return await self.refresh(pair)
        return pair

    async def refresh(self, stale: TokenPair) -> TokenPair:
        """A pair newer than ``stale``: someone else's fresh one, or one obtained now."""
        held = self._current
        if held is not None and held.access_token != stale.access_token:
            return held
        # a cancelled caller must not abandon a rotation half-way (see the docstring)
        return await _to_completion(self._refresh_once(stale))

    async def _refresh_once(self, stale: TokenPair) -> TokenPair:
        async with store_lock(self.store):
            stored = self.store.load()
            if stored is not None and stored.access_token != stale.access_token:
                self._current = stored
                return stored
            base = stored or stale
            if base.refresh_token is None:
                raise AuthError("the access token expired and there is no refresh token")
            fresh = await self._refresh(base)
            self.store.save(fresh)
            self._current = fresh
            self.refresh_count += 1
            return fresh


def _is_unauthorized(response: httpx.Response) -> bool:
    return response.status_code == 401


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer`` from a refresher; on a 401 refreshes and replays.

    ``needs_refresh`` decides which responses mean "token expired" (default: any 401). A
    request is replayed at most :data:`MAX_REPLAYS` times, each time with a pair different
    from the one just refused (so a vendor that refuses a brand-new pair ends it).
    """

    requires_request_body = True

    def __init__(
        self,
        refresher: TokenRefresher,
        needs_refresh: Callable[[httpx.Response], bool] = _is_unauthorized,
    ) -> None:
        self.refresher = refresher
        self._needs_refresh = needs_refresh

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        pair = await self.refresher.current()
        replays = 0
        while True:
            request.headers["Authorization"] = f"Bearer {pair.access_token.reveal()}"
            response = yield request
            if (
                not self._needs_refresh(response)
                or pair.refresh_token is None
                or replays >= MAX_REPLAYS
            ):
                return
            # httpx closes the refused response itself; its body is never read, so a hostile
            # 401 cannot make us hold an unbounded body (see unicrm.transport.bodies)
            fresh = await self.refresher.refresh(pair)
            if fresh == pair:
                return
            pair, replays = fresh, replays + 1

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("unicrm runs on one async engine: use an httpx.AsyncClient")
        yield request  # pragma: no cover - makes this a generator

    def __repr__(self) -> str:
        return "BearerAuth(***)"


__all__ = ["MAX_REPLAYS", "BearerAuth", "RefreshCall", "TokenRefresher", "ensure_first_pair"]
