"""The vendor error table and URL rules, against canned responses (httpx.MockTransport) and
against the emulator's readings of the open rules (429 and 403 bodies)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from unicrm.emulation import EmulatorTransport, ManualClock
from unicrm.errors import AccountBlocked, ConfigurationError, RateLimited, ValidationError
from unicrm.transport import NoLimiter, RetryPolicy
from unicrm_amocrm.client import AmoClient, base_url_of
from unicrm_amocrm.emulator import AmoCRMEmulator, OpenRules
from unicrm_amocrm.emulator import limits as amo_limits

from .conftest import BearerToken

HTML = "<html><body><h1>403 Forbidden</h1>nginx</body></html>"


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("amocrm://example.amocrm.ru", "https://example.amocrm.ru"),
        ("kommo://acme.kommo.com", "https://acme.kommo.com"),
        ("amocrm+http://127.0.0.1:8025", "http://127.0.0.1:8025"),
    ],
)
def test_account_urls(url: str, base: str) -> None:
    assert base_url_of(url) == base


@pytest.mark.parametrize(
    "url",
    [
        "amocrm://www.amocrm.ru",
        "amocrm://evil.example.com",
        "amocrm+http://10.0.0.1:80",
        "amocrm://user:secret@example.amocrm.ru",
        "bitrix24://example.amocrm.ru",
    ],
)
def test_bad_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        base_url_of(url)


def _client(handler) -> AmoClient:
    return AmoClient(
        "http://127.0.0.1:1",
        auth=httpx.Auth(),
        limiter=NoLimiter(),
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(max_attempts=2),
    )


def _call(client: AmoClient, method: str = "GET", **kwargs):
    async def go():
        try:
            return await client.call(method, "/api/v4/leads", **kwargs)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_no_content_is_none() -> None:
    assert _call(_client(lambda r: httpx.Response(204))) is None


def test_html_403_is_account_blocked() -> None:
    client = _client(
        lambda r: httpx.Response(403, text=HTML, headers={"content-type": "text/html"})
    )
    with pytest.raises(AccountBlocked, match="blocked"):
        _call(client)


def test_validation_errors_carry_vendor_paths() -> None:
    body = {
        "validation-errors": [
            {
                "request_id": "0",
                "errors": [
                    {
                        "code": "NotSupportedChoice",
                        "path": "custom_fields_values.0.field_id",
                        "detail": "The value you selected is not a valid choice.",
                    }
                ],
            }
        ],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }
    client = _client(
        lambda r: httpx.Response(
            400, json=body, headers={"content-type": "application/problem+json"}
        )
    )
    with pytest.raises(ValidationError) as info:
        _call(client, "POST", json=[{}])
    assert any("custom_fields_values.0.field_id" in path for path, _ in info.value.details)


PROBLEM = {"content-type": "application/problem+json"}
ENTRY = {"code": "NotSupportedChoice", "path": "name", "detail": "not a valid choice"}


@pytest.mark.parametrize(
    "errors",
    [
        {"request_id": "0", "errors": [ENTRY]},  # one block as an object, not an array
        {"0": {"request_id": "0", "errors": [ENTRY]}},  # a map of blocks
        ["name is wrong"],  # entries that are not objects
        [{"request_id": "0", "errors": ["name is wrong", 7, None]}],
        [{"request_id": "0", "errors": {"code": "X"}}],
        [{"request_id": 0, "errors": [{"code": ["nested"], "path": {"a": 1}}]}],
        "name is wrong",
        [None, 3, [ENTRY]],
    ],
    ids=[
        "object",
        "map",
        "string-entries",
        "mixed-errors",
        "errors-object",
        "odd-types",
        "string",
        "junk",
    ],
)
def test_validation_errors_of_any_shape_are_a_validation_error(errors: object) -> None:
    """amoCRM documents ``validation-errors`` as an array of objects; whatever shape it comes
    in, the caller gets a ValidationError with every entry kept, never an AttributeError."""
    body = {"validation-errors": errors, "status": 400, "detail": "Request validation failed"}
    client = _client(lambda r: httpx.Response(400, json=body, headers=PROBLEM))
    with pytest.raises(ValidationError) as info:
        _call(client, "POST", json=[{}])
    assert info.value.details
    assert "Request validation failed" in str(info.value)


def test_a_429_with_a_text_body_and_retry_after_is_rate_limited() -> None:
    client = AmoClient(
        "http://127.0.0.1:1",
        auth=httpx.Auth(),
        limiter=NoLimiter(),
        transport=httpx.MockTransport(
            lambda r: httpx.Response(429, text="Too Many Requests", headers={"Retry-After": "3"})
        ),
        policy=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(RateLimited) as info:
        _call(client)
    assert info.value.retry_after == 3.0 and info.value.status == 429


def test_an_empty_403_is_a_block_not_described_as_html() -> None:
    client = _client(lambda r: httpx.Response(403))
    with pytest.raises(AccountBlocked) as info:
        _call(client)
    assert "empty body" in str(info.value) and "HTML" not in str(info.value)
    client = _client(
        lambda r: httpx.Response(403, text=HTML, headers={"content-type": "text/html"})
    )
    with pytest.raises(AccountBlocked, match="an HTML page"):
        _call(client)


def _emulated_client(emulator: AmoCRMEmulator) -> AmoClient:
    return AmoClient(
        "http://127.0.0.1:1",
        auth=BearerToken(emulator.long_lived_token),
        limiter=NoLimiter(),
        transport=EmulatorTransport(emulator),
        policy=RetryPolicy(max_attempts=1),
    )


@pytest.mark.parametrize(
    ("rules", "retry_after"),
    [(OpenRules(), None), (OpenRules(rate_limit_body="text", retry_after=2), 2.0)],
    ids=["problem-json", "text-with-retry-after"],
)
def test_the_emulators_429_readings_are_rate_limited(rules: OpenRules, retry_after: object) -> None:
    emulator = AmoCRMEmulator(clock=ManualClock(), limits="vendor", rules=rules)
    client = _emulated_client(emulator)

    async def go() -> None:
        try:
            for _ in range(7):
                await client.call("GET", "/api/v4/account")
            with pytest.raises(RateLimited) as info:
                await client.call("GET", "/api/v4/account")
            assert info.value.retry_after == retry_after
        finally:
            await client.aclose()

    asyncio.run(go())


@pytest.mark.parametrize("body", ["html", "empty"])
def test_the_emulators_403_block_is_account_blocked(body: str) -> None:
    emulator = AmoCRMEmulator(
        clock=ManualClock(), limits="vendor", rules=OpenRules(block_body=body)
    )
    client = _emulated_client(emulator)

    async def go() -> AccountBlocked:
        try:
            for _ in range(7 + amo_limits.ABUSE_429S):
                with contextlib.suppress(RateLimited):
                    await client.call("GET", "/api/v4/account")
            with pytest.raises(AccountBlocked) as info:
                await client.call("GET", "/api/v4/leads")
            return info.value
        finally:
            await client.aclose()

    error = asyncio.run(go())
    assert ("HTML" in str(error)) is (body == "html")
