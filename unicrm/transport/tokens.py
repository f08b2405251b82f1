"""OAuth token pairs and where they are kept (the token-store hook).

A :class:`TokenStore` must save atomically: amoCRM refresh tokens are single-use, so a pair
that was obtained but not stored is lost for good. :class:`FileTokenStore` writes a temporary
file and renames it over the old one, and offers a cross-process lock (``filelock``) that the
refresher holds while it refreshes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs
import filelock

from unicrm.errors import ConfigurationError
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


class MemoryTokenStore:
    """Keeps the pair in this process only."""

    def __init__(self, pair: TokenPair | None = None) -> None:
        self._pair = pair
        self._lock = threading.Lock()

    def load(self) -> TokenPair | None:
        with self._lock:
            return self._pair

    def save(self, pair: TokenPair) -> None:
        with self._lock:
            self._pair = pair

    def __repr__(self) -> str:
        return "MemoryTokenStore()"


class FileTokenStore:
    """A JSON file (mode 0600), replaced atomically; ``lock()`` is a cross-process lock."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._filelock = filelock.FileLock(str(self.path) + ".lock", thread_local=False)

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

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the cross-process lock (blocking)."""
        with self._filelock:
            yield

    @contextlib.asynccontextmanager
    async def async_lock(self) -> AsyncIterator[None]:
        """Hold the cross-process lock without blocking the event loop while waiting."""
        await asyncio.to_thread(self._filelock.acquire)
        try:
            yield
        finally:
            self._filelock.release()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
