# ruff: noqa: RUF001
"""Conformance: the classic list filter (``crm.lead.list``, ``crm.contact.list``): key
prefixes, LIKE, multiple fields, ``logic`` and the rules the docs leave open (switches)."""

from __future__ import annotations

from typing import Any

import pytest

from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.switches import LIKE_CASE, LIKE_WILDCARDS, MULTIFIELD_FILTER

from .conftest import Ok

#: title -> (opportunity, phone, source)
LEADS: dict[str, tuple[int, str, str]] = {
    "Заявка с сайта": (100, "+15550001", "WEB"),
    "Молоко и мёд": (200, "+15550002", "CALL"),
    "Мороженое": (300, "+15550003", "CALL"),
    "100% natural_food": (400, "+15550004", "WEB"),
    "100 natural food": (500, "+15550005", "OTHER"),
}


@pytest.fixture
def titled(ok: Ok) -> dict[str, int]:
    """The leads of :data:`LEADS`, by title -> id."""
    return {
        title: ok(
            "crm.lead.add",
            fields={
                "TITLE": title,
                "OPPORTUNITY": amount,
                "CURRENCY_ID": "USD",
                "SOURCE_ID": source,
                "PHONE": [{"VALUE": phone, "VALUE_TYPE": "WORK"}],
            },
        )["result"]
        for title, (amount, phone, source) in LEADS.items()
    }


def _titles(ok: Ok, flt: dict[str, Any], method: str = "crm.lead.list") -> set[str]:
    rows = ok(method, filter=flt, select=["TITLE"])["result"]
    return {r["TITLE"] for r in rows}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({">=OPPORTUNITY": 300}, {"Мороженое", "100% natural_food", "100 natural food"}),
        ({">OPPORTUNITY": 300}, {"100% natural_food", "100 natural food"}),
        ({"<=OPPORTUNITY": 200}, {"Заявка с сайта", "Молоко и мёд"}),
        ({"<OPPORTUNITY": 200}, {"Заявка с сайта"}),
        (
            {"@SOURCE_ID": ["WEB", "OTHER"]},
            {"Заявка с сайта", "100% natural_food", "100 natural food"},
        ),
        ({"!@SOURCE_ID": ["WEB", "OTHER"]}, {"Молоко и мёд", "Мороженое"}),
        ({"=SOURCE_ID": "CALL"}, {"Молоко и мёд", "Мороженое"}),
        ({"SOURCE_ID": "CALL"}, {"Молоко и мёд", "Мороженое"}),
        ({"!=SOURCE_ID": "CALL"}, {"Заявка с сайта", "100% natural_food", "100 natural food"}),
        ({"!SOURCE_ID": "CALL"}, {"Заявка с сайта", "100% natural_food", "100 natural food"}),
        ({"%TITLE": "мо"}, {"Молоко и мёд", "Мороженое"}),
        ({"=%TITLE": "Мол%"}, {"Молоко и мёд"}),
        ({"%=TITLE": "%мёд"}, {"Молоко и мёд"}),
        ({"!%TITLE": "мо"}, {"Заявка с сайта", "100% natural_food", "100 natural food"}),
        ({"!=%TITLE": "%o%"}, set(LEADS) - {"100% natural_food", "100 natural food"}),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_filter_key_prefixes(
    ok: Ok, titled: dict[str, int], flt: dict[str, Any], expected: set[str]
) -> None:
    """Each documented key prefix.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        An additional prefix can be assigned to the key to specify the filter behavior.
        ... `>=` — greater than or equal to ... `>` — greater than ... `<=` — less than or
        equal to ... `<` — less than ... `@` — IN (an array is passed as the value) ... `!@` —
        NOT IN (an array is passed as the value) ... `%` — LIKE, substring search. ... `=%` —
        LIKE, substring search. The `%` symbol should be passed in the value. ... `!%` — NOT
        LIKE, substring search. ... `=` — equal, exact match (used by default) ... `!=` - not
        equal ... `!` — not equal
    Also: bitrix-tools/b24-rest-docs, api-reference/crm/universal/crm-item-list.md (the lead
    page's second NOT LIKE row reads `=%`, a typo for this page's spelling):
        `!=%` — NOT LIKE, поиск по подстроке. Символ `%` нужно передавать в значении.
    """
    assert _titles(ok, flt) == expected


def test_like_does_not_apply_to_status_company_or_contact_fields(
    ok: Ok, titled: dict[str, int]
) -> None:
    """LIKE on a ``crm_status`` field does not search substrings (the emulator compares the
    whole value, as the vendor notes report).

    Source: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-list.md:
        Additionally, the `LIKE` filter does not work with fields of type `crm_status`,
        `crm_contact`, `crm_company` — for example, Contact Type (`TYPE_ID`), Salutation
        (`HONORIFIC`), etc.
    """
    assert _titles(ok, {"%SOURCE_ID": "WE"}) == set()
    assert _titles(ok, {"%SOURCE_ID": "WEB"}) == {"Заявка с сайта", "100% natural_food"}


@pytest.mark.parametrize("setting", MULTIFIELD_FILTER)
def test_multiple_fields_filter_on_exact_match(
    emu: Bitrix24Emulator, ok: Ok, titled: dict[str, int], setting: str
) -> None:
    """PHONE/EMAIL/WEB/IM/LINK filters match whole values (switch ``multifield_filter``:
    ``exact``, the docs, by default; ``like`` lets ``%`` in the value act as a wildcard, as
    the vendor notes report).

    Source: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-list.md:
        The fields Phone (`PHONE`), Email (`EMAIL`), Website (`WEB`), Messengers (`IM`),
        Links (`LINK`) are multiple. Filters for these fields only work on exact matches.
    """
    emu.switches.multifield_filter = setting
    assert _titles(ok, {"PHONE": "+15550002"}) == {"Молоко и мёд"}
    assert _titles(ok, {"PHONE": "+1555000"}) == set()
    wildcard = _titles(ok, {"PHONE": "+1555000%"})
    assert wildcard == (set() if setting == "exact" else set(LEADS))


def test_logic_key_is_not_supported(ok: Ok, titled: dict[str, int]) -> None:
    """There is no OR: a ``logic`` key (and the nested groups it would join) is not applied.

    Source: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-list.md:
        The `logic` key in the filter is not supported.
    Also: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        There is no option to add a logical OR condition to the filter if you need to select
        by several different fields.
    """
    flt = {
        "logic": "OR",
        "0": {"=SOURCE_ID": "WEB"},
        "1": {"=SOURCE_ID": "OTHER"},
        "=SOURCE_ID": "CALL",
    }
    assert _titles(ok, flt) == {"Молоко и мёд", "Мороженое"}


@pytest.mark.parametrize("setting", LIKE_CASE)
def test_like_case_folding_is_a_switch(
    emu: Bitrix24Emulator, ok: Ok, titled: dict[str, int], setting: str
) -> None:
    """Open rule (switch ``like_case``): how LIKE compares case. The docs call ``%`` a
    substring search and say nothing of case; issue 10 reports the portal's database folding
    case for Cyrillic as for Latin (``unicode``, the default). ``ascii`` is SQLite's LIKE.

    Source: bitrix-tools/b24-rest-docs, api-reference/crm/leads/crm-lead-list.md:
        `%` — LIKE, поиск по подстроке. Символ `%` в значении фильтра передавать не нужно.
        Поиск ищет подстроку в любой позиции строки
    """
    emu.switches.like_case = setting
    assert _titles(ok, {"%TITLE": "NATURAL"}) == {"100% natural_food", "100 natural food"}
    found = _titles(ok, {"%TITLE": "САЙТА"})
    assert found == ({"Заявка с сайта"} if setting == "unicode" else set())


@pytest.mark.parametrize("setting", LIKE_WILDCARDS)
def test_percent_and_underscore_in_a_substring_value_are_a_switch(
    emu: Bitrix24Emulator, ok: Ok, titled: dict[str, int], setting: str
) -> None:
    """Open rule (switch ``like_wildcards``): ``%`` and ``_`` inside the value of a ``%``
    filter. The docs say only that the caller does not pass ``%`` (so the value is the
    substring); they document no escape. The vendor notes report both taken literally
    (``literal``, the default); ``wildcards`` is the other reading.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-list.md:
        `%` — LIKE, substring search. The `%` symbol in the filter value should not be
        passed. The search looks for a substring in any position of the string
    """
    emu.switches.like_wildcards = setting
    found = _titles(ok, {"%TITLE": "100% natural_"})
    assert found == (
        {"100% natural_food"} if setting == "literal" else {"100% natural_food", "100 natural food"}
    )
