# ruff: noqa: RUF001
"""The adapter gives the same, exact answers whichever way the emulator settles a rule the
vendor docs leave open (``docs/vendors/bitrix24-conformance.md``, "Open rules"), and reads
every multiple user field whichever way a read starts.

Expected results come from the emulator's store or from the reference evaluator over the
records read back, never from the adapter's own answers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from unicrm import F, Lead, Phone
from unicrm.errors import AuthError
from unicrm.query import evaluate
from unicrm_bitrix24.adapter import AdapterSettings
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.switches import (
    BAD_WEBHOOK,
    LIKE_CASE,
    LIKE_WILDCARDS,
    MULTIFIELD_FILTER,
    START_PAST_END,
)

from .conftest import adapter_crm, seeded_portal

TITLES = ("Заявка с сайта", "ЗАЯВКА С САЙТА", "100% natural_food", "100 natural food", "Mol%")
PHONES = ("+15550001", "+15550002", "+1555%")


def _run(emulator: Bitrix24Emulator, work: Any, **settings: Any) -> tuple[Any, Any]:
    crm, transport = adapter_crm(emulator, settings=AdapterSettings(**settings))

    async def go() -> Any:
        async with crm:
            return await work(crm)

    return asyncio.run(go()), transport


@pytest.fixture(scope="module")
def titled() -> Iterator[Bitrix24Emulator]:
    emulator = Bitrix24Emulator(limits="off", webhook="1/openrules123456")
    emulator.seed(120, contacts=10)

    async def add(crm: Any) -> None:
        for title, phone in itertools.zip_longest(TITLES, PHONES):
            phones = [Phone(phone)] if phone else []
            await crm.leads.create(Lead(title=title, phones=phones))

    _run(emulator, add)
    yield emulator
    emulator.close()


TEXT_QUERIES = [
    F("title").contains("сайта"),
    F("title").contains("САЙТА"),
    F("title").contains("100% natural_"),
    F("title").contains("%"),
    F("title").startswith("100%"),
    F("title").startswith("Mol%"),
    F("title") == "Заявка с сайта",
]


@pytest.mark.parametrize(("case", "wildcards"), list(itertools.product(LIKE_CASE, LIKE_WILDCARDS)))
def test_text_filters_are_exact_under_every_like_switch(
    titled: Bitrix24Emulator, case: str, wildcards: str
) -> None:
    titled.switches.like_case, titled.switches.like_wildcards = case, wildcards

    async def work(crm: Any) -> tuple[list[Any], list[list[str]]]:
        everything = await crm.leads.all().to_list()
        found = [sorted(r.id for r in await crm.leads.filter(q).to_list()) for q in TEXT_QUERIES]
        return everything, found

    try:
        (everything, found), _t = _run(titled, work)
    finally:
        titled.switches.like_case, titled.switches.like_wildcards = LIKE_CASE[0], LIKE_WILDCARDS[0]
    for query, got in zip(TEXT_QUERIES, found, strict=True):
        assert got == sorted(r.id for r in everything if evaluate(query, r)), query
    assert found[0] and found[2]  # the checks are about records that exist


@pytest.mark.parametrize("setting", MULTIFIELD_FILTER)
def test_phone_filters_are_exact_under_both_multifield_switches(
    titled: Bitrix24Emulator, setting: str
) -> None:
    titled.switches.multifield_filter = setting
    queries = [F("phones") == p for p in PHONES]

    async def work(crm: Any) -> tuple[list[Any], list[list[str]]]:
        everything = await crm.leads.all().to_list()
        return everything, [
            sorted(r.id for r in await crm.leads.filter(q).to_list()) for q in queries
        ]

    try:
        (everything, found), _t = _run(titled, work)
    finally:
        titled.switches.multifield_filter = MULTIFIELD_FILTER[0]
    for query, got in zip(queries, found, strict=True):
        assert got == sorted(r.id for r in everything if evaluate(query, r)), query
    assert all(found)


@pytest.mark.parametrize("setting", START_PAST_END)
def test_reads_do_not_depend_on_start_past_the_end(setting: str) -> None:
    """Every read of the adapter pages by ID with ``start = -1``: what a ``start`` past the end
    returns never reaches it."""
    with seeded_portal(2_700, contacts=60, webhook="1/startcode1234567") as emulator:
        emulator.switches.start_past_end = setting
        stored = [str(r[0]) for r in emulator.store.query("SELECT ID FROM lead ORDER BY ID")]

        async def work(crm: Any) -> tuple[list[str], list[str], list[str], str]:
            full = [r.id for r in await crm.leads.all().to_list()]
            limited = [r.id for r in await crm.leads.all().limit(120).to_list()]
            filtered = [r.id for r in await crm.leads.filter(F("id").in_(stored[-3:])).to_list()]
            return full, limited, filtered, (await crm.leads.get(stored[-1])).id

        (full, limited, filtered, got), transport = _run(emulator, work)
        assert sorted(full, key=int) == stored
        assert limited == stored[:120]
        assert sorted(filtered, key=int) == stored[-3:] and got == stored[-1]
        assert transport.starts and set(transport.starts) == {"-1"}


@pytest.mark.parametrize("setting", BAD_WEBHOOK)
def test_a_wrong_webhook_code_is_an_auth_error_under_both_switches(setting: str) -> None:
    emulator = Bitrix24Emulator(limits="off", webhook="1/rightcode1234567")
    emulator.switches.bad_webhook = setting
    try:
        crm, _t = adapter_crm(emulator, url="bitrix24+http://127.0.0.1:1/rest/1/wrongcode1234567/")

        async def work() -> None:
            async with crm:
                await crm.leads.all().to_list()

        with pytest.raises(AuthError) as raised:
            asyncio.run(work())
        assert raised.value.code == setting and "wrongcode" not in str(raised.value)
    finally:
        emulator.close()


def _stored_interests(emulator: Bitrix24Emulator, upto: int) -> dict[str, tuple[str, ...]]:
    labels = {
        o.id: o.value
        for o in emulator.store.schema("lead").user_field("UF_CRM_INTERESTS").options  # type: ignore[union-attr]
    }
    rows = emulator.store.query(
        "SELECT ID, UF_CRM_INTERESTS FROM lead WHERE ID <= ? AND UF_CRM_INTERESTS IS NOT NULL",
        (upto,),
    )
    return {str(r[0]): tuple(labels[i] for i in json.loads(r[1])) for r in rows}


def test_a_fresh_read_completes_its_first_page_in_a_free_place() -> None:
    """The first page of a fresh connection's read cannot name the multiple user fields yet:
    their values come in a free place of a later batch, so the read costs no request more."""
    with seeded_portal(400, contacts=50, webhook="1/ridecode12345678") as emulator:
        records, transport = _run(
            emulator, lambda crm: crm.leads.all().to_list(), contact_links="primary"
        )
        expected = _stored_interests(emulator, 400)
        assert any(int(i) <= 50 for i in expected)  # the first page holds some
        got = {r.id: r.custom["INTERESTS"] for r in records if "INTERESTS" in r.custom}
        assert got == expected
        assert len(transport.seen) == 2  # the probe (with the snapshot) and one chain batch


def test_a_small_fresh_read_completes_its_page_with_one_request_more() -> None:
    with seeded_portal(30, contacts=5, webhook="1/smallride1234567") as emulator:
        records, transport = _run(
            emulator, lambda crm: crm.leads.all().to_list(), contact_links="primary"
        )
        expected = _stored_interests(emulator, 30)
        assert expected
        assert {r.id: r.custom["INTERESTS"] for r in records if "INTERESTS" in r.custom} == expected
        assert len(transport.seen) == 2  # the probe, then the first page's multiple fields
