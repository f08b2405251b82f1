"""Classic list filters: every prefix against four hand-made leads (notes §4.3-A)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from unicrm.emulation import EmulatorTransport, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator

from .conftest import WEBHOOK

# Lead A is created at T, B at T+100, C at T+200, D at T+300 (T = 2025-06-15T18:06:40+03:00).
LEADS: dict[str, dict[str, Any]] = {
    "A": {
        "TITLE": "Alpha",
        "NAME": "Ann",
        "OPPORTUNITY": 100,
        "STATUS_ID": "JUNK",
        "SOURCE_ID": "CALL",
        "ASSIGNED_BY_ID": 3,
        "ORIGIN_ID": "ext-1",
        "ORIGINATOR_ID": "sys",
        "UF_CRM_SCORE": 10,
        "PHONE": [{"VALUE": "+79001", "VALUE_TYPE": "WORK"}],
        "EMAIL": [{"VALUE": "ann@x.com"}],
    },
    "B": {
        "TITLE": "Beta_50%",
        "NAME": "Bob",
        "OPPORTUNITY": "250.5",
        "STATUS_ID": "IN_PROCESS",
        "SOURCE_ID": "WEB",
        "ASSIGNED_BY_ID": 5,
        "UF_CRM_INTERESTS": [211, 212],
    },
    "C": {
        "TITLE": "Gamma",
        "OPPORTUNITY": 0,
        "STATUS_ID": "CONVERTED",
        "SOURCE_ID": "CALL",
        "ASSIGNED_BY_ID": 3,
        "BIRTHDATE": "1990-05-01",
    },
    "D": {
        "TITLE": "delta",
        "NAME": "",
        "OPPORTUNITY": 1000,
        "STATUS_ID": "NEW",
        "ASSIGNED_BY_ID": 5,
        "ORIGIN_ID": "ext-2",
        "EMAIL": [{"VALUE": "d@y.org"}],
    },
}
BY_ID = {i + 1: key for i, key in enumerate(LEADS)}

CASES: list[tuple[dict[str, Any], str]] = [
    ({}, "ABCD"),
    ({"ID": 2}, "B"),
    ({"=ID": "2"}, "B"),
    ({"!ID": 2}, "ACD"),
    ({"!=ID": 2}, "ACD"),
    ({">OPPORTUNITY": 100}, "BD"),
    ({">=OPPORTUNITY": 100}, "ABD"),
    ({"<OPPORTUNITY": 250.5}, "AC"),
    ({"<=OPPORTUNITY": "250.5"}, "ABC"),
    ({"@ID": [1, 3]}, "AC"),
    ({"!@ID": [1, 3]}, "BD"),
    ({"ID": [2, 4]}, "BD"),
    ({"!ID": [2, 4]}, "AC"),
    ({"@ID": []}, "ABCD"),
    ({"ID": []}, "ABCD"),
    ({"%TITLE": "ta"}, "BD"),
    ({"%TITLE": "_50%"}, "B"),
    ({"%TITLE": "a_"}, "B"),
    ({"%TITLE": ""}, "ABCD"),
    ({"=%TITLE": "%a"}, "ACD"),
    ({"%=TITLE": "Al%"}, "A"),
    ({"=%TITLE": "_amma"}, "C"),
    ({"!%TITLE": "ta"}, "AC"),
    ({"!=%TITLE": "%a"}, "B"),
    ({"!%=TITLE": "%a"}, "B"),
    ({"TITLE": "ALPHA"}, "A"),
    ({"%title": "alp"}, "A"),
    ({"NAME": ""}, "CD"),
    ({"!NAME": ""}, "AB"),
    ({"OPPORTUNITY": 0}, "C"),
    ({"!OPPORTUNITY": 0}, "ABD"),
    ({"+>OPPORTUNITY": 500}, "CD"),
    ({"%STATUS_ID": "PROC"}, ""),
    ({"%STATUS_ID": "IN_PROCESS"}, "B"),
    ({"=%SOURCE_ID": "CA%"}, ""),
    ({"SOURCE_ID": "CALL"}, "AC"),
    ({"@STATUS_ID": ["NEW", "JUNK"]}, "AD"),
    ({"!STATUS_SEMANTIC_ID": "P"}, "AC"),
    ({"STATUS_SEMANTIC_ID": "S"}, "C"),
    ({"LOGIC": "OR", "ID": 1}, "A"),
    ({"0": {"ID": 1}, "1": {"ID": 2}}, "ABCD"),
    ({"NOSUCHFIELD": 1}, "ABCD"),
    ({"><ID": [1, 2]}, "ABCD"),
    ({">DATE_CREATE": "2025-06-15T18:08:00+03:00"}, "BCD"),
    ({">DATE_CREATE": "2025-06-15T15:08:00Z"}, "BCD"),
    ({"<DATE_CREATE": "2025-06-15 18:08:00"}, "A"),
    ({"<=DATE_CREATE": "15.06.2025 18:06:40"}, "A"),
    ({">DATE_CREATE": "garbage"}, ""),
    ({"%DATE_CREATE": "2025"}, ""),
    ({"BIRTHDATE": "1990-05-01"}, "C"),
    ({"PHONE": "+79001"}, "A"),
    ({"EMAIL": "%@y.org"}, ""),  # multifields match whole values (the "like" switch: conformance)
    ({"EMAIL": "D@Y.ORG"}, "D"),
    ({"!EMAIL": "ann@x.com"}, "BCD"),
    ({"HAS_EMAIL": "Y"}, "AD"),
    ({"HAS_PHONE": "N"}, "BCD"),
    ({"ORIGIN_ID": "ext-2"}, "D"),
    ({"ORIGINATOR_ID": "sys"}, "A"),
    ({"ASSIGNED_BY_ID": 5, ">OPPORTUNITY": 300}, "D"),
    ({"UF_CRM_SCORE": 10}, "A"),
    ({"UF_CRM_INTERESTS": 212}, "B"),
    ({"UF_CRM_INTERESTS": [213, 211]}, "B"),
    ({"!UF_CRM_INTERESTS": 212}, "ACD"),
]


@pytest.fixture
def dataset(emu: Bitrix24Emulator, clock: ManualClock, ok: Callable[..., Any]) -> None:
    for fields in LEADS.values():
        ok("crm.lead.add", fields=fields)
        clock.advance(100)


def _titles(body: Any) -> str:
    return "".join(BY_ID[int(row["ID"])] for row in body["result"])


@pytest.mark.parametrize(("flt", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_filter_prefix(
    dataset: None, ok: Callable[..., Any], flt: dict[str, Any], expected: str
) -> None:
    body = ok("crm.lead.list", filter=flt, order={"ID": "ASC"}, select=["ID"])
    assert _titles(body) == expected
    assert body["total"] == len(expected)


def test_filter_over_form_encoding(dataset: None, emu: Bitrix24Emulator) -> None:
    client = httpx.Client(transport=EmulatorTransport(emu), base_url="http://127.0.0.1")
    r = client.get(
        f"/rest/{WEBHOOK}/crm.lead.list",
        params={"filter[>OPPORTUNITY]": "100", "filter[@ID][]": ["2", "3", "4"], "select[]": "ID"},
    )
    assert _titles(r.json()) == "BD"


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"ID": "DESC"}, "DCBA"),
        ({"STATUS_ID": "ASC"}, "DBCA"),  # by stage SORT, not alphabetically
        ({"STATUS_ID": "desc"}, "ACBD"),
        ({"OPPORTUNITY": "ASC"}, "CABD"),
        ({"OPPORTUNITY": "whatever"}, "DBAC"),  # anything but ASC is descending
        ({"NOSUCH": "ASC"}, "ABCD"),
        ({"SOURCE_ID": "ASC", "ID": "DESC"}, "DCAB"),
    ],
)
def test_order(dataset: None, ok: Callable[..., Any], order: dict[str, str], expected: str) -> None:
    assert _titles(ok("crm.lead.list", order=order, select=["ID"])) == expected


def test_contact_list_filters(ok: Callable[..., Any]) -> None:
    ok(
        "crm.contact.add",
        fields={
            "NAME": "Ivan",
            "LAST_NAME": "Petrov",
            "TYPE_ID": "CLIENT",
            "EMAIL": [{"VALUE": "ivan@example.com", "VALUE_TYPE": "WORK"}],
        },
    )
    ok("crm.contact.add", fields={"NAME": "Jane", "LAST_NAME": "Doe", "TYPE_ID": "PARTNER"})
    body = ok("crm.contact.list", filter={"%LAST_NAME": "tro"}, select=["ID", "EMAIL"])
    assert [r["ID"] for r in body["result"]] == ["1"]
    assert body["result"][0]["EMAIL"][0]["VALUE"] == "ivan@example.com"
    body = ok("crm.contact.list", filter={"TYPE_ID": "PARTNER"})
    assert [r["NAME"] for r in body["result"]] == ["Jane"]
