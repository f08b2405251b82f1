"""The engine's tables (order, link remaps) and the generic link remapping they drive."""

from __future__ import annotations

from typing import Any

import pytest

from unicrm import Company, CompanyLink, ContactLink, Lead
from unicrm.migrate import tables
from unicrm.migrate.compare import comparable
from unicrm.migrate.links import LinkMissing, placeholders, remap_links
from unicrm.migrate.tables import LINKS, ORDER, Link, LinkShape, migrated, rollback_order
from unicrm.model import NOT_LOADED, EntityKind


def test_every_link_points_at_an_entity_migrated_earlier_or_is_a_mirror() -> None:
    for position, entity in enumerate(ORDER):
        for link in LINKS.get(entity, ()):
            kind = migrated(link.entity)
            if kind is None or link.mirror:
                continue
            assert ORDER.index(kind) < position, f"{entity}.{link.field} -> {link.entity}"


def test_every_migrated_entity_has_a_link_row_and_rollback_reverses_the_order() -> None:
    assert set(LINKS) == set(ORDER)
    assert rollback_order() == tuple(reversed(ORDER))


def _lead_fields(lead: Lead) -> dict[str, Any]:
    return {"contacts": lead.contacts, "company_id": lead.company_id}


def test_links_remap_through_the_ids_and_untranslatable_ones_go_to_the_note() -> None:
    lead = Lead(
        title="x",
        contacts=[ContactLink("1"), ContactLink("2", is_main=True)],
        company_id="900",
    )
    fields, lost = _lead_fields(lead), []
    ids = {"contact": {"1": "101", "2": "102"}}
    remap_links(EntityKind.LEAD, fields, ids, keep_foreign=False, lost=lost)
    assert fields["contacts"] == (ContactLink("101"), ContactLink("102", is_main=True))
    # companies are not migrated (no "company" ids): the id cannot be translated
    assert fields["company_id"] is None and lost == [("company_id", "900")]
    kept, lost = _lead_fields(lead), []
    remap_links(EntityKind.LEAD, kept, ids, keep_foreign=True, lost=lost)
    assert kept["company_id"] == "900" and lost == []


def test_a_link_to_an_entity_with_ids_is_remapped_by_the_same_row() -> None:
    """The company row already exists: once companies have ids, company ids translate."""
    fields, lost = {"company_id": "900"}, []
    remap_links(
        EntityKind.CONTACT, fields, {"company": {"900": "7"}}, keep_foreign=False, lost=lost
    )
    assert fields == {"company_id": "7"} and lost == []


def test_a_link_to_a_record_without_target_names_the_record() -> None:
    fields = {"contacts": (ContactLink("5"),), "company_id": None}
    with pytest.raises(LinkMissing, match="lead links source contact 5"):
        remap_links(EntityKind.LEAD, fields, {"contact": {}}, keep_foreign=False, lost=[])
    # a dry run: a contact it planned gets a placeholder, one it did not is missing as above
    with pytest.raises(LinkMissing):
        remap_links(
            EntityKind.LEAD,
            dict(fields),
            placeholders({"contact": {}}, {}),
            keep_foreign=False,
            lost=[],
        )
    dry = placeholders({"contact": {}}, {"contact": {"5"}})
    remap_links(EntityKind.LEAD, fields, dry, keep_foreign=False, lost=[])
    assert fields["contacts"] == (ContactLink("new-contact-for-5"),)


def test_many_shaped_and_mirrored_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        tables.LINKS,
        EntityKind.COMPANY,
        (
            Link("tags", "contact", LinkShape.MANY),
            Link("contacts", "contact", LinkShape.CONTACTS, mirror=True),
        ),
    )
    ids = {"contact": {"1": "a", "2": "b"}}
    fields, lost = {"tags": ("1", "2"), "contacts": (ContactLink("2", is_main=True),)}, []
    remap_links(EntityKind.COMPANY, fields, ids, keep_foreign=False, lost=lost)
    # a mirrored link is left for the other end to write: the target keeps what it holds
    assert fields == {"tags": ("a", "b"), "contacts": NOT_LOADED} and lost == []
    # verification remaps it like any link, once every end is written
    fields = {"tags": (), "contacts": (ContactLink("2", is_main=True),)}
    remap_links(EntityKind.COMPANY, fields, ids, keep_foreign=False, lost=[], mirrors=True)
    assert fields["contacts"] == (ContactLink("b", is_main=True),)
    # a link list not loaded is not compared; a MANY link compares as a set
    one = comparable(Company(title="x", tags=("b", "a"), contacts=NOT_LOADED))
    other = comparable(Company(title="x", tags=("a", "b"), contacts=[ContactLink("7")]))
    assert "contacts" not in one and one["tags"] == other["tags"]


def test_a_single_id_without_a_target_record_goes_to_the_note_a_list_waits() -> None:
    fields, lost = {"company_id": "900", "companies": ()}, []
    remap_links(EntityKind.CONTACT, fields, {"company": {}}, keep_foreign=False, lost=lost)
    assert fields["company_id"] is None and lost == [("company_id", "900")]
    with pytest.raises(LinkMissing, match="contact links source company 900"):
        remap_links(
            EntityKind.CONTACT,
            {"companies": (CompanyLink("900"),)},
            {"company": {}},
            keep_foreign=False,
            lost=[],
        )
