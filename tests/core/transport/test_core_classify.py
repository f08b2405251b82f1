"""The vendor-neutral decision table and the one place httpx exceptions are translated."""

from __future__ import annotations

import httpx
import pytest

from unicrm import errors as E  # noqa: N812
from unicrm.transport import (
    Decision,
    Resolution,
    ResponseView,
    classify_with,
    default_rules,
    translate_exception,
)

RULES = default_rules("acme")
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def view(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> ResponseView:
    return ResponseView.from_response(httpx.Response(status, content=body, headers=headers))


@pytest.mark.parametrize(
    "status, body, headers, decision, error, applied",
    [
        (200, b'{"ok": 1}', None, Decision.OK, None, None),
        (204, b"", None, Decision.OK, None, None),
        (200, HTML, None, Decision.RETRY, E.InvalidResponse, None),
        (401, b"{}", None, Decision.REFRESH_AUTH, E.AuthError, False),
        (403, b"{}", None, Decision.FAIL, E.PermissionDenied, False),
        (404, b"{}", None, Decision.FAIL, E.NotFound, False),
        (429, b"{}", {"Retry-After": "7"}, Decision.RETRY, E.RateLimited, False),
        (503, b"{}", None, Decision.RETRY, E.RateLimited, False),
        (500, b"{}", None, Decision.RETRY, E.ServerError, None),
        (502, HTML, None, Decision.RETRY, E.ServerError, None),
        (400, b'{"e": 1}', None, Decision.FAIL, E.ValidationError, False),
        (422, b"{}", None, Decision.FAIL, E.ValidationError, False),
        (302, b"", None, Decision.FAIL, E.VendorError, False),
        (418, b"", None, Decision.FAIL, E.VendorError, False),
    ],
)
def test_default_decision_table(
    status: int,
    body: bytes,
    headers: dict[str, str] | None,
    decision: Decision,
    error: type | None,
    applied: bool | None,
) -> None:
    resolution = classify_with(RULES, view(status, body, headers))
    assert resolution.decision is decision
    if error is None:
        assert resolution.error is None
    else:
        assert type(resolution.error) is error
        assert resolution.error.vendor == "acme"  # type: ignore[union-attr]
    assert resolution.applied is applied


def test_retry_after_is_carried_and_html_is_summarised() -> None:
    limited = classify_with(RULES, view(429, b"", {"Retry-After": "7"}))
    assert limited.retry_after == 7.0
    assert limited.error.retry_after == 7.0  # type: ignore[union-attr]
    gateway = classify_with(RULES, view(502, HTML))
    assert "502 Bad Gateway" in str(gateway.error)
    assert "<html>" not in str(gateway.error)


def test_vendor_rules_come_first_and_unclaimed_is_ok() -> None:
    def vendor_rule(v: ResponseView) -> Resolution | None:
        if isinstance(v.json, dict) and v.json.get("error") == "QUERY_LIMIT_EXCEEDED":
            return Resolution(Decision.RETRY, E.RateLimited("vendor says slow down"))
        return None

    resolution = classify_with(
        (vendor_rule, *RULES), view(200, b'{"error": "QUERY_LIMIT_EXCEEDED"}')
    )
    assert resolution.decision is Decision.RETRY
    assert classify_with((), view(500)).decision is Decision.OK


def test_response_view_never_raises_on_garbage() -> None:
    bad = view(200, b"\xff\xfe not json")
    assert bad.is_json is False and bad.json is None and not bad.empty
    empty = view(200, b"  ")
    assert empty.empty and not empty.is_json
    assert view(200, b"[1]", {"Content-Type": "application/json; charset=utf-8"}).content_type == (
        "application/json"
    )


REQUEST = httpx.Request("POST", "https://h.example/x")


@pytest.mark.parametrize(
    "exc, error, maybe_applied",
    [
        (httpx.ConnectTimeout("t", request=REQUEST), E.RequestTimeout, False),
        (httpx.PoolTimeout("t", request=REQUEST), E.RequestTimeout, False),
        (httpx.ConnectError("refused", request=REQUEST), E.ConnectionFailed, False),
        (httpx.ReadTimeout("t", request=REQUEST), E.RequestTimeout, True),
        (httpx.WriteTimeout("t", request=REQUEST), E.RequestTimeout, True),
        (httpx.RemoteProtocolError("reset", request=REQUEST), E.ConnectionFailed, True),
        (httpx.ReadError("r", request=REQUEST), E.ConnectionFailed, True),
        (httpx.UnsupportedProtocol("u", request=REQUEST), E.ConnectionFailed, True),
    ],
)
def test_translate_exception(exc: Exception, error: type, maybe_applied: bool) -> None:
    info = E.RequestInfo("POST", "https://h.example/x")
    translated = translate_exception(exc, info, "acme")
    assert type(translated) is error
    assert translated.maybe_applied is maybe_applied
    assert translated.request is info and translated.vendor == "acme"
    assert type(exc).__name__ in str(translated)
