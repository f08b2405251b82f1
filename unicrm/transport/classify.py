"""Deciding what a response means: tables of rules from response to decision (sans I/O).

A vendor passes an ordered tuple of rules; each looks at a :class:`ResponseView` and returns a
:class:`Resolution` or None (not mine). :func:`default_rules` are the vendor-neutral rows every
vendor table ends with. httpx exceptions become unicrm errors in exactly one place,
:func:`translate_exception` (Airbyte ``ErrorResolution``; httpx ``_exceptions.py``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import httpx

from unicrm.errors import (
    AuthError,
    ConnectionFailed,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestInfo,
    RequestTimeout,
    ServerError,
    TransportError,
    UnicrmError,
    ValidationError,
    VendorError,
)
from unicrm.transport.backoff import parse_retry_after
from unicrm.transport.bodies import json_problem
from unicrm.transport.secrets import redact

SNIPPET = 300


class Decision(enum.Enum):
    """What to do with a response."""

    OK = "ok"
    RETRY = "retry"
    REFRESH_AUTH = "refresh_auth"
    FAIL = "fail"


@attrs.frozen
class Resolution:
    """A decision, the error to raise if it comes to that, and retry hints.

    ``applied`` is False when the request provably did not take effect (so even a write may be
    retried), True when it did, None when unknown.
    """

    decision: Decision
    error: UnicrmError | None = None
    retry_after: float | None = None
    applied: bool | None = None


@attrs.frozen
class ResponseView:
    """What rules look at: status, headers, parsed JSON (None if absent or not JSON), a short
    redacted text snippet, whether the body was JSON at all, and if not, what is wrong with it
    (``problem``: "not UTF-8", "nested too deeply", "not valid JSON (...)")."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    json: Any = None
    text: str = ""
    content_type: str = ""
    is_json: bool = False
    empty: bool = True
    problem: str | None = None

    @classmethod
    def from_response(cls, response: httpx.Response, body: bytes | None = None) -> ResponseView:
        """Parse once; never raises, whatever the body (see :mod:`unicrm.transport.bodies`).

        ``body`` is the already read body of a streamed response (default: its content).
        """
        content = response.content if body is None else body
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        empty = not content.strip()
        parsed, problem = (None, None) if empty else json_problem(content)
        text = content[:2000].decode("utf-8", "replace")
        return cls(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            json=parsed,
            text=redact(text),
            content_type=content_type,
            is_json=not empty and problem is None,
            empty=empty,
            problem=problem,
        )

    @property
    def snippet(self) -> str:
        """A one-line summary of a non-JSON body (an HTML page's title, or its first words)."""
        title = re.search(r"(?is)<title[^>]*>(.*?)</title>", self.text)
        raw = title.group(1) if title else re.sub(r"(?s)<[^>]+>", " ", self.text)
        return " ".join(raw.split())[:SNIPPET]


Rule = Callable[[ResponseView], Resolution | None]


def _html_note(view: ResponseView) -> str:
    if view.is_json or view.empty:
        return ""
    if view.problem and not view.problem.startswith("not valid JSON"):
        return f" ({view.problem})"
    return f" (non-JSON body: {view.snippet!r})"


def default_rules(vendor: str) -> tuple[Rule, ...]:
    """The vendor-neutral decision rows, tried after the vendor's own."""

    def ok(view: ResponseView) -> Resolution | None:
        if 200 <= view.status < 300 and (view.is_json or view.empty):
            return Resolution(Decision.OK)
        return None

    def not_json(view: ResponseView) -> Resolution | None:
        if 200 <= view.status < 300:
            error = InvalidResponse(
                f"{vendor} answered {view.status} with a body that is not JSON{_html_note(view)}",
                vendor=vendor,
                status=view.status,
            )
            return Resolution(Decision.RETRY, error)
        return None

    def by_status(view: ResponseView) -> Resolution | None:
        note = _html_note(view)
        status = view.status
        retry_after = parse_retry_after(view.headers.get("retry-after"))
        if status == 401:
            return Resolution(
                Decision.REFRESH_AUTH,
                AuthError(f"{vendor} refused the credentials{note}", vendor=vendor, status=401),
                applied=False,
            )
        if status == 403:
            error: UnicrmError = PermissionDenied(
                f"{vendor} denied access{note}", vendor=vendor, status=403
            )
            return Resolution(Decision.FAIL, error, applied=False)
        if status == 404:
            error = NotFound(f"{vendor}: not found{note}", vendor=vendor, status=404)
            return Resolution(Decision.FAIL, error, applied=False)
        if status in (429, 503):
            error = RateLimited(
                f"{vendor} is rate limiting this client{note}",
                vendor=vendor,
                status=status,
                retry_after=retry_after,
            )
            return Resolution(Decision.RETRY, error, retry_after=retry_after, applied=False)
        if status >= 500:
            error = ServerError(
                f"{vendor} failed with HTTP {status}{note}", vendor=vendor, status=status
            )
            return Resolution(Decision.RETRY, error, retry_after=retry_after)
        if status in (400, 422):
            error = ValidationError(
                f"{vendor} rejected the request{note}", vendor=vendor, status=status
            )
            return Resolution(Decision.FAIL, error, applied=False)
        if status >= 300:
            error = VendorError(
                f"{vendor} answered HTTP {status}{note}", vendor=vendor, status=status
            )
            return Resolution(Decision.FAIL, error, applied=False)
        return None

    return (ok, not_json, by_status)


def classify_with(rules: Sequence[Rule], view: ResponseView) -> Resolution:
    """The first rule's answer; OK when no rule claims the response."""
    for rule in rules:
        resolution = rule(view)
        if resolution is not None:
            return resolution
    return Resolution(Decision.OK)


#: httpx exception type -> (unicrm error type, whether the request may have taken effect)
_EXCEPTIONS: tuple[tuple[type[Exception], type[TransportError], bool], ...] = (
    (httpx.ConnectTimeout, RequestTimeout, False),
    (httpx.PoolTimeout, RequestTimeout, False),
    (httpx.ConnectError, ConnectionFailed, False),
    (httpx.TimeoutException, RequestTimeout, True),
    (httpx.RemoteProtocolError, ConnectionFailed, True),
    (httpx.NetworkError, ConnectionFailed, True),
    (httpx.TransportError, ConnectionFailed, True),
)


def translate_exception(
    exc: Exception, request: RequestInfo | None, vendor: str | None
) -> TransportError:
    """The unicrm error for an httpx exception (the one place this translation happens)."""
    for source, target, maybe_applied in _EXCEPTIONS:
        if isinstance(exc, source):
            return target(
                f"{type(exc).__name__}: {redact(str(exc)) or 'no answer'}",
                vendor=vendor,
                request=request,
                maybe_applied=maybe_applied,
            )
    return ConnectionFailed(
        f"{type(exc).__name__}: {redact(str(exc))}", vendor=vendor, request=request
    )
