"""Honest links (issue 16): a record read without its link lists says so (``NOT_LOADED``)
instead of showing an empty list that looks complete; a query asks for them with
``with_links()`` or by filtering on them; writing a record whose links were not read keeps the
stored links. Run on the memory adapter in ``links=lazy`` mode, which reads links as a vendor
that charges a request per record's links does."""

from __future__ import annotations

import pickle
import warnings

import attrs
import pytest

import unicrm
from unicrm import (
    NOT_LOADED,
    Company,
    CompanyLink,
    Contact,
    ContactLink,
    Deal,
    F,
    Lead,
    NotLoaded,
    QueryError,
)
from unicrm.model import make_converter
from unicrm.planner import FullScanWarning


@pytest.fixture
def crm() -> unicrm.CRM:
    return unicrm.connect("memory://?links=lazy&page_size=2")


@pytest.fixture
def linked(crm: unicrm.CRM) -> dict[str, str]:
    anna = crm.contacts.create(Contact(first_name="Anna"))
    ivan = crm.contacts.create(Contact(first_name="Ivan"))
    acme = crm.companies.create(Company(title="Acme", contacts=[anna.id or ""]))
    lead = crm.leads.create(
        Lead(title="L", contacts=[ContactLink(ivan.id or "", True), ContactLink(anna.id or "")])
    )
    crm.leads.create(Lead(title="no links"))
    deal = crm.deals.create(Deal(title="D", contacts=[ivan.id or ""]))
    return {
        "anna": anna.id or "",
        "ivan": ivan.id or "",
        "acme": acme.id or "",
        "lead": lead.id or "",
        "deal": deal.id or "",
    }


def test_a_plain_read_says_its_links_are_not_loaded(
    crm: unicrm.CRM, linked: dict[str, str]
) -> None:
    leads = crm.leads.filter().to_list()
    assert [lead.contacts for lead in leads] == [NOT_LOADED, NOT_LOADED]
    lead = leads[0]
    for use in (list, len, bool, lambda v: v[0], lambda v: "1" in v):
        with pytest.raises(QueryError, match=r"with_links\(\)"):
            use(lead.contacts)
    with pytest.raises(QueryError, match="not read"):
        _ = lead.contact_ids
    assert [c.companies for c in crm.contacts.all()] == [NOT_LOADED, NOT_LOADED]
    assert crm.companies.all().first().contacts is NOT_LOADED  # type: ignore[union-attr]


def test_with_links_reads_them_exactly(crm: unicrm.CRM, linked: dict[str, str]) -> None:
    leads = {lead.title: lead for lead in crm.leads.filter().with_links()}
    assert leads["L"].contact_ids == (linked["ivan"], linked["anna"])
    assert leads["no links"].contacts == ()  # read, and really empty
    assert crm.deals.all().with_links("contacts").first().contact_ids == (linked["ivan"],)  # type: ignore[union-attr]
    contacts = {c.first_name: c for c in crm.contacts.all().with_links()}
    assert contacts["Anna"].company_ids == (linked["acme"],)
    assert contacts["Ivan"].companies == ()
    with pytest.raises(QueryError, match="leads have no link list 'companies'"):
        crm.leads.filter().with_links("companies")


def test_filtering_on_links_reads_them(crm: unicrm.CRM, linked: dict[str, str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FullScanWarning)
        found = crm.leads.filter(F("contact_ids") == linked["anna"]).to_list()
        assert [lead.id for lead in found] == [linked["lead"]]
        assert found[0].contact_ids == (linked["ivan"], linked["anna"])
        companies = crm.contacts.filter(F("company_ids").is_null(False)).to_list()
        assert [c.id for c in companies] == [linked["anna"]]


def test_explain_says_which_links_are_read(crm: unicrm.CRM, linked: dict[str, str]) -> None:
    plain = str(crm.leads.filter(title="L").explain())
    assert "links not read: contacts (NOT_LOADED on each record" in plain
    asked = str(crm.leads.filter(title="L").with_links().explain())
    assert "links read: contacts" in asked and "links not read" not in asked
    assert '"links": ["contacts"]' in asked  # the request itself asks for them


def test_get_reads_a_whole_record(crm: unicrm.CRM, linked: dict[str, str]) -> None:
    assert crm.leads.get(linked["lead"]).contact_ids == (linked["ivan"], linked["anna"])
    assert crm.contacts.get(linked["anna"]).company_ids == (linked["acme"],)


def test_writing_a_record_read_without_links_keeps_them(
    crm: unicrm.CRM, linked: dict[str, str]
) -> None:
    lead = crm.leads.filter(title="L").first()
    assert lead is not None and lead.contacts is NOT_LOADED
    crm.leads.update(attrs.evolve(lead, title="renamed"))
    stored = crm.leads.get(linked["lead"])
    assert stored.title == "renamed"
    assert stored.contact_ids == (linked["ivan"], linked["anna"])
    anna = crm.contacts.filter(first_name="Anna").first()
    assert anna is not None
    crm.contacts.update(attrs.evolve(anna, last_name="Petrova"))
    assert crm.companies.get(linked["acme"]).contact_ids == (linked["anna"],)
    created = crm.leads.create(Lead(title="new", contacts=NOT_LOADED))
    assert crm.leads.get(created.id or "").contacts == ()


def test_an_eager_adapter_returns_links_complete_and_plans_say_nothing() -> None:
    crm = unicrm.connect("memory://")
    anna = crm.contacts.create(Contact(first_name="Anna"))
    crm.leads.create(Lead(title="L", contacts=[anna.id or ""]))
    assert crm.leads.all().first().contact_ids == (anna.id,)  # type: ignore[union-attr]
    assert "links" not in str(crm.leads.all().explain())


def test_not_loaded_is_one_value_that_survives_copies() -> None:
    assert NotLoaded() is NOT_LOADED
    assert pickle.loads(pickle.dumps(NOT_LOADED)) is NOT_LOADED
    assert repr(NOT_LOADED) == "NOT_LOADED"
    converter = make_converter()
    for record in (
        Lead(contacts=NOT_LOADED),
        Contact(companies=NOT_LOADED),
        Company(contacts=NOT_LOADED),
        Deal(contacts=NOT_LOADED),
    ):
        data = converter.unstructure(record)
        assert None in data.values()
        back = converter.structure(data, type(record))
        assert back == record and pickle.loads(pickle.dumps(record)) == record
    assert converter.unstructure(Contact(companies=[CompanyLink("1")]))["companies"] == [
        {"company_id": "1", "is_main": False}
    ]
    assert Lead(contacts=NOT_LOADED) != Lead(contacts=())


def test_bad_links_option_is_a_configuration_error() -> None:
    with pytest.raises(unicrm.ConfigurationError, match="links must be eager or lazy"):
        unicrm.connect("memory://?links=sometimes")


def test_unknown_memory_options_are_configuration_errors() -> None:
    with pytest.raises(
        unicrm.ConfigurationError, match="unknown memory option 'bogus'; valid options: links, "
    ):
        unicrm.connect("memory://", bogus=1)
    assert unicrm.connect("memory://", links="lazy", page_size=5).capabilities.page_size == 5
