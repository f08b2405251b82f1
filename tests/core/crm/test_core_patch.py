"""Partial updates (issue 16): ``patch`` changes what it names and leaves every other field,
link and custom value as it was; ``update`` stays a full replace. Checked on the memory
adapter's native patch and on the adapter contract's default (read, merge, write)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import attrs
import pytest

import unicrm
from unicrm import (
    Company,
    Contact,
    ContactLink,
    Deal,
    EntityKind,
    Lead,
    Money,
    NotFound,
    Phone,
    QueryError,
    StageRef,
)
from unicrm.adapter import Adapter


@pytest.fixture(params=["native", "default"])
def crm(request: pytest.FixtureRequest) -> unicrm.CRM:
    """The memory adapter, patching natively or through the contract's default."""
    crm = unicrm.connect("memory://?links=lazy")
    if request.param == "default":
        adapter = crm.async_crm.adapter
        adapter.patch = (  # type: ignore[method-assign]
            lambda entity, record_id, changes: Adapter.patch(adapter, entity, record_id, changes)
        )
    return crm


@pytest.fixture
def lead(crm: unicrm.CRM) -> Lead:
    anna = crm.contacts.create(Contact(first_name="Anna"))
    ivan = crm.contacts.create(Contact(first_name="Ivan"))
    return crm.leads.create(
        Lead(
            title="Order",
            amount=Money("1500.00", "EUR"),
            stage=StageRef("1", "new"),
            phones=[Phone("+7 999 111-22-33", "mobile")],
            tags=["vip", "web"],
            contacts=[ContactLink(anna.id or "", True), ContactLink(ivan.id or "")],
            company_id="5",
            custom={"PRIORITY": "high", "SCORE": Decimal("7"), "DUE": None},
            extra={"VENDOR_FIELD": [1, 2]},
        )
    )


def _same_but(before: Lead, after: Lead, **changed: object) -> None:
    expected = attrs.evolve(before, updated_at=after.updated_at, **changed)
    assert after == expected


def test_patch_changes_one_field_and_keeps_every_other(crm: unicrm.CRM, lead: Lead) -> None:
    returned = crm.leads.patch(lead.id or "", title="Renamed")
    stored = crm.leads.get(lead.id or "")
    assert returned == stored
    _same_but(lead, stored, title="Renamed")
    assert stored.created_at == lead.created_at


def test_custom_fields_merge_key_by_key(crm: unicrm.CRM, lead: Lead) -> None:
    crm.leads.patch(lead.id or "", custom={"SCORE": Decimal("9"), "NEW": "x", "PRIORITY": None})
    stored = crm.leads.get(lead.id or "")
    _same_but(
        lead,
        stored,
        custom={"PRIORITY": None, "SCORE": Decimal("9"), "DUE": None, "NEW": "x"},
    )
    crm.leads.patch(lead.id or "", extra={"OTHER": 1})
    assert crm.leads.get(lead.id or "").extra == {"VENDOR_FIELD": [1, 2], "OTHER": 1}


def test_lists_are_replaced_only_when_given(crm: unicrm.CRM, lead: Lead) -> None:
    crm.leads.patch(lead.id or "", tags=["cold"], phones=["+1 555"])
    stored = crm.leads.get(lead.id or "")
    _same_but(lead, stored, tags=("cold",), phones=(Phone("+1 555"),))
    crm.leads.patch(lead.id or "", contacts=[])
    assert crm.leads.get(lead.id or "").contacts == ()


def test_patch_many_patches_each_and_returns_per_item_errors(crm: unicrm.CRM, lead: Lead) -> None:
    other = crm.leads.create(Lead(title="Other"))
    results = crm.leads.patch_many({lead.id or "": {"title": "A"}, "999": {"title": "B"}})
    assert isinstance(results[0], Lead) and results[0].title == "A"
    assert isinstance(results[1], NotFound)
    pairs = crm.leads.patch_many(
        [(other.id or "", {"source": "WEB"}), (lead.id or "", {"post": "x"})]
    )
    assert isinstance(pairs[0], Lead) and pairs[0].source == "WEB"
    assert isinstance(pairs[1], Lead) and (pairs[1].title, pairs[1].post) == ("A", "x")


@pytest.mark.parametrize(
    "changes, error, message",
    [
        pytest.param({"titel": "x"}, QueryError, "no patchable field 'titel'", id="typo"),
        pytest.param({"id": "9"}, QueryError, "no patchable field 'id'", id="server-id"),
        pytest.param({"updated_at": None}, QueryError, "updated_at", id="server-time"),
        pytest.param({"websites": ["a"]}, QueryError, "websites", id="other-entity"),
        pytest.param({}, QueryError, "at least one change", id="empty"),
        pytest.param({"contacts": unicrm.NOT_LOADED}, QueryError, "NOT_LOADED", id="unread"),
        pytest.param({"amount": 5}, TypeError, "Lead.amount must be a Money", id="amount"),
        pytest.param({"title": b"x"}, TypeError, "Lead.title must be text", id="bytes"),
        pytest.param({"custom": {"K": float("nan")}}, TypeError, "custom", id="custom"),
        pytest.param({"phones": [""]}, ValueError, "empty", id="phone"),
    ],
)
def test_bad_patches_are_refused_before_anything_changes(
    crm: unicrm.CRM, lead: Lead, changes: dict[str, object], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        crm.leads.patch(lead.id or "", **changes)
    assert crm.leads.get(lead.id or "") == lead


def test_patch_many_checks_every_item_first(crm: unicrm.CRM, lead: Lead) -> None:
    with pytest.raises(QueryError, match="titel"):
        crm.leads.patch_many({lead.id or "": {"title": "ok"}, "2": {"titel": "bad"}})
    assert crm.leads.get(lead.id or "").title == "Order"


def test_update_stays_a_full_replace(crm: unicrm.CRM, lead: Lead) -> None:
    crm.leads.update(Lead(id=lead.id, title="only title", contacts=()))
    stored = crm.leads.get(lead.id or "")
    assert stored.title == "only title"
    assert stored.amount is None and stored.custom == {} and stored.contacts == ()


def test_missing_records_are_not_found(crm: unicrm.CRM) -> None:
    with pytest.raises(NotFound):
        crm.leads.patch("404", title="x")


def test_every_collection_patches(crm: unicrm.CRM) -> None:
    anna = crm.contacts.create(Contact(first_name="Anna", last_name="P"))
    acme = crm.companies.create(Company(title="Acme", contacts=[anna.id or ""]))
    deal = crm.deals.create(Deal(title="D", amount=Money(1, "USD"), company_id=acme.id))
    assert crm.contacts.patch(anna.id or "", post="CEO").last_name == "P"
    assert crm.companies.patch(acme.id or "", industry="IT").contact_ids == (anna.id,)
    patched = crm.deals.patch(deal.id or "", title="Big")
    assert patched.amount == Money(1, "USD") and patched.company_id == acme.id
    # the relation seen from the contact's end is kept too
    assert crm.contacts.get(anna.id or "").company_ids == (acme.id,)


def test_the_async_twin(lead: Lead, crm: unicrm.CRM) -> None:
    async def scenario() -> None:
        acrm = crm.async_crm
        patched = await acrm.leads.patch(lead.id or "", comments="called back")
        assert patched.comments == "called back" and patched.tags == lead.tags
        results = await acrm.leads.patch_many({lead.id or "": {"post": "x"}})
        assert isinstance(results[0], Lead) and results[0].comments == "called back"

    asyncio.run(scenario())


def test_patchable_fields_are_the_record_fields_the_server_does_not_keep() -> None:
    names = unicrm.model.patchable(EntityKind.DEAL)
    assert "title" in names and "custom" in names and "contacts" in names
    assert not {"id", "vendor", "created_at", "updated_at", "raw"} & set(names)
