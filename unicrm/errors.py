"""Every error unicrm raises, in one hierarchy.

::

    UnicrmError
     +-- ConfigurationError        bad URL, option or config; insecure http; unknown scheme
     +-- QueryError                unknown field, wrong value type, unsupported operator
     |    +-- FullScanError        a strict query would have to read every record
     +-- UnsupportedOperation      the adapter cannot do this (e.g. delete on amoCRM)
     +-- TransportError            no valid HTTP answer arrived
     |    +-- RequestTimeout
     |    +-- ConnectionFailed
     +-- VendorError               the vendor answered with an error
          +-- AuthError
          |    +-- TokenExpired
          +-- PermissionDenied
          |    +-- AccountBlocked      amoCRM's 403 HTML page for abusive clients
          +-- NotFound
          +-- RateLimited              ``retry_after`` seconds when the vendor said
          +-- ValidationError          ``details``: (field or path, message) pairs
          +-- ServerError
          +-- InvalidResponse          a non-JSON / HTML / malformed body where JSON was due

Every error carries ``vendor`` (adapter name), ``code`` (the vendor's error code), ``status``
(HTTP status) and ``request`` (a :class:`RequestInfo` with secrets already redacted), all
optional. ``TransportError.maybe_applied`` says whether a write may have reached the server
(read timeout, dropped connection) or provably did not (connection refused). Errors pickle, so
they can cross process boundaries. httpx exceptions are translated into these in exactly one
place, :mod:`unicrm.transport.classify`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs


@attrs.frozen
class RequestInfo:
    """The request an error is about, safe to print: secrets are already redacted."""

    method: str
    url: str
    params: str = ""

    def __str__(self) -> str:
        return f"{self.method} {self.url}" + (f" {self.params}" if self.params else "")


class UnicrmError(Exception):
    """Base of every unicrm error."""

    def __init__(
        self,
        message: str = "",
        *,
        vendor: str | None = None,
        code: str | None = None,
        status: int | None = None,
        request: RequestInfo | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.code = code
        self.status = status
        self.request = request

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            "vendor": self.vendor,
            "code": self.code,
            "status": self.status,
            "request": self.request,
            **self._extra_state(),
        }
        return (_rebuild, (type(self), self.message, state))

    def __str__(self) -> str:
        context = [
            part
            for part in (
                self.vendor,
                f"HTTP {self.status}" if self.status is not None else None,
                f"code {self.code!r}" if self.code else None,
                str(self.request) if self.request is not None else None,
            )
            if part
        ]
        return f"{self.message} [{'; '.join(context)}]" if context else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


def _rebuild(cls: type[UnicrmError], message: str, state: dict[str, Any]) -> UnicrmError:
    return cls(message, **state)


class ConfigurationError(UnicrmError):
    """A bad URL, option or configuration file; plain http to a non-loopback host."""


class QueryError(UnicrmError):
    """A query names an unknown field, compares with a wrong type or an unknown operator."""


class FullScanError(QueryError):
    """A strict query would have to read every record because its filter cannot be pushed."""


class UnsupportedOperation(UnicrmError):
    """The adapter (vendor) cannot do this at all, e.g. deleting amoCRM leads."""


class TransportError(UnicrmError):
    """No valid HTTP answer arrived (timeout, refused or dropped connection)."""

    def __init__(self, message: str = "", *, maybe_applied: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.maybe_applied = maybe_applied

    def _extra_state(self) -> dict[str, Any]:
        return {"maybe_applied": self.maybe_applied}


class RequestTimeout(TransportError):
    """The server did not answer in time."""


class ConnectionFailed(TransportError):
    """The connection could not be made, or dropped before a complete answer."""


class VendorError(UnicrmError):
    """The vendor answered with an error."""


class AuthError(VendorError):
    """Credentials are missing, wrong or revoked."""


class TokenExpired(AuthError):
    """The access token expired (refreshable)."""


class PermissionDenied(VendorError):
    """The credentials are valid but lack the right (scope, plan, role)."""


class AccountBlocked(PermissionDenied):
    """The vendor blocked the account or integration for too many requests."""


class NotFound(VendorError):
    """The record, method or endpoint does not exist."""


class RateLimited(VendorError):
    """The vendor refused the request for exceeding a rate limit."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def _extra_state(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}


class ValidationError(VendorError):
    """The vendor rejected the data; ``details`` lists (field or path, message) pairs."""

    def __init__(
        self, message: str = "", *, details: Iterable[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.details: tuple[tuple[str, str], ...] = tuple(details)

    def _extra_state(self) -> dict[str, Any]:
        return {"details": self.details}


class ServerError(VendorError):
    """The vendor failed (5xx)."""


class InvalidResponse(VendorError):
    """The body was not the JSON the API promises (an HTML page, garbage, a wrong shape)."""


__all__ = [
    "AccountBlocked",
    "AuthError",
    "ConfigurationError",
    "ConnectionFailed",
    "FullScanError",
    "InvalidResponse",
    "NotFound",
    "PermissionDenied",
    "QueryError",
    "RateLimited",
    "RequestInfo",
    "RequestTimeout",
    "ServerError",
    "TokenExpired",
    "TransportError",
    "UnicrmError",
    "UnsupportedOperation",
    "ValidationError",
    "VendorError",
]
