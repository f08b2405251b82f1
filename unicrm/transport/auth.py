"""OAuth refresh done once: a single-flight :class:`TokenRefresher` and an httpx auth flow.

Refresh tokens may be single-use (amoCRM rotates them on every refresh), so two refreshes of
the same pair are a bug that logs the integration out. :meth:`TokenRefresher.refresh` therefore

* serialises refreshes in the process (an asyncio lock) and returns the newer pair to every
  caller that arrives with a stale one, without calling the vendor again;
* across processes, holds the token store's file lock (when it has one) and re-reads the store
  first, skipping the call when another process already rotated the pair;
* saves the new pair to the store *before* anyone uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator

import httpx

from unicrm.errors import AuthError
from unicrm.transport.tokens import TokenPair, TokenStore

RefreshCall = Callable[[TokenPair], Awaitable[TokenPair]]


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
        self._lock: asyncio.Lock | None = None
        self.refresh_count = 0

    async def current(self) -> TokenPair:
        """The pair to use now (refreshed first if it is known to be expired)."""
        pair = self._current or self.store.load()
        if pair is None:
            raise AuthError("no access token: the token store is empty")
        self._current = pair
        expiring = pair.expires_at is not None and self._clock() >= pair.expires_at - self._leeway
        if expiring and pair.refresh_token is not None:
            return await self.refresh(pair)
        return pair

    @contextlib.asynccontextmanager
    async def _cross_process(self) -> AsyncIterator[None]:
        lock = getattr(self.store, "async_lock", None)
        if lock is None:
            yield
            return
        async with lock():
            yield

    async def refresh(self, stale: TokenPair) -> TokenPair:
        """A pair newer than ``stale``: someone else's fresh one, or one obtained now."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            current = self._current or self.store.load()
            if current is not None and current.access_token != stale.access_token:
                self._current = current
                return current
            async with self._cross_process():
                stored = self.store.load()
                if stored is not None and stored.access_token != stale.access_token:
                    self._current = stored
                    return stored
                if stale.refresh_token is None:
                    raise AuthError("the access token expired and there is no refresh token")
                fresh = await self._refresh(stored or stale)
                self.store.save(fresh)
                self._current = fresh
                self.refresh_count += 1
                return fresh


def _is_unauthorized(response: httpx.Response) -> bool:
    return response.status_code == 401


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer`` from a refresher; on a 401 refreshes once and replays once.

    ``needs_refresh`` decides which responses mean "token expired" (default: any 401).
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
        request.headers["Authorization"] = f"Bearer {pair.access_token.reveal()}"
        response = yield request
        if self._needs_refresh(response) and pair.refresh_token is not None:
            # httpx closes the refused response itself; its body is never read, so a hostile
            # 401 cannot make us hold an unbounded body (see unicrm.transport.bodies)
            fresh = await self.refresher.refresh(pair)
            request.headers["Authorization"] = f"Bearer {fresh.access_token.reveal()}"
            yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("unicrm runs on one async engine: use an httpx.AsyncClient")
        yield request  # pragma: no cover - makes this a generator

    def __repr__(self) -> str:
        return "BearerAuth(***)"


__all__ = ["BearerAuth", "RefreshCall", "TokenRefresher"]
