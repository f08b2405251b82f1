# ruff: noqa: RUF002 - the docstrings quote Russian vendor pages verbatim
"""Error bodies (problem+json, validation-errors) and the request limits (7/s per integration,
50/s per account, 429, then 403 for every request)."""

from __future__ import annotations

import json

import pytest

from unicrm.emulation import EmulatorRequest, EmulatorResponse, ManualClock
from unicrm_amocrm.emulator import limits as amo_limits

from .conftest import Api, make_api


def _content_type(response: EmulatorResponse) -> str:
    return dict(response.headers)["content-type"]


def _access_token(api: Api) -> str:
    """A fresh OAuth integration's access token (its own 7/s budget)."""
    client_id, secret, code = api.emulator.register_integration("https://app.example/cb")
    grant = {
        "client_id": client_id,
        "client_secret": secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://app.example/cb",
    }
    request = EmulatorRequest(
        "POST",
        "/oauth2/access_token",
        "",
        {"content-type": "application/json"},
        json.dumps(grant).encode(),
    )
    return str(json.loads(api.emulator.handle(request).body)["access_token"])


def test_success_is_hal_json_and_errors_are_problem_json(api: Api) -> None:
    """Success answers are ``application/hal+json``; error answers ``application/problem+json``
    with ``title``, ``type``, ``status`` and ``detail``.

    Source: amoCRM developer docs, every method page, e.g.
    https://www.amocrm.ru/developers/content/crm_platform/leads-api: "Заголовок типа данных при
    успешном результате Content-Type: application/hal+json" and "Заголовок типа данных при
    ошибке Content-Type: application/problem+json".
    """
    assert _content_type(api.call("GET", "/api/v4/account")) == "application/hal+json"
    refused = api.call("GET", "/api/v4/leads", token="not-a-token")
    assert _content_type(refused) == "application/problem+json"
    assert {"title", "type", "status", "detail"} <= set(json.loads(refused.body))


def test_unauthorised_is_401(api: Api) -> None:
    """A request without a valid token is refused with 401.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/crm_platform/leads-api
    (HTTP codes): "401 | Пользователь не авторизован".
    """
    response = api.call("GET", "/api/v4/leads", token="expired-or-forged")
    assert response.status == 401
    assert json.loads(response.body)["status"] == 401


def test_validation_errors_are_grouped_by_request_id(api: Api) -> None:
    """Data the entity cannot take is a 400 whose ``validation-errors`` is an array of
    ``{request_id, errors: [{code, path, detail}]}``, with the documented problem fields.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/api/errors
    ("Ошибки при валидации данных"): "Если переданные данные не совпадают с теми, что доступны
    для сущности, запрос вернет HTTP-код 400 Bad Request и массив с параметрами, которые не
    подошли под условия." and its example: "\\"code\\": \\"NotSupportedChoice\\", \\"path\\":
    \\"custom_fields_values.0.field_id\\", \\"detail\\": \\"The value you selected is not a
    valid choice.\\" ... \\"title\\": \\"Bad Request\\", \\"type\\":
    \\"https://httpstatus.es/400\\", \\"status\\": 400, \\"detail\\": \\"Request validation
    failed\\"".
    """
    bad = {"name": "x", "custom_fields_values": [{"field_id": 999_999, "values": [{"value": 1}]}]}
    response = api.call("POST", "/api/v4/leads", body=[{"name": "fine"}, bad])
    assert response.status == 400
    assert _content_type(response) == "application/problem+json"
    body = json.loads(response.body)
    assert (body["title"], body["type"], body["status"], body["detail"]) == (
        "Bad Request",
        "https://httpstatus.es/400",
        400,
        "Request validation failed",
    )
    assert body["validation-errors"] == [
        {
            "request_id": "1",
            "errors": [
                {
                    "code": "NotSupportedChoice",
                    "path": "custom_fields_values.0.field_id",
                    "detail": "The value you selected is not a valid choice.",
                }
            ],
        }
    ]
    assert api.call("GET", "/api/v4/leads").status == 204  # the whole request was refused


def test_an_unpaid_account_is_402() -> None:
    """An account whose subscription is not paid answers 402 (switch ``unpaid``).

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/contacts-and-companies ("Список
    контактов", HTTP codes): "402 | Аккаунт не оплачен".
    """
    api = make_api()
    api.emulator.unpaid = True
    response = api.call("GET", "/api/v4/contacts")
    assert response.status == 402 and _content_type(response) == "application/problem+json"
    api.emulator.unpaid = False
    assert api.call("GET", "/api/v4/contacts").status == 204


def test_seven_requests_a_second_per_integration_then_429() -> None:
    """An integration gets 7 requests a second; the 8th within the second is refused with 429;
    another integration has its own 7.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/api/recommendations:
    "не более 7 запросов в секунду на одну интеграцию" and "В случае превышения количества
    запросов – будет возвращаться HTTP код 429".
    """
    clock = ManualClock()
    api = make_api(clock, limits="vendor")
    other = _access_token(api)
    statuses = [api.call("GET", "/api/v4/account").status for _ in range(8)]
    assert statuses == [200] * 7 + [429]
    assert api.call("GET", "/api/v4/account", token=other).status == 200
    clock.advance(1.0)
    assert api.call("GET", "/api/v4/account").status == 200


def test_fifty_requests_a_second_per_account() -> None:
    """All integrations of one account share 50 requests a second.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/api/recommendations:
    "до 50 запросов в секунду на весь аккаунт".
    """
    clock = ManualClock()
    api = make_api(clock, limits="vendor")
    tokens = [_access_token(api) for _ in range(8)]
    statuses = [
        api.call("GET", "/api/v4/account", token=t).status for t in tokens for _ in range(7)
    ]
    assert statuses.count(200) == amo_limits.PER_ACCOUNT == 50
    assert set(statuses[50:]) == {429}


@pytest.mark.parametrize(("rule", "starts"), [("html", b"<html>"), ("empty", b"")])
def test_repeated_excess_blocks_every_request_with_403(rule: str, starts: bytes) -> None:
    """Going on past the limit gets the account blocked: every request, whatever the
    integration, answers 403. The body is an nginx HTML page (observed) or empty (switch
    ``OpenRules.block_body``); how many refusals lead there is not documented.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/api/recommendations:
    "при многократном нарушении ограничений, аккаунт блокируется и на любой запрос в API будет
    возвращаться HTTP код 403"; amocrm/amocrm-api-php#434: "Error: Response body is not json
    Code: 403 ... 'last_response' => '403 Forbidden nginx'".
    """
    clock = ManualClock()
    api = make_api(clock, limits="vendor", block_body=rule)
    other = _access_token(api)
    for _ in range(7 + amo_limits.ABUSE_429S):
        api.call("GET", "/api/v4/account")
    for token in (None, other):
        response = api.call("GET", "/api/v4/leads", token=token)
        assert response.status == 403
        assert response.body.startswith(starts) and (rule == "html") == bool(response.body)


@pytest.mark.parametrize(
    ("rule", "retry_after", "content_type"),
    [("problem", None, "application/problem+json"), ("text", 2, "text/plain; charset=utf-8")],
)
def test_the_429_body_is_an_open_rule(
    rule: str, retry_after: int | None, content_type: str
) -> None:
    """A 429 comes as problem+json like every error (default) or, as the official library
    expects, with a body that is not JSON; a ``Retry-After`` header is a further switch
    (``OpenRules.rate_limit_body``, ``OpenRules.retry_after``).

    Source: amocrm/amocrm-api-php, src/AmoCRM/Client/AmoCRMApiRequest.php, ``parseResponse``:
    only a body that does not decode as JSON reaches "if ($response->getStatusCode() ===
    StatusCodeInterface::STATUS_TOO_MANY_REQUESTS) { throw new
    AmoCRMApiTooManyRequestsException(\\"Too many requests\\"".
    """
    api = make_api(ManualClock(), limits="vendor", rate_limit_body=rule, retry_after=retry_after)
    for _ in range(7):
        api.call("GET", "/api/v4/account")
    response = api.call("GET", "/api/v4/account")
    headers = dict(response.headers)
    assert response.status == 429 and headers["content-type"] == content_type
    assert headers.get("retry-after") == (None if retry_after is None else str(retry_after))
    if rule == "text":
        with pytest.raises(ValueError):
            json.loads(response.body)
    else:
        assert json.loads(response.body)["status"] == 429
