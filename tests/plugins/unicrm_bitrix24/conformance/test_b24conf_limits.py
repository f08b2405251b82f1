"""Conformance: the request-rate leaky bucket, the per-method operating time, the ``time``
object and the system errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from unicrm.emulation import EmulatorRequest, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.limits import LeakyBucket
from unicrm_bitrix24.emulator.switches import BAD_WEBHOOK

from .conftest import WEBHOOK, call_emulator

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish"}
TIME_KEYS |= {"operating_reset_at", "operating"}


@pytest.fixture
def limited(clock: ManualClock) -> Any:
    emulator = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="vendor")
    yield emulator
    emulator.close()


def _statuses(emulator: Bitrix24Emulator, n: int, method: str = "crm.lead.fields") -> list[int]:
    return [call_emulator(emulator, method, {})[0] for _ in range(n)]


@pytest.mark.parametrize(("capacity", "drain"), [(50, 2), (250, 5)], ids=["others", "enterprise"])
def test_leaky_bucket_blocks_past_x_and_drains_y_per_second(
    limited: Bitrix24Emulator, clock: ManualClock, capacity: int, drain: int
) -> None:
    """Each request raises a counter; past ``X`` the next request is 503
    ``QUERY_LIMIT_EXCEEDED``; the counter drops by ``Y`` a second (X/Y 50/2, Enterprise
    250/5).

    Source: bitrix24/b24restdocs, settings/performance/limits.md:
        2. When the counter value exceeds the threshold `X`, the following request is blocked
        with status `503` and error code `QUERY_LIMIT_EXCEEDED`.
        3. The counter value automatically decreases by `Y` once per second.
        || Enterprise | 5 per sec | 250 || || Others | 2 per sec | 50 ||
    """
    limited.bucket = LeakyBucket(capacity, drain)
    assert set(_statuses(limited, capacity)) == {200}
    status, body = call_emulator(limited, "crm.lead.fields", {})
    assert (status, body) == (
        503,
        {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"},
    )
    clock.advance(1.0)
    assert _statuses(limited, drain + 1) == [200] * drain + [503]


def test_a_batch_is_one_request(limited: Bitrix24Emulator) -> None:
    """The rate limit counts HTTP requests: a ``batch`` of 50 commands is one.

    Source: bitrix24/b24restdocs, settings/performance/limits.md:
        The rate limit accounts for HTTP requests, not the number of records in the response.
        To reduce the number of HTTP requests, use the [batch](../how-to-call-rest-api/batch.md)
        method. It allows you to pass up to 50 method calls in a single HTTP request.
    """
    cmd = {f"c{i}": "crm.lead.fields" for i in range(50)}
    for _ in range(50):
        status, body = call_emulator(limited, "batch", {"cmd": cmd})
        assert status == 200 and body["result"]["result_error"] == []
    assert call_emulator(limited, "batch", {"cmd": cmd})[0] == 503


def test_operating_time_blocks_the_method_after_the_limit(
    limited: Bitrix24Emulator, clock: ManualClock
) -> None:
    """Execution time is summed per method and webhook; it is checked before each call: the
    call that crosses the limit completes, the next is 429 ``OPERATION_TIME_LIMIT``; other
    methods keep working; the method is available again when old buckets drop out.

    Source: bitrix24/b24restdocs, settings/performance/limits.md:
        If the accumulated method execution time exceeds the established limit, the next call
        to this method is blocked for the application or webhook. In response, Bitrix24
        returns the `429` status and error code `OPERATION_TIME_LIMIT`. Other applications,
        webhooks, and methods continue to function.
        Bitrix24 checks the accumulated value before executing each call.
    """
    limited.bucket = LeakyBucket(10_000, 100)
    limited.method_costs["crm.lead.fields"] = 200.0
    statuses = _statuses(limited, 4)
    assert statuses == [200, 200, 200, 429]  # 200, 400, 600 s: the third crossed 480 and ran
    status, body = call_emulator(limited, "crm.lead.fields", {})
    assert (status, body["error"]) == (429, "OPERATION_TIME_LIMIT")
    assert call_emulator(limited, "crm.contact.fields", {})[0] == 200
    clock.advance(601.0)
    assert call_emulator(limited, "crm.lead.fields", {})[0] == 200


def test_time_reports_operating_per_method_and_batch_bills_its_commands(
    emu: Bitrix24Emulator, clock: ManualClock
) -> None:
    """Every answer has ``time`` with ``operating`` and ``operating_reset_at``; the outer
    ``batch`` is not billed, its commands are billed to their own methods.

    Source: bitrix24/b24restdocs, settings/performance/limits.md:
        In the Bitrix24 cloud version, the `time` array in the response contains the
        `operating` key. It shows the accumulated execution time of a specific method
        separately for an application or a webhook.
        An external call to `batch` is not accounted for in `operating`. Nested calls are
        executed as separate methods, so the execution time of each is accounted for and
        checked against its own limit.
    """
    emu.method_costs.update({"crm.lead.fields": 3.0, "batch": 50.0})
    status, body = call_emulator(emu, "crm.lead.fields", {})
    assert status == 200 and set(body["time"]) >= TIME_KEYS
    assert body["time"]["operating"] == pytest.approx(3.0, abs=0.5)
    status, body = call_emulator(
        emu, "batch", {"cmd": {"a": "crm.lead.fields", "b": "crm.lead.fields"}}
    )
    assert body["result"]["result_time"]["b"]["operating"] == pytest.approx(9.0, abs=0.5)
    assert body["time"]["operating"] < 1.0


def test_unknown_method_is_error_method_not_found(emu: Bitrix24Emulator) -> None:
    """A method that does not exist is 404 ``ERROR_METHOD_NOT_FOUND``.

    Source: bitrix24/b24restdocs, api-reference/rest-v3.md:
        For methods available only in REST 3.0, the error `ERROR_METHOD_NOT_FOUND` with status
        404 is returned.
    """
    status, body = call_emulator(emu, "crm.lead.nosuchmethod", {})
    assert (status, body["error"]) == (404, "ERROR_METHOD_NOT_FOUND")


@pytest.mark.parametrize("setting", BAD_WEBHOOK)
def test_a_wrong_webhook_code_is_refused_as_wrong_authorization(
    emu: Bitrix24Emulator, setting: str
) -> None:
    """Open rule (switch ``bad_webhook``): the error for a webhook code that does not exist.
    The docs' system error table describes ``NO_AUTH_FOUND`` (401) as a wrong access token or
    webhook code (the default); b24pysdk reports ``INVALID_CREDENTIALS``, which the table
    describes as a user lacking permissions (403). Either way nothing runs.

    Source: bitrix24/b24restdocs, _includes/system-errors.md:
        || `401` | `NO_AUTH_FOUND` Wrong authorization data | Invalid [access
        token](/settings/oauth/index.html) or [webhook
        code](/local-integrations/local-webhooks.html) ||
    """
    emu.switches.bad_webhook = setting
    status, body = call_emulator(
        emu, "crm.lead.add", {"fields": {"TITLE": "x"}}, webhook="1/wrongcode000000"
    )
    assert (status, body["error"]) == (401, setting)
    assert call_emulator(emu, "crm.lead.list", {})[1]["total"] == 0


def test_an_expired_access_token_is_401_expired_token(
    emu: Bitrix24Emulator, clock: ManualClock
) -> None:
    """An access token past its hour is refused with 401 ``expired_token``.

    Source: bitrix24/b24restdocs, settings/oauth/auto-renewal.md:
        3. Wait for the `expired_token` error with the status `401` — it means that the token
        has expired.
    """
    client_id, secret, code = emu.register_app()
    response = emu.handle(
        EmulatorRequest(
            "GET",
            "/oauth/token/",
            query=f"grant_type=authorization_code&client_id={client_id}&client_secret={secret}&code={code}",
        )
    )
    token = json.loads(response.body)["access_token"]

    def listed() -> tuple[int, Any]:
        r = emu.handle(EmulatorRequest("GET", "/rest/crm.lead.list", query=f"auth={token}"))
        return r.status, json.loads(r.body)

    assert listed()[0] == 200
    clock.advance(3601.0)
    status, body = listed()
    assert (status, body["error"]) == (401, "expired_token")


def test_error_answers_carry_error_and_error_description(emu: Bitrix24Emulator) -> None:
    """An error answer is ``error`` (a code, possibly empty) and ``error_description``.

    Source: bitrix24/b24restdocs, _includes/error-info.md:
        || **error** `string`| String error code. It may consist of digits, Latin letters, and
        underscores ||
    """
    status, body = call_emulator(emu, "crm.lead.get", {"id": 5})
    assert status == 400 and set(body) == {"error", "error_description"}
