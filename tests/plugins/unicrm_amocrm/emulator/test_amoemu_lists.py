"""List requests: the filter grammar, paging and HAL links, 204s, ``with=``, ordering
(vendor notes §3-4)."""

from __future__ import annotations

import json

import pytest

from .conftest import Api


def _lead(api: Api, **fields: object) -> int:
    body = api.json("POST", "/api/v4/leads", body=[fields])
    return int(body["_embedded"]["leads"][0]["id"])


@pytest.fixture
def leads(api: Api) -> dict[str, int]:
    return {
        "cheap": _lead(api, name="Cheap", price=100, created_at=1_000),
        "mid": _lead(api, name="Mid", price=5_000, created_at=2_000),
        "rich": _lead(api, name="Rich", price=90_000, created_at=3_000),
        "won": _lead(api, name="Won deal", price=700, pipeline_id=7001, status_id=142),
        "lost2": _lead(api, name="Lost other", price=700, pipeline_id=7002, status_id=143),
    }


def _names(api: Api, query: list[tuple[str, str]] | str) -> set[str]:
    response = api.call("GET", "/api/v4/leads", query)
    if response.status == 204:
        return set()
    return {item["name"] for item in json.loads(response.body)["_embedded"]["leads"]}


FILTERS = [
    (
        [("filter[price][from]", "700"), ("filter[price][to]", "5000")],
        {"Mid", "Won deal", "Lost other"},
    ),
    ([("filter[price][from]", "50000")], {"Rich"}),
    ([("filter[name]", "Mid")], {"Mid"}),
    ([("filter[name][]", "Mid"), ("filter[name][]", "Rich")], {"Mid", "Rich"}),
    ([("filter[name][0]", "Cheap"), ("filter[name][1]", "Rich")], {"Cheap", "Rich"}),
    ("filter%5Bname%5D%5B0%5D=Cheap", {"Cheap"}),
    ([("filter[pipeline_id][]", "7002")], {"Lost other"}),
    (
        [("filter[statuses][0][pipeline_id]", "7001"), ("filter[statuses][0][status_id]", "142")],
        {"Won deal"},
    ),
    (
        [
            ("filter[statuses][0][pipeline_id]", "7001"),
            ("filter[statuses][0][status_id]", "142"),
            ("filter[statuses][1][pipeline_id]", "7002"),
            ("filter[statuses][1][status_id]", "143"),
        ],
        {"Won deal", "Lost other"},
    ),
    ([("filter[created_at][from]", "1500"), ("filter[created_at][to]", "2500")], {"Mid"}),
    ([("filter[price][from]", "600"), ("filter[name]", "Rich")], {"Rich"}),
    ([("query", "deal")], {"Won deal"}),
    ([("query", "LOST")], {"Lost other"}),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_filter_grammar(api: Api, leads: dict[str, int], query: object, expected: set[str]) -> None:
    assert _names(api, query) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        [("filter[status_id]", "142")],  # flat status filters are ignored by amoCRM
        [("filter[colour]", "red")],
        [("filter[price][from]", "lots")],
        [("filter[id][]", "")],
    ],
    ids=["flat-status", "unknown-key", "bad-range", "empty-value"],
)
def test_unknown_or_malformed_filters_are_ignored(
    api: Api, leads: dict[str, int], query: object
) -> None:
    assert len(_names(api, query)) == 5  # type: ignore[arg-type]


def test_empty_results_are_204_with_no_body(api: Api, leads: dict[str, int]) -> None:
    for query in ([("filter[name]", "nobody")], [("query", "zzz")], [("page", "9")]):
        response = api.call("GET", "/api/v4/leads", query)
        assert (response.status, response.body) == (204, b"")


def test_paging_links_and_no_totals(api: Api, leads: dict[str, int]) -> None:
    first = api.json("GET", "/api/v4/leads", [("limit", "2"), ("order[id]", "asc")])
    assert first["_page"] == 1
    assert "next" in first["_links"] and "prev" not in first["_links"]
    assert "_total_items" not in first and "_page_count" not in first
    assert (
        "limit=2" in first["_links"]["next"]["href"] and "page=2" in first["_links"]["next"]["href"]
    )
    last = api.json("GET", "/api/v4/leads", [("limit", "2"), ("page", "3")])
    assert "next" not in last["_links"]
    assert {"first", "prev"} <= last["_links"].keys()
    ids = [
        item["id"]
        for page in (1, 2, 3)
        for item in api.json("GET", "/api/v4/leads", [("limit", "2"), ("page", str(page))])[
            "_embedded"
        ]["leads"]
    ]
    assert ids == sorted(leads.values())


def test_limit_over_250_falls_back_to_50(api: Api) -> None:
    api.json("POST", "/api/v4/leads", body=[{"name": f"L{i}"} for i in range(60)])
    page = api.json("GET", "/api/v4/leads", [("limit", "400")])
    assert len(page["_embedded"]["leads"]) == 50


def test_order_desc_by_created_at(api: Api, leads: dict[str, int]) -> None:
    body = api.json(
        "GET", "/api/v4/leads", [("order[created_at]", "desc"), ("filter[price][to]", "90000")]
    )
    stamps = [item["created_at"] for item in body["_embedded"]["leads"]]
    assert stamps == sorted(stamps, reverse=True)


def test_missing_id_is_204_by_default_and_404_when_switched(api: Api) -> None:
    assert api.call("GET", "/api/v4/leads/123").status == 204
    from unicrm_amocrm.emulator import AmoCRMEmulator

    strict = Api(AmoCRMEmulator(limits="off", missing_id_status=404))
    response = strict.call("GET", "/api/v4/contacts/123")
    assert response.status == 404
    assert json.loads(response.body)["status"] == 404
