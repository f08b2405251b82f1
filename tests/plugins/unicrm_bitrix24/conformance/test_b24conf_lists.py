"""Conformance: classic list methods (``crm.lead.list``, ``crm.contact.list``): select masks,
the fixed page of 50, ``start``/``next``/``total``, ``start = -1`` and the keyset loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.switches import START_PAST_END

from .conftest import Ok

MULTI_ENUM = "UF_CRM_COLOURS"
MULTI_TEXT = "UF_CRM_ALIASES"
SINGLE_TEXT = "UF_CRM_NICK"


@pytest.fixture
def lead_with_user_fields(ok: Ok) -> dict[str, Any]:
    """A lead with a multiple enumeration, a multiple string and a single string user field."""
    ok(
        "crm.lead.userfield.add",
        fields={
            "FIELD_NAME": "COLOURS",
            "USER_TYPE_ID": "enumeration",
            "MULTIPLE": "Y",
            "LIST": [{"VALUE": "Red"}, {"VALUE": "Green"}, {"VALUE": "Blue"}],
        },
    )
    ok(
        "crm.lead.userfield.add",
        fields={"FIELD_NAME": "ALIASES", "USER_TYPE_ID": "string", "MULTIPLE": "Y"},
    )
    ok("crm.lead.userfield.add", fields={"FIELD_NAME": "NICK", "USER_TYPE_ID": "string"})
    definition = next(
        d for d in ok("crm.lead.userfield.list")["result"] if d["FIELD_NAME"] == MULTI_ENUM
    )
    options = [o["ID"] for o in definition["LIST"]]
    lead_id = ok(
        "crm.lead.add",
        fields={
            "TITLE": "With user fields",
            "PHONE": [{"VALUE": "+15550001", "VALUE_TYPE": "WORK"}],
            MULTI_ENUM: options[:2],
            MULTI_TEXT: ["one", "two", "three"],
            SINGLE_TEXT: "nick",
        },
    )["result"]
    return {"id": lead_id, "options": options[:2]}


def _only(ok: Ok, select: list[str], method: str = "crm.lead.list") -> dict[str, Any]:
    rows = ok(method, select=select)["result"]
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


def test_star_selects_standard_fields_without_user_or_multiple_fields(
    ok: Ok, lead_with_user_fields: dict[str, Any]
) -> None:
    """``*`` selects every standard field, no user field and no multiple field.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        "*" - to select all fields (excluding custom and multiple fields)
    """
    row = _only(ok, ["*"])
    assert {"ID", "TITLE", "STATUS_ID", "OPPORTUNITY", "DATE_CREATE"} <= set(row)
    assert not [k for k in row if k.startswith("UF_")]
    assert not {"PHONE", "EMAIL", "WEB", "IM", "LINK"} & set(row)


def test_uf_star_selects_user_fields_except_multiple_ones(
    ok: Ok, lead_with_user_fields: dict[str, Any]
) -> None:
    """``UF_*`` selects the user fields that are not multiple.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        "UF_*" - to select all custom fields (excluding multiple fields)
    Also: bitrix-tools/b24-rest-docs, api-reference/crm/leads/crm-lead-list.md:
        "UF_*"- для выборки всех пользовательских полей (без множественных)
    """
    row = _only(ok, ["ID", "UF_*"])
    assert row[SINGLE_TEXT] == "nick"
    assert MULTI_ENUM not in row and MULTI_TEXT not in row


def test_multiple_fields_come_when_named(ok: Ok, lead_with_user_fields: dict[str, Any]) -> None:
    """A multiple field (multifield or multiple user field) comes when named in ``select``,
    with every value.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        There are no masks for selecting multiple fields. To select multiple fields, specify
        the required ones in the selection list ("PHONE", "EMAIL", etc.).
    """
    row = _only(ok, ["ID", "PHONE", MULTI_ENUM, MULTI_TEXT])
    assert [p["VALUE"] for p in row["PHONE"]] == ["+15550001"]
    assert row[MULTI_ENUM] == lead_with_user_fields["options"]
    assert row[MULTI_TEXT] == ["one", "two", "three"]


def test_default_select_is_star_and_uf_star(ok: Ok) -> None:
    """No ``select`` means ``*`` + ``UF_*`` (no multifields, no multiple user fields).

    Source: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-list.md:
        By default, all fields are taken — `'*'` + Custom fields — `'UF_*'`
    """
    ok(
        "crm.contact.userfield.add",
        fields={"FIELD_NAME": "TAGS", "USER_TYPE_ID": "string", "MULTIPLE": "Y"},
    )
    ok(
        "crm.contact.add",
        fields={
            "NAME": "Ann",
            "EMAIL": [{"VALUE": "ann@example.com"}],
            "UF_CRM_TAGS": ["a", "b"],
            "UF_CRM_NICKNAME": "annie",
        },
    )
    row = _only(ok, [], method="crm.contact.list")
    assert row["NAME"] == "Ann" and row["UF_CRM_NICKNAME"] == "annie"
    assert "EMAIL" not in row and "UF_CRM_TAGS" not in row


def test_page_size_is_fifty_and_start_picks_the_page(
    ok: Ok, leads: Callable[[int], list[int]]
) -> None:
    """Pages hold 50 records; ``start = (N-1) * 50`` is page N.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        The page size of results is always static: 50 records.
        `start = (N-1) * 50`, where `N` — the number of the desired page
    """
    ids = [str(i) for i in leads(120)]
    pages = [
        [
            r["ID"]
            for r in ok("crm.lead.list", select=["ID"], order={"ID": "ASC"}, start=start)["result"]
        ]
        for start in (0, 50, 100)
    ]
    assert pages == [ids[:50], ids[50:100], ids[100:]]


def test_next_appears_only_while_more_remain_and_total_counts_all(
    ok: Ok, leads: Callable[[int], list[int]]
) -> None:
    """``next`` is the ``start`` of the next page and is present only when more match than
    this page holds; ``total`` is the number of matching records.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        The `next` parameter appears in the response if the number of items matching your
        request exceeds `50`
    Also: bitrix24/b24restdocs, settings/how-to-call-rest-api/list-methods-pecularities.md:
        To retrieve the next batch of entities, you need to execute the same request,
        specifying an additional parameter `start` with the value received in the `next`
        parameter of the response.
    """
    leads(70)
    first = ok("crm.lead.list", select=["ID"], start=0)
    assert (first["next"], first["total"]) == (50, 70)
    second = ok("crm.lead.list", select=["ID"], start=first["next"])
    assert "next" not in second and second["total"] == 70 and len(second["result"]) == 20
    few = ok("crm.lead.list", select=["ID"], filter={"<=ID": 50})
    assert "next" not in few and few["total"] == 50


def test_start_minus_one_returns_up_to_fifty_without_counting(
    ok: Ok, leads: Callable[[int], list[int]]
) -> None:
    """``start = -1`` returns up to 50 items and does not count: ``total`` is 0, no ``next``.

    Source: bitrix24/b24restdocs, settings/performance/huge-data.md:
        It is sufficient to pass `start = -1`, so that the method returns up to 50 items
        without counting `total`.
    Also: bitrix-tools/b24-rest-docs, settings/performance/huge-data.md (no counting):
        // Результат выполнения REST-запроса без подсчета общего количества. Array ( [total] => 0
    """
    leads(60)
    body = ok("crm.lead.list", select=["ID"], order={"ID": "ASC"}, start=-1)
    assert len(body["result"]) == 50 and body["total"] == 0 and "next" not in body


def test_keyset_loop_reads_every_item_once(ok: Ok, leads: Callable[[int], list[int]]) -> None:
    """Order by ID, filter ``>ID`` the last one seen, ``start = -1``, stop on a short page:
    every item once.

    Source: bitrix24/b24restdocs, settings/performance/huge-data.md:
        1. Sort items by identifier in ascending order
        2. Add a `>ID` or `>id` condition to the filter with the value of the last received
        identifier
        3. Pass `start = -1` to disable the total count calculation
        ... 5. Repeat the request until the method returns fewer than 50 items
    """
    ids = leads(125)
    seen: list[int] = []
    last = 0
    while True:
        page = ok(
            "crm.lead.list", select=["ID"], order={"ID": "ASC"}, filter={">ID": last}, start=-1
        )["result"]
        seen += [int(r["ID"]) for r in page]
        if len(page) < 50:
            break
        last = int(page[-1]["ID"])
    assert seen == ids


@pytest.mark.parametrize("setting", START_PAST_END)
def test_start_past_the_end_is_a_switch(
    emu: Bitrix24Emulator, ok: Ok, leads: Callable[[int], list[int]], setting: str
) -> None:
    """Open rule (switch ``start_past_end``): what a ``start`` past the last page returns.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md says only:
        To select the second page of results, you need to pass the value `50`.
    The vendor notes report the first page again (``first_page``, the default); ``empty``
    is the other reading. Either way there is no ``next``.
    """
    emu.switches.start_past_end = setting
    ids = [str(i) for i in leads(60)]
    body = ok("crm.lead.list", select=["ID"], order={"ID": "ASC"}, start=500)
    got = [r["ID"] for r in body["result"]]
    assert got == (ids[:50] if setting == "first_page" else [])
    assert body["total"] == 60


@pytest.mark.parametrize(("direction", "reverse"), [("ASC", False), ("DESC", True), ("desc", True)])
def test_order_sorts_ascending_or_descending(
    ok: Ok, leads: Callable[[int], list[int]], direction: str, reverse: bool
) -> None:
    """``order`` sorts by a field, ascending or descending.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        Possible values for `order`: - `asc` — in ascending order - `desc` — in descending order
    """
    ids = [str(i) for i in leads(5)]
    got = [r["ID"] for r in ok("crm.lead.list", select=["ID"], order={"ID": direction})["result"]]
    assert got == sorted(ids, key=int, reverse=reverse)
