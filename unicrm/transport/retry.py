"""Sending one logical request: limiter, send, classify, retry with backoff, typed errors.

Reads (idempotent requests) are retried on every retryable decision. Writes are retried only
when the request provably did not take effect (``Resolution.applied is False``, or a
connection that never opened); otherwise the caller gets a :class:`TransportError` with
``maybe_applied=True`` or the vendor error, and decides (the migration engine looks the record
up by its origin marker).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import httpx

from unicrm.errors import (
    InvalidResponse,
    RequestInfo,
    RequestTimeout,
    UnicrmError,
    VendorError,
)
from unicrm.transport.auth import MAX_REPLAYS
from unicrm.transport.backoff import Backoff, jitter
from unicrm.transport.bodies import MAX_BODY_BYTES, read_body
from unicrm.transport.classify import (
    Decision,
    Resolution,
    ResponseView,
    translate_exception,
)
from unicrm.transport.deadline import Deadline, call_budget
from unicrm.transport.limiter import Limiter
from unicrm.transport.secrets import redact, redact_url

log = logging.getLogger("unicrm.transport")


@attrs.frozen
class RetryPolicy:
    """How often and how patiently to retry."""

    max_attempts: int = 6
    backoff: Backoff = attrs.field(factory=Backoff)
    max_retry_after: float = 60.0
    retry_writes_when_not_applied: bool = True
    max_body_bytes: int = MAX_BODY_BYTES


def request_info(request: httpx.Request) -> RequestInfo:
    """A printable, redacted description of ``request``."""
    return RequestInfo(request.method, redact_url(request.url))


def _attach(error: UnicrmError, info: RequestInfo, vendor: str, status: int) -> UnicrmError:
    if error.request is None:
        error.request = info
    if error.vendor is None:
        error.vendor = vendor
    if error.status is None:
        error.status = status
    return error


async def _exchange(
    client: httpx.AsyncClient, request: httpx.Request, limit: int, vendor: str
) -> tuple[httpx.Response, bytes]:
    response = await client.send(request, stream=True)
    return response, await read_body(response, limit=limit, vendor=vendor)


def _out_of_time(deadline: Deadline, info: RequestInfo, vendor: str, doing: str) -> RequestTimeout:
    return RequestTimeout(
        f"{vendor}: the call's {deadline.seconds:g} s budget ran out {doing}",
        vendor=vendor,
        request=info,
        maybe_applied=doing == WAITING_FOR_ANSWER,
    )


WAITING_FOR_ANSWER = "waiting for a complete answer"


async def send(
    client: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    classify: Callable[[ResponseView], Resolution],
    limiter: Limiter,
    policy: RetryPolicy,
    idempotent: bool,
    vendor: str,
    on_refresh: Callable[[], Awaitable[None]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    cost: int = 1,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[httpx.Response, Any]:
    """Send the request ``build()`` makes until it succeeds or must fail.

    Returns the response (already read and closed: its body is the parsed JSON) and its
    parsed JSON (None for an empty body). A body over ``policy.max_body_bytes`` is refused as
    :class:`~unicrm.errors.InvalidResponse` while it streams in.

    The whole call — attempts, retry waits, token refreshes — gets ``deadline`` seconds
    (default: :func:`~unicrm.transport.deadline.call_budget` of ``client``, i.e. the
    connection's ``timeout``), counted from the first attempt's admission by ``limiter``. An
    attempt still unanswered when it runs out ends in :class:`RequestTimeout`; a retry that
    would not fit is not tried, and the last error is raised instead.
    """
    budget = Deadline(call_budget(client) if deadline is None else deadline, clock)
    attempt = 0
    refreshes = 0
    last: UnicrmError | None = None

    async def wait_then_retry(delay: float, error: UnicrmError, why: str) -> None:
        nonlocal attempt
        if not budget.fits(delay):
            raise error
        log.info("retrying %s after %s in %.2fs", info, why, delay)
        await sleep(delay)
        attempt += 1

    while True:
        request = build()
        info = request_info(request)
        if budget.started:
            try:
                await budget.run(limiter.acquire(cost))
            except asyncio.TimeoutError:
                raise (last or _out_of_time(budget, info, vendor, "waiting to send")) from None
        else:
            await limiter.acquire(cost)
            budget.start()
        try:
            response, body = await budget.run(
                _exchange(client, request, policy.max_body_bytes, vendor)
            )
        except asyncio.TimeoutError:
            raise _out_of_time(budget, info, vendor, WAITING_FOR_ANSWER) from None
        except httpx.HTTPError as exc:
            error = translate_exception(exc, info, vendor)
            may_retry = idempotent or (
                not error.maybe_applied and policy.retry_writes_when_not_applied
            )
            if not (may_retry and attempt + 1 < policy.max_attempts):
                raise error from None
            last = error
            await wait_then_retry(
                jitter(policy.backoff.delay(attempt), rng), error, type(exc).__name__
            )
            continue
        except InvalidResponse as invalid:  # a body too large to read
            raise _attach(invalid, info, vendor, invalid.status or 0) from None
        view = ResponseView.from_response(response, body)
        limiter.observe(view)
        resolution = classify(view)
        if resolution.decision is Decision.OK:
            return response, view.json
        failure = _attach(
            resolution.error
            or VendorError(f"{vendor} answered HTTP {view.status}: {redact(view.snippet)}"),
            info,
            vendor,
            view.status,
        )
        if resolution.decision is Decision.REFRESH_AUTH and on_refresh and refreshes < MAX_REPLAYS:
            refreshes += 1
            try:
                await budget.run(on_refresh())
            except asyncio.TimeoutError:
                raise _out_of_time(budget, info, vendor, "refreshing the access token") from None
            last = failure
            continue
        retryable = resolution.decision is Decision.RETRY and (
            idempotent or (resolution.applied is False and policy.retry_writes_when_not_applied)
        )
        if not (retryable and attempt + 1 < policy.max_attempts):
            raise failure
        last = failure
        hinted = resolution.retry_after
        await wait_then_retry(
            min(hinted, policy.max_retry_after)
            if hinted is not None
            else jitter(policy.backoff.delay(attempt), rng),
            failure,
            f"HTTP {view.status}",
        )
