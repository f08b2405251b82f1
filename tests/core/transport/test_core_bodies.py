"""Hostile bodies in the core decode: deep nesting, non-UTF-8, truncation, non-finite numbers
and huge bodies become ``InvalidResponse`` (or the "not JSON" decision), never
``RecursionError``/``UnicodeDecodeError``/``MemoryError``; both adapters inherit it."""

from __future__ import annotations

import asyncio
import gzip
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

import unicrm
from unicrm import errors as E  # noqa: N812
from unicrm.transport import (
    Backoff,
    NoLimiter,
    ResponseView,
    RetryPolicy,
    classify_with,
    decode_json,
    default_rules,
    json_problem,
    make_async_client,
    send,
)

DEEP = b"[" * 5000
HOSTILE: list[tuple[str, bytes, str]] = [
    ("deep list", DEEP, "nested too deeply"),
    ("deep object", b'{"a":' * 5000, "nested too deeply"),
    ("deep inside an envelope", b'{"result": ' + DEEP + b"]" * 5000 + b"}", "nested too deeply"),
    ("invalid utf-8", b'{"result": "\xff\xfe\xfa"}', "not UTF-8"),
    ("truncated", b'{"result": [{"ID": "1", "TITLE": "ab', "not valid JSON"),
    ("NaN", b'{"amount": NaN}', "not valid JSON"),
    ("Infinity", b'{"amount": -Infinity}', "not valid JSON"),
    ("overflowing number", b'{"amount": 1e999}', "not valid JSON"),
    ("absurd integer", b'{"id": ' + b"9" * 5000 + b"}", "not valid JSON"),
]


@pytest.mark.parametrize(
    "body, reason", [(b, r) for _, b, r in HOSTILE], ids=[n for n, _, _ in HOSTILE]
)
def test_json_problem_names_what_is_wrong_and_never_raises(body: bytes, reason: str) -> None:
    value, problem = json_problem(body)
    assert value is None
    assert problem is not None and problem.startswith(reason)
    with pytest.raises(E.InvalidResponse, match=reason) as caught:
        decode_json(body, vendor="acme", status=200)
    assert caught.value.vendor == "acme" and caught.value.status == 200


def test_good_json_still_decodes() -> None:
    assert json_problem(b'{"a": [1, 2.5, "\xc3\xa9", null]}') == ({"a": [1, 2.5, "é", None]}, None)
    assert json_problem(b"[" * 100 + b"]" * 100)[1] is None  # deep but sane


@pytest.mark.parametrize("body", [b for _, b, _ in HOSTILE], ids=[n for n, _, _ in HOSTILE])
@pytest.mark.parametrize("status", [200, 400, 401, 404, 500])
def test_response_view_never_raises_and_keeps_the_status_meaning(body: bytes, status: int) -> None:
    view = ResponseView.from_response(httpx.Response(status, content=body))
    assert view.is_json is False and view.json is None and view.problem
    resolution = classify_with(default_rules("acme"), view)
    expected = {
        200: E.InvalidResponse,
        400: E.ValidationError,
        401: E.AuthError,
        404: E.NotFound,
        500: E.ServerError,
    }[status]
    assert type(resolution.error) is expected


# --- through send(): the bounded read -----------------------------------------------------


def _send(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    idempotent: bool = True,
    limit: int = 64 * 1024 * 1024,
) -> Any:
    async def go() -> Any:
        client = make_async_client("https://crm.example", transport=httpx.MockTransport(handler))
        async with client:

            async def no_sleep(_seconds: float) -> None:
                return None

            _response, data = await send(
                client,
                lambda: client.build_request("GET", "/x"),
                classify=lambda v: classify_with(default_rules("acme"), v),
                limiter=NoLimiter(),
                policy=RetryPolicy(max_attempts=3, backoff=Backoff(base=0), max_body_bytes=limit),
                idempotent=idempotent,
                vendor="acme",
                sleep=no_sleep,
                rng=random.Random(0),
            )
            return data

    return asyncio.run(go())


@pytest.mark.parametrize("body", [b for _, b, _ in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_send_turns_a_hostile_success_body_into_invalid_response(body: bytes) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    with pytest.raises(E.InvalidResponse) as caught:
        _send(handler)
    assert caught.value.request is not None and caught.value.status == 200
    assert len(calls) == 3  # a read is retried like any garbled page, then refused
    calls.clear()
    with pytest.raises(E.InvalidResponse):
        _send(handler, idempotent=False)
    assert len(calls) == 1  # a write whose outcome is unknown is never resent


class Endless(httpx.AsyncByteStream):
    """A body that never ends (no Content-Length); counts what was pulled from it."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.sent += 4096
            yield b" " * 4096


def test_a_body_without_length_is_cut_off_at_the_limit() -> None:
    stream = Endless()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream)

    with pytest.raises(E.InvalidResponse, match="more than 100,000 bytes") as caught:
        _send(handler, limit=100_000)
    assert caught.value.request is not None
    assert stream.sent <= 100_000 + 4096  # stopped reading right at the limit


def test_a_declared_huge_body_is_refused_unread() -> None:
    stream = Endless()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream, headers={"content-length": str(10**12)})

    with pytest.raises(E.InvalidResponse, match="refused unread"):
        _send(handler, limit=100_000)
    assert stream.sent == 0


def test_a_gzip_bomb_is_measured_after_inflating() -> None:
    bomb = gzip.compress(b"[" + b"0," * 5_000_000 + b"0]")  # ~10 MB inflated, ~10 KB on the wire

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bomb, headers={"content-encoding": "gzip"})

    assert len(bomb) < 100_000
    with pytest.raises(E.InvalidResponse, match="more than 1,000,000 bytes"):
        _send(handler, limit=1_000_000)


# --- both adapters ------------------------------------------------------------------------

ADAPTERS = {
    "bitrix24": ("bitrix24+http://127.0.0.1:9/rest/1/hostilecode1234/", {}),
    "amocrm": ("amocrm+http://127.0.0.1:9", {"token": "hostile-long-lived-token-1"}),
}


@pytest.mark.parametrize("vendor", sorted(ADAPTERS))
@pytest.mark.parametrize("body", [b for _, b, _ in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_both_adapters_answer_a_hostile_body_with_invalid_response(
    vendor: str, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, options = ADAPTERS[vendor]
    monkeypatch.setattr("unicrm.transport.retry.jitter", lambda delay, rng=None: 0.0)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    crm = unicrm.connect(
        url,
        transport=httpx.MockTransport(handler),
        **options,
        **({"limits": "off"} if vendor == "bitrix24" else {}),
    )
    try:
        with pytest.raises(E.InvalidResponse):
            crm.leads.get("1")
    finally:
        crm.close()
