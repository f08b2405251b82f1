"""One token store shared by many connections, threads and processes: exactly one refresh per
expiry, no failure, no hang — for both vendors (amoCRM refresh tokens are single-use, so a
second refresh of one pair would make later calls fail).

The emulators' clocks are moved past the access-token lifetime five times while everyone
keeps calling; refreshes are counted where they arrive, at the vendor's token endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import attrs
import pytest

import unicrm
from unicrm.emulation import EmulatorTransport, ManualClock, ServerThread
from unicrm.emulation.messages import EmulatorRequest, EmulatorResponse
from unicrm.transport import FileTokenStore, MemoryTokenStore, TokenStore

b24 = pytest.importorskip("unicrm_bitrix24.emulator")
amo = pytest.importorskip("unicrm_amocrm.emulator")

CONNECTIONS = THREADS = 20
CALLS, EXPIRIES = 300, 5
JOIN_BOUND = 120.0  # seconds every thread must finish within (a hang fails, never waits)
REDIRECT = "https://app.example/cb"


class CountingEmulator:
    """Delegates to an emulator and counts refresh grants reaching its token endpoint."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.latency = emulator.latency
        self.refreshes = 0
        self.requests = 0
        self._lock = threading.Lock()

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        with self._lock:
            self.requests += 1
            if _grant(request) == "refresh_token":
                self.refreshes += 1
        return self.emulator.handle(request)  # type: ignore[no-any-return]


def _grant(request: EmulatorRequest) -> str | None:
    if "token" not in request.path:
        return None
    found = parse_qs(request.query).get("grant_type") or parse_qs(request.body.decode()).get(
        "grant_type"
    )
    if found:
        return found[0]
    try:
        return json.loads(request.body or b"{}").get("grant_type")  # type: ignore[no-any-return]
    except ValueError:
        return None


@attrs.frozen
class Vendor:
    """How to stand up one vendor's OAuth account and call it."""

    name: str
    expiry: float
    make: Callable[[ManualClock], Any]
    register: Callable[[Any], tuple[str, str, str]]
    scheme: str
    call: tuple[str, ...]

    def options(self, root: str, client_id: str, secret: str) -> dict[str, Any]:
        if self.name == "amocrm":
            return {"client_id": client_id, "client_secret": secret, "redirect_uri": REDIRECT}
        return {
            "client_id": client_id,
            "client_secret": secret,
            "oauth_url": f"{root}/oauth/token/",
        }

    def tuning(self) -> dict[str, Any]:
        return {"rate": 10_000} if self.name == "amocrm" else {"limits": "off"}


VENDORS = {
    "amocrm": Vendor(
        "amocrm",
        86_401,
        lambda clock: amo.AmoCRMEmulator(clock=clock, limits="off"),
        lambda emulator: emulator.register_integration(REDIRECT),
        "amocrm+",
        ("GET /api/v4/account",),
    ),
    "bitrix24": Vendor(
        "bitrix24",
        3_601,
        lambda clock: b24.Bitrix24Emulator(clock=clock, limits="off"),
        lambda emulator: emulator.register_app(),
        "bitrix24+",
        ("crm.status.list",),
    ),
}


def first_pair(
    vendor: Vendor, root: str, store: TokenStore, transport: Any, emulator: Any
) -> dict[str, Any]:
    """Exchange an authorization code into ``store``; the options every connection then uses."""
    client_id, secret, code = vendor.register(emulator)
    options = {**vendor.options(root, client_id, secret), **vendor.tuning()}
    if transport is not None:
        options["transport"] = transport
    crm = unicrm.connect(vendor.scheme + root, code=code, token_store=store, **options)
    crm.raw(*vendor.call)
    crm.close()
    assert store.load() is not None
    return options


def _always(store: TokenStore) -> Callable[[], TokenStore]:
    return lambda: store


#: how connections get their store: all one object, or one object each on the same file
STORES: dict[str, Callable[[Path], Callable[[], TokenStore]]] = {
    "one FileTokenStore": lambda tmp: _always(FileTokenStore(tmp / "t.json")),
    "a FileTokenStore each, one file": lambda tmp: lambda: FileTokenStore(tmp / "t.json"),
    "one MemoryTokenStore": lambda tmp: _always(MemoryTokenStore()),
}


@pytest.mark.parametrize("store_kind", sorted(STORES))
@pytest.mark.parametrize("vendor_name", sorted(VENDORS))
def test_twenty_connections_twenty_threads_five_expiries(
    vendor_name: str, store_kind: str, tmp_path: Path
) -> None:
    vendor = VENDORS[vendor_name]
    clock = ManualClock()
    emulator = CountingEmulator(vendor.make(clock))
    emulator.emulator.seed(3)
    transport = EmulatorTransport(emulator)
    make_store = STORES[store_kind](tmp_path)
    root = "http://127.0.0.1:9"
    options = first_pair(vendor, root, make_store(), transport, emulator.emulator)
    connections = [
        unicrm.connect(vendor.scheme + root, token_store=make_store(), **options)
        for _ in range(CONNECTIONS)
    ]
    failures: list[BaseException] = []
    done = 0
    lock = threading.Lock()
    step = CALLS // (EXPIRIES + 1)

    def worker(index: int) -> None:
        nonlocal done
        while True:
            with lock:
                if done >= CALLS:
                    return
                done += 1
                number = done
                if number % step == 0 and number // step <= EXPIRIES:
                    clock.advance(vendor.expiry)
            try:
                connections[(index + number) % CONNECTIONS].raw(*vendor.call)
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, JOIN_BOUND - (time.monotonic() - started)))
    hung = [thread for thread in threads if thread.is_alive()]
    for crm in connections:
        crm.close()
    assert hung == [], f"{len(hung)} of {THREADS} threads did not finish in {JOIN_BOUND:.0f} s"
    assert failures == []
    assert done == CALLS
    assert emulator.refreshes == EXPIRIES


WORKER = textwrap.dedent(
    """
    import json, os, sys, threading
    import unicrm
    from unicrm.transport import FileTokenStore

    url, store_path, stop_file, call, options = sys.argv[1:6]
    options = json.loads(options)
    call = json.loads(call)
    crm = unicrm.connect(url, token_store=FileTokenStore(store_path), **options)
    counts = {"calls": 0, "failures": []}
    guard = threading.Lock()

    def work():
        while not os.path.exists(stop_file):
            try:
                crm.raw(*call)
                with guard:
                    counts["calls"] += 1
            except Exception as exc:
                with guard:
                    counts["failures"].append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    crm.close()
    print(json.dumps(counts))
    """
)


@pytest.mark.parametrize("vendor_name", sorted(VENDORS))
def test_processes_sharing_one_file_store_refresh_once_per_expiry(
    vendor_name: str, tmp_path: Path
) -> None:
    vendor = VENDORS[vendor_name]
    clock = ManualClock()
    emulator = CountingEmulator(vendor.make(clock))
    emulator.emulator.seed(3)
    store_path = tmp_path / "tokens.json"
    stop_file = tmp_path / "stop"
    with ServerThread(emulator) as server:
        root = server.base_url
        options = first_pair(vendor, root, FileTokenStore(store_path), None, emulator.emulator)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    vendor.scheme + root,
                    str(store_path),
                    str(stop_file),
                    json.dumps(vendor.call),
                    json.dumps(options),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(4)
        ]

        def after(more: int) -> None:
            """Wait until the server has answered ``more`` further requests."""
            target = emulator.requests + more
            deadline = time.monotonic() + 60
            while emulator.requests < target:
                assert time.monotonic() < deadline, "workers stopped calling"
                assert all(w.poll() is None for w in workers), "a worker died"
                time.sleep(0.01)

        after(40)
        for _ in range(EXPIRIES):
            clock.advance(vendor.expiry)
            after(40)
        stop_file.touch()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=JOIN_BOUND)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
    assert [r["failures"] for r in results] == [[]] * len(workers)
    assert all(r["calls"] > 0 for r in results)
    assert emulator.refreshes == EXPIRIES
