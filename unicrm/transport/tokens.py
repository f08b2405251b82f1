"""OAuth token pairs and where they are kept (the token-store hook).

A :class:`TokenStore` must save atomically: amoCRM refresh tokens are single-use, so a pair
that was obtained but not stored is lost for good. :class:`FileTokenStore` writes a temporary
file and renames it over the old one.

A store may also offer ``async_lock()`` (an async context manager) and ``lock()`` (its sync
twin): a lock that every user of the store shares — tasks, event loops, threads and, where the
store can, processes. The refresher holds it while it refreshes, which makes refreshes
single-flight for everyone sharing the store. Both stores here offer it through
:class:`~unicrm.transport.locks.SharedLock`: in process for :class:`MemoryTokenStore`, across
processes too for :class:`FileTokenStore` (a lock file beside the store). A store without one
gets a process-wide lock from the refresher.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs

from unicrm.errors import ConfigurationError
from unicrm.transport.locks import SharedLock, shared_lock
from unicrm.transport.secrets import Secret


def _secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


def _opt_secret(value: Secret | str | None) -> Secret | None:
    return None if value is None else _secret(value)


@attrs.frozen
class TokenPair:
    """An access token, its refresh token (if any) and when it expires (Unix seconds)."""

    access_token: Secret = attrs.field(converter=_secret)
    refresh_token: Secret | None = attrs.field(default=None, converter=_opt_secret)
    expires_at: float | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, eq=False)

    def to_json(self) -> dict[str, Any]:
        """The pair as JSON-ready data (secrets revealed: only for the store)."""
        return {
            "access_token": self.access_token.reveal(),
            "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
            "expires_at": self.expires_at,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenPair:
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=data.get("expires_at"),
            extra=data.get("extra") or {},
        )


class TokenStore(Protocol):
    """Where a connection keeps its token pair (load at start, save after each refresh)."""

    def load(self) -> TokenPair | None:
        """The stored pair, or None."""
        ...

    def save(self, pair: TokenPair) -> None:
        """Store ``pair`` atomically (all or nothing)."""
        ...


_fallback_lock = SharedLock()


def store_lock(store: TokenStore) -> contextlib.AbstractAsyncContextManager[None]:
    """The lock everyone sharing ``store`` takes before changing what it holds.

    The store's own ``async_lock()`` when it has one; otherwise one process-wide lock shared
    by every such store (correct, but unrelated stores then wait for each other's refresh).
    """
    lock = getattr(store, "async_lock", None)
    return lock() if lock is not None else _fallback_lock.hold_async()


class MemoryTokenStore:
    """Keeps the pair in this process only; ``lock()``/``async_lock()`` span its threads."""

    def __init__(self, pair: TokenPair | None = None) -> None:
        self._pair = pair
        self._lock = threading.Lock()
        self._shared = SharedLock()

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store's lock (blocking; not from inside an event loop)."""
        return self._shared.hold()

    def async_lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the store's lock without blocking the event loop while waiting."""
        return self._shared.hold_async()

    def load(self) -> TokenPair | None:
        with self._lock:
            return self._pair

    def save(self, pair: TokenPair) -> None:
        with self._lock:
            self._pair = pair

    def __repr__(self) -> str:
        return "MemoryTokenStore()"


class FileTokenStore:
    """A JSON file (mode 0600), replaced atomically; its lock spans threads and processes.

    Any number of connections, threads, event loops and processes may share one file (through
    one store object or several): the lock is ``<path>.lock``, one per file per process.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._shared = shared_lock(str(self.path) + ".lock")

    def load(self) -> TokenPair | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"token store {self.path} is unreadable: {exc}") from None
        return TokenPair.from_json(data)

    def save(self, pair: TokenPair) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(pair.to_json(), file)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the cross-process lock (blocking; not from inside an event loop)."""
        return self._shared.hold()

    def async_lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the cross-process lock without blocking the event loop while waiting."""
        return self._shared.hold_async()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
