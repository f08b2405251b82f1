"""One lock for everyone who shares a token store: tasks, event loops, threads and processes.

Token refreshes must be single-flight across all of them (amoCRM refresh tokens are
single-use). :class:`SharedLock` layers three locks, taken in this order and each released by
whoever took it, in the thread that took it:

1. per event loop, an ``asyncio.Lock``: tasks of one loop queue in order, and only the task at
   the front polls the layers below;
2. per process, a ``threading.Lock``: one holder per process at a time, whatever its thread or
   loop;
3. with a path, an OS file lock (the ``filelock`` library): one holder across processes.

Waiting never blocks an event loop and never parks a thread pool worker: async holders poll
layers 2 and 3 with non-blocking attempts and growing sleeps (1 ms to 50 ms), and the file
lock is taken and released by the same thread. That is the difference from handing a blocking
``filelock.acquire`` to ``asyncio.to_thread`` and releasing it on the loop thread, which raised
filelock's "Deadlock" errors and left threads waiting for ever once every pool worker was
parked in ``acquire``.

Locks are shared per path within a process (:func:`shared_lock`), so two store objects on one
file exclude each other too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator

import filelock

FIRST_POLL = 0.001
LAST_POLL = 0.05


def _polls() -> Iterator[float]:
    delay = FIRST_POLL
    while True:
        yield delay
        delay = min(delay * 2, LAST_POLL)


class SharedLock:
    """Mutual exclusion across tasks, loops, threads and (given ``path``) processes."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self._thread_lock = threading.Lock()
        self._guard = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._loop_locks = weakref.WeakKeyDictionary()
        self._held_file: filelock.BaseFileLock | None = None

    def _try_file(self) -> bool:
        if self.path is None:
            return True
        candidate = filelock.FileLock(self.path)
        try:
            candidate.acquire(blocking=False)
        except filelock.Timeout:
            return False
        self._held_file = candidate
        return True

    def _release_file(self) -> None:
        held, self._held_file = self._held_file, None
        if held is not None:
            held.release()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock from synchronous code (blocks this thread while waiting).

        Refused inside a running event loop: waiting there would stall the loop and, if a task
        of that loop holds the lock, never end. Use :meth:`hold_async` there.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("SharedLock.hold() blocks: use 'async with hold_async()' here")
        self._thread_lock.acquire()
        try:
            for delay in _polls():
                if self._try_file():
                    break
                time.sleep(delay)
            try:
                yield
            finally:
                self._release_file()
        finally:
            self._thread_lock.release()

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    @contextlib.asynccontextmanager
    async def hold_async(self) -> AsyncIterator[None]:
        """Hold the lock from async code; waiting yields to the loop."""
        async with self._loop_lock():
            polls = _polls()
            while not self._thread_lock.acquire(blocking=False):
                await asyncio.sleep(next(polls))
            try:
                polls = _polls()
                while not self._try_file():
                    await asyncio.sleep(next(polls))
                try:
                    yield
                finally:
                    self._release_file()
            finally:
                self._thread_lock.release()

    def __repr__(self) -> str:
        return f"SharedLock({self.path!r})"


_by_path: dict[str, SharedLock] = {}
_by_path_guard = threading.Lock()


def shared_lock(path: str | os.PathLike[str]) -> SharedLock:
    """The process's one :class:`SharedLock` for ``path`` (same file, same lock)."""
    key = os.path.realpath(os.fspath(path))
    with _by_path_guard:
        found = _by_path.get(key)
        if found is None:
            found = _by_path[key] = SharedLock(key)
        return found


__all__ = ["SharedLock", "shared_lock"]
