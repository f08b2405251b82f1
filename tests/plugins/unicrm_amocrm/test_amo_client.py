"""The vendor error table and URL rules, against canned responses (httpx.MockTransport)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from unicrm.errors import AccountBlocked, ConfigurationError, ValidationError
from unicrm.transport import NoLimiter, RetryPolicy
from unicrm_amocrm.client import AmoClient, base_url_of

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
