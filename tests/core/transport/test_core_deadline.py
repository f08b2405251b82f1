"""Every call has an overall deadline a slow server cannot stretch, and retries spend it.

The servers here are real sockets on 127.0.0.1: one sends its headers and then one byte every
half second (httpx's per-read timeout never fires), one answers 500 at once, one drips its
token endpoint. Both adapters must end a ``leads.get`` with ``timeout=2`` within the budget
plus a small slack, with a typed error. The retry arithmetic is checked on a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import unicrm
from unicrm import errors as E  # noqa: N812
from unicrm.transport import (
    Backoff,
    Deadline,
    NoLimiter,
    RetryPolicy,
    call_budget,
    classify_with,
    default_rules,
    make_async_client,
    send,
)

from .conftest import FakeTime

TIMEOUT = 2.0
SLACK = 3.0  # generous: a loaded CI box; a hang is 90 s and more


# --- real servers on 127.0.0.1 ------------------------------------------------------------

Answer = Callable[[socket.socket, bytes], None]


def drip(conn: socket.socket, _request: bytes) -> None:
    """Headers at once, then a byte every half second, for ever (until the client leaves)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
    )
    while True:
        time.sleep(0.5)
        conn.sendall(b" ")


def fail_fast(conn: socket.socket, _request: bytes) -> None:
    body = b'{"error": "boom"}'
    conn.sendall(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )


def token_drips(conn: socket.socket, request: bytes) -> None:
    """401 for API calls; the token endpoint drips (a refresh that never completes)."""
    if b"/oauth2/access_token" in request.split(b"\r\n", 1)[0]:
        drip(conn, request)
        return
    conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@contextlib.contextmanager
def serving(answer: Answer) -> Iterator[int]:
    """A threaded server on 127.0.0.1 answering every connection with ``answer``."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            answer(conn, data)

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


CONNECTIONS: dict[str, Callable[[int], dict[str, Any]]] = {
    "bitrix24": lambda port: {
        "url": f"bitrix24+http://127.0.0.1:{port}/rest/1/slowhook12345/",
        "limits": "off",
    },
    "amocrm": lambda port: {"url": f"amocrm+http://127.0.0.1:{port}", "token": "slow-token-1"},
}


def timed_get(vendor: str, port: int, **extra: Any) -> tuple[BaseException | None, float]:
    options = {**CONNECTIONS[vendor](port), **extra}
    crm = unicrm.connect(options.pop("url"), timeout=TIMEOUT, **options)
    started = time.monotonic()
    try:
        crm.leads.get("1")
    except BaseException as exc:  # returned for the test to judge
        return exc, time.monotonic() - started
    finally:
        crm.close()
    return None, time.monotonic() - started


@pytest.mark.parametrize("vendor", sorted(CONNECTIONS))
def test_a_dripping_server_cannot_stretch_a_call(vendor: str) -> None:
    with serving(drip) as port:
        error, took = timed_get(vendor, port)
    assert isinstance(error, E.RequestTimeout), repr(error)
    assert "budget ran out" in str(error) and error.maybe_applied is True
    assert took < TIMEOUT + SLACK


@pytest.mark.parametrize("vendor", sorted(CONNECTIONS))
def test_retries_spend_the_callers_budget(vendor: str) -> None:
    with serving(fail_fast) as port:
        error, took = timed_get(vendor, port)
    # six attempts with backoff would take ~15 s; within the budget the last answer is raised
    assert isinstance(error, E.ServerError), repr(error)
    assert took < TIMEOUT + SLACK


def test_a_dripping_token_endpoint_cannot_stretch_a_call() -> None:
    with serving(token_drips) as port:
        store = unicrm.transport.MemoryTokenStore(
            unicrm.transport.TokenPair("drip-access-1", "drip-refresh-1", expires_at=None)
        )
        crm = unicrm.connect(
            f"amocrm+http://127.0.0.1:{port}",
            client_id="drip-client",
            client_secret="drip-secret-1",
            redirect_uri="https://app.example/cb",
            token_store=store,
            timeout=TIMEOUT,
        )
        started = time.monotonic()
        with pytest.raises(E.RequestTimeout):
            crm.leads.get("1")
        took = time.monotonic() - started
        crm.close()
    assert took < TIMEOUT + SLACK


# --- the arithmetic, on a fake clock ---------------------------------------------------------


def run_send(
    handler: Callable[[httpx.Request], httpx.Response], *, deadline: float, fake: FakeTime
) -> int:
    seen: list[int] = []

    def counting(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return handler(request)

    async def go() -> None:
        client = make_async_client("https://crm.example", transport=httpx.MockTransport(counting))
        async with client:
            await send(
                client,
                lambda: client.build_request("GET", "/x"),
                classify=lambda v: classify_with(default_rules("acme"), v),
                limiter=NoLimiter(),
                policy=RetryPolicy(max_attempts=6, backoff=Backoff(base=1, cap=8)),
                idempotent=True,
                vendor="acme",
                sleep=fake.sleep,
                rng=random.Random(0),
                deadline=deadline,
                clock=fake.clock,
            )

    asyncio.run(go())
    return len(seen)


def test_a_retry_that_would_not_fit_is_not_tried() -> None:
    fake = FakeTime()

    def limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "1"}, json={})

    with pytest.raises(E.RateLimited):
        run_send(limited, deadline=2.5, fake=fake)
    assert fake.sleeps == [1.0, 1.0]  # a third wait would end past the deadline


def test_a_retry_after_beyond_the_budget_fails_at_once() -> None:
    fake = FakeTime()

    def closed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "45"}, json={})

    with pytest.raises(E.RateLimited) as caught:
        run_send(closed, deadline=30, fake=fake)
    assert fake.sleeps == [] and caught.value.retry_after == 45


def test_without_a_deadline_all_attempts_are_made() -> None:
    fake = FakeTime()

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={})

    with pytest.raises(E.ServerError):
        assert run_send(failing, deadline=float("inf"), fake=fake) == 6
    assert len(fake.sleeps) == 5


def test_the_budget_is_the_clients_timeout() -> None:
    assert call_budget(make_async_client("https://crm.example", timeout=2)) == 2
    assert call_budget(httpx.AsyncClient(timeout=None)) is None
    timeout = httpx.Timeout(5.0, read=30.0)
    assert call_budget(make_async_client("https://crm.example", timeout=timeout)) == 30


def test_deadline_runs_within_what_is_left() -> None:
    now = [0.0]
    deadline = Deadline(1.0, clock=lambda: now[0])
    assert deadline.remaining() is None  # not started
    deadline.start()
    now[0] = 0.4
    assert deadline.remaining() == pytest.approx(0.6) and deadline.fits(0.5)
    assert not deadline.fits(0.6)
    now[0] = 5.0

    async def never() -> None:
        raise AssertionError("must not run")

    step = never()
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(deadline.run(step))
    assert step.cr_frame is None  # closed, not left un-awaited
