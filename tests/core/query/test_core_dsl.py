"""The query DSL: every operator, lookup sugar, and the checks made when a query is built."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from unicrm import F, QueryError, StageSemantic
from unicrm.query import ALL, And, Compare, Not, Op, Or, field_names, fields_of, from_lookups

UTC = dt.timezone.utc
WHEN = dt.datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "built, expected",
    [
        (F("title") == "A", Compare("title", Op.EQ, "A")),
        (F("title") != "A", Compare("title", Op.NE, "A")),
        (F("amount") < 5, Compare("amount", Op.LT, Decimal(5))),
        (F("amount") <= "5.5", Compare("amount", Op.LE, Decimal("5.5"))),
        (F("amount") > 0.1, Compare("amount", Op.GT, Decimal("0.1"))),
        (F("amount") >= Decimal("2"), Compare("amount", Op.GE, Decimal(2))),
        (F("id").in_([1, "2"]), Compare("id", Op.IN, frozenset({"1", "2"}))),
        (F("source").not_in(("a",)), Compare("source", Op.NOT_IN, frozenset({"a"}))),
        (F("title").contains("x"), Compare("title", Op.CONTAINS, "x")),
        (F("title").startswith("x"), Compare("title", Op.STARTSWITH, "x")),
        (F("closed_at").is_null(), Compare("closed_at", Op.IS_NULL, True)),
        (F("closed_at").is_null(False), Compare("closed_at", Op.IS_NULL, False)),
        (F("created_at") >= WHEN, Compare("created_at", Op.GE, WHEN)),
        (
            F("created_at") < "2024-05-01T12:00:00Z",
            Compare("created_at", Op.LT, WHEN),
        ),
        (F("stage.semantic") == "won", Compare("stage.semantic", Op.EQ, StageSemantic.WON)),
        (F("phones") == "+1", Compare("phones", Op.EQ, "+1")),
        (F("custom.color") == "red", Compare("custom.color", Op.EQ, "red")),
        (F("custom.size") == 3, Compare("custom.size", Op.EQ, Decimal(3))),
        (F("custom.flag") == True, Compare("custom.flag", Op.EQ, True)),  # noqa: E712
    ],
)
def test_every_operator_builds_its_node(built: Any, expected: Compare) -> None:
    assert built == expected


def test_combinators_build_and_or_not() -> None:
    a, b = F("title") == "a", F("source") == "b"
    assert (a & b) == And((a, b))
    assert (a | b) == Or((a, b))
    assert ~a == Not(a)
    assert fields_of((a & ~b) | (F("amount") > 1)) == {"title", "source", "amount"}


def test_printed_predicates_read_like_the_query() -> None:
    node = (F("amount") >= 15000) & (F("title").startswith("Lead") | F("closed_at").is_null())
    assert str(node) == "amount >= 15000 AND (title startswith 'Lead' OR closed_at is null)"
    assert str(~(F("id").in_([2, 1]))) == "NOT id in ('1', '2')"
    assert str(F("closed_at").is_null(False)) == "closed_at is not null"


# --- lookups sugar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookups, expected",
    [
        ({"title": "A"}, F("title") == "A"),
        ({"title__exact": "A"}, F("title") == "A"),
        ({"title__ne": "A"}, F("title") != "A"),
        ({"amount__lt": 1}, F("amount") < 1),
        ({"amount__lte": 1}, F("amount") <= 1),
        ({"amount__gt": 1}, F("amount") > 1),
        ({"amount__gte": 15000}, F("amount") >= 15000),
        ({"id__in": [1, 2]}, F("id").in_([1, 2])),
        ({"id__not_in": [1]}, F("id").not_in([1])),
        ({"title__contains": "x"}, F("title").contains("x")),
        ({"title__startswith": "I"}, F("title").startswith("I")),
        ({"closed_at__isnull": True}, F("closed_at").is_null()),
        ({"stage__semantic": "won"}, F("stage.semantic") == "won"),
        ({"stage__semantic__in": ["won", "lost"]}, F("stage.semantic").in_(["won", "lost"])),
        ({"custom__color": "red"}, F("custom.color") == "red"),
    ],
)
def test_lookups_are_sugar_for_f(lookups: dict[str, Any], expected: Any) -> None:
    assert from_lookups(lookups) == expected


def test_several_lookups_are_anded_and_none_is_all() -> None:
    node = from_lookups({"amount__gte": 15000, "title__startswith": "I"})
    assert node == And((F("amount") >= 15000, F("title").startswith("I")))
    assert from_lookups({}) == ALL


# --- checks at build time -------------------------------------------------------------------


def test_unknown_field_lists_the_valid_ones() -> None:
    with pytest.raises(QueryError) as caught:
        _ = F("nope") == 1
    message = str(caught.value)
    assert "'nope'" in message
    for name in ("amount", "title", "stage.semantic", "created_at", "custom.<key>"):
        assert name in message
    assert field_names()[-1] == "custom.<key>"


def test_date_compared_with_words_names_the_problem() -> None:
    with pytest.raises(QueryError) as caught:
        _ = F("created_at") > "yesterday"
    message = str(caught.value)
    assert "created_at" in message and "'yesterday'" in message and "timezone" in message


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: F("created_at") > dt.datetime(2024, 1, 1), "time zone"),
        (lambda: F("created_at") > dt.date(2024, 1, 1), "datetime"),
        (lambda: F("amount") > "lots", "number"),
        (lambda: F("amount") > True, "number"),
        (lambda: F("amount") > float("nan"), "finite"),  # noqa: PLW0177
        (lambda: F("amount") > [1], "number"),
        (lambda: F("title") == 5, "text"),
        (lambda: F("id") == 1.5, "id"),
        (lambda: F("id") == True, "id"),  # noqa: E712
        (lambda: F("stage.semantic") == "closed", "'open', 'won', 'lost'"),
        (lambda: F("title") == None, "is_null"),  # noqa: E711
        (lambda: F("title").in_("abc"), "list"),
        (lambda: F("title").in_(5), "list"),
        (lambda: F("title").in_(["a", 1]), "text"),
        (lambda: F("amount").contains("1"), "operator 'contains'"),
        (lambda: F("created_at").in_([]), "operator 'in'"),
        (lambda: F("id") < 5, "operator '<'"),
        (lambda: F("stage.semantic").startswith("w"), "operator 'startswith'"),
        (lambda: F("phones") > "1", "multi-valued"),
        (lambda: F("title").is_null("yes"), "True or False"),
        (lambda: F("custom.x") == object(), "custom field"),
        (lambda: F("custom.bad key") == 1, "unknown field"),
        (lambda: F(5), "string"),  # type: ignore[arg-type]
        (lambda: (F("title") == "a") & 5, "cannot combine"),
    ],
)
def test_wrong_types_and_operators_raise_query_error(build: Any, words: str) -> None:
    with pytest.raises(QueryError, match=words):
        build()


def test_predicates_refuse_python_boolean_operators() -> None:
    with pytest.raises(TypeError, match=r"combine predicates with &"):
        (F("title") == "a") and (F("title") == "b")


def test_f_is_not_hashable_and_has_a_repr() -> None:
    with pytest.raises(TypeError):
        hash(F("title"))
    assert repr(F("title")) == "F('title')"


def test_nodes_are_hashable_and_equal_by_value() -> None:
    assert len({F("title") == "a", F("title") == "a", F("title") == "b"}) == 2
    assert F("id").in_([1, 2]) == F("id").in_(["2", "1"])
