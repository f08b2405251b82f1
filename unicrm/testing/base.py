"""The base of the compliance suite: what a subclass sets (class attributes, hooks), the
fixtures, and the comparison with the reference evaluator every query test uses."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import attrs
import pytest

import unicrm
from unicrm.model import Contact, EntityKind, Lead, Record
from unicrm.planner import FullScanWarning
from unicrm.query import Node, evaluate
from unicrm.testing.dataset import DatasetOptions, build_contacts, build_leads
from unicrm.testing.strategies import default_fields
from unicrm.testing.targeted import Case

#: Fields the server assigns; :meth:`ComplianceSuite.comparable` ignores them by default.
SERVER_FIELDS = ("id", "vendor", "created_at", "updated_at", "closed_at", "raw", "extra")


@attrs.frozen
class LoadedData:
    """The differential data set as the adapter stores it (read back after writing)."""

    crm: unicrm.CRM
    leads: tuple[Lead, ...]
    contacts: tuple[Contact, ...]

    def records(self, entity: EntityKind) -> tuple[Record, ...]:
        return self.leads if entity is EntityKind.LEAD else self.contacts


class SuiteBase:
    """Settings, hooks and fixtures shared by the groups of compliance tests."""

    #: What the vendor can store (narrow it for vendors that cannot keep some fields).
    dataset: ClassVar[DatasetOptions] = DatasetOptions()
    #: Fields the generated queries use, per entity (None: every built-in field).
    query_fields: ClassVar[dict[EntityKind, Sequence[str]] | None] = None
    #: How many generated queries the differential test runs per entity (at least).
    differential_examples: ClassVar[int] = 250
    #: Records written by the pagination test (default: two pages and a bit).
    pagination_records: ClassVar[int | None] = None
    #: Result sizes the page-boundary test reads back (default: one page and one record, and
    #: exactly two full pages).
    page_boundary_counts: ClassVar[tuple[int, ...] | None] = None

    # --- hooks ---------------------------------------------------------------------------
    def make_crm(self) -> unicrm.CRM:
        """A connection to a fresh, empty store of the adapter under test."""
        raise NotImplementedError

    def comparable(self, record: Record) -> Record:
        """``record`` without server-assigned fields, for round-trip comparison."""
        cleared = {name: _default(type(record), name) for name in SERVER_FIELDS}
        return attrs.evolve(record, **cleared)

    def fields_for(self, entity: EntityKind) -> Sequence[str]:
        """Fields the generated queries may use."""
        if self.query_fields and entity in self.query_fields:
            return self.query_fields[entity]
        return default_fields(entity)

    # --- fixtures --------------------------------------------------------------------------
    @pytest.fixture
    def crm(self) -> Iterator[unicrm.CRM]:
        connection = self.make_crm()
        try:
            yield connection
        finally:
            connection.close()

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls) -> Iterator[LoadedData]:
        connection = cls().make_crm()
        contacts = [connection.contacts.create(c) for c in build_contacts(cls.dataset)]
        pipelines = connection.pipelines()
        leads = build_leads(cls.dataset, pipelines, [c.id or "" for c in contacts])
        for lead in leads:
            connection.leads.create(lead)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FullScanWarning)
            data = LoadedData(
                connection,
                tuple(connection.leads.all()),
                tuple(connection.contacts.all()),
            )
        try:
            yield data
        finally:
            connection.close()

    # --- comparing with the reference evaluator ------------------------------------------
    def _check(self, loaded: LoadedData, entity: EntityKind, predicate: Node) -> None:
        expected = {r.id for r in loaded.records(entity) if evaluate(predicate, r)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FullScanWarning)
            query = loaded.crm.collection(entity).filter(predicate)
            got = [r.id for r in query]
        assert len(got) == len(set(got)), f"duplicates for {predicate}"
        assert set(got) == expected, (
            f"{predicate}: missing {sorted(map(str, expected - set(got)))[:5]}, "
            f"extra {sorted(map(str, set(got) - expected))[:5]}\n{query.explain()}"
        )

    def _check_cases(self, loaded: LoadedData, cases: dict[EntityKind, list[Case]]) -> None:
        """Every case checked (all failures listed, not just the first)."""
        failures: list[str] = []
        for entity, entity_cases in cases.items():
            assert entity_cases, f"no targeted {entity} case could be built from the data set"
            for _label, predicate in entity_cases:
                try:
                    self._check(loaded, entity, predicate)
                except AssertionError as exc:
                    failures.append(f"{entity}: {str(exc).splitlines()[0]}")
        total = sum(len(c) for c in cases.values())
        assert not failures, f"{len(failures)} of {total} targeted cases wrong:\n" + "\n".join(
            failures[:12]
        )


@functools.cache
def _defaults(cls: type) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in attrs.fields(cls):
        default = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            values[attribute.name] = default.factory()
        else:
            values[attribute.name] = default
    return values


def _default(cls: type, name: str) -> Any:
    return _defaults(cls).get(name)
