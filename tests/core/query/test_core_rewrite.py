"""Rewrites: each pass keeps the evaluator's answer on generated trees and records, and
produces the shapes the planner relies on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from unicrm import F, Lead, Money, StageRef
from unicrm.query import (
    ALL,
    NOTHING,
    And,
    Compare,
    Const,
    Node,
    Not,
    Op,
    Or,
    evaluate,
    normalise,
    to_dnf,
)
from unicrm.query.rewrite import conjunction, merge_in, push_not, simplify

UTC = dt.timezone.utc
BASE = dt.datetime(2024, 1, 1, tzinfo=UTC)

TITLES = ["Alpha", "alpha", "Beta", "Al"]
SOURCES = ["web", "call"]
AMOUNTS = [Decimal(0), Decimal(100), Decimal("100.5"), Decimal(1000)]
TAGS = ["vip", "b2b", "v"]
TIMES = [BASE, BASE + dt.timedelta(hours=1), BASE.astimezone(dt.timezone(dt.timedelta(hours=5)))]


def _opt(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.none() | st.sampled_from(values)


records = st.builds(
    Lead,
    id=st.integers(1, 5).map(str),
    title=_opt(TITLES),
    source=_opt(SOURCES),
    amount=_opt(AMOUNTS).map(lambda a: None if a is None else Money(a, "USD")),
    tags=st.lists(st.sampled_from(TAGS), max_size=2),
    created_at=_opt(TIMES),
    stage=_opt(["open", "won", "lost"]).map(lambda s: None if s is None else StageRef(1, s, s)),
    custom=st.dictionaries(
        st.just("n"), st.sampled_from([Decimal(1), "1", True, Decimal(2)]), max_size=1
    ),
)

comparisons = st.one_of(
    st.builds(lambda v: F("title") == v, st.sampled_from(TITLES)),
    st.builds(lambda v: F("title") != v, st.sampled_from(TITLES)),
    st.builds(lambda v: F("title").startswith(v), st.sampled_from(["Al", "al", "B"])),
    st.builds(lambda v: F("title").contains(v), st.sampled_from(["lph", "a"])),
    st.builds(lambda v: F("title") < v, st.sampled_from(TITLES)),
    st.builds(lambda v: F("source").in_(v), st.lists(st.sampled_from(SOURCES), min_size=1)),
    st.builds(lambda v: F("source").not_in(v), st.lists(st.sampled_from(SOURCES), min_size=1)),
    st.builds(lambda v: F("amount") > v, st.sampled_from(AMOUNTS)),
    st.builds(lambda v: F("amount") <= v, st.sampled_from(AMOUNTS)),
    st.builds(lambda v: F("amount") == v, st.sampled_from(AMOUNTS)),
    st.builds(lambda v: F("created_at") >= v, st.sampled_from(TIMES)),
    st.builds(lambda v: F("created_at") < v, st.sampled_from(TIMES)),
    st.builds(lambda v: F("tags") == v, st.sampled_from(TAGS)),
    st.builds(lambda v: F("tags").startswith(v), st.sampled_from(TAGS)),
    st.builds(lambda v: F("stage.semantic") == v, st.sampled_from(["open", "won"])),
    st.builds(lambda v: F("custom.n") == v, st.sampled_from([1, "1", True])),
    st.builds(lambda v: F("custom.n") > v, st.sampled_from([0, 1])),
    st.builds(
        lambda f, v: F(f).is_null(v), st.sampled_from(["title", "tags", "amount"]), st.booleans()
    ),
    st.sampled_from([ALL, NOTHING]),
)

predicates: st.SearchStrategy[Node] = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: Or(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=8,
)


def _dnf_meaning(dnf: list[tuple[Node, ...]], record: Lead) -> bool:
    return any(all(evaluate(lit, record) for lit in branch) for branch in dnf)


@given(predicates, st.lists(records, min_size=1, max_size=6))
def test_every_pass_preserves_meaning(node: Node, rows: list[Lead]) -> None:
    for rewrite in (simplify, push_not, merge_in, normalise):
        rewritten = rewrite(node)
        for row in rows:
            assert evaluate(rewritten, row) == evaluate(node, row), (rewrite.__name__, node, row)


@given(predicates, st.lists(records, min_size=1, max_size=6))
def test_dnf_preserves_meaning(node: Node, rows: list[Lead]) -> None:
    normal = normalise(node)
    dnf = to_dnf(normal, max_branches=10_000)
    assert dnf is not None
    for row in rows:
        assert _dnf_meaning(dnf, row) == evaluate(node, row)


def _nots_only_on_comparisons(node: Node) -> bool:
    if isinstance(node, Not):
        return isinstance(node.item, Compare)
    if isinstance(node, (And, Or)):
        return all(_nots_only_on_comparisons(i) for i in node.items)
    return True


@given(predicates)
def test_push_not_leaves_not_only_above_comparisons(node: Node) -> None:
    assert _nots_only_on_comparisons(push_not(node))


@given(predicates)
def test_normalise_is_idempotent(node: Node) -> None:
    once = normalise(node)
    assert normalise(once) == once


def _flat(node: Node) -> bool:
    if isinstance(node, (And, Or)):
        return len(node.items) > 1 and all(
            type(i) is not type(node) and not isinstance(i, Const) and _flat(i) for i in node.items
        )
    if isinstance(node, Not):
        return _flat(node.item)
    return True


@given(predicates)
def test_simplify_flattens_and_folds_constants(node: Node) -> None:
    assert _flat(simplify(node))


# --- the shapes, by example ---------------------------------------------------------------


A, B, C = F("title") == "a", F("source") == "b", F("amount") > 1


def test_simplify_examples() -> None:
    assert simplify(And((A, And((B, C))))) == And((A, B, C))
    assert simplify(Or((A, ALL))) == ALL
    assert simplify(And((A, NOTHING))) == NOTHING
    assert simplify(And((A, ALL))) == A
    assert simplify(Or((A, A))) == A
    assert simplify(Not(Not(A))) == A
    assert simplify(Not(ALL)) == NOTHING


def test_push_not_examples() -> None:
    assert push_not(~(F("title") == "a")) == (F("title") != "a")
    assert push_not(~F("tags").contains("v")) == Compare("tags", Op.NOT_CONTAINS, "v")
    assert push_not(~F("title").is_null()) == F("title").is_null(False)
    # an ordering's negation must also admit nulls
    assert push_not(~(F("amount") < 5)) == Or((F("amount") >= 5, F("amount").is_null()))
    # De Morgan
    assert push_not(~(A & B)) == Or((F("title") != "a", F("source") != "b"))
    # custom fields of unknown type keep the NOT on the comparison
    assert push_not(~(F("custom.n") > 1)) == Not(F("custom.n") > 1)


def test_merge_in_examples() -> None:
    merged = merge_in((F("title") == "a") | (F("title") == "b") | C)
    assert merged == Or((F("title").in_(["a", "b"]), C))
    assert merge_in((F("id") != 1) & (F("id") != 2)) == F("id").not_in([1, 2])
    assert merge_in((F("id") == 1) | (F("id") == 1)) == (F("id") == 1)


def test_to_dnf_examples_and_bound() -> None:
    assert to_dnf(normalise((A | B) & C)) == [(A, C), (B, C)]
    assert to_dnf(ALL) == [()]
    assert to_dnf(NOTHING) == []
    wide = And(tuple(Or((F("title") == str(i), F("source") == str(i))) for i in range(6)))
    assert to_dnf(normalise(wide), max_branches=32) is None  # 2**6 = 64 > 32
    assert len(to_dnf(normalise(wide), max_branches=64) or []) == 64


def test_conjunction() -> None:
    assert conjunction([]) == ALL
    assert conjunction([A]) == A
    assert conjunction([A, B]) == And((A, B))
