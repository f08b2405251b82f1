"""Deals and companies through the public API (issue 12, "Model and API"), on the memory
adapter, the reference every vendor adapter is compared with; and the refusal an adapter that
does not list an entity gives."""

from __future__ import annotations

import asyncio
import warnings

import attrs
import pytest

import unicrm
from unicrm import (
    Company,
    CompanyLink,
    Contact,
    ContactLink,
    Deal,
    EntityKind,
    F,
    Money,
    NotFound,
    QueryError,
    StageRef,
    UnsupportedOperation,
    ValidationError,
)
from unicrm.planner import FullScanWarning


@pytest.fixture
def crm() -> unicrm.CRM:
    return unicrm.connect("memory://?pushdown=basic&page_size=3")


def _stage(crm: unicrm.CRM, semantic: str, pipeline: int = 0) -> StageRef:
    chosen = crm.pipelines("deal")[pipeline]
    stage = chosen.by_semantic(semantic)[0]
    return StageRef(chosen.id, stage.id, stage.semantic)


def test_deal_pipelines_are_their_own_and_every_stage_has_a_semantic(crm: unicrm.CRM) -> None:
    deal_pipelines = crm.pipelines("deal")
    assert [p.name for p in deal_pipelines] == ["Deals", "Partners"]
    for pipeline in deal_pipelines:
        assert {s.semantic for s in pipeline.stages} == {"open", "won", "lost"}
    assert crm.pipelines() == crm.pipelines("lead") == crm.pipelines(EntityKind.LEAD)
    assert {p.id for p in crm.pipelines()}.isdisjoint({p.id for p in deal_pipelines})
    with pytest.raises(QueryError, match="contacts have no pipelines"):
        crm.pipelines("contact")
    with pytest.raises(QueryError, match="no entity kind 'opportunity'"):
        crm.pipelines("opportunity")


def test_a_deal_with_two_contacts_and_a_company_reads_back_with_both_links(
    crm: unicrm.CRM,
) -> None:
    anna, ivan = crm.contacts.create_many([Contact(first_name="Anna"), Contact(first_name="Ivan")])
    assert isinstance(anna, Contact) and isinstance(ivan, Contact)
    company = crm.companies.create(
        Company(title="Acme", websites=["acme.example"], industry="IT", address="Main st. 1")
    )
    deal = crm.deals.create(
        Deal(
            title="Big one",
            amount=Money("150000.00", "RUB"),
            stage=_stage(crm, "open"),
            contacts=[ContactLink(ivan.id or "", is_main=True), ContactLink(anna.id or "")],
            company_id=company.id,
            tags=["q3"],
            custom={"channel": "partner"},
        )
    )
    back = crm.deals.get(deal.id or "")
    assert isinstance(back, Deal) and back == deal
    assert back.contact_ids == (ivan.id, anna.id) and back.main_contact_id == ivan.id
    assert back.company_id == company.id and back.created_at is not None
    assert crm.collection("deal") is crm.deals and crm.collection("company") is crm.companies


def test_company_contacts_and_contact_companies_are_one_relation(crm: unicrm.CRM) -> None:
    anna = crm.contacts.create(Contact(first_name="Anna"))
    acme = crm.companies.create(Company(title="Acme", contacts=[anna.id or ""]))
    assert crm.contacts.get(anna.id or "").company_ids == (acme.id,)
    globex = crm.companies.create(Company(title="Globex"))
    moved = attrs.evolve(crm.contacts.get(anna.id or ""), companies=[CompanyLink(globex.id or "")])
    crm.contacts.update(moved)
    assert crm.companies.get(acme.id or "").contacts == ()
    assert crm.companies.get(globex.id or "").contact_ids == (anna.id,)
    crm.companies.delete(globex.id or "")
    assert crm.contacts.get(anna.id or "").companies == ()


def test_deleting_a_contact_removes_it_from_every_deal(crm: unicrm.CRM) -> None:
    anna = crm.contacts.create(Contact(first_name="Anna"))
    deal = crm.deals.create(Deal(title="D", contacts=[anna.id or ""]))
    crm.contacts.delete(anna.id or "")
    assert crm.deals.get(deal.id or "").contacts == ()


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(Deal(title="x", contacts=["999"]), id="unknown-contact"),
        pytest.param(Deal(title="x", stage=StageRef("1", "new")), id="lead-stage-on-a-deal"),
        pytest.param(Deal(title="x", stage=StageRef("10", "won", "open")), id="wrong-semantic"),
    ],
)
def test_the_reference_refuses_what_a_vendor_refuses(crm: unicrm.CRM, bad: Deal) -> None:
    with pytest.raises(ValidationError):
        crm.deals.create(bad)


def test_company_links_to_unknown_contacts_are_refused(crm: unicrm.CRM) -> None:
    with pytest.raises(ValidationError, match="unknown contacts"):
        crm.companies.create(Company(title="x", contacts=["42"]))
    with pytest.raises(ValidationError, match="unknown companies"):
        crm.contacts.create(Contact(first_name="x", companies=["42"]))


def test_won_deals_are_exactly_the_won_ones_and_explain_names_the_deal_request(
    crm: unicrm.CRM,
) -> None:
    semantics = ["open", "won", "lost", "won", "open", "won", "won"]
    created = crm.deals.create_many(
        [
            Deal(title=f"D{i}", amount=Money(i * 100, "USD"), stage=_stage(crm, s, i % 2))
            for i, s in enumerate(semantics)
        ]
    )
    assert all(isinstance(d, Deal) for d in created)
    query = crm.deals.filter(F("stage.semantic") == "won")
    plain = [d.id for d in crm.deals.all() if d.stage and d.stage.semantic == "won"]
    assert [d.id for d in query] == plain and len(plain) == 4
    assert "memory.deal.filter" in str(query.explain())
    assert str(query.explain()).startswith("Plan for deals on memory")
    assert query.count() == 4
    assert crm.deals.count() == len(semantics) and crm.companies.count() == 0
    assert crm.deals.filter(F("amount") >= 300).count() == 4
    renamed = crm.deals.update_many([attrs.evolve(d, title="R") for d in query])
    assert [r.title for r in renamed if isinstance(r, Deal)] == ["R"] * 4
    crm.deals.delete(plain[0] or "")
    with pytest.raises(NotFound):
        crm.deals.get(plain[0] or "")


def test_company_fields_are_queryable_and_person_fields_are_not(crm: unicrm.CRM) -> None:
    crm.companies.create_many(
        [
            Company(title="Acme", websites=["acme.example", "acme.test"], industry="IT"),
            Company(title="Globex", websites=["globex.example"], industry="Energy"),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FullScanWarning)
        found = crm.companies.filter(F("websites") == "acme.test").to_list()
        assert [c.title for c in found] == ["Acme"]
        assert [c.title for c in crm.companies.filter(industry="Energy")] == ["Globex"]
    with pytest.raises(QueryError, match="companies have no field 'first_name'"):
        crm.companies.filter(F("first_name") == "x")
    with pytest.raises(QueryError, match="deals have no field 'phones'"):
        crm.deals.filter(F("phones") == "1")
    with pytest.raises(QueryError, match="contacts have no field 'websites'"):
        crm.contacts.filter(F("websites") == "x")


def test_contacts_are_found_by_their_companies(crm: unicrm.CRM) -> None:
    acme = crm.companies.create(Company(title="Acme"))
    anna = crm.contacts.create(Contact(first_name="Anna", companies=[acme.id or ""]))
    crm.contacts.create(Contact(first_name="Ivan"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FullScanWarning)
        assert [c.id for c in crm.contacts.filter(F("company_ids") == acme.id)] == [anna.id]
        assert [c.first_name for c in crm.contacts.filter(F("company_ids").is_null())] == ["Ivan"]


def test_the_async_api_has_deals_and_companies_too() -> None:
    async def scenario() -> None:
        async with unicrm.connect_async("memory://") as crm:
            company = await crm.companies.create(Company(title="Acme"))
            deal = await crm.deals.create(Deal(title="D", company_id=company.id))
            assert [d.id async for d in crm.deals.filter(company_id=company.id)] == [deal.id]
            assert [p.name for p in await crm.pipelines("deal")] == ["Deals", "Partners"]
            assert await crm.companies.filter().count() == 1
            assert await crm.companies.count() == 1 and await crm.leads.count() == 0

    asyncio.run(scenario())


def test_records_of_the_wrong_type_are_refused(crm: unicrm.CRM) -> None:
    with pytest.raises(QueryError, match="deals takes Deal records, got Company"):
        crm.deals.create(Company(title="x"))  # type: ignore[arg-type]


# --- an adapter that does not list deals and companies ------------------------------------------


@pytest.fixture
def leads_only() -> unicrm.CRM:
    crm = unicrm.connect("memory://")
    adapter = crm.async_crm.adapter
    adapter.capabilities = attrs.evolve(
        adapter.capabilities, entities=frozenset({EntityKind.LEAD, EntityKind.CONTACT})
    )
    return crm


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda crm: crm.deals.filter(), id="filter"),
        pytest.param(lambda crm: crm.deals.all(), id="all"),
        pytest.param(lambda crm: crm.deals.get("1"), id="get"),
        pytest.param(lambda crm: crm.deals.create(Deal(title="x")), id="create"),
        pytest.param(lambda crm: crm.deals.create_many([Deal(title="x")]), id="create_many"),
        pytest.param(lambda crm: crm.deals.update(Deal(id=1, title="x")), id="update"),
        pytest.param(lambda crm: crm.deals.delete("1"), id="delete"),
        pytest.param(lambda crm: crm.deals.custom_fields(), id="custom_fields"),
        pytest.param(lambda crm: crm.pipelines("deal"), id="pipelines"),
    ],
)
def test_an_adapter_without_deals_refuses_them_naming_vendor_and_entity(
    leads_only: unicrm.CRM, call: object
) -> None:
    with pytest.raises(UnsupportedOperation, match="memory does not support deals") as caught:
        call(leads_only)  # type: ignore[operator]
    assert caught.value.vendor == "memory"


def test_an_adapter_without_companies_refuses_them(leads_only: unicrm.CRM) -> None:
    with pytest.raises(UnsupportedOperation, match="companies"):
        leads_only.companies.filter(F("title") == "x")
    assert leads_only.leads.filter().count() == 0  # the listed entities still work


def test_the_default_capabilities_claim_only_leads_and_contacts() -> None:
    caps = unicrm.Capabilities(vendor="third-party")
    assert caps.entities == {EntityKind.LEAD, EntityKind.CONTACT}
    full = unicrm.connect("memory://").capabilities
    assert full.entities == set(EntityKind)
    assert "entities: company, contact, deal, lead" in str(full)


def test_entity_kinds_have_collection_names() -> None:
    assert [e.plural for e in EntityKind] == ["leads", "contacts", "deals", "companies"]


# --- one set of records behind two collections (amoCRM deals are its leads) ----------------------

AMO_LIKE = unicrm.Capabilities(
    vendor="amo-like",
    entities=frozenset(EntityKind),
    same_records=[{"deal", "lead"}],
)


def test_same_records_are_read_once_whatever_the_order_asked() -> None:
    every = list(EntityKind)
    assert AMO_LIKE.distinct(every) == (EntityKind.LEAD, EntityKind.CONTACT, EntityKind.COMPANY)
    assert AMO_LIKE.distinct(["deal", "contact", "lead", "company"]) == (
        EntityKind.DEAL,
        EntityKind.CONTACT,
        EntityKind.COMPANY,
    )
    assert AMO_LIKE.shares_records(EntityKind.DEAL) == {EntityKind.DEAL, EntityKind.LEAD}
    assert AMO_LIKE.shares_records(EntityKind.CONTACT) == {EntityKind.CONTACT}
    assert "same records: deals = leads" in str(AMO_LIKE)


def test_separate_collections_are_all_read() -> None:
    memory = unicrm.connect("memory://").capabilities
    assert memory.same_records == ()
    assert memory.distinct(EntityKind) == tuple(EntityKind)


@pytest.mark.parametrize(
    "groups",
    [
        pytest.param([{"deal"}], id="a-group-of-one"),
        pytest.param([{"deal", "lead"}, {"lead", "contact"}], id="an-entity-twice"),
        pytest.param([{"deal", "company"}], id="not-listed"),
    ],
)
def test_malformed_groups_are_refused(groups: list[set[str]]) -> None:
    with pytest.raises(ValueError, match="same_records"):
        unicrm.Capabilities(vendor="x", entities={"lead", "contact", "deal"}, same_records=groups)
