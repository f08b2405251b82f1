"""Paging (`start`, `next`, `total`) and select masks of classic lists (notes §4.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from unicrm_bitrix24.emulator import Bitrix24Emulator

Ok = Callable[..., Any]


@pytest.fixture
def leads_120(emu: Bitrix24Emulator) -> Bitrix24Emulator:
    emu.seed(120)
    return emu


def _ids(body: Any) -> list[int]:
    return [int(r["ID"]) for r in body["result"]]


@pytest.mark.parametrize(
    ("start", "first", "count", "next_", "total"),
    [
        (0, 1, 50, 50, 120),
        (50, 51, 50, 100, 120),
        (100, 101, 20, None, 120),
        (30, 1, 50, 50, 120),  # rounded down to the page boundary
        (149, 101, 20, None, 120),
        (150, 1, 50, 50, 120),  # past the end: page 1 again
        (10_000, 1, 50, 50, 120),
        ("garbage", 1, 50, 50, 120),  # intval -> 0
        (-1, 1, 50, None, 0),  # no count, no next
        (-50, 1, 50, None, 0),
    ],
)
def test_start_rules(
    leads_120: Bitrix24Emulator,
    ok: Ok,
    start: Any,
    first: int,
    count: int,
    next_: int | None,
    total: int,
) -> None:
    body = ok("crm.lead.list", order={"ID": "ASC"}, select=["ID"], start=start)
    ids = _ids(body)
    assert ids == list(range(first, first + count))
    assert body.get("next") == next_
    assert ("next" in body) == (next_ is not None)
    assert body["total"] == total


def test_keyset_paging_reads_everything_once(leads_120: Bitrix24Emulator, ok: Ok) -> None:
    seen: list[int] = []
    last = 0
    while True:
        body = ok(
            "crm.lead.list", order={"ID": "ASC"}, filter={">ID": last}, select=["ID"], start=-1
        )
        page = _ids(body)
        seen += page
        if len(page) < 50:
            break
        last = page[-1]
    assert seen == list(range(1, 121))


def test_limit_parameter_is_ignored(leads_120: Bitrix24Emulator, ok: Ok) -> None:
    assert len(ok("crm.lead.list", limit=5)["result"]) == 50


def test_empty_result(ok: Ok) -> None:
    body = ok("crm.lead.list")
    assert body["result"] == []
    assert body["total"] == 0
    assert "next" not in body


@pytest.fixture
def one_lead(ok: Ok) -> None:
    ok(
        "crm.lead.add",
        fields={
            "TITLE": "Select me",
            "NAME": "Sam",
            "UF_CRM_SCORE": 7,
            "PHONE": [{"VALUE": "+15550001111", "VALUE_TYPE": "MOBILE"}],
            "EMAIL": [{"VALUE": "sam@example.com"}],
        },
    )


def test_default_select_is_star_and_uf(one_lead: None, ok: Ok) -> None:
    row = ok("crm.lead.list")["result"][0]
    assert row["TITLE"] == "Select me"
    assert row["UF_CRM_SCORE"] == "7"
    assert "PHONE" not in row and "EMAIL" not in row


def test_star_has_no_user_fields_nor_multifields(one_lead: None, ok: Ok) -> None:
    row = ok("crm.lead.list", select=["*"])["result"][0]
    assert "TITLE" in row and "STATUS_ID" in row
    assert not any(k.startswith("UF_") for k in row)
    assert "PHONE" not in row


def test_uf_mask_and_named_multifields(one_lead: None, ok: Ok) -> None:
    row = ok("crm.lead.list", select=["UF_*", "PHONE"])["result"][0]
    assert set(row) == {"ID", "PHONE"} | {k for k in row if k.startswith("UF_CRM_")}
    assert "UF_CRM_SCORE" in row
    assert row["PHONE"] == [
        {
            "ID": row["PHONE"][0]["ID"],
            "VALUE_TYPE": "MOBILE",
            "VALUE": "+15550001111",
            "TYPE_ID": "PHONE",
        }
    ]


def test_explicit_select_adds_id_and_ignores_unknown(one_lead: None, ok: Ok) -> None:
    row = ok("crm.lead.list", select=["TITLE", "NOPE", "email"])["result"][0]
    assert set(row) == {"ID", "TITLE", "EMAIL"}
    assert row["ID"] == "1"


def test_multifield_absent_when_empty_even_if_selected(ok: Ok) -> None:
    ok("crm.lead.add", fields={"TITLE": "No phone"})
    row = ok("crm.lead.list", select=["ID", "PHONE"])["result"][0]
    assert row == {"ID": "1"}


def test_status_list_ignores_start_and_returns_all(ok: Ok) -> None:
    body = ok("crm.status.list", filter={"ENTITY_ID": "STATUS"}, start=50)
    codes = [r["STATUS_ID"] for r in body["result"]]
    assert codes[:5] == ["NEW", "IN_PROCESS", "PROCESSED", "UC_QUALIFIED", "CONVERTED"]
    assert body["total"] == len(codes)
    converted = next(r for r in body["result"] if r["STATUS_ID"] == "CONVERTED")
    assert converted["SEMANTICS"] == "S"
    assert converted["EXTRA"]["SEMANTICS"] == "success"
    assert isinstance(converted["SORT"], str) and isinstance(converted["ID"], str)
