"""The compliance suite every adapter's tests pull in (SQLAlchemy ``testing/suite`` style).

Subclass :class:`ComplianceSuite` in a test module and implement :meth:`make_crm`::

    from unicrm.testing import ComplianceSuite

    class TestMyVendor(ComplianceSuite):
        def make_crm(self):
            return unicrm.connect("myvendor+http://127.0.0.1:1", transport=...)

The tests cover CRUD, streaming and pagination, round trips, error behaviour and the
differential test: hypothesis-generated queries through the adapter return exactly the records
for which the reference evaluator holds. Tests are gated by the adapter's declared capabilities.
Override the class attributes (``dataset``, ``query_fields``, ``differential_examples``...) and
:meth:`comparable` to fit what the vendor stores.
"""

from __future__ import annotations

import functools
import itertools
import uuid
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unicrm
from unicrm.errors import FullScanError, NotFound, QueryError, UnsupportedOperation
from unicrm.model import Contact, EntityKind, Lead, Phone, Record
from unicrm.planner import FullScanWarning
from unicrm.query import ALL, F, Node, Op, evaluate, lookup
from unicrm.testing.dataset import DatasetOptions, build_contacts, build_leads
from unicrm.testing.strategies import default_fields, predicates

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


def _sort_value(record: Record, field: str) -> Any:
    spec = lookup(field)
    return spec.read(record) if spec else None


def _ordered_ok(rows: Sequence[Record], field: str, descending: bool) -> bool:
    """Rows are sorted by ``field`` (nulls last in both directions)."""
    keys = [_sort_value(r, field) for r in rows]
    present = [k for k in keys if k is not None]
    if keys[: len(present)] != present:
        return False
    return all((a >= b) if descending else (a <= b) for a, b in itertools.pairwise(present))


class ComplianceSuite:
    """Base class of an adapter's compliance tests; subclasses implement :meth:`make_crm`."""

    #: What the vendor can store (narrow it for vendors that cannot keep some fields).
    dataset: ClassVar[DatasetOptions] = DatasetOptions()
    #: Fields the generated queries use, per entity (None: every built-in field).
    query_fields: ClassVar[dict[EntityKind, Sequence[str]] | None] = None
    #: How many generated queries the differential test runs per entity (at least).
    differential_examples: ClassVar[int] = 250
    #: Records written by the pagination test (default: two pages and a bit).
    pagination_records: ClassVar[int | None] = None

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
    def test_streaming_pages_and_limit(self, crm: unicrm.CRM) -> None:
        page_size = crm.capabilities.page_size
        count = self.pagination_records or page_size * 2 + 3
        marker = f"page-{uuid.uuid4().hex[:8]}"
        created = crm.contacts.create_many(
            [Contact(first_name=marker, last_name=str(i)) for i in range(count)]
        )
        assert all(isinstance(r, Contact) for r in created), created[:3]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FullScanWarning)
            query = crm.contacts.filter(F("first_name") == marker)
            pages = list(query.pages())
            assert all(0 < len(p) <= page_size for p in pages)
            assert sorted(int(c.last_name or -1) for p in pages for c in p) == list(range(count))
            assert len(list(query.limit(page_size + 1))) == page_size + 1

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

    # --- differential ------------------------------------------------------------------------
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

    def _differential(self, loaded: LoadedData, entity: EntityKind) -> None:
        records = loaded.records(entity)
        strategy = predicates(records, self.fields_for(entity))

        @settings(
            max_examples=max(self.differential_examples, _default_examples()),
            suppress_health_check=list(HealthCheck),
            deadline=None,
        )
        @given(strategy)
        def check(predicate: Node) -> None:
            self._check(loaded, entity, predicate)

        check()

    def test_differential_leads(self, loaded: LoadedData) -> None:
        self._differential(loaded, EntityKind.LEAD)

    def test_differential_contacts(self, loaded: LoadedData) -> None:
        self._differential(loaded, EntityKind.CONTACT)

    def test_differential_order_and_limit(self, loaded: LoadedData) -> None:
        orderable = [f for f in ("amount", "title", "id", "created_at") if lookup(f)]
        strategy = st.tuples(
            predicates(loaded.leads, self.fields_for(EntityKind.LEAD), max_leaves=2),
            st.sampled_from(orderable),
            st.booleans(),
            st.integers(min_value=0, max_value=15),
        )

        @settings(
            max_examples=max(60, _default_examples()),
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def check(case: tuple[Node, str, bool, int]) -> None:
            predicate, field, descending, limit = case
            expected = [r for r in loaded.leads if evaluate(predicate, r)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FullScanWarning)
                order = f"-{field}" if descending else field
                rows = list(loaded.crm.leads.filter(predicate).order_by(order).limit(limit))
            assert len(rows) == min(limit, len(expected))
            assert {r.id for r in rows} <= {r.id for r in expected}
            assert _ordered_ok(rows, field, descending), [_sort_value(r, field) for r in rows]
            if rows and len(rows) < len(expected):
                last = _sort_value(rows[-1], field)
                left_out = [r for r in expected if r.id not in {x.id for x in rows}]
                for other in left_out:
                    value = _sort_value(other, field)
                    if last is None or value is None:
                        assert value is None, "a non-null row was left out after a null"
                    else:
                        assert (value <= last) if descending else (value >= last)

        check()

    def test_differential_sanity(self, loaded: LoadedData) -> None:
        """The data set is rich enough for the differential tests to mean something."""
        assert len(loaded.leads) == self.dataset.n_leads
        assert len(loaded.contacts) == self.dataset.n_contacts
        self._check(loaded, EntityKind.LEAD, ALL)
        titled = [r for r in loaded.leads if r.title]
        assert titled, "no lead kept its title"
        self._check(loaded, EntityKind.LEAD, F("title") == titled[0].title)
        self._check(loaded, EntityKind.LEAD, F("title").compare(Op.NE, titled[0].title or ""))


def _default_examples() -> int:
    """``max_examples`` of the active hypothesis profile."""
    current = settings.default
    return current.max_examples if current is not None else 100


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
