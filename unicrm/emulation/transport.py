"""An httpx transport that answers from an emulator in-process (no socket).

This is how the demo, the adapters' unit tests and the compliance suite reach the emulators.
Connection-level faults become the httpx exceptions a real network would raise, so the retry
logic under test is the one that runs in production.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote

import httpx

from unicrm.emulation.messages import Emulator, EmulatorRequest, EmulatorResponse


def _to_emulator_request(request: httpx.Request, body: bytes) -> EmulatorRequest:
    url = request.url
    return EmulatorRequest(
        method=request.method.upper(),
        path=unquote(url.raw_path.split(b"?", 1)[0].decode("ascii")),
        query=url.query.decode("ascii"),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
    )


def _to_httpx_response(response: EmulatorResponse, request: httpx.Request) -> httpx.Response:
    if response.fault == "timeout":
        raise httpx.ReadTimeout("emulated timeout: the server did not answer", request=request)
    if response.fault == "reset":
        raise httpx.RemoteProtocolError(
            "emulated reset: server disconnected without sending a response", request=request
        )
    return httpx.Response(
        response.status,
        headers=list(response.headers),
        content=response.body,
        request=request,
    )


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve httpx requests (sync or async clients) from ``emulator``.

    ``latency`` (seconds) defaults to the emulator's own ``latency`` switch; the async side
    sleeps without blocking the event loop.
    """

    def __init__(self, emulator: Emulator, latency: float | None = None) -> None:
        self.emulator = emulator
        self._latency = latency

    @property
    def latency(self) -> float:
        return self.emulator.latency if self._latency is None else self._latency

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if self.latency > 0:
            time.sleep(self.latency)
        answer = self.emulator.handle(_to_emulator_request(request, body))
        return _to_httpx_response(answer, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        answer = self.emulator.handle(_to_emulator_request(request, body))
        return _to_httpx_response(answer, request)

    def __repr__(self) -> str:
        return f"EmulatorTransport({type(self.emulator).__name__})"
