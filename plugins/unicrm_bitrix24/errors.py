"""Bitrix24's error table: ``{"error", "error_description"}`` -> unicrm errors (notes §2, A.3).

One table serves whole responses (:func:`classify`, for the transport's retry loop) and the
per-command errors inside a ``batch`` answer (:func:`command_error`), which arrive with HTTP 200
and no status of their own. Rows are tried in order; the first match wins. Classic CRM errors
carry an empty code and are told apart by their description (gotcha 16); an empty-code error the
table does not know is a method refusing its input (``ValidationError``), while a *code* it does
not know is a ``VendorError`` carrying that code (never guessed to be a validation problem).

A 503 is rate limiting only when its body says so (``QUERY_LIMIT_EXCEEDED``): an HTML 503 page
(a proxy, a maintenance page) is a server error and is retried as one (:func:`page_rule`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unicrm.errors import (
    AuthError,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    TokenExpired,
    UnicrmError,
    UnsupportedOperation,
    ValidationError,
    VendorError,
)
from unicrm.transport import Decision, Resolution, ResponseView, default_rules

VENDOR = "bitrix24"

Make = Callable[[str, str, int | None], UnicrmError]


def _make(kind: type[UnicrmError]) -> Make:
    def make(code: str, text: str, status: int | None) -> UnicrmError:
        shown = f"{code}: {text}" if code else text
        return kind(
            f"bitrix24: {shown or 'error'}", vendor=VENDOR, code=code or None, status=status
        )

    return make


def _rate(code: str, text: str, status: int | None) -> UnicrmError:
    return RateLimited(f"bitrix24: {code}: {text}", vendor=VENDOR, code=code, status=status)


#: (error code or None for any, description or None for any) -> (error maker, decision).
#: Codes compare case-insensitively.
TABLE: tuple[tuple[str | None, str | None, Make, Decision], ...] = (
    ("expired_token", None, _make(TokenExpired), Decision.REFRESH_AUTH),
    ("invalid_token", None, _make(TokenExpired), Decision.REFRESH_AUTH),
    ("no_auth_found", None, _make(AuthError), Decision.FAIL),
    ("invalid_credentials", None, _make(AuthError), Decision.FAIL),
    ("authorization_error", None, _make(AuthError), Decision.FAIL),
    ("wrong_auth_type", None, _make(AuthError), Decision.FAIL),
    ("payment_required", None, _make(PermissionDenied), Decision.FAIL),
    ("insufficient_scope", None, _make(PermissionDenied), Decision.FAIL),
    ("access_denied", None, _make(PermissionDenied), Decision.FAIL),
    ("user_access_error", None, _make(PermissionDenied), Decision.FAIL),
    ("query_limit_exceeded", None, _rate, Decision.RETRY),
    ("operation_time_limit", None, _rate, Decision.RETRY),
    ("error_method_not_found", None, _make(UnsupportedOperation), Decision.FAIL),
    ("error_batch_method_not_allowed", None, _make(UnsupportedOperation), Decision.FAIL),
    ("error_batch_length_exceeded", None, _make(ValidationError), Decision.FAIL),
    ("not_found", None, _make(NotFound), Decision.FAIL),
    ("error_not_found", None, _make(NotFound), Decision.FAIL),
    # crm.status.get's documented sample puts the sentence in the code
    ("status is not found.", None, _make(NotFound), Decision.FAIL),
    ("error_core", None, _make(ValidationError), Decision.FAIL),
    ("error_argument", None, _make(ValidationError), Decision.FAIL),
    ("invalid_arg_value", None, _make(ValidationError), Decision.FAIL),
    ("wrong_encoding", None, _make(ValidationError), Decision.FAIL),
    ("internal_server_error", None, _make(ServerError), Decision.RETRY),
    ("error_unexpected_answer", None, _make(ServerError), Decision.RETRY),
    ("overload_limit", None, _make(ServerError), Decision.FAIL),  # blocked until support lifts it
    ("", "not found", _make(NotFound), Decision.FAIL),
    ("", "not found.", _make(NotFound), Decision.FAIL),
    ("", "status is not found.", _make(NotFound), Decision.FAIL),
    ("", "id is not defined or invalid.", _make(NotFound), Decision.FAIL),
    ("", "access denied.", _make(PermissionDenied), Decision.FAIL),
    ("", "access denied", _make(PermissionDenied), Decision.FAIL),
    ("", None, _make(ValidationError), Decision.FAIL),
    (None, None, _make(VendorError), Decision.FAIL),
)


def lookup(code: str, text: str, status: int | None) -> tuple[UnicrmError, Decision]:
    """The error and decision for one ``{"error", "error_description"}`` pair."""
    lowered, described = code.lower(), text.strip().lower()
    for want_code, want_text, make, decision in TABLE:
        if want_code is not None and want_code != lowered:
            continue
        if want_text is not None and want_text != described:
            continue
        return make(code, text, status), decision
    raise AssertionError("the last row matches everything")  # pragma: no cover


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _body_error(body: Any) -> tuple[str, str] | None:
    if isinstance(body, Mapping) and "error" in body and "result" not in body:
        return _text(body.get("error")), _text(body.get("error_description"))
    return None


def vendor_rule(view: ResponseView) -> Resolution | None:
    """A JSON error body (any status, including the OAuth server's 200 ``WRONG_CLIENT``)."""
    found = _body_error(view.json)
    if found is None or (view.status >= 500 and view.status != 503):
        return None  # server failures go to the core's retrying rows
    error, decision = lookup(*found, view.status)
    applied = False if decision is not Decision.RETRY or view.status in (429, 503) else None
    if decision is Decision.RETRY and isinstance(error, RateLimited):
        applied = False
    return Resolution(decision, error, applied=applied)


def page_rule(view: ResponseView) -> Resolution | None:
    """A 503 whose body is not JSON (an HTML page, nothing at all): the portal's rate limit
    always answers JSON, so this is a server (or proxy) failure, retried as one."""
    if view.status != 503 or view.is_json:
        return None
    note = f" ({view.snippet!r})" if view.snippet else " (an empty body)"
    error = ServerError(f"bitrix24 failed with HTTP 503{note}", vendor=VENDOR, status=503)
    return Resolution(Decision.RETRY, error)


def classify(view: ResponseView) -> Resolution:
    """The decision for one response: the vendor table first, then the core defaults."""
    for rule in (vendor_rule, page_rule, *default_rules(VENDOR)):
        resolution = rule(view)
        if resolution is not None:
            return resolution
    return Resolution(Decision.OK)


def command_error(raw: Any) -> UnicrmError:
    """A batch sub-command's ``result_error`` entry as a typed error."""
    if not isinstance(raw, Mapping):
        return InvalidResponse(
            f"bitrix24: a batch error entry that is not an object: {str(raw)[:80]!r}", vendor=VENDOR
        )
    error, _decision = lookup(_text(raw.get("error")), _text(raw.get("error_description")), None)
    return error


def unanswered(key: str) -> InvalidResponse:
    """A batch command that came back with neither a result nor an error."""
    return InvalidResponse(
        f"bitrix24 batch answered neither a result nor an error for command {key!r}",
        vendor=VENDOR,
    )


__all__ = ["TABLE", "classify", "command_error", "lookup", "page_rule", "unanswered", "vendor_rule"]
