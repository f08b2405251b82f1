"""The client's error table and retries, against scripted HTTP answers (httpx.MockTransport).

Bodies are the vendor's documented ones (notes §2, appendix A.2/A.3).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from unicrm.errors import (
    AuthError,
    ConfigurationError,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    UnsupportedOperation,
    ValidationError,
    VendorError,
)
from unicrm.transport import Backoff, MemoryTokenStore, RetryPolicy, TokenPair
from unicrm_bitrix24.auth import Credentials, make_credentials
from unicrm_bitrix24.client import Bitrix24Client, parse_endpoint
from unicrm_bitrix24.limiter import NoLimits

CODE = "s3cretw3bhookc0de"
URL = f"bitrix24://portal.example.com/rest/1/{CODE}/"
FAST = RetryPolicy(max_attempts=3, backoff=Backoff(base=0.001, cap=0.002), max_retry_after=0.01)


def _client(
    handler: Callable[[httpx.Request], httpx.Response], credentials: Any = None
) -> Bitrix24Client:
    return Bitrix24Client(
        parse_endpoint(URL),
        credentials=credentials or Credentials(),
        limiter=NoLimits(),
        transport=httpx.MockTransport(handler),
        policy=FAST,
    )


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _error(status: int, code: str, text: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(status, json={"error": code, "error_description": text})


TABLE = [
    ("not-found", _error(400, "", "Not found"), NotFound),
    ("bad-id", _error(400, "", "ID is not defined or invalid."), NotFound),
    ("access", _error(400, "", "Access denied."), PermissionDenied),
    ("fields", _error(400, "", "Parameter 'fields' must be array."), ValidationError),
    ("no-method", _error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"), UnsupportedOperation),
    ("no-auth", _error(401, "NO_AUTH_FOUND", "Wrong authorization data"), AuthError),
    ("bad-webhook", _error(401, "INVALID_CREDENTIALS", "Invalid request credentials"), AuthError),
    ("scope", _error(403, "insufficient_scope", "higher privileges"), PermissionDenied),
    ("limit", _error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"), RateLimited),
    ("operating", _error(429, "OPERATION_TIME_LIMIT", "blocked"), RateLimited),
    (
        "html-500",
        lambda r: httpx.Response(502, text="<html><title>Bad gateway</title></html>"),
        ServerError,
    ),
    ("html-200", lambda r: httpx.Response(200, text="<html>maintenance</html>"), InvalidResponse),
    (
        "html-503",
        lambda r: httpx.Response(503, text="<html><title>503 Service Unavailable</title></html>"),
        ServerError,
    ),
    ("empty-503", lambda r: httpx.Response(503), ServerError),
    ("overload", _error(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload"), ServerError),
    ("core", _error(400, "ERROR_CORE", "Field name is too long"), ValidationError),
    ("uf-missing", _error(400, "ERROR_NOT_FOUND", "The entity with ID '7' is not found"), NotFound),
    ("status-code", _error(400, "Status is not found.", "Элемент не найден."), NotFound),
    ("status-text", _error(400, "", "Status is not found."), NotFound),
    ("unknown", _error(400, "SOMETHING_NEW", "a code nobody documented"), VendorError),
]


@pytest.mark.parametrize(("handler", "expected"), [pytest.param(h, e, id=n) for n, h, e in TABLE])
def test_error_table(handler: Any, expected: type[Exception]) -> None:
    calls = []

    def counting(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request)  # type: ignore[no-any-return]

    with pytest.raises(expected) as info:
        _run(_client(counting).call("crm.lead.get", {"id": 1}))
    assert type(info.value) is expected  # not merely a subclass: VendorError is their base
    assert CODE not in str(info.value) and CODE not in repr(info.value)
    retried = expected in (RateLimited, ServerError, InvalidResponse)
    if info.value.code == "OVERLOAD_LIMIT":
        retried = False  # a manual block: waiting does not lift it
    assert len(calls) == (FAST.max_attempts if retried else 1)


def test_an_unknown_code_keeps_the_code() -> None:
    with pytest.raises(VendorError) as info:
        _run(_client(_error(400, "SOMETHING_NEW", "undocumented")).call("crm.lead.get", {"id": 1}))
    assert (info.value.code, info.value.status) == ("SOMETHING_NEW", 400)


def test_html_503_is_not_rate_limiting_but_a_json_one_is() -> None:
    page = httpx.Response(503, text="<html><title>503 Service Unavailable</title></html>")
    limited = httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "x"})
    for answer, expected in ((page, ServerError), (limited, RateLimited)):
        with pytest.raises(expected) as info:
            _run(_client(lambda r, a=answer: a).call("crm.lead.list"))  # type: ignore[misc]
        assert type(info.value) is expected and info.value.status == 503


def test_retry_then_success_and_webhook_path() -> None:
    answers = iter(
        [
            httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "x"}),
            httpx.Response(500, text="<html>oops</html>"),
            httpx.Response(200, json={"result": {"ID": "1"}, "time": {"operating": 0}}),
        ]
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    envelope = _run(_client(handler).call("crm.lead.get", {"id": 1}))
    assert envelope.result == {"ID": "1"}
    assert seen[-1].url.path == f"/rest/1/{CODE}/crm.lead.get.json"
    assert json.loads(seen[-1].content) == {"id": 1}


def test_batch_keeps_results_next_to_errors() -> None:
    body = {
        "result": {
            "result": {"a": 5, "c": True},
            "result_error": {"b": {"error": "", "error_description": "Not found"}},
            "result_total": [],
            "result_next": [],
            "result_time": [],
        }
    }
    client = _client(lambda r: httpx.Response(200, json=body))
    answer = _run(client.batch({"a": "crm.lead.add?x=1", "b": "crm.lead.get?id=9", "c": "x"}))
    assert answer.results == {"a": 5, "c": True}
    assert isinstance(answer.errors["b"], NotFound)


def test_a_command_with_neither_result_nor_error_is_invalid_response() -> None:
    """Never a silent skip: the command that came back empty is an error of its own."""
    body = {
        "result": {
            "result": {"a": 5},
            "result_error": {"b": {"error": "", "error_description": "Not found"}},
        }
    }
    client = _client(lambda r: httpx.Response(200, json=body))
    answer = _run(client.batch({"a": "x", "b": "y", "c": "z"}))
    assert answer.results == {"a": 5}
    assert isinstance(answer.errors["b"], NotFound)
    assert type(answer.errors["c"]) is InvalidResponse and "'c'" in str(answer.errors["c"])


def test_after_a_halting_error_the_rest_is_not_an_error() -> None:
    body = {
        "result": {
            "result": {"a": 1},
            "result_error": {"b": {"error": "", "error_description": "x"}},
        }
    }
    answer = _run(
        _client(lambda r: httpx.Response(200, json=body)).batch(
            {"a": "x", "b": "y", "c": "z"}, halt=True
        )
    )
    assert set(answer.errors) == {"b"} and "c" not in answer.results


def test_list_shaped_error_map() -> None:
    body = {
        "result": {"result": [], "result_error": [{"error": "", "error_description": "Not found"}]}
    }
    answer = _run(
        _client(lambda r: httpx.Response(200, json=body)).batch({"0": "crm.lead.get?id=1"})
    )
    assert isinstance(answer.errors["0"], NotFound)


@pytest.mark.parametrize(
    "url",
    [
        "bitrix24+http://portal.example.com/rest/1/abc/",
        "bitrix24://portal.example.com/rest/abc/",
        "bitrix24://portal.example.com/rest/1/abc/crm.lead.list",
        "https://portal.example.com/rest/1/abc/",
        "bitrix24://user:pw@portal.example.com/rest/1/abc/",
    ],
)
def test_bad_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_endpoint(url)
    assert "abc" not in str(info.value).replace("abc/crm", "")


def test_endpoint_repr_hides_the_code() -> None:
    endpoint = parse_endpoint(URL)
    assert CODE not in repr(endpoint)
    assert CODE not in _client(lambda r: httpx.Response(200, json={"result": 1})).describe()


def test_oauth_refreshes_once_on_expired_token_and_rotates() -> None:
    state = {"access": "old-access-1", "refresh": "refresh-1", "grants": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token/":
            params = dict(request.url.params)
            assert params["refresh_token"] == state["refresh"]
            state["grants"] += 1
            state["access"] = f"access-{state['grants'] + 1}"
            state["refresh"] = f"refresh-{state['grants'] + 1}"
            return httpx.Response(
                200,
                json={
                    "access_token": state["access"],
                    "refresh_token": state["refresh"],
                    "expires_in": 3600,
                },
            )
        sent = json.loads(request.content)["auth"]
        if sent != state["access"]:
            return httpx.Response(
                401, json={"error": "expired_token", "error_description": "expired"}
            )
        return httpx.Response(200, json={"result": sent})

    store = MemoryTokenStore()
    store.save(TokenPair(access_token="stale-token", refresh_token="refresh-1"))
    transport = httpx.MockTransport(handler)
    credentials = make_credentials(
        {
            "client_id": "app",
            "client_secret": "app-secret-xyz",
            "token_store": store,
            "oauth_url": "http://127.0.0.1/oauth/token/",
        },
        transport,
    )
    client = Bitrix24Client(
        parse_endpoint("bitrix24+http://127.0.0.1:1"),
        credentials=credentials,
        limiter=NoLimits(),
        transport=transport,
        policy=FAST,
    )

    async def many() -> list[Any]:
        return await asyncio.gather(*(client.call("profile") for _ in range(10)))

    results = _run(many())
    assert {r.result for r in results} == {"access-2"}
    assert state["grants"] == 1
    saved = store.load()
    assert saved is not None and saved.refresh_token is not None
    assert saved.refresh_token.reveal() == "refresh-2"
