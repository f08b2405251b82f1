"""OAuth under concurrency: 20 threads share one connection across 5 token expiries.

The emulator's clock is moved past the access token's lifetime five times while the threads
keep calling; every refresh token is single-use on amoCRM, so a double refresh would make later
calls fail. Refreshes are counted at the token endpoint, in the transport.
"""

from __future__ import annotations

import json
import threading

import httpx
import pytest

import unicrm
from unicrm.emulation import EmulatorTransport, ManualClock
from unicrm.transport import MemoryTokenStore

emulator_module = pytest.importorskip("unicrm_amocrm.emulator")

THREADS, CALLS, EXPIRIES = 20, 1000, 5
DAY = 86_400


class CountingTransport(EmulatorTransport):
    """Counts refresh grants on their way to the emulator."""

    def __init__(self, emulator) -> None:
        super().__init__(emulator)
        self.refreshes = 0
        self._lock = threading.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/access_token":
            grant = json.loads(await request.aread() or b"{}").get("grant_type")
            if grant == "refresh_token":
                with self._lock:
                    self.refreshes += 1
        return await super().handle_async_request(request)


def test_one_refresh_per_expiry_under_concurrency() -> None:
    clock = ManualClock()
    emulator = emulator_module.AmoCRMEmulator(clock=clock, limits="off")
    emulator.seed(10)
    client_id, client_secret, code = emulator.register_integration(
        redirect_uri="https://app.example/cb"
    )
    transport = CountingTransport(emulator)
    crm = unicrm.connect(
        "amocrm://example.amocrm.ru",
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri="https://app.example/cb",
        code=code,
        token_store=MemoryTokenStore(),
        transport=transport,
        rate=10_000,
    )
    failures: list[BaseException] = []
    done = 0
    lock = threading.Lock()
    step = CALLS // (EXPIRIES + 1)

    def worker() -> None:
        nonlocal done
        while True:
            with lock:
                if done >= CALLS:
                    return
                done += 1
                if done % step == 0 and done // step <= EXPIRIES:
                    clock.advance(DAY + 1)
            try:
                crm.raw("GET /api/v4/account")
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    crm.close()
    assert failures == []
    assert transport.refreshes == EXPIRIES
