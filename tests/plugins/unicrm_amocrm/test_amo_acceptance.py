"""Acceptance: the sandbox over real HTTP, read/filter/create/update/link, explain, split plans.

Runs the amoCRM emulator (``make_sandbox`` + ``ServerThread``) and talks to it with
``unicrm.connect("amocrm+http://...", token=...)``. Expected results come from the reference
evaluator on the same records, never from the adapter.
"""

from __future__ import annotations

import pytest

import unicrm
from unicrm import Contact, ContactLink, F, Lead, Money, Phone
from unicrm.emulation import SandboxOptions, ServerThread, free_port
from unicrm.errors import UnsupportedOperation
from unicrm.query import evaluate

emulator = pytest.importorskip("unicrm_amocrm.emulator")


@pytest.fixture(scope="module")
def sandbox():
    port = free_port()
    spec = next(s for s in unicrm.plugins.sandboxes() if s.name == "amocrm")
    box = spec.create(SandboxOptions(port=port, seed=600, limits="off"))
    with ServerThread(box.emulator, port=port) as server:
        yield server, box.banner


@pytest.fixture(scope="module")
def crm(sandbox):
    server, banner = sandbox
    token = banner[1].split(" ", 1)[1]
    connection = unicrm.connect(server.base_url.replace("http://", "amocrm+http://"), token=token)
    yield connection
    connection.close()


def test_banner_prints_url_and_token(sandbox) -> None:
    server, banner = sandbox
    assert banner[0] == server.base_url
    assert banner[1].startswith("token ") and len(banner[1]) > 12


def test_reads_every_lead(crm) -> None:
    leads = list(crm.leads.all())
    assert len(leads) == 600
    assert len({lead.id for lead in leads}) == 600


@pytest.mark.parametrize(
    "predicate",
    [
        F("amount") > 1000,
        F("stage.semantic") == "won",
        F("title").startswith("A") | (F("amount") > 1000),
        ~(F("stage.semantic") == "open") & (F("amount") <= 50_000),
        F("tags").contains("a") | F("responsible_id").is_null(),
    ],
    ids=["range", "semantic", "split-or", "negation", "local-only"],
)
def test_filters_return_exactly_the_evaluators_result(crm, predicate) -> None:
    everything = list(crm.leads.all())
    expected = {lead.id for lead in everything if evaluate(predicate, lead)}
    got = [lead.id for lead in crm.leads.filter(predicate)]
    assert len(got) == len(set(got))
    assert set(got) == expected


def test_explain_names_the_endpoint_and_filters(crm) -> None:
    text = str(crm.leads.filter(F("amount") >= 1000).explain())
    assert "/api/v4/leads" in text and "filter[price][from]" in text


def test_explain_shows_the_split(crm) -> None:
    plan = crm.leads.filter(F("title").startswith("A") | (F("amount") > 1000)).explain()
    text = str(plan)
    assert len(plan.requests) == 2
    assert "query" in text and "filter[price][from]" in text and "merged by id" in text


def test_create_update_and_link(crm) -> None:
    contact = crm.contacts.create(
        Contact(first_name="Ann", last_name="Lee", phones=[Phone("+7 999 000", "mobile")])
    )
    assert contact.id and contact.phones == (Phone("+7 999 000", "mobile"),)
    lead = crm.leads.create(Lead(title="Acceptance", amount=Money(1500, "RUB")))
    assert lead.id and lead.title == "Acceptance"
    linked = crm.leads.update(
        Lead(
            id=lead.id,
            title="Acceptance 2",
            amount=Money(2500, "RUB"),
            stage=lead.stage,
            responsible_id=lead.responsible_id,
            contacts=[ContactLink(contact.id, True)],
        )
    )
    assert linked.title == "Acceptance 2"
    assert linked.contacts == (ContactLink(contact.id, True),)
    again = crm.leads.get(lead.id)
    assert again.contacts == (ContactLink(contact.id, True),)
    found = list(crm.leads.filter(F("title") == "Acceptance 2"))
    assert [x.id for x in found] == [lead.id]
    renamed = crm.contacts.update(Contact(id=contact.id, first_name="Anna", last_name="Lee"))
    assert renamed.first_name == "Anna" and renamed.phones == ()


def test_origin_marker_is_filterable(crm) -> None:
    lead = crm.leads.create(Lead(title="From b24", origin="b24:lead:42"))
    found = list(crm.leads.filter(F("origin") == "b24:lead:42"))
    assert [x.id for x in found] == [lead.id]
    text = str(crm.leads.filter(F("origin") == "b24:lead:42").explain())
    assert "filter[custom_fields_values]" in text


def test_delete_is_unsupported(crm) -> None:
    assert crm.capabilities.supports_delete is False
    with pytest.raises(UnsupportedOperation):
        crm.leads.delete("1")
