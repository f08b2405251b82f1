"""Golden compile tests: one named row per pushable conjunction -> amoCRM list parameters.

Expected parameters are written from the vendor notes (§3.3 filter grammar), not from the
compiler's output.
"""

from __future__ import annotations

import datetime as dt

import pytest

from unicrm.errors import QueryError
from unicrm.model import EntityKind
from unicrm.query import ALL, F, Not, normalise
from unicrm_amocrm.compiler import ListQuery, compile_list

LEAD, CONTACT = EntityKind.LEAD, EntityKind.CONTACT
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)  # 1704067200

ROWS = [
    pytest.param(LEAD, ALL, [], id="everything"),
    pytest.param(LEAD, F("id") == "5", [("filter[id][]", "5")], id="id-equal"),
    pytest.param(
        LEAD, F("id").in_(["5", "7"]), [("filter[id][]", "5"), ("filter[id][]", "7")], id="id-in"
    ),
    pytest.param(
        LEAD,
        F("responsible_id").in_(["3"]),
        [("filter[responsible_user_id][]", "3")],
        id="responsible",
    ),
    pytest.param(
        LEAD, F("stage.pipeline_id") == "20", [("filter[pipeline_id][]", "20")], id="pipeline"
    ),
    pytest.param(
        LEAD,
        F("stage.semantic") == "won",
        [
            ("filter[statuses][0][pipeline_id]", "10"),
            ("filter[statuses][0][status_id]", "142"),
            ("filter[statuses][1][pipeline_id]", "20"),
            ("filter[statuses][1][status_id]", "142"),
        ],
        id="won-in-every-pipeline",
    ),
    pytest.param(
        LEAD,
        (F("stage.semantic") == "open") & (F("stage.id") == "3"),
        [("filter[statuses][0][pipeline_id]", "20"), ("filter[statuses][0][status_id]", "3")],
        id="status-pairs-intersect",
    ),
    pytest.param(
        LEAD,
        (F("amount") >= 1000) & (F("amount") < 2000.5),
        [("filter[price][from]", "1000"), ("filter[price][to]", "2001")],
        id="price-range-widened-to-integers",
    ),
    pytest.param(
        LEAD,
        F("created_at") > T0,
        [("filter[created_at][from]", "1704067200")],
        id="created-after",
    ),
    pytest.param(LEAD, F("title") == "Deal", [("filter[name][]", "Deal")], id="name-exact"),
    pytest.param(LEAD, F("title").startswith("De"), [("query", "De")], id="prefix-via-query"),
    pytest.param(LEAD, F("title").contains("Ünï"), [], id="non-ascii-substring-not-pushed"),
    pytest.param(
        LEAD,
        F("custom.101").in_(["high", "nope"]),
        [("filter[custom_fields_values][101][]", "1001")],
        id="select-by-enum-id",
    ),
    pytest.param(
        LEAD,
        F("custom.SCORE") > 5,
        [("filter[custom_fields_values][103][from]", "5")],
        id="numeric-custom-range",
    ),
    pytest.param(
        LEAD,
        F("custom.102") == "x",
        [("filter[custom_fields_values][102][]", "x")],
        id="text-custom-value",
    ),
    pytest.param(
        LEAD,
        F("origin") == "b24:lead:1",
        [("filter[custom_fields_values][107][]", "b24:lead:1")],
        id="origin-by-field-id",
    ),
    pytest.param(
        LEAD,
        F("title") == "]&filter[id][]=1",
        [("filter[name][]", "]&filter[id][]=1")],
        id="value-stays-a-value",
    ),
    pytest.param(CONTACT, F("phones") == "+7999", [("query", "+7999")], id="phone-via-query"),
    pytest.param(CONTACT, F("id") == "9", [("filter[id][]", "9")], id="contact-id"),
]


@pytest.mark.parametrize(("entity", "predicate", "expected"), ROWS)
def test_compiles_to_vendor_parameters(entity, predicate, expected, schema) -> None:
    request = compile_list(entity, normalise(predicate), schema)
    query = request.payload
    assert isinstance(query, ListQuery)
    assert not query.never
    filters = [p for p in query.params if p[0] not in ("with",)]
    assert sorted(filters) == sorted(expected)


NEVER_ROWS = [
    pytest.param(LEAD, (F("id") == "1") & (F("id") == "2"), id="disjoint-ids"),
    pytest.param(LEAD, F("id") == "007", id="non-canonical-id"),
    pytest.param(LEAD, (F("amount") > 10) & (F("amount") < 5), id="empty-range"),
    pytest.param(LEAD, F("stage.id") == "999", id="unknown-status"),
    pytest.param(LEAD, F("custom.nope") == "x", id="unknown-custom-field"),
    pytest.param(CONTACT, F("origin") == "x", id="no-origin-field-yet"),
]


@pytest.mark.parametrize(("entity", "predicate"), NEVER_ROWS)
def test_impossible_filters_send_nothing(entity, predicate, schema) -> None:
    request = compile_list(entity, normalise(predicate), schema)
    assert request.payload.never
    assert request.estimated_requests == 0


def test_leads_bring_their_contacts(schema) -> None:
    query = compile_list(LEAD, ALL, schema).payload
    assert ("with", "contacts") in query.params


def test_order_and_limit(schema) -> None:
    from unicrm.query import OrderKey

    request = compile_list(LEAD, ALL, schema, order=[OrderKey("created_at", True)], limit=600)
    assert ("order[created_at]", "desc") in request.payload.params
    assert request.payload.limit == 600
    assert request.estimated_requests == 3


def test_explain_shows_endpoint_and_filters(schema) -> None:
    request = compile_list(LEAD, normalise(F("amount") >= 10), schema)
    text = request.describe()
    assert "/api/v4/leads" in text and "filter[price][from]" in text


def test_unexpected_node_is_a_typed_error(schema) -> None:
    with pytest.raises(QueryError, match="amocrm"):
        compile_list(LEAD, Not(F("id") == "1"), schema)
    with pytest.raises(QueryError, match="tags"):
        compile_list(LEAD, F("tags") == "x", schema)
