# ruff: noqa: RUF002 - the docstrings quote Russian vendor pages verbatim
"""List filters: single, multiple (OR), range, by statuses."""

from __future__ import annotations

import pytest

from .conftest import Api, create, make_api, page


def _names(api: Api, query: list[tuple[str, str]]) -> set[str]:
    status, body = page(api, "/api/v4/leads", query)
    return set() if status == 204 else {lead["name"] for lead in body["_embedded"]["leads"]}


@pytest.fixture
def leads(api: Api) -> None:
    create(
        api,
        "leads",
        [
            {"name": "news", "price": 2000, "created_at": 1_000},
            {"name": "olds", "price": 500, "created_at": 2_000},
            {"name": "won here", "price": 700, "pipeline_id": 7001, "status_id": 142},
            {"name": "lost there", "price": 900, "pipeline_id": 7002, "status_id": 143},
            {"name": "talks", "price": 900, "pipeline_id": 7002, "status_id": 40021},
        ],
    )


def test_single_filter_takes_one_value(api: Api, leads: None) -> None:
    """A single filter takes one value.

    Source: Kommo developer docs, https://kommo.com/developers/content/api_v4/api-filtration
    ("Single"): "The simplest filter is available. Takes a single string value." with the
    examples "/api/v4/leads?filter[name]=news" and "/api/v4/leads?filter[price]=2000".
    """
    assert _names(api, [("filter[name]", "news")]) == {"news"}


def test_multiple_filter_ors_its_values(api: Api, leads: None) -> None:
    """A multiple filter takes several values and keeps what matches any of them.

    Source: Kommo developer docs, https://kommo.com/developers/content/api_v4/api-filtration
    ("Multiple"): "An extended variant of the single type. Takes several values and apply 'or'
    operand."
    """
    query = [("filter[name][]", "news"), ("filter[name][]", "talks")]
    assert _names(api, query) == {"news", "talks"}
    query = [("filter[name][0]", "news"), ("filter[name][1]", "olds")]
    assert _names(api, query) == {"news", "olds"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("or", {"won here", "lost there", "talks"}), ("last", {"lost there", "talks"})],
)
def test_a_repeated_bare_key_is_an_open_rule(rule: str, expected: set[str]) -> None:
    """Kommo's own example of a multiple filter repeats the bare key; a PHP ``parse_str`` would
    keep only the last value. Both readings are a switch (``OpenRules.repeated_filter_keys``).

    Source: Kommo developer docs, https://kommo.com/developers/content/api_v4/api-filtration
    ("Multiple", request example):
    "/api/v4/leads?filter[pipeline_id]=5597036&filter[pipeline_id]=5635013".
    """
    api = make_api(repeated_filter_keys=rule)
    create(
        api,
        "leads",
        [
            {"name": "won here", "pipeline_id": 7001, "status_id": 142},
            {"name": "lost there", "pipeline_id": 7002, "status_id": 143},
            {"name": "talks", "pipeline_id": 7002, "status_id": 40021},
        ],
    )
    query = [("filter[pipeline_id]", "7001"), ("filter[pipeline_id]", "7002")]
    assert _names(api, query) == expected


def test_range_filter_from_and_to(api: Api, leads: None) -> None:
    """A range filter takes ``from`` and/or ``to`` (bounds included).

    Source: Kommo developer docs, https://kommo.com/developers/content/api_v4/api-filtration
    ("Range"): "Allows filtering numeric values by the FROM-TO range." with the examples
    "/api/v4/leads?filter[created_at][from]=1668784000&filter[created_at][to]=1671165900" and
    "/api/v4/leads?filter[closed_at][from]=1669825320".
    """
    query = [("filter[price][from]", "700"), ("filter[price][to]", "900")]
    assert _names(api, query) == {"won here", "lost there", "talks"}
    assert _names(api, [("filter[created_at][from]", "1500")]) >= {"olds"}
    assert "news" not in _names(api, [("filter[created_at][from]", "1500")])


def test_statuses_filter_takes_pipeline_and_status_pairs(api: Api, leads: None) -> None:
    """``filter[statuses]`` is a list of (pipeline_id, status_id) pairs, OR-ed together.

    Source: Kommo developer docs, https://kommo.com/developers/content/api_v4/api-filtration
    ("By statuses"): "The filter takes an array, each array object has 2 mandatory fields:
    pipeline_id and status_id." and the example with two pairs
    "filter[statuses][0][pipeline_id]=5597036&filter[statuses][0][status_id]=49366085&
    filter[statuses][1][pipeline_id]=5597036&filter[statuses][1][status_id]=143".
    """
    one = [("filter[statuses][0][pipeline_id]", "7002"), ("filter[statuses][0][status_id]", "143")]
    assert _names(api, one) == {"lost there"}
    two = [
        *one,
        ("filter[statuses][1][pipeline_id]", "7001"),
        ("filter[statuses][1][status_id]", "142"),
    ]
    assert _names(api, two) == {"lost there", "won here"}


def test_different_filters_all_apply(api: Api, leads: None) -> None:
    """Filters on different fields all apply (a lead must pass each).

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/filters-api ("Фильтрация списка
    сделок"): "Метод позволяет получить список сделок с учетом переданного фильтра." with one
    ``filter`` object holding every key (``filter[price]``, ``filter[pipeline_id]``, ...).
    """
    query = [("filter[pipeline_id][]", "7002"), ("filter[price][from]", "900")]
    assert _names(api, query) == {"lost there", "talks"}
    query = [*query, ("filter[name]", "talks")]
    assert _names(api, query) == {"talks"}
