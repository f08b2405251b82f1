"""The request and response values an emulator's ``handle`` works with.

They are plain data, independent of httpx and ASGI, so an emulator can be called directly in
a unit test, through an httpx transport, or behind a real HTTP server with the same result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl

import attrs


@attrs.frozen
class EmulatorRequest:
    """One HTTP request as an emulator sees it.

    ``path`` is percent-decoded; ``query`` is the raw query string (without ``?``), still
    encoded, because vendors differ in how they parse brackets and repeated keys. Header names
    are lower-case.
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    client: str = "127.0.0.1"

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string as decoded ``(key, value)`` pairs, in order, blanks kept."""
        return parse_qsl(self.query, keep_blank_values=True)

    def header(self, name: str, default: str = "") -> str:
        """A header's value by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-case, without parameters."""
        return self.header("content-type").split(";")[0].strip().lower()


@attrs.frozen
class EmulatorResponse:
    """One HTTP response, or a connection-level fault (``fault`` set, ``status`` 0)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    fault: str | None = None

    @classmethod
    def json(
        cls,
        status: int,
        payload: Any,
        *,
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> EmulatorResponse:
        """A JSON response (UTF-8, no ASCII escaping, compact)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, body, (("content-type", content_type), *headers))

    @classmethod
    def html(cls, status: int, text: str) -> EmulatorResponse:
        """An HTML page, as proxies and blocked accounts send instead of JSON."""
        return cls(status, text.encode(), (("content-type", "text/html; charset=utf-8"),))

    @classmethod
    def empty(cls, status: int = 204) -> EmulatorResponse:
        """A response with no body (amoCRM's 204 for empty results)."""
        return cls(status)

    @classmethod
    def timeout(cls) -> EmulatorResponse:
        """The server never answers: clients see a read timeout."""
        return cls(0, fault="timeout")

    @classmethod
    def reset(cls) -> EmulatorResponse:
        """The connection drops before a complete response."""
        return cls(0, fault="reset")


class Emulator(Protocol):
    """What the kit needs from a vendor emulator.

    ``handle`` must be thread-safe (emulators hold their own lock around SQLite) and must not
    sleep: latency is added by the transport and the server so it never blocks other requests.
    """

    latency: float

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        """Answer one request."""
        ...
