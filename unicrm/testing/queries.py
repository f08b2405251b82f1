"""Compliance tests of queries: targeted cases for the commonest compiler bugs and the
differential tests (hypothesis-generated predicates, orders and limits against the reference
evaluator)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unicrm.model import EntityKind, Record
from unicrm.planner import FullScanWarning
from unicrm.query import ALL, F, Node, Op, evaluate, lookup
from unicrm.testing.base import LoadedData, SuiteBase
from unicrm.testing.strategies import predicates
from unicrm.testing.targeted import Case, negation_cases, spread, value_list_cases


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


class QueryCases(SuiteBase):
    """Targeted and differential query tests (part of :class:`~unicrm.testing.ComplianceSuite`)."""

    # --- targeted cases -------------------------------------------------------------------
    def test_targeted_value_lists(self, loaded: LoadedData) -> None:
        """``in``/``not in`` with three ids (and values) that exist return exactly their rows."""
        cases: dict[EntityKind, list[Case]] = {}
        for entity in (EntityKind.LEAD, EntityKind.CONTACT):
            records = loaded.records(entity)
            ids = spread([r.id for r in records if r.id])
            assert len(ids) == 3, "the data set needs at least three records per entity"
            listed = [
                (f"id in {ids}", F("id").in_(ids)),
                (f"id not in {ids}", F("id").not_in(ids)),
                *value_list_cases(records, self.fields_for(entity)),
            ]
            cases[entity] = list({node: (label, node) for label, node in listed}.values())
        self._check_cases(loaded, cases)

    def test_targeted_negations(self, loaded: LoadedData) -> None:
        """The negation of each kind of comparison on each field, and of an AND and an OR."""
        self._check_cases(
            loaded,
            {
                entity: list(negation_cases(loaded.records(entity), self.fields_for(entity)))
                for entity in (EntityKind.LEAD, EntityKind.CONTACT)
            },
        )

    # --- differential -----------------------------------------------------------------------
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
