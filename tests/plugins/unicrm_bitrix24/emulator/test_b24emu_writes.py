"""Writes and wire quirks: types on the wire, multifield rules, stages, links, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from unicrm.emulation import ManualClock

Ok = Callable[..., Any]
Caller = Callable[..., tuple[int, Any]]


def test_add_returns_int_and_get_uses_strings(ok: Ok, clock: ManualClock) -> None:
    new_id = ok(
        "crm.lead.add",
        fields={"TITLE": "Deal", "OPPORTUNITY": 15000, "ASSIGNED_BY_ID": "5", "CURRENCY_ID": "USD"},
    )["result"]
    assert new_id == 1 and isinstance(new_id, int)
    lead = ok("crm.lead.get", id=new_id)["result"]
    assert lead["ID"] == "1"
    assert lead["OPPORTUNITY"] == "15000.00"
    assert lead["ASSIGNED_BY_ID"] == "5"
    assert lead["CREATED_BY_ID"] == "1"  # the webhook's user
    assert lead["DATE_CLOSED"] == "" and lead["BIRTHDATE"] == ""
    assert lead["DATE_CREATE"] == "2025-06-15T18:06:40+03:00"
    assert lead["OPENED"] == "Y" and lead["IS_MANUAL_OPPORTUNITY"] == "N"
    assert lead["STATUS_ID"] == "NEW" and lead["STATUS_SEMANTIC_ID"] == "P"
    assert lead["HAS_PHONE"] == "N" and lead["HAS_EMAIL"] == "N"
    assert lead["SECOND_NAME"] is None
    assert "PHONE" not in lead


def test_update_returns_true_and_drops_unknown_and_read_only(ok: Ok, clock: ManualClock) -> None:
    ok("crm.lead.add", fields={"TITLE": "T"})
    clock.advance(60)
    body = ok(
        "crm.lead.update",
        id="1",
        fields={
            "NAME": "Neo",
            "NOSUCH": 1,
            "DATE_CREATE": "2000-01-01",
            "HAS_PHONE": "Y",
            "ID": 77,
            "BIRTHDATE": "not a date",
            "OPENED": "N",
        },
    )
    assert body["result"] is True
    lead = ok("crm.lead.get", ID=1)["result"]
    assert lead["NAME"] == "Neo" and lead["ID"] == "1"
    assert lead["DATE_CREATE"] == "2025-06-15T18:06:40+03:00"
    assert lead["DATE_MODIFY"] == "2025-06-15T18:07:40+03:00"
    assert lead["HAS_PHONE"] == "N" and lead["BIRTHDATE"] == "" and lead["OPENED"] == "N"


def test_dates_are_read_with_offsets_and_birthdate_is_midnight(ok: Ok) -> None:
    ok("crm.contact.add", fields={"NAME": "B", "BIRTHDATE": "2001-11-11T15:30:00+03:00"})
    assert ok("crm.contact.get", id=1)["result"]["BIRTHDATE"] == "2001-11-11T00:00:00+03:00"


def test_missing_title_gets_a_default(ok: Ok) -> None:
    ok("crm.lead.add", fields={"NAME": "Nameless"})
    assert ok("crm.lead.get", id=1)["result"]["TITLE"] == "Lead #1"


def test_originator_and_origin_ids_are_kept(ok: Ok) -> None:
    ok("crm.lead.add", fields={"TITLE": "x", "ORIGINATOR_ID": "unicrm", "ORIGIN_ID": "42"})
    lead = ok("crm.lead.get", id=1)["result"]
    assert (lead["ORIGINATOR_ID"], lead["ORIGIN_ID"]) == ("unicrm", "42")


def test_multifield_rules(ok: Ok) -> None:
    ok(
        "crm.lead.add",
        fields={
            "TITLE": "M",
            "PHONE": [
                {"VALUE": "+1", "VALUE_TYPE": "WORK"},
                {"VALUE": "+2", "VALUE_TYPE": "MOBILE"},
                {"VALUE": "", "VALUE_TYPE": "HOME"},
                {"VALUE": "+3", "VALUE_TYPE": "BOGUS"},
            ],
        },
    )
    phones = ok("crm.lead.get", id=1)["result"]["PHONE"]
    assert [(p["VALUE"], p["VALUE_TYPE"]) for p in phones] == [
        ("+1", "WORK"),
        ("+2", "MOBILE"),
        ("+3", "WORK"),
    ]
    first, second, third = (p["ID"] for p in phones)
    # without ID -> added; entries not mentioned are untouched
    ok("crm.lead.update", id=1, fields={"PHONE": [{"VALUE": "+4"}]})
    assert len(ok("crm.lead.get", id=1)["result"]["PHONE"]) == 4
    # ID -> updated; ID + DELETE -> removed; ID + empty VALUE -> removed
    ok(
        "crm.lead.update",
        id=1,
        fields={
            "PHONE": [
                {"ID": first, "VALUE": "+10", "VALUE_TYPE": "HOME"},
                {"ID": second, "DELETE": "Y", "VALUE": "+2"},
                {"ID": third, "VALUE": ""},
            ]
        },
    )
    lead = ok("crm.lead.get", id=1)["result"]
    assert [(p["ID"], p["VALUE"], p["VALUE_TYPE"]) for p in lead["PHONE"]] == [
        (first, "+10", "HOME"),
        (lead["PHONE"][1]["ID"], "+4", "WORK"),
    ]
    assert lead["HAS_PHONE"] == "Y"


def test_has_flags_follow_multifields(ok: Ok) -> None:
    ok(
        "crm.contact.add",
        fields={
            "NAME": "E",
            "EMAIL": [{"VALUE": "e@x.io"}],
            "IM": [{"VALUE": "imol|1", "VALUE_TYPE": "OPENLINE"}],
        },
    )
    c = ok("crm.contact.get", id=1)["result"]
    assert (c["HAS_EMAIL"], c["HAS_PHONE"], c["HAS_IMOL"]) == ("Y", "N", "Y")
    ok("crm.contact.update", id=1, fields={"EMAIL": [{"ID": c["EMAIL"][0]["ID"], "DELETE": "Y"}]})
    c = ok("crm.contact.get", id=1)["result"]
    assert c["HAS_EMAIL"] == "N" and "EMAIL" not in c


def test_multifield_id_of_another_record_is_ignored(ok: Ok) -> None:
    ok("crm.lead.add", fields={"TITLE": "a", "PHONE": [{"VALUE": "+1"}]})
    ok("crm.lead.add", fields={"TITLE": "b"})
    other = ok("crm.lead.get", id=1)["result"]["PHONE"][0]["ID"]
    ok("crm.lead.update", id=2, fields={"PHONE": [{"ID": other, "DELETE": "Y"}]})
    assert ok("crm.lead.get", id=1)["result"]["PHONE"][0]["VALUE"] == "+1"


def test_stage_semantics_and_date_closed(ok: Ok, clock: ManualClock) -> None:
    ok("crm.lead.add", fields={"TITLE": "S", "STATUS_ID": "IN_PROCESS"})
    clock.advance(3600)
    ok("crm.lead.update", id=1, fields={"STATUS_ID": "CONVERTED"})
    lead = ok("crm.lead.get", id=1)["result"]
    assert lead["STATUS_SEMANTIC_ID"] == "S"
    assert lead["DATE_CLOSED"] == "2025-06-15T19:06:40+03:00" == lead["MOVED_TIME"]
    clock.advance(60)
    ok("crm.lead.update", id=1, fields={"STATUS_ID": "JUNK"})
    lead = ok("crm.lead.get", id=1)["result"]
    assert lead["STATUS_SEMANTIC_ID"] == "F"
    assert lead["DATE_CLOSED"] == "2025-06-15T19:06:40+03:00"  # stays closed since then
    ok("crm.lead.update", id=1, fields={"STATUS_ID": "NEW"})
    lead = ok("crm.lead.get", id=1)["result"]
    assert (lead["STATUS_SEMANTIC_ID"], lead["DATE_CLOSED"]) == ("P", "")


def test_unknown_stage_is_a_400(call: Caller) -> None:
    status, body = call("crm.lead.add", fields={"TITLE": "x", "STATUS_ID": "NOPE"})
    assert status == 400 and body["error"] == ""
    assert call("crm.lead.list")[1]["total"] == 0


def test_lead_contact_bindings(ok: Ok, call: Caller) -> None:
    for name in ("A", "B", "C"):
        ok("crm.contact.add", fields={"NAME": name})
    ok("crm.lead.add", fields={"TITLE": "L", "CONTACT_IDS": [2, 3]})
    lead = ok("crm.lead.get", id=1)["result"]
    assert lead["CONTACT_ID"] == "2" and lead["IS_RETURN_CUSTOMER"] == "Y"
    rows = ok("crm.lead.contact.items.get", id=1)["result"]
    assert rows == [
        {"CONTACT_ID": 2, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"},
        {"CONTACT_ID": 3, "SORT": 20, "ROLE_ID": 0, "IS_PRIMARY": "N"},
    ]
    assert (
        ok(
            "crm.lead.contact.items.set",
            id=1,
            items=[{"CONTACT_ID": 1, "SORT": 50}, {"CONTACT_ID": 3, "SORT": 5, "IS_PRIMARY": "Y"}],
        )["result"]
        is True
    )
    rows = ok("crm.lead.contact.items.get", id=1)["result"]
    assert [(r["CONTACT_ID"], r["IS_PRIMARY"]) for r in rows] == [(3, "Y"), (1, "N")]
    assert ok("crm.lead.list", filter={"CONTACT_ID": 3}, select=["ID"])["total"] == 1
    ok("crm.contact.delete", id=3)
    assert ok("crm.lead.get", id=1)["result"]["CONTACT_ID"] == "1"
    ok("crm.lead.contact.items.set", id=1, items=[])
    assert ok("crm.lead.contact.items.get", id=1)["result"] == []
    ok("crm.lead.contact.items.set", id=1, items=[{"CONTACT_ID": 1}, {"CONTACT_ID": 2}])
    assert ok("crm.lead.contact.items.delete", id=1)["result"] is True
    assert ok("crm.lead.contact.items.get", id=1)["result"] == []
    assert ok("crm.lead.get", id=1)["result"]["CONTACT_ID"] in (None, "0", "")
    status, body = call("crm.lead.contact.items.delete", id=99)
    assert status == 400 and body["error"] == "NOT_FOUND"
    status, body = call("crm.lead.contact.items.get", id=99)
    assert status == 400 and body["error"] == "NOT_FOUND"
    status, body = call("crm.lead.contact.items.set", id=1, items=[{"CONTACT_ID": 42}])
    assert status == 400 and body["error"] == "NOT_FOUND"


def test_delete(ok: Ok, call: Caller) -> None:
    ok("crm.lead.add", fields={"TITLE": "gone", "PHONE": [{"VALUE": "+1"}]})
    assert ok("crm.lead.delete", id=1)["result"] is True
    assert call("crm.lead.get", id=1) == (400, {"error": "", "error_description": "Not found"})
    assert call("crm.lead.delete", id=1)[0] == 400
    assert ok("crm.duplicate.findbycomm", type="PHONE", values=["+1"])["result"] == []


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("crm.lead.get", {}, "ID is not defined or invalid."),
        ("crm.lead.get", {"id": 0}, "ID is not defined or invalid."),
        ("crm.lead.get", {"id": "abc"}, "ID is not defined or invalid."),
        ("crm.lead.get", {"id": 5}, "Not found"),
        ("crm.contact.update", {"id": 5, "fields": {}}, "Not found"),
        ("crm.lead.add", {"fields": "TITLE"}, "Parameter 'fields' must be array."),
        ("crm.lead.add", {}, "Parameter 'fields' must be array."),
        ("crm.status.entity.items", {}, "The parameter entityId is not defined or invalid."),
    ],
)
def test_classic_errors(
    call: Caller, method: str, params: dict[str, Any], description: str
) -> None:
    assert call(method, **params) == (400, {"error": "", "error_description": description})


def test_user_field_values(ok: Ok) -> None:
    ok(
        "crm.lead.add",
        fields={
            "TITLE": "uf",
            "UF_CRM_PRIORITY": "203",
            "UF_CRM_BUDGET": "300|RUB",
            "UF_CRM_VIP": "Y",
            "UF_CRM_INTERESTS": ["211", "999", "213"],
            "UF_CRM_WEIGHT": "1.5",
            "UF_CRM_NEXT_CALL": "2025-07-01T10:00:00+03:00",
        },
    )
    lead = ok("crm.lead.get", id=1)["result"]
    assert lead["UF_CRM_PRIORITY"] == "203"
    assert lead["UF_CRM_BUDGET"] == "300|RUB"
    assert lead["UF_CRM_VIP"] == "1"
    assert lead["UF_CRM_INTERESTS"] == ["211", "213"]
    assert lead["UF_CRM_WEIGHT"] == "1.5"
    assert lead["UF_CRM_NEXT_CALL"] == "2025-07-01T10:00:00+03:00"
    assert lead["UF_CRM_SCORE"] == ""
    listed = ok("crm.lead.list", select=["UF_*"])["result"][0]
    assert listed["UF_CRM_SCORE"] is None


def test_fields_and_userfield_list(ok: Ok) -> None:
    fields = ok("crm.lead.fields")["result"]
    assert fields["STATUS_ID"]["type"] == "crm_status"
    assert fields["STATUS_ID"]["statusType"] == "STATUS"
    assert fields["PHONE"]["isMultiple"] is True
    assert fields["TITLE"]["isRequired"] is True
    assert fields["DATE_CLOSED"]["isReadOnly"] is True
    assert fields["UF_CRM_PRIORITY"]["items"][0] == {"ID": "201", "VALUE": "Low"}
    for desc in fields.values():
        assert {
            "type",
            "isRequired",
            "isReadOnly",
            "isImmutable",
            "isMultiple",
            "isDynamic",
            "title",
        } <= set(desc)
    ufs = ok("crm.lead.userfield.list", filter={"LANG": "ru"})["result"]
    prio = next(u for u in ufs if u["FIELD_NAME"] == "UF_CRM_PRIORITY")
    assert prio["ENTITY_ID"] == "CRM_LEAD" and prio["USER_TYPE_ID"] == "enumeration"
    assert prio["EDIT_FORM_LABEL"] == "Приоритет"
    assert [item["VALUE"] for item in prio["LIST"]] == ["Low", "Medium", "High"]
    types = {u["USER_TYPE_ID"] for u in ufs}
    assert {
        "string",
        "integer",
        "double",
        "boolean",
        "enumeration",
        "datetime",
        "money",
        "date",
    } <= types
    contact_ufs = ok("crm.contact.userfield.list", filter={"USER_TYPE_ID": "boolean"})["result"]
    assert [u["FIELD_NAME"] for u in contact_ufs] == ["UF_CRM_NEWSLETTER"]


def test_status_entity_items(ok: Ok) -> None:
    items = ok("crm.status.entity.items", entityId="SOURCE")["result"]
    assert items[0] == {"NAME": "Call", "SORT": 10, "STATUS_ID": "CALL"}


def test_duplicate_search(ok: Ok, call: Caller) -> None:
    ok("crm.lead.add", fields={"TITLE": "a", "PHONE": [{"VALUE": "+7 (900) 111-22-33"}]})
    ok(
        "crm.contact.add",
        fields={
            "NAME": "b",
            "PHONE": [{"VALUE": "+79001112233"}],
            "EMAIL": [{"VALUE": "Mixed@Case.com"}],
        },
    )
    body = ok("crm.duplicate.findbycomm", type="PHONE", values=["79001112233"])
    assert body["result"] == {"LEAD": [1], "CONTACT": [1]}
    body = ok(
        "crm.duplicate.findbycomm", type="EMAIL", values=["mixed@case.com"], entity_type="CONTACT"
    )
    assert body["result"] == {"CONTACT": [1]}
    assert call("crm.duplicate.findbycomm", type="FAX", values=["1"])[0] == 400


def test_contact_import_mode_sets_system_fields(ok: Ok) -> None:
    ok(
        "crm.contact.add",
        fields={"NAME": "Old", "DATE_CREATE": "2020-01-02T03:04:05+03:00"},
        params={"IMPORT": "Y"},
    )
    ok("crm.contact.add", fields={"NAME": "New", "DATE_CREATE": "2020-01-02T03:04:05+03:00"})
    assert ok("crm.contact.get", id=1)["result"]["DATE_CREATE"] == "2020-01-02T03:04:05+03:00"
    assert ok("crm.contact.get", id=2)["result"]["DATE_CREATE"] == "2025-06-15T18:06:40+03:00"


def test_leads_have_no_categories(call: Caller) -> None:
    status, body = call("crm.category.list", entityTypeId=1)
    assert status == 400 and body["error"] == "ENTITY_TYPE_NOT_SUPPORTED"
