"""The batched writer: 50 commands per ``batch`` request, per-command errors kept per item.

Everything runs through the real client against the in-process emulator; what was stored is
read back from the emulator's own SQLite store, not from the adapter's answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from unicrm import Contact, ContactLink, Lead, Money, StageRef
from unicrm.errors import NotFound, UnicrmError, ValidationError
from unicrm_bitrix24.adapter import AdapterSettings
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.writing import Step, Unit, pack, run_units

from .conftest import adapter_crm


@pytest.fixture
def emulator() -> Iterator[Bitrix24Emulator]:
    portal = Bitrix24Emulator(limits="off", webhook="1/writingcode12345")
    portal.seed(0, contacts=5)
    yield portal
    portal.close()


def _leads(n: int, *, tag: str = "bulk", **extra: Any) -> list[Lead]:
    return [Lead(title=f"{tag} {i:04d}", amount=Money(100 + i, "USD"), **extra) for i in range(n)]


def _stored_titles(emulator: Bitrix24Emulator) -> list[str]:
    return [r[0] for r in emulator.store.query("SELECT TITLE FROM lead ORDER BY ID")]


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_120_creates_go_in_three_batches(emulator: Bitrix24Emulator) -> None:
    crm, transport = adapter_crm(emulator)
    leads = _leads(120)

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(leads)

    results = _run(go())
    assert transport.requests_for("crm.lead.add") == 3
    adds = [cmds for _m, cmds, _s in transport.seen if "crm.lead.add" in cmds]
    assert [len(c) for c in adds] == [50, 50, 20]
    assert all(isinstance(r, Lead) for r in results)
    assert [r.title for r in results] == [lead.title for lead in leads]  # in the caller's order
    assert len({r.id for r in results}) == 120
    assert _stored_titles(emulator) == [lead.title for lead in leads]
    stored = emulator.store.query("SELECT ID, OPPORTUNITY FROM lead")
    assert {str(r[0]): float(r[1]) for r in stored} == {
        r.id: float(lead.amount.amount)  # type: ignore[union-attr]
        for r, lead in zip(results, leads, strict=True)
    }


def test_a_unit_is_never_split_across_batches(emulator: Bitrix24Emulator) -> None:
    """A lead with contacts is two commands (add, then the links referring to the add): 60 of
    them are 120 commands, 25 leads per batch."""
    crm, transport = adapter_crm(emulator)
    link = (ContactLink("1", is_main=True), ContactLink("2"))
    leads = _leads(60, contacts=link)

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(leads)

    results = _run(go())
    writes = [cmds for _m, cmds, _s in transport.seen if "crm.lead.add" in cmds]
    assert [len(c) for c in writes] == [50, 50, 20]
    assert all(c.count("crm.lead.add") * 2 == len(c) for c in writes)
    assert all(isinstance(r, Lead) and r.contacts == link for r in results)
    rows = emulator.store.query("SELECT LEAD_ID, CONTACT_ID FROM lead_contact")
    assert len(rows) == 120 and {r[1] for r in rows} == {1, 2}


def test_write_batch_size_is_honoured(emulator: Bitrix24Emulator) -> None:
    crm, transport = adapter_crm(emulator, settings=AdapterSettings(write_batch_size=10))

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(_leads(95))

    assert all(isinstance(r, Lead) for r in _run(go()))
    assert transport.requests_for("crm.lead.add") == 10
    assert emulator.store.count("lead") == 95


def test_120_contact_updates_go_in_three_batches(emulator: Bitrix24Emulator) -> None:
    crm, transport = adapter_crm(emulator)

    async def go() -> list[Any]:
        async with crm:
            created = await crm.contacts.create_many(
                [Contact(first_name=f"c{i}", last_name="Bulk") for i in range(120)]
            )
            transport.seen.clear()
            changed = [attrs.evolve(r, last_name=f"changed {r.id}") for r in created]
            return await crm.contacts.update_many(changed)

    results = _run(go())
    updates = [cmds for _m, cmds, _s in transport.seen if "crm.contact.update" in cmds]
    assert [len(c) for c in updates] == [50, 50, 20]
    assert all(isinstance(r, Contact) and r.last_name == f"changed {r.id}" for r in results)
    rows = emulator.store.query("SELECT ID, LAST_NAME FROM contact WHERE ID > 5")
    assert len(rows) == 120 and all(r[1] == f"changed {r[0]}" for r in rows)


def test_120_lead_updates_go_in_five_batches(emulator: Bitrix24Emulator) -> None:
    """A lead update is two commands (the fields, then its contact list replaced)."""
    crm, transport = adapter_crm(emulator)

    async def go() -> list[Any]:
        async with crm:
            created = await crm.leads.create_many(_leads(120))
            transport.seen.clear()
            changed = [attrs.evolve(r, title=f"changed {r.id}") for r in created]
            return await crm.leads.update_many(changed)

    results = _run(go())
    assert all(isinstance(r, Lead) and r.title == f"changed {r.id}" for r in results)
    assert transport.requests_for("crm.lead.update") == 5
    rows = emulator.store.query("SELECT ID, TITLE FROM lead")
    assert len(rows) == 120 and all(r[1] == f"changed {r[0]}" for r in rows)


def test_lead_updates_with_contacts_replace_the_links(emulator: Bitrix24Emulator) -> None:
    crm, transport = adapter_crm(emulator)
    first = (ContactLink("1", is_main=True),)
    second = (ContactLink("3", is_main=True), ContactLink("4"))

    async def go() -> list[Any]:
        async with crm:
            created = await crm.leads.create_many(_leads(60, contacts=first))
            transport.seen.clear()
            changed = [attrs.evolve(r, title=f"v2 {r.id}", contacts=second) for r in created]
            return await crm.leads.update_many(changed)

    results = _run(go())
    assert all(isinstance(r, Lead) and r.contacts == second for r in results)
    assert transport.requests_for("crm.lead.update") == 3  # 120 commands
    rows = emulator.store.query("SELECT LEAD_ID, CONTACT_ID FROM lead_contact")
    assert len(rows) == 120 and {r[1] for r in rows} == {3, 4}


def test_one_item_refused_locally_the_others_are_written(emulator: Bitrix24Emulator) -> None:
    crm, _transport = adapter_crm(emulator)
    leads = _leads(50)
    leads[17] = attrs.evolve(leads[17], stage=StageRef("0", "NO_SUCH_STAGE"))

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(leads)

    results = _run(go())
    assert isinstance(results[17], ValidationError)
    assert "NO_SUCH_STAGE" in str(results[17])
    assert [i for i, r in enumerate(results) if not isinstance(r, Lead)] == [17]
    assert emulator.store.count("lead") == 49
    assert "bulk 0017" not in _stored_titles(emulator)


def test_one_command_refused_by_the_portal_the_others_are_written(
    emulator: Bitrix24Emulator,
) -> None:
    """One lead among 50 links a contact the portal does not have: the portal refuses that
    link inside the batch (HTTP 200, ``result_error``). That item gets the typed error naming
    the contact; the other 49 are created - and the refused item leaves no lead behind, so a
    caller who retries it cannot make a duplicate."""
    crm, transport = adapter_crm(emulator)
    leads = _leads(50, contacts=(ContactLink("1", is_main=True),))
    leads[31] = attrs.evolve(leads[31], contacts=(ContactLink("987654"),))

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(leads)

    results = _run(go())
    assert isinstance(results[31], NotFound)
    assert "987654" in str(results[31])
    assert [i for i, r in enumerate(results) if not isinstance(r, Lead)] == [31]
    assert {r.title for r in results if isinstance(r, Lead)} == {
        lead.title for i, lead in enumerate(leads) if i != 31
    }
    assert transport.requests_for("crm.lead.add") == 2  # 100 commands: two batches
    assert "bulk 0031" not in _stored_titles(emulator)
    assert emulator.store.count("lead") == 49


def test_updates_of_missing_records_fail_alone(emulator: Bitrix24Emulator) -> None:
    crm, _transport = adapter_crm(emulator)

    async def go() -> list[Any]:
        async with crm:
            created = await crm.contacts.create_many(
                [Contact(first_name=f"n{i}") for i in range(10)]
            )
            ghost = attrs.evolve(created[0], id="777777", first_name="ghost")
            changed = [attrs.evolve(r, first_name=f"v2 {r.id}") for r in created]
            return await crm.contacts.update_many([*changed[:5], ghost, *changed[5:]])

    results = _run(go())
    assert isinstance(results[5], NotFound) and "777777" in str(results[5])
    assert [i for i, r in enumerate(results) if not isinstance(r, Contact)] == [5]
    assert emulator.store.count("contact") == 15
    names = {r[0] for r in emulator.store.query("SELECT NAME FROM contact")}
    assert (
        "ghost" not in names and {f"v2 {r.id}" for r in results if isinstance(r, Contact)} <= names
    )


def test_values_a_batch_would_substitute_are_written_verbatim(
    emulator: Bitrix24Emulator,
) -> None:
    """``$result[...]`` inside a value would be replaced by the server in a batch: such records
    go as plain calls and are stored exactly as given."""
    crm, transport = adapter_crm(emulator)
    tricky = ["$result[w0]", "price $result[x][ID] ok", "$next[a]"]
    leads = [*_leads(3), *(Lead(title=t) for t in tricky)]

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(leads)

    results = _run(go())
    assert [r.title for r in results] == [lead.title for lead in leads]
    assert set(_stored_titles(emulator)) == {lead.title for lead in leads}
    assert transport.requests_for("crm.lead.add") == 1 + len(tricky)


# --- the writer on its own (real client, emulator) -------------------------------------------


def test_run_units_maps_each_command_error_to_its_item(emulator: Bitrix24Emulator) -> None:
    crm, transport = adapter_crm(emulator)
    units = [
        Unit(i, (Step(f"w{i}", "crm.lead.add", {"fields": {"TITLE": f"unit {i}"}}),))
        for i in range(50)
    ]
    units[7] = Unit(7, (Step("w7", "crm.lead.add", {"fields": "not a map"}),))
    units[40] = Unit(40, (Step("w40", "crm.lead.update", {"id": 555555, "fields": {}}),))

    async def go() -> dict[int, dict[str, Any] | UnicrmError]:
        async with crm:
            client = crm.adapter.client  # type: ignore[attr-defined]
            return await run_units(client, units)

    outcome = _run(go())
    assert len(transport.seen) == 1
    assert isinstance(outcome[7], ValidationError) and "fields" in str(outcome[7])
    assert isinstance(outcome[40], NotFound)
    good = {i: v for i, v in outcome.items() if not isinstance(v, UnicrmError)}
    assert sorted(good) == [i for i in range(50) if i not in (7, 40)]
    assert emulator.store.count("lead") == 48
    ids = {int(v[f"w{i}"]) for i, v in good.items()}  # type: ignore[index]
    assert ids == {r[0] for r in emulator.store.query("SELECT ID FROM lead")}


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([1] * 120, [50, 50, 20]),
        ([2] * 60, [50, 50, 20]),
        ([3] * 20, [48, 12]),
        ([1, 2, 49, 1, 50, 1], [3, 50, 50, 1]),
        ([], []),
    ],
)
def test_pack(sizes: list[int], expected: list[int]) -> None:
    units = [
        Unit(i, tuple(Step(f"s{i}_{k}", "crm.lead.add", {}) for k in range(n)))
        for i, n in enumerate(sizes)
    ]
    batches = pack(units)
    assert [sum(len(u.steps) for u in b) for b in batches] == expected
    assert [u.index for b in batches for u in b] == list(range(len(sizes)))
