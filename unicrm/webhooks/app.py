"""The webhook receiver: a Starlette (ASGI) application to serve with uvicorn or mount.

``POST /bitrix24`` takes Bitrix24 event-handler calls, ``POST /amocrm`` amoCRM webhooks (each
route exists only when its verifier is given). A call is read (size-capped), verified and
turned into :class:`~unicrm.changes.ChangeEvent` s, which are handed to the platform's sink -
an async or sync callable taking the list of one call's events, or an ``asyncio.Queue`` that
receives them one by one - before the vendor gets its 200. Everything else is refused with
no side effect:

=====================================  ======  =============================================
call                                   status  why
=====================================  ======  =============================================
not a POST                             405     Starlette's method check
not ``x-www-form-urlencoded``          415     both vendors send forms (vendor notes)
body over ``max_body`` bytes           413     nothing legitimate is that large
not a form, no event/ids, bad ids      400     malformed
Bitrix24 without ``application_token`` 401     unauthenticated
wrong token / account / subdomain      403     forged or another portal's call
the sink raised                        500     the vendor may resend; the platform logs it
=====================================  ======  =============================================

Secrets (application tokens) are compared in constant time and never echoed or logged.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from unicrm.changes.events import ChangeEvent
from unicrm.webhooks.payloads import AmoCRMHooks, Bitrix24Hooks, Rejected

log = logging.getLogger("unicrm.webhooks")

#: Where verified events go: a callable (sync or async) taking one call's events, or a queue.
Sink = Callable[[list[ChangeEvent]], Awaitable[None] | None] | asyncio.Queue[ChangeEvent]
FORM = "application/x-www-form-urlencoded"


async def _read(request: Request, limit: int) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM:
        raise Rejected(415, f"expected {FORM}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Rejected(413, f"the body is over {limit} bytes")
    return bytes(body)


async def _deliver(sink: Sink, events: list[ChangeEvent]) -> None:
    if isinstance(sink, asyncio.Queue):
        for event in events:
            await sink.put(event)
        return
    result = sink(events)
    if inspect.isawaitable(result):
        await result


def _endpoint(
    vendor: str, reader: Callable[[bytes], list[ChangeEvent]], sink: Sink, max_body: int
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def receive(request: Request) -> JSONResponse:
        try:
            events = reader(await _read(request, max_body))
        except Rejected as refusal:
            log.info("refused a %s webhook call: %s (%d)", vendor, refusal.reason, refusal.status)
            return JSONResponse({"error": refusal.reason}, status_code=refusal.status)
        try:
            await _deliver(sink, events)
        except Exception:
            log.exception("the change sink failed on a %s webhook call", vendor)
            return JSONResponse({"error": "the receiver failed"}, status_code=500)
        return JSONResponse({"events": len(events)})

    return receive


def webhook_app(
    sink: Sink,
    *,
    bitrix24: Bitrix24Hooks | None = None,
    amocrm: AmoCRMHooks | None = None,
    max_body: int = 1_000_000,
) -> Starlette:
    """The receiver for the given vendors (at least one), delivering to ``sink``.

    >>> app = webhook_app(queue, bitrix24=Bitrix24Hooks(["token from event.bind"]))
    >>> # uvicorn.run(app, host="127.0.0.1", port=8000), or mount it under /hooks
    """
    readers: dict[str, Any] = {}
    if bitrix24 is not None:
        readers["bitrix24"] = bitrix24.events
    if amocrm is not None:
        readers["amocrm"] = amocrm.events
    if not readers:
        raise ValueError("webhook_app needs bitrix24=Bitrix24Hooks(...) and/or amocrm=...")
    routes = [
        Route(f"/{vendor}", _endpoint(vendor, reader, sink, max_body), methods=["POST"])
        for vendor, reader in readers.items()
    ]
    return Starlette(routes=routes)


__all__ = ["Sink", "webhook_app"]
