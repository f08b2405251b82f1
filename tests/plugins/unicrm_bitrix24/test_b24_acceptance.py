"""Acceptance from issue 3: the seeded sandbox over real HTTP, read/filter/create/update,
``explain()`` naming ``crm.lead.list`` with its prefixed filter, the keyset batch reader's
request count, and a third-party client (fast-bitrix24) against the same server.

Expected results come from the reference evaluator on the records read back, never from the
adapter's own answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import unicrm
from unicrm import Contact, ContactLink, F, Lead, Money, Phone
from unicrm.emulation import SandboxOptions, ServerThread, free_port
from unicrm.query import evaluate

pytest.importorskip("unicrm_bitrix24.emulator")
SEED = 1000


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[ServerThread, tuple[str, ...]]]:
    port = free_port()
    spec = next(s for s in unicrm.plugins.sandboxes() if s.name == "bitrix24")
    box = spec.create(SandboxOptions(port=port, seed=SEED, limits="off"))
    with ServerThread(box.emulator, port=port) as server:
        yield server, tuple(box.banner)


@pytest.fixture(scope="module")
def crm(sandbox: Any) -> Iterator[unicrm.CRM]:
    _server, banner = sandbox
    connection = unicrm.connect(banner[0].replace("http://", "bitrix24+http://"), limits="off")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def all_leads(crm: unicrm.CRM) -> list[Lead]:
    return list(crm.leads.all())  # type: ignore[arg-type]


def test_banner_is_a_webhook_url(sandbox: Any) -> None:
    server, banner = sandbox
    assert banner[0].startswith(server.base_url) and "/rest/" in banner[0]


def test_reads_every_lead_once(all_leads: list[Lead]) -> None:
    assert len(all_leads) == SEED
    assert len({lead.id for lead in all_leads}) == SEED


def test_reads_contacts(crm: unicrm.CRM) -> None:
    contacts = list(crm.contacts.all())
    assert contacts and len({c.id for c in contacts}) == len(contacts)


@pytest.mark.parametrize(
    "predicate",
    [
        F("amount") > 1000,
        F("stage.semantic") == "won",
        F("title").contains("a"),
        F("first_name").startswith("A") | (F("amount") <= 500),
        ~(F("stage.semantic") == "open") & (F("amount") >= 100),
        F("phones").is_null(),
    ],
    ids=["range", "semantic", "contains", "split-or", "negation", "local-only"],
)
def test_filters_match_the_evaluator(
    crm: unicrm.CRM, all_leads: list[Lead], predicate: Any
) -> None:
    expected = sorted(lead.id or "" for lead in all_leads if evaluate(predicate, lead))
    got = sorted(lead.id or "" for lead in crm.leads.filter(predicate))
    assert got == expected


def test_explain_names_the_method_and_prefixed_filter(crm: unicrm.CRM) -> None:
    text = str(crm.leads.filter(F("amount") > 1000).explain())
    assert "crm.lead.list" in text
    assert ">=OPPORTUNITY" in text


def test_create_update_lead_with_contacts(crm: unicrm.CRM) -> None:
    stage = crm.pipelines()[0].stages[1]
    first = crm.contacts.create(Contact(first_name="Ann", phones=[Phone("+7 900", "mobile")]))
    second = crm.contacts.create(Contact(first_name="Bob"))
    lead = crm.leads.create(
        Lead(
            title="Acceptance",
            amount=Money("1500.50", "USD"),
            stage=unicrm.StageRef("0", stage.id, stage.semantic),
            phones=[Phone("+1 555 0100", "mobile"), Phone("+1 555 0101")],
            contacts=[ContactLink(first.id or "", True), ContactLink(second.id or "")],
            origin="acc-1",
        )
    )
    assert lead.id and lead.title == "Acceptance" and lead.origin == "acc-1"
    assert lead.amount == Money("1500.50", "USD")
    assert [c.contact_id for c in lead.contacts] == [first.id, second.id]
    changed = crm.leads.update(
        attrs.evolve(
            lead,
            phones=[Phone("+1 555 0199", "home")],
            contacts=[ContactLink(second.id or "", True)],
        )
    )
    assert changed.phones == (Phone("+1 555 0199", "home"),)
    assert [c.contact_id for c in changed.contacts] == [second.id]
    assert crm.leads.get(lead.id).phones == changed.phones
    found = list(crm.leads.filter(F("origin") == "acc-1"))
    assert [f.id for f in found] == [lead.id]


def test_fast_bitrix24_reads_the_sandbox(sandbox: Any) -> None:
    fast_bitrix24 = pytest.importorskip("fast_bitrix24")
    logging.getLogger("fast_bitrix24").setLevel(logging.WARNING)
    _server, banner = sandbox
    client = fast_bitrix24.Bitrix(banner[0], verbose=False)
    leads = client.get_all("crm.lead.list")
    ids = [row["ID"] for row in leads]
    assert len(ids) == len(set(ids))  # other tests may have added leads after the seed
    assert {str(i) for i in range(1, SEED + 1)} <= set(ids)
    new_id = client.call(
        "crm.lead.add",
        {
            "fields": {
                "TITLE": "from fast",
                "PHONE": [{"VALUE": "+7 999 1", "VALUE_TYPE": "MOBILE"}],
            }
        },
    )
    got = client.get_by_ID("crm.lead.get", [new_id])
    # one id: fast-bitrix24 returns the record itself; several: a map by id
    row = got if "ID" in got else got[str(new_id)]
    assert str(row["ID"]) == str(new_id)
    assert row["PHONE"][0]["VALUE"] == "+7 999 1"
    assert row["PHONE"][0]["VALUE_TYPE"] == "MOBILE"
