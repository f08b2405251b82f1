"""The whole sales side: companies, contacts, leads and deals with every link, and their routes."""

from __future__ import annotations

from typing import Any

import pytest

from unicrm import Company, CompanyLink, Contact, ContactLink, Deal, EntityKind, Lead, StageRef
from unicrm.migrate import Ledger, Route, Schema, auto_mapping, load_schema, verify
from unicrm.migrate.automap import default_route_for
from unicrm.migrate.plan import plan
from unicrm.migrate.tables import SHARED_ROUTES, PipelinePolicy

pytestmark = pytest.mark.anyio
DEAL, LEAD = EntityKind.DEAL, EntityKind.LEAD


async def _seed_sales(crm: Any) -> None:
    """3 companies, 6 contacts (each in one or two companies), 4 leads, 8 deals in both deal
    pipelines, linked to contacts (main first) and a company."""
    companies = [(await crm.companies.create(Company(title=f"Firm {i}"))).id for i in range(3)]
    contacts = []
    for i in range(6):
        links = [CompanyLink(companies[i % 3], is_main=True)]
        if i % 2:
            links.append(CompanyLink(companies[(i + 1) % 3]))
        made = await crm.contacts.create(Contact(first_name=f"P{i}", companies=links))
        contacts.append(made.id)
    for i in range(4):
        await crm.leads.create(
            Lead(
                title=f"Lead {i}",
                contacts=[ContactLink(contacts[i], True)],
                company_id=companies[0],
            )
        )
    stages = [
        ("10", "new", "open"),
        ("10", "won", "won"),
        ("20", "talks", "open"),
        ("20", "dropped", "lost"),
    ]
    for i in range(8):
        await crm.deals.create(
            Deal(
                title=f"Deal {i}",
                stage=StageRef(*stages[i % 4]),
                contacts=[ContactLink(contacts[i % 6], True), ContactLink(contacts[(i + 1) % 6])],
                company_id=companies[i % 3],
            )
        )


async def test_companies_contacts_leads_and_deals_move_with_every_link(
    memory_pair: Any, run_s_to_t: Any, ledger_at: Any
) -> None:
    src, dst = memory_pair
    await _seed_sales(src)
    with Ledger(ledger_at("run")) as ledger:
        report = await run_s_to_t(src, dst, ledger)
        assert report.state == "complete", report.errors
        result = await verify(src, dst, ledger=ledger, source_label="s")
        assert result.differences == 0, result.as_dict()
        assert {k: v["target"] for k, v in result.counts.items()} == {
            "company": 3,
            "contact": 6,
            "lead": 4,
            "deal": 8,
        }
        ids = {str(e): ledger.target_ids(e) for e in (EntityKind.COMPANY, EntityKind.CONTACT)}
        again = await run_s_to_t(src, dst, ledger)
        assert again.written == 0
    source_deals = {d.title: d for d in await src.deals.all().with_links().to_list()}
    for deal in await dst.deals.all().with_links().to_list():
        before = source_deals[deal.title]
        assert deal.company_id == ids["company"][before.company_id or ""]
        assert deal.contact_ids == tuple(ids["contact"][c] for c in before.contact_ids)
        assert deal.stage is not None and before.stage is not None
        assert (deal.stage.pipeline_id, deal.stage.stage_id) == (
            before.stage.pipeline_id,
            before.stage.stage_id,
        )
    # a company's contacts were written from the contacts' side, and arrived
    for company in await dst.companies.all().with_links().to_list():
        assert len(company.contacts) in {2, 3, 4}


async def test_a_route_to_another_entity_converts_the_records(
    memory_pair: Any, run_s_to_t: Any, ledger_at: Any
) -> None:
    src, dst = memory_pair
    await _seed_sales(src)
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    mapping = mapping.with_route(Route("deal", "lead", PipelinePolicy.MATCH))
    with Ledger(ledger_at("run")) as ledger:
        report = await run_s_to_t(src, dst, ledger, mapping=mapping)
        assert report.state == "complete", report.errors
        assert (await verify(src, dst, ledger=ledger, source_label="s")).differences == 0
    assert await dst.deals.all().to_list() == []
    leads = await dst.leads.all().to_list()
    assert len(leads) == 12  # 4 leads and 8 deals, all leads now
    # the deal stages went to the lead pipeline by name and order within each semantic
    as_leads = [lead for lead in leads if (lead.title or "").startswith("Deal")]
    assert {lead.stage.stage_id for lead in as_leads if lead.stage} == {"new", "won", "lost"}
    decisions = {d.sentence() for d in report.decisions}
    assert (
        "deal route deals: become leads, pipelines matched by name (set in the mapping)"
        in decisions
    )


def _schema(*entities: EntityKind, shared: bool = False) -> Schema:
    return Schema(
        pipelines={},
        fields={},
        entities=frozenset(entities),
        same_records=(frozenset({DEAL, LEAD}),) if shared else (),
    )


def test_default_routes_follow_what_each_side_keeps() -> None:
    both = (EntityKind.COMPANY, EntityKind.CONTACT, LEAD, DEAL)
    shared = _schema(*both, shared=True)  # amoCRM: its leads are its deals
    separate = _schema(*both)  # Bitrix24 in classic mode
    # into a CRM whose leads are its deals: leads get a pipeline of their own
    assert default_route_for(LEAD, shared) == SHARED_ROUTES[LEAD]
    assert default_route_for(DEAL, shared) == Route("deal", "deal", PipelinePolicy.CREATE)
    assert default_route_for(LEAD, separate) == Route("lead", "lead", PipelinePolicy.MATCH)
    # a target without deals takes them as leads; one with neither cannot take them
    assert default_route_for(DEAL, _schema(LEAD)) == Route("deal", "lead", PipelinePolicy.MATCH)
    assert default_route_for(DEAL, _schema(EntityKind.CONTACT)) is None
    # out of a CRM whose leads are its deals: they are read once, as deals
    assert shared.read_kinds() == {EntityKind.COMPANY, EntityKind.CONTACT, DEAL}
    said = {
        d.sentence()
        for d in plan(auto_mapping(shared, separate), shared, separate, migrating=(DEAL,))
    }
    assert (
        "lead route leads: read as deals (the source keeps leads and deals as the same records)"
        in said
    )
