"""The PostgreSQL token store: atomic saves, a refresh lock that holds across processes and dies
with its holder, and the acceptance: 20 processes through 5 token expiries of the amoCRM
emulator (single-use refresh tokens, over real HTTP) cause exactly 5 refreshes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from unicrm.emulation import EmulatorRequest, EmulatorResponse, ManualClock, ServerThread
from unicrm.errors import AuthError
from unicrm.transport import FileTokenStore, TokenPair
from unicrm.transport.tokens_postgres import PostgresTokenStore, open_token_store

emulator_module = pytest.importorskip("unicrm_amocrm.emulator")

PAIR = TokenPair("access-0-secret-aaaa", "refresh-0-secret-aaaa", expires_at=1000.0)
WORKERS, EXPIRIES, DAY = 20, 5, 86_400


def test_round_trip_generations_and_names(pg_schema_url: str) -> None:
    store = PostgresTokenStore(pg_schema_url, "acct-1")
    other = PostgresTokenStore(pg_schema_url + "&token=acct-2")
    assert store.load() is None and store.generation() == 0
    store.save(PAIR)
    loaded = store.load()
    assert loaded == PAIR and loaded is not None and loaded.expires_at == 1000.0
    store.save(TokenPair("access-1-secret-bbbb", "refresh-1-secret-bbbb", extra={"k": "v"}))
    loaded = PostgresTokenStore(pg_schema_url, "acct-1").load()  # another connection sees it
    assert loaded is not None and loaded.access_token.reveal() == "access-1-secret-bbbb"
    assert dict(loaded.extra) == {"k": "v"}
    assert store.generation() == 2
    assert other.name == "acct-2" and other.load() is None
    assert "secret" not in repr(store) and "acct-1" in repr(store)
    store.close()
    other.close()


def test_open_token_store_picks_the_backend(pg_schema_url: str, tmp_path: Path) -> None:
    assert isinstance(open_token_store(tmp_path / "t.json"), FileTokenStore)
    store = open_token_store(pg_schema_url, "x")
    assert isinstance(store, PostgresTokenStore) and store.name == "x"
    store.close()


def test_the_lock_excludes_other_holders(pg_schema_url: str) -> None:
    first = PostgresTokenStore(pg_schema_url, "shared")
    second = PostgresTokenStore(pg_schema_url, "shared")
    unrelated = PostgresTokenStore(pg_schema_url, "another-account")
    order: list[str] = []

    async def hold_then_release() -> None:
        async with first.async_lock():
            order.append("first in")
            await asyncio.sleep(0.4)
            order.append("first out")

    async def wait_for_it() -> None:
        await asyncio.sleep(0.1)
        async with unrelated.async_lock():  # a different pair is not held up
            order.append("unrelated in")
        async with second.async_lock():
            order.append("second in")

    async def main() -> None:
        await asyncio.gather(hold_then_release(), wait_for_it())

    asyncio.run(main())
    assert order == ["first in", "unrelated in", "first out", "second in"]
    with second.lock():  # the blocking flavour takes the same lock
        blocked = PostgresTokenStore(pg_schema_url, "shared", lock_timeout=0.2)
        started = time.monotonic()
        with pytest.raises(AuthError, match="stayed taken"), blocked.lock():
            pass
        assert time.monotonic() - started < 5
    for store in (first, second, unrelated, blocked):
        store.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from unicrm.transport.tokens_postgres import PostgresTokenStore
    store = PostgresTokenStore(sys.argv[1], "shared")
    with store.lock():
        print("holding", flush=True)
        time.sleep(60)
    """
)


def test_a_killed_holder_releases_the_lock(pg_schema_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, pg_schema_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        waiter = PostgresTokenStore(pg_schema_url, "shared", lock_timeout=0.3)
        with pytest.raises(AuthError), waiter.lock():
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        started = time.monotonic()
        waiter.lock_timeout = 10
        with waiter.lock():
            waited = time.monotonic() - started
        assert waited < 5  # released with the session, not after a timeout
        waiter.close()
    finally:
        holder.kill()
        holder.wait()


# --- acceptance: 20 processes x 5 expiries ---------------------------------------------------


class CountingEmulator:
    """The amoCRM emulator, counting refresh grants (and refusals) at its token endpoint."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.latency = 0.02  # every answer takes 20 ms: the workers' refreshes overlap
        self.refreshes = 0
        self.refused = 0
        self._lock = threading.Lock()

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        response: EmulatorResponse = self.inner.handle(request)  # type: ignore[attr-defined]
        if request.path == "/oauth2/access_token":
            grant = json.loads(request.body or b"{}").get("grant_type")
            if grant == "refresh_token":
                with self._lock:
                    self.refreshes += 1
                    self.refused += response.status != 200
        return response


WORKER = textwrap.dedent(
    """
    import asyncio, hashlib, sys
    import unicrm
    from unicrm.transport.tokens_postgres import PostgresTokenStore

    state_url, base_url, client_id, client_secret = sys.argv[1:5]

    async def main():
        store = PostgresTokenStore(state_url, "amocrm-test")
        crm = unicrm.connect_async(
            base_url.replace("http://", "amocrm+http://"),
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri="https://app.example/cb",
            token_store=store,
            rate=10_000,
        )
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() != "go":
                break
            await crm.raw("GET /api/v4/account")
            token = store.load().access_token.reveal()
            print("ok", hashlib.sha256(token.encode()).hexdigest()[:16], flush=True)
        await crm.aclose()

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_twenty_processes_five_expiries_exactly_five_refreshes(pg_schema_url: str) -> None:
    clock = ManualClock()
    amocrm = emulator_module.AmoCRMEmulator(clock=clock, limits="off")
    client_id, client_secret, code = amocrm.register_integration("https://app.example/cb")
    counting = CountingEmulator(amocrm)
    store = PostgresTokenStore(pg_schema_url, "amocrm-test")
    with ServerThread(counting) as server:  # type: ignore[arg-type]
        first = asyncio.run(
            _oauth_app(server.base_url, client_id, client_secret).exchange_code(code)
        )
        store.save(first)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    pg_schema_url,
                    server.base_url,
                    client_id,
                    client_secret,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(WORKERS)
        ]
        watchdog = threading.Timer(240, lambda: [w.kill() for w in workers])
        watchdog.start()
        try:
            for worker in workers:
                assert _line(worker) == "ready"
            tokens_per_round = []
            started = time.monotonic()
            for expiry in range(EXPIRIES + 1):
                if expiry:  # round 0 uses the first pair; each later round follows an expiry
                    clock.advance(DAY + 1)
                for worker in workers:
                    assert worker.stdin is not None
                    worker.stdin.write("go\n")
                    worker.stdin.flush()
                answers = {_line(worker) for worker in workers}
                assert len(answers) == 1, answers  # every process ends up on the one new pair
                tokens_per_round.append(answers.pop())
            elapsed = time.monotonic() - started
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.close()
                worker.wait(timeout=30)
                assert worker.returncode == 0, worker.stderr.read() if worker.stderr else ""
        finally:
            watchdog.cancel()
            for worker in workers:
                worker.kill()
                worker.wait()
    assert counting.refreshes == EXPIRIES, (counting.refreshes, counting.refused)
    assert counting.refused == 0
    assert len(set(tokens_per_round)) == EXPIRIES + 1  # a new pair after each expiry
    assert store.generation() == 1 + EXPIRIES  # the first pair, then one save per refresh
    print(
        f"\n{WORKERS} processes x {EXPIRIES} expiries: {counting.refreshes} refreshes, "
        f"{elapsed:.2f} s for the {EXPIRIES + 1} rounds"
    )
    store.close()


def _oauth_app(base_url: str, client_id: str, client_secret: str):  # type: ignore[no-untyped-def]
    from unicrm.transport import Secret
    from unicrm_amocrm.auth import OAuthApp

    return OAuthApp(base_url, client_id, Secret(client_secret), "https://app.example/cb")


def _line(worker: subprocess.Popen[str]) -> str:
    assert worker.stdout is not None
    line = worker.stdout.readline().strip()
    if not line:
        worker.wait(timeout=10)
        raise AssertionError(f"worker exited: {worker.stderr.read() if worker.stderr else ''}")
    return line.split(" ", 1)[-1] if line.startswith("ok ") else line
