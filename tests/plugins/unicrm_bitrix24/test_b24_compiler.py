"""Golden tables for the Bitrix24 query compiler: neutral comparisons -> prefixed filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from unicrm.errors import QueryError
from unicrm.model import EntityKind
from unicrm.query import ALL, F, Node
from unicrm_bitrix24.compiler import build_filter, compile_list
from unicrm_bitrix24.schema import PortalSchema

LEAD, CONTACT = EntityKind.LEAD, EntityKind.CONTACT
UTC3 = dt.timezone(dt.timedelta(hours=3))

GOLDEN: list[tuple[str, EntityKind, Node, dict[str, Any] | None]] = [
    ("all", LEAD, ALL, {}),
    ("id eq", LEAD, F("id") == "12", {"@ID": ["12"]}),
    ("id in drops junk", LEAD, F("id").in_(["3", "007", "x", "10"]), {"@ID": ["3", "10"]}),
    ("id nothing valid", LEAD, F("id") == "abc", None),
    ("title eq", LEAD, F("title") == "Deal", {"=TITLE": "Deal"}),
    ("title in", LEAD, F("title").in_(["b", "a"]), {"@TITLE": ["a", "b"]}),
    ("title contains", LEAD, F("title").contains("ab%c"), {"%TITLE": "ab%c"}),
    ("title startswith", LEAD, F("title").startswith("Le"), {"=%TITLE": "Le%"}),
    ("contains empty", LEAD, F("title").contains(""), {}),
    ("prefix in value stays a value", LEAD, F("title") == ">ID", {"=TITLE": ">ID"}),
    ("stage", LEAD, F("stage.id") == "NEW", {"=STATUS_ID": "NEW"}),
    (
        "semantic",
        LEAD,
        F("stage.semantic").in_(["won", "lost"]),
        {"@STATUS_SEMANTIC_ID": ["F", "S"]},
    ),
    ("amount gt", LEAD, F("amount") > Decimal("10.5"), {">=OPPORTUNITY": "10"}),
    ("amount le", LEAD, F("amount") <= Decimal("10.5"), {"<=OPPORTUNITY": "11"}),
    (
        "amount eq",
        LEAD,
        F("amount") == Decimal("7"),
        {">=OPPORTUNITY": "7", "<=OPPORTUNITY": "7"},
    ),
    (
        "created range",
        LEAD,
        (F("created_at") >= dt.datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=UTC3)),
        {">=DATE_CREATE": "2024-01-02T03:04:05+03:00"},
    ),
    (
        "created lt rounds up",
        CONTACT,
        F("created_at") < dt.datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=dt.timezone.utc),
        {"<=DATE_CREATE": "2024-01-02T03:04:06+00:00"},
    ),
    (
        "origin",
        CONTACT,
        F("origin") == "m-1",
        {"=ORIGINATOR_ID": "unicrm", "=ORIGIN_ID": "m-1"},
    ),
    ("phone", CONTACT, F("phones") == "+7 999", {"=PHONE": "+7 999"}),
    ("responsible", CONTACT, F("responsible_id").in_(["5", "0"]), {"@ASSIGNED_BY_ID": ["5"]}),
    (
        "and of two",
        LEAD,
        (F("title") == "a") & (F("source") == "WEB"),
        {"=TITLE": "a", "=SOURCE_ID": "WEB"},
    ),
    ("intersect in", LEAD, F("id").in_(["1", "2"]) & F("id").in_(["2", "3"]), {"@ID": ["2"]}),
    ("disjoint in", LEAD, F("id").in_(["1"]) & F("id").in_(["3"]), None),
    ("two equal values", LEAD, (F("title") == "a") & (F("title") == "b"), None),
    (
        "second contains dropped",
        LEAD,
        F("title").contains("a") & F("title").contains("b"),
        {"%TITLE": "a"},
    ),
]


@pytest.mark.parametrize(
    ("entity", "predicate", "expected"),
    [pytest.param(e, p, x, id=name) for name, e, p, x in GOLDEN],
)
def test_golden_filters(
    schema: PortalSchema, entity: EntityKind, predicate: Node, expected: dict[str, Any] | None
) -> None:
    assert build_filter(entity, predicate, schema) == expected


def test_unknown_field_is_a_query_error(schema: PortalSchema) -> None:
    with pytest.raises(QueryError, match="bitrix24"):
        build_filter(CONTACT, F("title") == "x", schema)
    with pytest.raises(QueryError):
        build_filter(LEAD, (F("title") == "a") | (F("title") == "b"), schema)


def test_request_names_method_and_prefixed_filter(schema: PortalSchema) -> None:
    request = compile_list(LEAD, F("title").contains("x"), schema)
    assert request.endpoint == "crm.lead.list"
    assert "%TITLE" in request.describe()
    assert request.payload.batchable


def test_never_matching_sends_nothing(schema: PortalSchema) -> None:
    request = compile_list(LEAD, F("id") == "x", schema)
    assert request.payload.never and request.estimated_requests == 0


def test_batch_reference_values_are_read_without_batches(schema: PortalSchema) -> None:
    request = compile_list(LEAD, F("title") == "$result[c0][49][ID]", schema)
    assert not request.payload.batchable
