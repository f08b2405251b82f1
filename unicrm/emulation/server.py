"""Serving an emulator over real HTTP: an ASGI app, uvicorn, and a background-thread server.

``unicrm sandbox`` uses :func:`serve`; tests and benchmarks that need a socket (third-party
clients, subprocesses, crash tests) use :class:`ServerThread`, which binds 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from unicrm.emulation.messages import Emulator, EmulatorRequest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _EmulatedDropError(Exception):
    """Raised inside the ASGI app to make the server drop the connection mid-response."""


class _DropFilter(logging.Filter):
    """Keeps uvicorn from logging the connection drops we cause on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, _EmulatedDropError)


def asgi_app(emulator: Emulator, *, hang_seconds: float = 30.0) -> ASGIApp:
    """Wrap ``emulator`` as an ASGI application.

    A ``timeout`` fault holds the request for ``hang_seconds`` and then drops it; a ``reset``
    fault starts a response and drops the connection before the body is complete.
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        request = EmulatorRequest(
            method=scope["method"].upper(),
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=b"".join(chunks),
            client=(scope.get("client") or ("127.0.0.1", 0))[0],
        )
        if emulator.latency > 0:
            await asyncio.sleep(emulator.latency)
        response = emulator.handle(request)
        if response.fault == "timeout":
            await asyncio.sleep(hang_seconds)
            raise _EmulatedDropError("emulated timeout")
        if response.fault == "reset":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1000")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"result":', "more_body": True})
            raise _EmulatedDropError("emulated connection reset")
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    return app


def _config(emulator: Emulator, host: str, port: int, hang_seconds: float) -> Any:
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_DropFilter())
    return uvicorn.Config(
        asgi_app(emulator, hang_seconds=hang_seconds),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )


def serve(
    emulator: Emulator, *, host: str = "127.0.0.1", port: int = 0, hang_seconds: float = 30.0
) -> None:
    """Serve ``emulator`` with uvicorn until interrupted (blocking)."""
    import uvicorn

    uvicorn.Server(_config(emulator, host, port, hang_seconds)).run()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """Run an emulator behind uvicorn on a background thread, on 127.0.0.1.

    Use as a context manager; ``base_url`` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self, emulator: Emulator, *, port: int = 0, hang_seconds: float = 5.0) -> None:
        import uvicorn

        self.emulator = emulator
        self.port = port or free_port()
        self._server = uvicorn.Server(_config(emulator, "127.0.0.1", self.port, hang_seconds))
        self._thread = threading.Thread(
            target=self._server.run, name="unicrm-emulator", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return self
            if not self._thread.is_alive():
                raise RuntimeError(f"emulator server failed to start on port {self.port}")
            threading.Event().wait(0.01)
        raise RuntimeError(f"emulator server did not start on port {self.port} within 5 s")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
