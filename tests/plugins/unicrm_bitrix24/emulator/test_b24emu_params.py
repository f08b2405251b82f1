"""Parameters: PHP bracket notation in query strings and forms, JSON bodies, routing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from unicrm.emulation import EmulatorRequest, EmulatorTransport
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.params import as_list, intval, parse_query

from .conftest import WEBHOOK


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=1", {"a": "1"}),
        ("fields[TITLE]=x", {"fields": {"TITLE": "x"}}),
        ("select[]=ID&select[]=TITLE", {"select": {"0": "ID", "1": "TITLE"}}),
        (
            "fields[PHONE][0][VALUE]=%2B7&fields[PHONE][0][VALUE_TYPE]=WORK",
            {"fields": {"PHONE": {"0": {"VALUE": "+7", "VALUE_TYPE": "WORK"}}}},
        ),
        ("filter[%3EID]=5", {"filter": {">ID": "5"}}),
        ("0=123&1[POST]=hi", {"0": "123", "1": {"POST": "hi"}}),
        ("a=1&a=2", {"a": "2"}),
        ("a[b=1", {"a[b": "1"}),
        ("empty=", {"empty": ""}),
    ],
)
def test_bracket_notation(query: str, expected: dict[str, Any]) -> None:
    assert parse_query(query) == expected


def test_as_list_and_intval() -> None:
    assert as_list({"0": "a", "1": "b"}) == ["a", "b"]
    assert as_list(None) == []
    assert as_list("x") == ["x"]
    assert intval("42abc") == 42
    assert intval("abc") == 0
    assert intval("-1") == -1
    assert intval(7.9) == 7


def _client(emu: Bitrix24Emulator) -> httpx.Client:
    return httpx.Client(transport=EmulatorTransport(emu), base_url="http://127.0.0.1")


def test_form_query_and_json_bodies_are_equivalent(emu: Bitrix24Emulator) -> None:
    client = _client(emu)
    base = f"/rest/{WEBHOOK}/"
    form = {
        "fields[TITLE]": "Form lead",
        "fields[PHONE][0][VALUE]": "+79001112233",
        "fields[PHONE][0][VALUE_TYPE]": "MOBILE",
    }
    r1 = client.post(base + "crm.lead.add", data=form)
    r2 = client.get(base + "crm.lead.add.json?" + urlencode(form))
    r3 = client.post(
        base + "CRM.Lead.Add.json",
        json={
            "fields": {
                "TITLE": "Form lead",
                "PHONE": [{"VALUE": "+79001112233", "VALUE_TYPE": "MOBILE"}],
            }
        },
    )
    ids = [r.json()["result"] for r in (r1, r2, r3)]
    assert ids == [1, 2, 3]
    records = [client.get(base + f"crm.lead.get?id={i}").json()["result"] for i in ids]
    for rec in records:
        assert rec["TITLE"] == "Form lead"
        assert [(p["VALUE"], p["VALUE_TYPE"]) for p in rec["PHONE"]] == [("+79001112233", "MOBILE")]


def test_multipart_body(emu: Bitrix24Emulator) -> None:
    client = _client(emu)
    r = client.post(
        f"/rest/{WEBHOOK}/crm.lead.add",
        files={"fields[TITLE]": (None, "Multipart lead")},
    )
    assert r.status_code == 200
    assert r.json()["result"] == 1
    got = client.get(f"/rest/{WEBHOOK}/crm.lead.get", params={"ID": 1}).json()
    assert got["result"]["TITLE"] == "Multipart lead"


def test_body_wins_over_query(emu: Bitrix24Emulator) -> None:
    client = _client(emu)
    client.post(f"/rest/{WEBHOOK}/crm.lead.add", json={"fields": {"TITLE": "A"}})
    client.post(f"/rest/{WEBHOOK}/crm.lead.add", json={"fields": {"TITLE": "B"}})
    r = client.post(f"/rest/{WEBHOOK}/crm.lead.get?id=1", json={"id": 2})
    assert r.json()["result"]["TITLE"] == "B"


def test_bad_json_is_a_wrong_encoding_error(emu: Bitrix24Emulator) -> None:
    r = emu.handle(
        EmulatorRequest(
            "POST",
            f"/rest/{WEBHOOK}/crm.lead.list",
            headers={"content-type": "application/json"},
            body=b"{not json",
        )
    )
    assert r.status == 400
    assert json.loads(r.body)["error"] == "WRONG_ENCODING"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/rest/{WEBHOOK}/crm.lead.nosuch", 404, "ERROR_METHOD_NOT_FOUND"),
        ("/rest/1/wrongcode/crm.lead.list", 401, "NO_AUTH_FOUND"),
        ("/rest/2/testcode1234567/crm.lead.list", 401, "NO_AUTH_FOUND"),
        ("/rest/testcode1234567/crm.lead.list", 404, "ERROR_METHOD_NOT_FOUND"),
        ("/rest/crm.lead.list", 401, "NO_AUTH_FOUND"),
        ("/rest/crm.lead.list?auth=bogus", 401, "invalid_token"),
        ("/elsewhere", 404, "ERROR_METHOD_NOT_FOUND"),
    ],
)
def test_routing_errors(emu: Bitrix24Emulator, path: str, status: int, code: str) -> None:
    path, _, query = path.partition("?")
    r = emu.handle(EmulatorRequest("GET", path, query=query))
    body = json.loads(r.body)
    assert (r.status, body["error"]) == (status, code)
    assert set(body) == {"error", "error_description"}
    assert "testcode1234567" not in r.body.decode()


def test_repr_hides_the_webhook_code(emu: Bitrix24Emulator) -> None:
    assert "testcode1234567" not in repr(emu)
    assert emu.webhook_path == f"/rest/{WEBHOOK}/"
    assert emu.webhook_code == "testcode1234567"


def test_default_webhook_is_random_16_chars() -> None:
    a, b = Bitrix24Emulator(), Bitrix24Emulator()
    assert a.webhook_path.startswith("/rest/1/")
    assert len(a.webhook_code) == 16 and a.webhook_code.isalnum()
    assert a.webhook_code.lower() == a.webhook_code
    assert a.webhook_code != b.webhook_code
