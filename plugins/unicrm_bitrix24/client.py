"""The Bitrix24 HTTP client: endpoint rules, credentials, the limiter, retries, ``batch``.

Every call is a JSON ``POST <endpoint><method>.json`` (notes §1.2), sent through the core's
:func:`unicrm.transport.send` (retries on 503/429/5xx/HTML pages/timeouts with backoff) and
classified by :mod:`unicrm_bitrix24.errors`. :meth:`Bitrix24Client.batch` runs up to 50
sub-commands in one request and returns each command's result or typed error, so one failed
command never loses the others' results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

from unicrm.errors import ConfigurationError, InvalidResponse, RateLimited, UnicrmError
from unicrm.transport import (
    RetryPolicy,
    Secret,
    TokenPair,
    is_loopback,
    make_async_client,
    redact,
    register_secret,
    send,
)
from unicrm_bitrix24.auth import Credentials
from unicrm_bitrix24.capabilities import BATCH_COMMANDS
from unicrm_bitrix24.errors import classify, command_error, unanswered
from unicrm_bitrix24.limiter import Bitrix24Limiter
from unicrm_bitrix24.wire import php_query

VENDOR = "bitrix24"
#: Methods that only read (safe to retry after an unknown outcome).
READ_SUFFIXES = (".list", ".get", ".fields", ".items.get", ".entity.items", ".findbycomm")


@attrs.frozen
class Endpoint:
    """Where methods are called: ``https://host/rest/<user>/<code>/`` or ``https://host/rest/``."""

    base: str
    host: str
    webhook_code: Secret | None = None

    def __repr__(self) -> str:
        return f"Endpoint({redact(self.base)!r})"


SCHEMES: Mapping[str, str] = {"bitrix24": "https", "bitrix24+http": "http"}


def parse_endpoint(url: str) -> Endpoint:
    """``bitrix24://host/rest/1/CODE/`` (webhook) or ``bitrix24://host`` (OAuth).

    ``bitrix24+http://`` is accepted for loopback hosts only (the emulator).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise ConfigurationError(
            "a Bitrix24 URL looks like bitrix24://PORTAL/rest/USER/CODE/ (webhook), "
            f"bitrix24://PORTAL (OAuth) or bitrix24+http://127.0.0.1:PORT/...; got {scheme!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError("put bitrix24 credentials in the webhook path or options")
    if scheme == "bitrix24+http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"bitrix24+http:// is for the local emulator only (127.0.0.1/localhost), not "
            f"{parts.hostname!r}: use bitrix24:// (HTTPS)"
        )
    netloc = parts.netloc.rsplit("@", 1)[-1]
    segments = [s for s in parts.path.split("/") if s]
    root = f"{SCHEMES[scheme]}://{netloc}"
    if not segments:
        return Endpoint(f"{root}/rest/", parts.hostname)
    if len(segments) == 3 and segments[0] == "rest" and segments[1].isdigit() and segments[2]:
        code = Secret(segments[2])
        register_secret(code.reveal())
        return Endpoint(f"{root}/rest/{segments[1]}/{segments[2]}/", parts.hostname, code)
    raise ConfigurationError(
        "a Bitrix24 webhook path is /rest/<user id>/<code>/ (the user id is required); got "
        f"a path of {len(segments)} segment(s) (not shown: it may hold the webhook code)"
    )


@attrs.frozen
class Envelope:
    """A successful answer: ``result`` plus the paging and timing keys."""

    result: Any
    next: int | None = None
    total: int | None = None
    time: Mapping[str, Any] | None = None


@attrs.frozen
class BatchResult:
    """Per command key: the result, or the typed error (never both)."""

    results: Mapping[str, Any]
    errors: Mapping[str, UnicrmError]
    totals: Mapping[str, Any] = attrs.field(factory=dict)
    nexts: Mapping[str, Any] = attrs.field(factory=dict)


def _as_map(value: Any) -> dict[str, Any]:
    """PHP serialises ``0..n-1`` keyed maps as lists and empty maps as ``[]``."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


class Bitrix24Client:
    """One portal's HTTP client (async; shared by every request of a connection)."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        credentials: Credentials,
        limiter: Bitrix24Limiter,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
        max_connections: int = 20,
    ) -> None:
        self.endpoint = endpoint
        self.credentials = credentials
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self.requests = 0
        self._prepared = False
        self._http = make_async_client(
            endpoint.base, transport=transport, timeout=timeout, max_connections=max_connections
        )

    async def _prepare(self) -> None:
        if not self._prepared:
            self._prepared = True
            await self.credentials.prepare()

    async def call_raw(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one method call; the parsed body of a successful answer.

        ``idempotent`` (default: the method only reads, by its name) lets the retry loop resend
        after an unknown outcome (a timeout, a dropped connection, a 5xx page).
        """
        await self._prepare()
        used: list[TokenPair | None] = [await self.credentials.token()]

        def build() -> httpx.Request:
            body = dict(params or {})
            pair = used[0]
            if pair is not None:
                body["auth"] = pair.access_token.reveal()
            return self._http.build_request("POST", f"{method}.json", json=body)

        async def refresh() -> None:
            await self.credentials.refresh(used[0])
            used[0] = await self.credentials.token()

        self.requests += 1
        _response, parsed = await send(
            self._http,
            build,
            classify=classify,
            limiter=self.limiter.for_method(method),
            policy=self.policy,
            idempotent=method.lower().endswith(READ_SUFFIXES) if idempotent is None else idempotent,
            on_refresh=refresh if self.credentials.oauth else None,
            vendor=VENDOR,
        )
        if not isinstance(parsed, Mapping) or "result" not in parsed:
            raise InvalidResponse(f"bitrix24 {method} answered without a result", vendor=VENDOR)
        return parsed

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Envelope:
        """One method call as an :class:`Envelope`."""
        body = await self.call_raw(method, params)
        return Envelope(
            result=body.get("result"),
            next=body.get("next"),
            total=body.get("total"),
            time=body.get("time") if isinstance(body.get("time"), Mapping) else None,
        )

    async def batch(
        self, commands: Mapping[str, str], *, halt: bool = False, read_only: bool = False
    ) -> BatchResult:
        """Run up to 50 ``method?query`` sub-commands in one request.

        Sub-commands are billed to their own methods' operating time: the batch waits while
        any of those methods is held, and feeds each ``result_time`` back to the limiter. A
        read-only batch in which a limit refused some commands is sent again once the limiter
        allows (reads are safe to repeat); a writing batch returns those refusals as the
        commands' typed errors (the others took effect).
        """
        if len(commands) > BATCH_COMMANDS:
            raise ValueError(f"a bitrix24 batch holds at most {BATCH_COMMANDS} commands")
        params = {"halt": 1 if halt else 0, "cmd": dict(commands)}
        methods = {k: str(c).split("?", 1)[0].strip().lower() for k, c in commands.items()}
        attempt = 1
        while True:
            await self.limiter.hold_methods(methods.values())
            answer, refused = await self._batch_once(params, methods, read_only, halt)
            if not refused or not read_only or attempt >= self.policy.max_attempts:
                return answer
            attempt += 1

    async def _batch_once(
        self, params: Mapping[str, Any], methods: Mapping[str, str], read_only: bool, halt: bool
    ) -> tuple[BatchResult, dict[str, str | None]]:
        # a batch of reads is as safe to resend as each of its reads
        body = await self.call_raw("batch", params, idempotent=read_only)
        result = body.get("result")
        if not isinstance(result, Mapping):
            raise InvalidResponse("bitrix24 batch answered without its result maps", vendor=VENDOR)
        results = _as_map(result.get("result"))
        errors = {k: command_error(v) for k, v in _as_map(result.get("result_error")).items()}
        if not (halt and errors):  # after a halting error the rest rightly did not run
            for key in methods:
                if key not in results and key not in errors:
                    errors[key] = unanswered(key)
        refused = {k: e.code for k, e in errors.items() if isinstance(e, RateLimited)}
        self.limiter.observe_commands(methods, _as_map(result.get("result_time")), refused)
        answer = BatchResult(
            results=results,
            errors=errors,
            totals=_as_map(result.get("result_total")),
            nexts=_as_map(result.get("result_next")),
        )
        return answer, refused

    async def aclose(self) -> None:
        await self._http.aclose()

    def describe(self) -> str:
        return f"bitrix24 {redact(self.endpoint.base)}"


def command(method: str, params: Mapping[str, Any], *, refs: Sequence[str] = ()) -> str:
    """One batch sub-command string (``refs``: values left as ``$result[...]`` references)."""
    return f"{method}?{php_query(params, raw_values=frozenset(refs))}"


__all__ = [
    "BatchResult",
    "Bitrix24Client",
    "Endpoint",
    "Envelope",
    "command",
    "parse_endpoint",
]
