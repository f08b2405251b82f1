"""The amoCRM HTTP client: base URL rules, auth, the proactive limiter, retries and the vendor's
error table, all from the core transport (:mod:`unicrm.transport`).

Only what is amoCRM's own lives here (vendor notes §7): 204 is an empty success (never a JSON
crash); a 403 whose body is not JSON (nginx's HTML page, or nothing) is the vendor's abuse
block, :class:`AccountBlocked`; 402 is an unpaid account; 400 with ``validation-errors`` is a
:class:`ValidationError` whose details are the dot paths the vendor reports, whatever shape the
list came in. Everything else (429/5xx/HTML pages/timeouts,
backoff, 401 refresh) follows the core's default rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from unicrm.errors import AccountBlocked, ConfigurationError, PermissionDenied, ValidationError
from unicrm.transport import (
    Decision,
    Limiter,
    Resolution,
    ResponseView,
    RetryPolicy,
    check_url_security,
    default_rules,
    make_async_client,
    send,
)

VENDOR = "amocrm"
#: URL scheme -> (HTTP scheme, allowed host suffixes or None for loopback only).
SCHEMES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "amocrm": ("https", (".amocrm.ru", ".amocrm.com", ".kommo.com")),
    "kommo": ("https", (".kommo.com", ".amocrm.ru", ".amocrm.com")),
    "amocrm+http": ("http", ()),
}


def base_url_of(url: str) -> str:
    """``amocrm://sub.amocrm.ru`` -> ``https://sub.amocrm.ru``; ``amocrm+http://`` loopback only."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise ConfigurationError(
            f"an amoCRM URL looks like amocrm://SUBDOMAIN.amocrm.ru, kommo://SUBDOMAIN.kommo.com "
            f"or amocrm+http://127.0.0.1:PORT; got scheme {scheme!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError("put the amoCRM token in token=..., not in the URL")
    http, suffixes = SCHEMES[scheme]
    host = parts.hostname.lower()
    if suffixes and (host.startswith("www.") or not host.endswith(suffixes)):
        raise ConfigurationError(
            f"{host!r} is not an account host: use SUBDOMAIN{' or SUBDOMAIN'.join(suffixes)}"
        )
    base = f"{http}://{parts.netloc.rsplit('@', 1)[-1]}"
    check_url_security(base)
    return base


def _text(value: Any) -> str:
    """A vendor value for a message: strings (cut short) and scalars as they are, containers by
    type (their text could be huge or nested past any recursion limit)."""
    if isinstance(value, str):
        return value[:200]
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)[:200]
    return f"<{type(value).__name__}>"


def _blocks(raw: Any) -> list[Any]:
    """The blocks of ``validation-errors``: the documented array, one block given as an object,
    or a map of blocks."""
    if isinstance(raw, list):
        return raw
    if isinstance(raw, Mapping):
        return [raw] if "errors" in raw or "request_id" in raw else list(raw.values())
    return [raw]


def validation_details(raw: Any) -> tuple[tuple[str, str], ...]:
    """``(request_id:path, code: detail)`` pairs from ``validation-errors`` of whatever shape the
    server sent (vendor notes §7.1 document an array of ``{request_id, errors: [{code, path,
    detail}]}``); entries that are not objects are kept as text, never dropped."""
    details: list[tuple[str, str]] = []
    for block in _blocks(raw):
        if not isinstance(block, Mapping):
            details.append(("", _text(block)))
            continue
        request_id = _text(block.get("request_id"))
        errors = block.get("errors")
        for entry in errors if isinstance(errors, list) else [errors] if errors else []:
            if isinstance(entry, Mapping):
                where = f"{request_id}:{_text(entry.get('path'))}"
                details.append((where, f"{_text(entry.get('code'))}: {_text(entry.get('detail'))}"))
            else:
                details.append((f"{request_id}:", _text(entry)))
    return tuple(details)


def _validation(view: ResponseView) -> Resolution | None:
    body = view.json if isinstance(view.json, Mapping) else None
    if view.status != 400 or not body or not body.get("validation-errors"):
        return None
    detail = body.get("detail")
    summary = _text(detail) if detail else "validation failed"
    return Resolution(
        Decision.FAIL,
        ValidationError(
            f"amocrm rejected the request: {summary}",
            vendor=VENDOR,
            status=400,
            details=validation_details(body["validation-errors"]),
        ),
        applied=False,
    )


def _body_kind(view: ResponseView) -> str:
    """How a non-JSON body looks, for messages: an empty body is not an HTML page."""
    if view.empty:
        return "an empty body"
    if view.content_type == "text/html" or view.text.lstrip().startswith("<"):
        return f"an HTML page ({view.snippet!r})"
    return f"a non-JSON body ({view.snippet!r})"


def _blocked(view: ResponseView) -> Resolution | None:
    if view.status != 403 or view.json is not None:
        return None
    return Resolution(
        Decision.FAIL,
        AccountBlocked(
            f"amocrm answered 403 with {_body_kind(view)}: the account or IP is blocked for "
            "exceeding the request limits; wait, then lower the request rate",
            vendor=VENDOR,
            status=403,
        ),
        applied=False,
    )


def _unpaid(view: ResponseView) -> Resolution | None:
    if view.status != 402:
        return None
    return Resolution(
        Decision.FAIL,
        PermissionDenied("the amocrm account is not paid (402)", vendor=VENDOR, status=402),
        applied=False,
    )


def _empty(view: ResponseView) -> Resolution | None:
    return Resolution(Decision.OK) if view.status == 204 else None


#: The vendor rows, tried before the core's default rules.
AMO_RULES: tuple[Callable[[ResponseView], Resolution | None], ...] = (
    _empty,
    _blocked,
    _unpaid,
    _validation,
)


def classify(view: ResponseView) -> Resolution:
    """The decision for one response: vendor rows first, then the core defaults."""
    for rule in (*AMO_RULES, *default_rules(VENDOR)):
        resolution = rule(view)
        if resolution is not None:
            return resolution
    return Resolution(Decision.OK)


class AmoClient:
    """One account's HTTP client (async; shared by every request of a connection)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth,
        limiter: Limiter,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        startup: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.base_url = base_url
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self._startup = startup
        self._http = make_async_client(
            base_url, transport=transport, timeout=timeout, auth=auth, max_connections=20
        )

    async def call(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """Send one request (limited, retried, classified); the parsed JSON, or None for 204."""
        if self._startup is not None:
            startup, self._startup = self._startup, None
            await startup()

        def build() -> httpx.Request:
            return self._http.build_request(method, path, params=params, json=json)

        _response, parsed = await send(
            self._http,
            build,
            classify=classify,
            limiter=self.limiter,
            policy=self.policy,
            idempotent=method == "GET",
            on_refresh=None,
            vendor=VENDOR,
        )
        return parsed

    async def aclose(self) -> None:
        await self._http.aclose()

    def describe(self) -> str:
        return f"amocrm {self.base_url}"


__all__ = ["AMO_RULES", "AmoClient", "base_url_of", "classify", "validation_details"]
