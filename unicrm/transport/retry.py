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
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import httpx

from unicrm.errors import InvalidResponse, RequestInfo, UnicrmError, VendorError
from unicrm.transport.backoff import Backoff, jitter
from unicrm.transport.bodies import MAX_BODY_BYTES, read_body
from unicrm.transport.classify import (
    Decision,
    Resolution,
    ResponseView,
    translate_exception,
)
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
) -> tuple[httpx.Response, Any]:
    """Send the request ``build()`` makes until it succeeds or must fail.

    Returns the response (already read and closed: its body is the parsed JSON) and its
    parsed JSON (None for an empty body). A body over ``policy.max_body_bytes`` is refused as
    :class:`~unicrm.errors.InvalidResponse` while it streams in.
    """
    attempt = 0
    refreshed = False
    while True:
        request = build()
        info = request_info(request)
        await limiter.acquire(cost)
        try:
            response = await client.send(request, stream=True)
            body = await read_body(response, limit=policy.max_body_bytes, vendor=vendor)
        except httpx.HTTPError as exc:
            error = translate_exception(exc, info, vendor)
            may_retry = idempotent or (
                not error.maybe_applied and policy.retry_writes_when_not_applied
            )
            if may_retry and attempt + 1 < policy.max_attempts:
                delay = jitter(policy.backoff.delay(attempt), rng)
                log.info("retrying %s after %s in %.2fs", info, type(exc).__name__, delay)
                await sleep(delay)
                attempt += 1
                continue
            raise error from None
        except InvalidResponse as invalid:  # a body too large to read
            raise _attach(invalid, info, vendor, response.status_code) from None
        view = ResponseView.from_response(response, body)
        limiter.observe(view)
        resolution = classify(view)
        if resolution.decision is Decision.OK:
            return response, view.json
        if resolution.decision is Decision.REFRESH_AUTH and on_refresh and not refreshed:
            refreshed = True
            await on_refresh()
            continue
        retryable = resolution.decision is Decision.RETRY and (
            idempotent or (resolution.applied is False and policy.retry_writes_when_not_applied)
        )
        if retryable and attempt + 1 < policy.max_attempts:
            hinted = resolution.retry_after
            delay = (
                min(hinted, policy.max_retry_after)
                if hinted is not None
                else jitter(policy.backoff.delay(attempt), rng)
            )
            log.info("retrying %s after HTTP %s in %.2fs", info, view.status, delay)
            await sleep(delay)
            attempt += 1
            continue
        failure = resolution.error or VendorError(
            f"{vendor} answered HTTP {view.status}: {redact(view.snippet)}"
        )
        raise _attach(failure, info, vendor, view.status)
