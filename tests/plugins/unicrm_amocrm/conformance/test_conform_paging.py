# ruff: noqa: RUF002 - the docstrings quote Russian vendor pages verbatim
"""Lists and paging: ``page``, ``limit`` up to 250, ``_links.next``, 204 for nothing."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, create, make_api, page


@pytest.fixture
def leads(api: Api) -> list[int]:
    return create(api, "leads", [{"name": f"L{i:03}"} for i in range(260)])


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["_embedded"]["leads"]]


def test_limit_250_is_the_largest_page(api: Api, leads: list[int]) -> None:
    """A page holds ``limit`` entities, at most 250; ``page`` counts from 1.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/crm_platform/leads-api
    ("Список сделок", GET parameters): "page | int | Страница выборки" and
    "limit | int | Количество возвращаемых сущностей за один запрос (Максимум – 250)".
    """
    status, first = page(api, "/api/v4/leads", [("limit", "250"), ("page", "1")])
    assert status == 200 and len(first["_embedded"]["leads"]) == 250
    status, second = page(api, "/api/v4/leads", [("limit", "250"), ("page", "2")])
    assert status == 200 and len(second["_embedded"]["leads"]) == 10
    assert sorted(_ids(first) + _ids(second)) == sorted(leads)


def test_default_page_is_50(api: Api, leads: list[int]) -> None:
    """Without ``limit`` a page holds 50 entities.

    Source: amocrm/amocrm-api-php, src/AmoCRM/Filters/Traits/PagesFilterTrait.php, the official
    library's default: "private $limit = 50;"; and amocrm/amocrm-api-php#210, a user asking
    "Как получить больше 50 сделок?" (how to get more than 50 leads).
    """
    status, body = page(api, "/api/v4/leads", [])
    assert status == 200 and len(body["_embedded"]["leads"]) == 50


@pytest.mark.parametrize(("over_limit", "size"), [("fallback", 50), ("clamp", 250)])
def test_limit_over_250_is_an_open_rule(over_limit: str, size: int) -> None:
    """A ``limit`` above 250 is not refused; the page size it gets is an open rule (switch
    ``OpenRules.over_limit``: 50 as observed, or 250).

    Source: amocrm/amocrm-api-php#210, a comment on ``setLimit(400)``: "возможно, из-за того, что
    вы указываете 400 вместо максимальных 250, сервер API сбрасывает до некоего базового значения
    в 50", and the maintainer: "api/v4 возвращает не более 250 записей на одной странице".
    """
    api = make_api(over_limit=over_limit)
    create(api, "leads", [{"name": f"L{i}"} for i in range(260)])
    status, body = page(api, "/api/v4/leads", [("limit", "400")])
    assert status == 200 and len(body["_embedded"]["leads"]) == size


def test_next_link_only_while_more_pages_follow(api: Api, leads: list[int]) -> None:
    """``_links.self`` is always there and ``_links.next`` only when another page exists; the
    hrefs carry the request's ``limit`` and ``page``.

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/contacts-and-companies ("Список
    контактов", response example): "\\"self\\": {\\"href\\":
    \\"https://example.amocrm.ru/api/v4/contacts?limit=2&page=1\\"}, \\"next\\": {\\"href\\":
    \\"https://example.amocrm.ru/api/v4/contacts?limit=2&page=2\\"}"; and amocrm/amocrm-api-php,
    src/AmoCRM/EntitiesServices/Traits/PageMethodsTrait.php, ``nextPage``: "if
    (is_null($nextPageLink)) { throw new AmoCRMApiPageNotAvailableException(\\"No next page
    available\\")".
    """
    status, first = page(api, "/api/v4/leads", [("limit", "100"), ("page", "1")])
    assert status == 200
    assert "limit=100" in first["_links"]["self"]["href"]
    assert "page=1" in first["_links"]["self"]["href"]
    assert "page=2" in first["_links"]["next"]["href"]
    status, last = page(api, "/api/v4/leads", [("limit", "100"), ("page", "3")])
    assert status == 200 and len(last["_embedded"]["leads"]) == 60
    assert "self" in last["_links"] and "next" not in last["_links"]


def test_previous_and_first_links_after_page_one(api: Api, leads: list[int]) -> None:
    """Pages after the first link back with ``_links.prev`` (and ``first``); page 1 has none.

    Source: amocrm/amocrm-api-php, src/AmoCRM/EntitiesServices/BaseEntity.php,
    ``createCollection``: "isset($response['_links']['prev']['href'])" then
    "$collection->setPrevPageLink($response['_links']['prev']['href'])"; the contacts page
    example of page 1 carries only "self" and "next".
    """
    _, first = page(api, "/api/v4/leads", [("limit", "100"), ("page", "1")])
    _, second = page(api, "/api/v4/leads", [("limit", "100"), ("page", "2")])
    assert "prev" not in first["_links"]
    assert "page=1" in second["_links"]["prev"]["href"]
    assert "page=1" in second["_links"]["first"]["href"]


def test_entity_lists_carry_no_totals(api: Api, leads: list[int]) -> None:
    """Lead and contact pages have ``_page``, ``_links`` and ``_embedded``, and no total count.

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/contacts-and-companies, the "Список
    контактов" response example, whose top-level keys are "\\"_page\\": 1", "\\"_links\\"" and
    "\\"_embedded\\"" only.
    """
    _, body = page(api, "/api/v4/leads", [("limit", "10")])
    assert set(body) == {"_page", "_links", "_embedded"}
    assert body["_page"] == 1


@pytest.mark.parametrize(
    "query",
    [[("page", "99")], [("filter[name]", "nobody")], [("query", "zzz-no-such-text")]],
    ids=["past-the-end", "filter-matches-nothing", "search-matches-nothing"],
)
def test_nothing_to_list_is_204_without_a_body(
    api: Api, leads: list[int], query: list[tuple[str, str]]
) -> None:
    """A list with nothing in it answers 204 No Content with an empty body, not an empty page.

    Source: amocrm/amocrm-api-php, README.md, the exception table:
    "AmoCRM\\Exceptions\\AmoCRMApiNoContentException | Сервер вернул код 204 без результата,
    ничего страшного не произошло, просто нет данных на ваш запрос"; Kommo developer docs,
    https://kommo.com/developers/content/api_v4/errors: "The HTTP 204 No Content successful
    response status code indicates that a request has succeeded, but there is no content on the
    resource."
    """
    response = api.call("GET", "/api/v4/leads", query)
    assert (response.status, response.body) == (204, b"")


@pytest.mark.parametrize(
    ("kind", "field"), [("leads", "created_at"), ("leads", "id"), ("contacts", "id")]
)
def test_order_by_the_documented_fields(api: Api, kind: str, field: str) -> None:
    """``order[field]=asc|desc`` sorts by the documented fields.

    Source: amoCRM developer docs, https://www.amocrm.ru/developers/content/crm_platform/leads-api:
    "Доступные поля для сортировки: created_at, updated_at, id. Доступные значения для
    сортировки: asc, desc."; contacts-and-companies: "Доступные поля для сортировки:
    updated_at, id."
    """
    create(api, kind, [{"name": f"N{i}", "created_at": 1_000 + (i * 7) % 11} for i in range(11)])
    _, ascending = page(api, f"/api/v4/{kind}", [(f"order[{field}]", "asc")])
    _, descending = page(api, f"/api/v4/{kind}", [(f"order[{field}]", "desc")])
    up = [item[field] for item in ascending["_embedded"][kind]]
    down = [item[field] for item in descending["_embedded"][kind]]
    assert up == sorted(up) and down == sorted(down, reverse=True) and up != down
