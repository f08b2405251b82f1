"""Token stores (memory, file: atomic, private, cross-process lock) and the single-flight
refresher: 20 concurrent tasks, and several processes, cause exactly one refresh."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from unicrm.errors import AuthError, ConfigurationError
from unicrm.transport import (
    BearerAuth,
    FileTokenStore,
    MemoryTokenStore,
    TokenPair,
    TokenRefresher,
    ensure_first_pair,
    make_async_client,
)

STALE = TokenPair("access-0-aaaa", "refresh-0-aaaa", expires_at=1000.0)


def test_memory_store() -> None:
    store = MemoryTokenStore()
    assert store.load() is None
    store.save(STALE)
    assert store.load() == STALE
    assert "access" not in repr(store)


def test_file_store_round_trip_is_private_and_atomic(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "sub" / "tokens.json")
    assert store.load() is None
    store.save(STALE)
    loaded = store.load()
    assert loaded == STALE and loaded.expires_at == 1000.0  # type: ignore[union-attr]
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    store.save(TokenPair("access-1-bbbb", "refresh-1-bbbb"))
    assert json.loads(store.path.read_text())["access_token"] == "access-1-bbbb"
    # no temporary files left behind
    assert sorted(p.name for p in store.path.parent.iterdir() if not p.name.endswith(".lock")) == [
        "tokens.json"
    ]
    assert "access" not in repr(store)


def test_a_failed_save_keeps_the_old_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(STALE)

    def broken_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(TokenPair("access-new-cccc", "refresh-new-cccc"))
    monkeypatch.undo()
    assert store.load() == STALE
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tokens-")] == []


def test_an_unreadable_store_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    with pytest.raises(ConfigurationError, match="unreadable"):
        FileTokenStore(path).load()


# --- the refresher ------------------------------------------------------------------------


class Vendor:
    """A token endpoint with single-use refresh tokens."""

    def __init__(self) -> None:
        self.issued = 0
        self.used: set[str] = set()

    async def refresh(self, pair: TokenPair) -> TokenPair:
        assert pair.refresh_token is not None
        token = pair.refresh_token.reveal()
        if token in self.used:
            raise AuthError("refresh token already used")
        self.used.add(token)
        await asyncio.sleep(0.01)  # let every other task pile up behind us
        self.issued += 1
        return TokenPair(
            f"access-{self.issued}-xxxx", f"refresh-{self.issued}-xxxx", expires_at=10_000.0
        )


def test_twenty_concurrent_refreshes_call_the_vendor_once() -> None:
    vendor = Vendor()
    store = MemoryTokenStore(STALE)
    refresher = TokenRefresher(store, vendor.refresh, clock=lambda: 0.0)

    async def go() -> list[TokenPair]:
        return await asyncio.gather(*(refresher.refresh(STALE) for _ in range(20)))

    pairs = asyncio.run(go())
    assert vendor.issued == 1 and refresher.refresh_count == 1
    assert {p.access_token.reveal() for p in pairs} == {"access-1-xxxx"}
    assert store.load().access_token.reveal() == "access-1-xxxx"  # type: ignore[union-attr]


def test_current_refreshes_an_expiring_pair_once_per_expiry() -> None:
    vendor = Vendor()
    now = [0.0]
    refresher = TokenRefresher(
        MemoryTokenStore(STALE), vendor.refresh, clock=lambda: now[0], leeway=30
    )

    async def go() -> None:
        assert (await refresher.current()) == STALE  # expires at 1000: fine now
        now[0] = 980.0  # within the leeway
        pairs = await asyncio.gather(*(refresher.current() for _ in range(20)))
        assert {p.access_token.reveal() for p in pairs} == {"access-1-xxxx"}
        now[0] = 9_990.0
        await asyncio.gather(*(refresher.current() for _ in range(20)))

    asyncio.run(go())
    assert vendor.issued == 2


def test_refresher_errors_are_auth_errors() -> None:
    async def never(pair: TokenPair) -> TokenPair:
        raise AssertionError("must not be called")

    empty = TokenRefresher(MemoryTokenStore(), never)
    with pytest.raises(AuthError, match="empty"):
        asyncio.run(empty.current())
    no_refresh = TokenPair("access-only-zzzz")
    stuck = TokenRefresher(MemoryTokenStore(no_refresh), never)
    with pytest.raises(AuthError, match="no refresh token"):
        asyncio.run(stuck.refresh(no_refresh))


def test_bearer_auth_refreshes_on_401_and_replays_once() -> None:
    vendor = Vendor()
    refresher = TokenRefresher(MemoryTokenStore(STALE), vendor.refresh, clock=lambda: 0.0)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer access-0-aaaa":
            return httpx.Response(401)
        return httpx.Response(200, json={"ok": True})

    async def go() -> list[int]:
        client = make_async_client(
            "https://crm.example",
            transport=httpx.MockTransport(handler),
            auth=BearerAuth(refresher),
        )
        async with client:
            responses = await asyncio.gather(*(client.get("/x") for _ in range(5)))
        return [r.status_code for r in responses]

    assert asyncio.run(go()) == [200] * 5
    assert vendor.issued == 1
    assert seen.count("Bearer access-1-xxxx") == 5


WORKER = textwrap.dedent(
    """
    import asyncio, sys, time
    from unicrm.transport import FileTokenStore, TokenPair, TokenRefresher

    path, log = sys.argv[1], sys.argv[2]
    stale = TokenPair("access-0-aaaa", "refresh-0-aaaa", expires_at=1000.0)

    async def refresh(pair):
        with open(log, "a") as f:
            f.write(pair.refresh_token.reveal() + "\\n")
        time.sleep(0.3)  # hold the lock while the others queue up
        return TokenPair("access-new-" + str(time.time_ns()), "refresh-new", expires_at=9e9)

    async def main():
        while time.time() < float(sys.argv[3]):
            await asyncio.sleep(0.005)
        refresher = TokenRefresher(FileTokenStore(path), refresh)
        pair = await refresher.refresh(stale)
        print(pair.access_token.reveal())

    asyncio.run(main())
    """
)


def test_file_store_single_flight_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    log = tmp_path / "refresh-calls.txt"
    FileTokenStore(path).save(STALE)
    start_at = str(time.time() + 1.5)  # all workers start refreshing at the same moment
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(log), start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        outputs.append(out.strip())
    assert log.read_text().splitlines() == ["refresh-0-aaaa"]  # exactly one vendor call
    assert len(set(outputs)) == 1  # everyone uses the one new pair
    assert FileTokenStore(path).load().access_token.reveal() == outputs[0]  # type: ignore[union-attr]


# --- the shared lock, first pairs, cancellation ---------------------------------------------


def test_shared_lock_excludes_tasks_loops_threads_and_store_objects(tmp_path: Path) -> None:
    inside = [0]
    peak = [0]
    entries = [0]
    guard = threading.Lock()

    def enter() -> None:
        with guard:
            inside[0] += 1
            entries[0] += 1
            peak[0] = max(peak[0], inside[0])

    def leave() -> None:
        with guard:
            inside[0] -= 1

    def in_a_loop() -> None:
        async def task() -> None:
            store = FileTokenStore(tmp_path / "t.json")  # a new object each time: same lock
            for _ in range(5):
                async with store.async_lock():
                    enter()
                    await asyncio.sleep(0.001)
                    leave()

        async def main() -> None:
            await asyncio.gather(*(task() for _ in range(5)))

        asyncio.run(main())

    def blocking() -> None:
        for _ in range(5):
            with FileTokenStore(tmp_path / "t.json").lock():
                enter()
                time.sleep(0.001)
                leave()

    threads = [threading.Thread(target=in_a_loop) for _ in range(4)]
    threads += [threading.Thread(target=blocking) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert entries[0] == 4 * 5 * 5 + 2 * 5 and peak[0] == 1


def test_blocking_lock_is_refused_inside_an_event_loop(tmp_path: Path) -> None:
    async def go() -> None:
        with FileTokenStore(tmp_path / "t.json").lock():
            pass

    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(go())


def test_code_exchange_happens_once_and_first_calls_wait_for_it() -> None:
    store = MemoryTokenStore()
    exchanges: list[int] = []

    async def exchange() -> TokenPair:
        exchanges.append(1)
        await asyncio.sleep(0.02)
        return TokenPair("access-first-dddd", "refresh-first-dddd")

    async def refuse(pair: TokenPair) -> TokenPair:
        raise AssertionError("no refresh expected")

    async def go() -> list[TokenPair]:
        refreshers = [TokenRefresher(store, refuse) for _ in range(10)]
        fills = [ensure_first_pair(store, exchange) for _ in range(5)]
        calls = [r.current() for r in refreshers]
        done = await asyncio.gather(*fills, *calls)
        return [p for p in done if p is not None]

    pairs = asyncio.run(go())
    assert exchanges == [1]
    assert {p.access_token.reveal() for p in pairs} == {"access-first-dddd"}


def test_a_cancelled_caller_does_not_lose_a_rotated_pair() -> None:
    vendor = Vendor()
    store = MemoryTokenStore(STALE)
    refresher = TokenRefresher(store, vendor.refresh, clock=lambda: 0.0)

    async def go() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(refresher.refresh(STALE), timeout=0.001)
        await asyncio.sleep(0.05)  # the rotation finishes on its own

    asyncio.run(go())
    assert vendor.issued == 1
    assert store.load().access_token.reveal() == "access-1-xxxx"  # type: ignore[union-attr]
