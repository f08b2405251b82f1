"""Compliance tests of the basics: capabilities, CRUD and round trips, streaming and page
boundaries, errors, strict plans and ``explain()``."""

from __future__ import annotations

import uuid
import warnings

import attrs
import pytest

import unicrm
from unicrm.errors import FullScanError, NotFound, QueryError, UnsupportedOperation
from unicrm.model import Contact, EntityKind, Lead, Phone
from unicrm.planner import FullScanWarning
from unicrm.query import F, Node
from unicrm.testing.base import SuiteBase


class BasicCases(SuiteBase):
    """CRUD, streaming, errors and plans (part of :class:`~unicrm.testing.ComplianceSuite`)."""

    # --- capabilities and CRUD -------------------------------------------------------------
    def test_capabilities_are_printable(self, crm: unicrm.CRM) -> None:
        text = str(crm.capabilities)
        assert crm.capabilities.vendor in text
        assert "filters" in text

    def test_lead_round_trip(self, crm: unicrm.CRM) -> None:
        stage = crm.pipelines()[0].stages[0]
        pipeline = crm.pipelines()[0]
        sent = Lead(
            title="Round trip Ёжик",
            amount=unicrm.Money("1500", self.dataset.currencies[0]),
            stage=unicrm.StageRef(pipeline.id, stage.id, stage.semantic),
            source=None,
        )
        created = crm.leads.create(sent)
        assert created.id
        fetched = crm.leads.get(created.id)
        assert self.comparable(fetched) == self.comparable(created)
        assert fetched.title == sent.title
        assert fetched.amount == sent.amount
        assert fetched.stage == sent.stage

    def test_contact_round_trip_and_update_replaces_phones(self, crm: unicrm.CRM) -> None:
        created = crm.contacts.create(
            Contact(
                first_name="Ivan",
                last_name="Petrov",
                phones=[Phone("+7 999 555-11-22", "mobile"), Phone("+7 495 000-00-00", "work")],
            )
        )
        assert created.id
        assert crm.contacts.get(created.id).last_name == "Petrov"
        changed = attrs.evolve(created, phones=(Phone("+7 999 111-22-33", "home"),))
        crm.contacts.update(changed)
        stored = crm.contacts.get(created.id)
        assert [(p.value, p.kind) for p in stored.phones] == [("+7 999 111-22-33", "home")]

    def test_missing_id_raises_not_found(self, crm: unicrm.CRM) -> None:
        with pytest.raises(NotFound):
            crm.leads.get("987654321")

    def test_delete_as_declared(self, crm: unicrm.CRM) -> None:
        created = crm.contacts.create(Contact(first_name="Temp"))
        assert created.id
        if not crm.capabilities.supports_delete:
            with pytest.raises(UnsupportedOperation):
                crm.contacts.delete(created.id)
            return
        crm.contacts.delete(created.id)
        with pytest.raises(NotFound):
            crm.contacts.get(created.id)

    # --- streaming -------------------------------------------------------------------------
    @staticmethod
    def _numbered_contacts(crm: unicrm.CRM, count: int) -> str:
        """Write ``count`` contacts sharing a fresh first name, last names "0", "1", ...;
        return the first name."""
        marker = f"page-{count}-{uuid.uuid4().hex[:8]}"
        created = crm.contacts.create_many(
            [Contact(first_name=marker, last_name=str(i)) for i in range(count)]
        )
        assert all(isinstance(r, Contact) for r in created), created[:3]
        return marker

    def test_streaming_pages_and_limit(self, crm: unicrm.CRM) -> None:
        page_size = crm.capabilities.page_size
        count = self.pagination_records or page_size * 2 + 3
        marker = self._numbered_contacts(crm, count)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FullScanWarning)
            query = crm.contacts.filter(F("first_name") == marker)
            pages = list(query.pages())
            assert all(0 < len(p) <= page_size for p in pages)
            assert sorted(int(c.last_name or -1) for p in pages for c in p) == list(range(count))
            assert len(list(query.limit(page_size + 1))) == page_size + 1

    def test_targeted_every_page_arrives(self, crm: unicrm.CRM) -> None:
        """A result one record past a page, and one of exactly two full pages, arrive whole."""
        page_size = crm.capabilities.page_size
        for count in self.page_boundary_counts or (page_size + 1, 2 * page_size):
            marker = self._numbered_contacts(crm, count)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FullScanWarning)
                query = crm.contacts.filter(F("first_name") == marker)
                got = sorted(int(c.last_name or -1) for c in query)
                paged = sum(len(page) for page in query.pages())
            assert got == list(range(count)), (
                f"{count} records in pages of {page_size}: {len(got)} arrived, first missing "
                f"{next((i for i in range(count) if i not in set(got)), None)}"
            )
            assert paged == count, f"pages() gave {paged} of {count} records"

    # --- errors ----------------------------------------------------------------------------
    def test_query_errors(self, crm: unicrm.CRM) -> None:
        with pytest.raises(QueryError, match="valid fields"):
            crm.leads.filter(F("nope") == 1)
        with pytest.raises(QueryError):
            crm.leads.filter(F("amount") == "lots")
        with pytest.raises(QueryError, match="title"):
            crm.contacts.filter(F("title") == "x")

    def test_strict_plan_refuses_full_scan(self, crm: unicrm.CRM) -> None:
        unpushable = self._unpushable(crm, EntityKind.LEAD)
        if unpushable is None:
            pytest.skip("every comparison can be pushed to this adapter")
        with pytest.raises(FullScanError):
            crm.leads.filter(unpushable).strict().explain()
        with pytest.warns(FullScanWarning):
            list(crm.leads.filter(unpushable))

    @staticmethod
    def _unpushable(crm: unicrm.CRM, entity: EntityKind) -> Node | None:
        """A predicate whose plan needs a full scan on this adapter, if there is one."""
        candidates = [F("comments").contains("x"), F("post").startswith("C"), ~(F("title") == "x")]
        collection = crm.collection(entity)
        for node in candidates:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FullScanWarning)
                if collection.filter(node).explain().full_scan:
                    return node
        return None

    def test_explain_shows_requests_and_residual(self, crm: unicrm.CRM) -> None:
        plan = crm.leads.filter(F("title").contains("Lead") | (F("amount") > 10)).explain()
        text = str(plan)
        assert plan.requests
        assert all(p.request.endpoint in text for p in plan.requests)
        assert "residual" in text
