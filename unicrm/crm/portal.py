"""One background event loop that runs the async engine for the sync API.

The sync API must not duplicate logic, so it submits coroutines to this loop and waits. The
loop lives on a daemon thread started on first use and shared by every sync CRM in the
process; any number of user threads may call into it at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="unicrm-engine", daemon=True).start()
            ready.wait()
            _loop = loop
        return _loop


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the calling thread is running ``loop`` (the engine's own thread)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def call(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the engine loop and return its result (re-raising its exception)."""
    loop = _running_loop()
    if _on(loop):
        coro.close()
        raise RuntimeError("the sync unicrm API cannot be called from its own engine loop")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


_background: set[asyncio.Task[Any]] = set()


def run_quietly(coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> None:
    """Run ``coro`` on the engine loop for its effect only, swallowing any error.

    For finalizers (a connection the user forgot to close): they may run on any thread,
    including the engine's own, where waiting would deadlock, so there the coroutine is only
    scheduled.
    """
    loop = _running_loop()
    if _on(loop):
        task = loop.create_task(coro)
        _background.add(task)
        task.add_done_callback(_background.discard)
        return
    try:
        asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)
    except Exception:  # a finalizer must not raise
        return


def iterate(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from sync code, one item per hop to the engine loop."""
    sentinel = object()

    async def step() -> Any:
        try:
            return await agen.__anext__()
        except StopAsyncIteration:
            return sentinel

    try:
        while True:
            item = call(step())
            if item is sentinel:
                return
            yield item
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            call(aclose())
