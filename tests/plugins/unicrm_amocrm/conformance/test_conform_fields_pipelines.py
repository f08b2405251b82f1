# ruff: noqa: RUF002 - the docstrings quote Russian vendor pages verbatim
"""Custom field definitions, pipelines and their statuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Api, make_api, page

FIELDS_PATH = "/api/v4/leads/custom_fields"


def _add_fields(api: Api, count: int) -> None:
    items = [{"name": f"Field {i}", "type": "text"} for i in range(count)]
    api.json("POST", FIELDS_PATH, body=items)


def test_custom_fields_come_at_most_50_a_page() -> None:
    """A custom field list answers at most 50 fields a request, even when ``limit`` asks for
    more; the rest follow through ``_links.next``.

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/custom-fields ("Список полей сущности",
    limitations): "Метод возвращает до 50 полей за один запрос."
    """
    api = make_api()
    _add_fields(api, 60)
    status, first = page(api, FIELDS_PATH, [("limit", "250"), ("page", "1")])
    assert status == 200 and len(first["_embedded"]["custom_fields"]) == 50
    assert "page=2" in first["_links"]["next"]["href"]
    status, second = page(api, FIELDS_PATH, [("limit", "250"), ("page", "2")])
    total = first["_total_items"]
    assert status == 200 and len(second["_embedded"]["custom_fields"]) == total - 50
    assert "next" not in second["_links"]
    names = {f["name"] for p in (first, second) for f in p["_embedded"]["custom_fields"]}
    assert {f"Field {i}" for i in range(60)} <= names


def test_the_50_field_cap_is_a_switch() -> None:
    """The same page's parameter table allows ``limit`` up to 250; with the cap switched off
    (``OpenRules.fields_page_cap=None``) a page holds ``limit`` fields.

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/custom-fields (GET parameters):
    "limit | int | Количество возвращаемых сущностей за один запрос (Максимум – 250)".
    """
    api = make_api(fields_page_cap=None)
    _add_fields(api, 60)
    status, body = page(api, FIELDS_PATH, [("limit", "250")])
    assert status == 200 and len(body["_embedded"]["custom_fields"]) == body["_total_items"]
    assert "next" not in body["_links"]


def test_contacts_have_a_phone_multitext_field_with_enum_codes(api: Api) -> None:
    """Contacts have the predefined ``PHONE`` field: type ``multitext``, values tagged by enum
    (``WORK``, ...).

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/contacts-and-companies ("Получение
    контакта по ID", response example): "\\"field_code\\": \\"PHONE\\", \\"field_type\\":
    \\"multitext\\", \\"values\\": [ { \\"value\\": \\"+79123\\", \\"enum_id\\": 1, \\"enum\\":
    \\"WORK\\" } ]".
    """
    fields = api.json("GET", "/api/v4/contacts/custom_fields")["_embedded"]["custom_fields"]
    phone = next(f for f in fields if f["code"] == "PHONE")
    assert phone["type"] == "multitext"
    assert "WORK" in {e["value"] for e in phone["enums"]}


@pytest.mark.parametrize("field_type", ["text", "numeric", "select", "date_time", "monetary"])
def test_field_types_of_the_official_library_are_created(api: Api, field_type: str) -> None:
    """A field is created with one of the documented type names and keeps it.

    Source: amocrm/amocrm-api-php, src/AmoCRM/Models/CustomFields/CustomFieldModel.php: "public
    const TYPE_TEXT = 'text'; public const TYPE_NUMERIC = 'numeric'; ... public const TYPE_SELECT
    = 'select'; ... public const TYPE_DATE_TIME = 'date_time'; ... public const TYPE_MONETARY =
    'monetary';".
    """
    item: dict[str, Any] = {"name": f"A {field_type}", "type": field_type}
    if field_type == "select":
        item["enums"] = [{"value": "one", "sort": 1}]
    created = api.json("POST", FIELDS_PATH, body=[item])["_embedded"]["custom_fields"][0]
    got = api.json("GET", f"{FIELDS_PATH}/{created['id']}")
    assert (got["type"], got["name"]) == (field_type, item["name"])


def test_every_pipeline_has_the_three_system_statuses(api: Api) -> None:
    """Every pipeline holds Unsorted (type 1), won 142 and lost 143.

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines ("Общая информация"):
    "В каждой воронке есть 3 системных статуса: Неразобранное, Успешно реализовано (ID = 142),
    Закрыто и не реализовано (ID = 143)".
    """
    pipelines = api.json("GET", "/api/v4/leads/pipelines")["_embedded"]["pipelines"]
    assert len(pipelines) >= 2
    for pipeline in pipelines:
        statuses = pipeline["_embedded"]["statuses"]
        assert {142, 143} <= {s["id"] for s in statuses}
        assert [s["type"] for s in statuses].count(1) == 1


def test_status_type_and_editability(api: Api) -> None:
    """A status's ``type`` is 1 for Unsorted and 0 otherwise; the system statuses are not
    editable and 142/143 sort last (10000, 11000).

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines ("Список статусов
    воронки сделок"): "type | int | Тип статуса (1 – неразобранное, 0 – обычный статус)", and
    the example's "\\"id\\": 142, ... \\"sort\\": 10000, \\"is_editable\\": false".
    """
    pipeline = api.json("GET", "/api/v4/leads/pipelines")["_embedded"]["pipelines"][0]
    statuses = {s["id"]: s for s in pipeline["_embedded"]["statuses"]}
    assert (statuses[142]["sort"], statuses[143]["sort"]) == (10_000, 11_000)
    for status in statuses.values():
        system = status["type"] == 1 or status["id"] in (142, 143)
        assert status["is_editable"] is not system
        assert status["type"] in (0, 1) and status["pipeline_id"] == pipeline["id"]


def test_pipeline_and_status_lists_are_counted(api: Api) -> None:
    """The pipeline list is ``{_total_items, _links, _embedded.pipelines}``; a pipeline's status
    list is ``{_total_items, _embedded.statuses}``.

    Source: amoCRM developer docs,
    https://www.amocrm.ru/developers/content/crm_platform/leads_pipelines, response examples:
    "\\"_total_items\\": 1, \\"_links\\": { \\"self\\": { \\"href\\":
    \\"https://example.amocrm.ru/api/v4/leads/pipelines\\" } }, \\"_embedded\\": {
    \\"pipelines\\": [" and, for statuses, "\\"_total_items\\": 5, \\"_embedded\\": {
    \\"statuses\\": [".
    """
    body = api.json("GET", "/api/v4/leads/pipelines")
    assert body["_total_items"] == len(body["_embedded"]["pipelines"])
    assert body["_links"]["self"]["href"].endswith("/api/v4/leads/pipelines")
    pipeline_id = body["_embedded"]["pipelines"][0]["id"]
    statuses = api.json("GET", f"/api/v4/leads/pipelines/{pipeline_id}/statuses")
    assert statuses["_total_items"] == len(statuses["_embedded"]["statuses"])


def test_an_unknown_pipeline_is_404(api: Api) -> None:
    """Statuses of a pipeline that does not exist: 404 problem+json "Pipeline not found".

    Source: amocrm/amocrm-api-php#92 (observed on a real account): "GET
    /api/v4/leads/pipelines/0/statuses HTTP/1.1 {\\"title\\":\\"Not Found\\",\\"type\\":
    \\"https://httpstatus.es/404\\",\\"status\\":404,\\"detail\\":\\"Pipeline not found\\"}".
    """
    response = api.call("GET", "/api/v4/leads/pipelines/0/statuses")
    assert response.status == 404
    assert dict(response.headers)["content-type"] == "application/problem+json"
    assert json.loads(response.body) == {
        "title": "Not Found",
        "type": "https://httpstatus.es/404",
        "status": 404,
        "detail": "Pipeline not found",
    }
