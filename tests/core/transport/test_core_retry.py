"""``send``: retries with backoff that honour Retry-After, write safety, auth refresh, and
typed errors carrying the redacted request, all against httpx.MockTransport."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from unicrm import errors as E  # noqa: N812
from unicrm.transport import (
    MAX_REPLAYS,
    Backoff,
    NoLimiter,
    ResponseView,
    RetryPolicy,
    Secret,
    classify_with,
    default_rules,
    make_async_client,
    send,
)

TOKEN = Secret("tok-abcdef-123456")
URL = f"https://crm.example/rest/1/{TOKEN.reveal()}/crm.lead.list?auth={TOKEN.reveal()}"


class Script:
    """Answers requests from a list of responses or exceptions, in order."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def run(
    script: Script,
    *,
    idempotent: bool = True,
    policy: RetryPolicy | None = None,
    on_refresh: Callable[[], Any] | None = None,
) -> tuple[Any, Sleeps]:
    sleeps = Sleeps()

    async def go() -> Any:
        client = make_async_client("https://crm.example", transport=httpx.MockTransport(script))
        async with client:
            _response, data = await send(
                client,
                lambda: client.build_request("POST", URL, json={"x": 1}),
                classify=lambda v: classify_with(default_rules("acme"), v),
                limiter=NoLimiter(),
                policy=policy or RetryPolicy(max_attempts=4, backoff=Backoff(base=1, cap=8)),
                idempotent=idempotent,
                vendor="acme",
                on_refresh=on_refresh,
                sleep=sleeps,
                rng=random.Random(0),
            )
            return data

    return asyncio.run(go()), sleeps


def ok(payload: Any = None) -> httpx.Response:
    return httpx.Response(200, json=payload if payload is not None else {"result": 1})


def test_success_returns_parsed_json() -> None:
    data, sleeps = run(Script(ok({"result": [1, 2]})))
    assert data == {"result": [1, 2]} and sleeps.delays == []


def test_retry_after_is_honoured_exactly() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3"}), ok())
    data, sleeps = run(script)
    assert data == {"result": 1}
    assert sleeps.delays == [3.0]
    assert len(script.requests) == 2


def test_retry_after_is_capped_by_the_policy() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    _, sleeps = run(script, policy=RetryPolicy(max_attempts=3, max_retry_after=5))
    assert sleeps.delays == [5]


def test_backoff_with_jitter_without_retry_after() -> None:
    script = Script(httpx.Response(500), httpx.Response(502), httpx.Response(500), ok())
    _, sleeps = run(script)
    assert len(sleeps.delays) == 3
    for attempt, delay in enumerate(sleeps.delays):
        full = min(8, 2**attempt)
        assert full / 2 <= delay <= full


def test_gives_up_after_max_attempts_with_a_typed_redacted_error() -> None:
    script = Script(*[httpx.Response(500, text=f"boom auth={TOKEN.reveal()}")] * 4)
    with pytest.raises(E.ServerError) as caught:
        run(script)
    error = caught.value
    assert len(script.requests) == 4
    assert error.status == 500 and error.vendor == "acme"
    assert error.request is not None and error.request.method == "POST"
    text = f"{error} {error!r} {error.request}"
    assert TOKEN.reveal() not in text
    assert "crm.example" in text


def test_writes_are_not_retried_when_they_may_have_applied() -> None:
    script = Script(httpx.Response(500), ok())
    with pytest.raises(E.ServerError):
        run(script, idempotent=False)
    assert len(script.requests) == 1


def test_writes_are_retried_when_provably_not_applied() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "1"}), ok())
    data, _ = run(script, idempotent=False)
    assert data == {"result": 1} and len(script.requests) == 2

    refused = Script(httpx.ConnectError("refused"), ok())
    data, _ = run(refused, idempotent=False)
    assert data == {"result": 1} and len(refused.requests) == 2


def test_write_timeout_after_sending_is_not_retried_and_says_maybe_applied() -> None:
    script = Script(httpx.ReadTimeout("slow"), ok())
    with pytest.raises(E.RequestTimeout) as caught:
        run(script, idempotent=False)
    assert caught.value.maybe_applied is True
    assert len(script.requests) == 1
    assert TOKEN.reveal() not in str(caught.value)


def test_reads_are_retried_after_network_errors() -> None:
    script = Script(httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset"), ok())
    data, sleeps = run(script)
    assert data == {"result": 1} and len(sleeps.delays) == 2


def test_401_refreshes_then_replays_a_bounded_number_of_times() -> None:
    refreshes: list[int] = []

    async def refresh() -> None:
        refreshes.append(1)

    script = Script(httpx.Response(401), ok())
    data, sleeps = run(script, on_refresh=refresh)
    assert data == {"result": 1} and refreshes == [1] and sleeps.delays == []

    # the pair another connection rotated may have expired too: refresh again, up to a bound
    refreshes.clear()
    twice = Script(httpx.Response(401), httpx.Response(401), ok())
    assert run(twice, on_refresh=refresh)[0] == {"result": 1} and refreshes == [1, 1]

    refreshes.clear()
    refused = Script(*[httpx.Response(401)] * (MAX_REPLAYS + 1))
    with pytest.raises(E.AuthError):
        run(refused, on_refresh=refresh)
    assert len(refused.requests) == MAX_REPLAYS + 1 and len(refreshes) == MAX_REPLAYS


def test_non_json_success_is_retried_then_invalid_response() -> None:
    html = httpx.Response(200, text="<html><title>Maintenance</title></html>")
    with pytest.raises(E.InvalidResponse, match="Maintenance"):
        run(Script(html, html, html, html))


def test_validation_errors_fail_at_once() -> None:
    script = Script(httpx.Response(400, json={"error": "bad"}), ok())
    with pytest.raises(E.ValidationError):
        run(script)
    assert len(script.requests) == 1


def test_limiter_is_asked_before_every_attempt_and_observes_responses() -> None:
    class Counting:
        def __init__(self) -> None:
            self.acquired: list[int] = []
            self.seen: list[int] = []

        async def acquire(self, cost: int = 1) -> None:
            self.acquired.append(cost)

        def observe(self, view: ResponseView) -> None:
            self.seen.append(view.status)

    limiter = Counting()
    script = Script(httpx.Response(503), ok())

    async def go() -> None:
        async with make_async_client(
            "https://crm.example", transport=httpx.MockTransport(script)
        ) as client:
            await send(
                client,
                lambda: client.build_request("GET", "/x"),
                classify=lambda v: classify_with(default_rules("acme"), v),
                limiter=limiter,
                policy=RetryPolicy(),
                idempotent=True,
                vendor="acme",
                sleep=Sleeps(),
                cost=2,
            )

    asyncio.run(go())
    assert limiter.acquired == [2, 2] and limiter.seen == [503, 200]
