"""Entity shapes, writes, validation errors, links and the absent DELETE (notes §5-7)."""

from __future__ import annotations

import json

from .conftest import Api


def _create(api: Api, kind: str, items: list[dict[str, object]]) -> list[int]:
    body = api.json("POST", f"/api/v4/{kind}", body=items)
    return [int(i["id"]) for i in body["_embedded"][kind]]


def test_lead_shape_every_field_present_and_nulls(api: Api) -> None:
    (lead_id,) = _create(api, "leads", [{"name": "Shape"}])
    item = api.json("GET", f"/api/v4/leads/{lead_id}")
    assert item["labor_cost"] is None  # present as null in real captures (vendor notes §5.1)
    assert item["custom_fields_values"] is None and item["closed_at"] is None
    assert item["_embedded"] == {"tags": [], "companies": []}
    assert isinstance(item["created_at"], int) and isinstance(item["id"], int)
    assert (item["pipeline_id"], item["status_id"]) == (7001, 40011)  # first regular stage


def test_create_echoes_request_id_and_defaults_to_the_index(api: Api) -> None:
    body = api.json(
        "POST", "/api/v4/contacts", body=[{"name": "A"}, {"name": "B", "request_id": "x"}]
    )
    assert [i["request_id"] for i in body["_embedded"]["contacts"]] == ["0", "x"]


def test_closed_at_follows_won_and_lost(api: Api, clock) -> None:
    (lead_id,) = _create(api, "leads", [{"name": "Close me"}])
    clock.advance(60)
    api.json("PATCH", f"/api/v4/leads/{lead_id}", body={"status_id": 142, "pipeline_id": 7001})
    closed = api.json("GET", f"/api/v4/leads/{lead_id}")
    assert closed["closed_at"] == int(clock.now())
    api.json("PATCH", "/api/v4/leads", body=[{"id": lead_id, "status_id": 40012}])
    assert api.json("GET", f"/api/v4/leads/{lead_id}")["closed_at"] is None


def test_contact_phones_are_multitext_custom_fields(api: Api) -> None:
    (contact_id,) = _create(
        api,
        "contacts",
        [
            {
                "first_name": "Ann",
                "last_name": "Lee",
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "+7 999", "enum_code": "MOB"}]}
                ],
            }
        ],
    )
    item = api.json("GET", f"/api/v4/contacts/{contact_id}")
    assert item["name"] == "Ann Lee"
    (phone,) = item["custom_fields_values"]
    assert (phone["field_code"], phone["field_type"]) == ("PHONE", "multitext")
    assert phone["values"][0]["value"] == "+7 999" and phone["values"][0]["enum_code"] == "MOB"
    api.json(
        "PATCH",
        f"/api/v4/contacts/{contact_id}",
        body={"custom_fields_values": [{"field_code": "PHONE", "values": None}]},
    )
    assert api.json("GET", f"/api/v4/contacts/{contact_id}")["custom_fields_values"] is None


def test_validation_rejects_the_whole_request_grouped_by_request_id(api: Api) -> None:
    response = api.call(
        "POST",
        "/api/v4/leads",
        body=[
            {"name": "fine"},
            {"name": "bad", "custom_fields_values": [{"field_id": 999, "values": [{"value": 1}]}]},
            {"name": "x" * 300, "request_id": "long"},
        ],
    )
    assert response.status == 400
    assert ("content-type", "application/problem+json") in response.headers
    body = json.loads(response.body)
    blocks = {b["request_id"]: b["errors"] for b in body["validation-errors"]}
    assert set(blocks) == {"1", "long"}
    assert blocks["1"][0]["code"] == "NotSupportedChoice"
    assert blocks["1"][0]["path"] == "custom_fields_values.0.field_id"
    assert api.call("GET", "/api/v4/leads").status == 204  # nothing was written


def test_enum_code_on_a_text_field_is_not_expected(api: Api) -> None:
    response = api.call(
        "POST",
        "/api/v4/contacts",
        body=[
            {
                "custom_fields_values": [
                    {"field_code": "POSITION", "values": [{"value": "CEO", "enum_code": "WORK"}]}
                ]
            }
        ],
    )
    errors = json.loads(response.body)["validation-errors"][0]["errors"]
    assert errors[0]["code"] == "FieldNotExpected"


def test_tags_replace_add_and_delete(api: Api) -> None:
    (lead_id,) = _create(api, "leads", [{"_embedded": {"tags": [{"name": "a"}, {"name": "b"}]}}])

    def names() -> list[str]:
        lead = api.json("GET", f"/api/v4/leads/{lead_id}")
        return sorted(t["name"] for t in lead["_embedded"]["tags"])

    assert names() == ["a", "b"]
    api.json(
        "PATCH",
        f"/api/v4/leads/{lead_id}",
        body={"tags_to_add": [{"name": "c"}], "tags_to_delete": [{"name": "a"}]},
    )
    assert names() == ["b", "c"]
    api.json("PATCH", f"/api/v4/leads/{lead_id}", body={"_embedded": {"tags": None}})
    assert names() == []


def test_links_contacts_only_with_with_contacts_and_one_main(api: Api) -> None:
    first, second = _create(api, "contacts", [{"name": "One"}, {"name": "Two"}])
    (lead_id,) = _create(
        api, "leads", [{"_embedded": {"contacts": [{"id": first, "is_main": True}]}}]
    )
    assert "contacts" not in api.json("GET", f"/api/v4/leads/{lead_id}")["_embedded"]
    api.json(
        "POST",
        "/api/v4/leads/link",
        body=[
            {
                "entity_id": lead_id,
                "to_entity_id": second,
                "to_entity_type": "contacts",
                "metadata": {"is_main": True},
            }
        ],
    )
    embedded = api.json("GET", f"/api/v4/leads/{lead_id}", [("with", "contacts")])["_embedded"]
    assert {(c["id"], c["is_main"]) for c in embedded["contacts"]} == {
        (first, False),
        (second, True),
    }
    unlink = api.call(
        "POST",
        f"/api/v4/leads/{lead_id}/unlink",
        body=[{"to_entity_id": first, "to_entity_type": "contacts"}],
    )
    assert unlink.status == 204
    links = api.json("GET", "/api/v4/leads/links", [("filter[entity_id][]", str(lead_id))])
    assert [
        (link["to_entity_id"], link["to_entity_type"]) for link in links["_embedded"]["links"]
    ] == [(second, "contacts")]
    contact = api.json("GET", f"/api/v4/contacts/{second}", [("with", "leads")])
    assert [lead["id"] for lead in contact["_embedded"]["leads"]] == [lead_id]


def test_no_delete_for_leads_contacts_companies(api: Api) -> None:
    (lead_id,) = _create(api, "leads", [{"name": "Stay"}])
    for kind in ("leads", "contacts", "companies"):
        assert api.call("DELETE", f"/api/v4/{kind}/{lead_id}").status == 404
    assert api.json("GET", f"/api/v4/leads/{lead_id}")["name"] == "Stay"


def test_pipelines_have_unsorted_won_and_lost(api: Api) -> None:
    body = api.json("GET", "/api/v4/leads/pipelines")
    assert body["_total_items"] == len(body["_embedded"]["pipelines"]) >= 2
    for pipeline in body["_embedded"]["pipelines"]:
        statuses = pipeline["_embedded"]["statuses"]
        assert {142, 143} <= {s["id"] for s in statuses}
        assert [s["type"] for s in statuses].count(1) == 1
    assert api.call("GET", "/api/v4/leads/pipelines/1/statuses").status == 404


def test_custom_field_definitions_page_and_create(api: Api) -> None:
    body = api.json("GET", "/api/v4/contacts/custom_fields", [("limit", "250")])
    phone = next(f for f in body["_embedded"]["custom_fields"] if f["code"] == "PHONE")
    assert [e["value"] for e in phone["enums"]] == ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
    assert body["_total_items"] == len(body["_embedded"]["custom_fields"])
    created = api.json(
        "POST",
        "/api/v4/leads/custom_fields",
        body=[{"name": "Origin", "type": "text", "code": "ORIGIN"}],
    )
    field_id = created["_embedded"]["custom_fields"][0]["id"]
    (lead_id,) = _create(
        api,
        "leads",
        [{"custom_fields_values": [{"field_id": field_id, "values": [{"value": "b24:1"}]}]}],
    )
    found = api.json(
        "GET", "/api/v4/leads", [(f"filter[custom_fields_values][{field_id}][]", "b24:1")]
    )
    assert [i["id"] for i in found["_embedded"]["leads"]] == [lead_id]
    bad = api.call(
        "POST", "/api/v4/leads/custom_fields", body=[{"name": "Phones", "type": "multitext"}]
    )
    assert bad.status == 400


def test_malformed_json_body_is_a_problem_not_a_crash(api: Api) -> None:
    response = api.call("POST", "/api/v4/leads", body=b"{not json")
    assert response.status == 400
    assert json.loads(response.body)["title"] == "Bad Request"
