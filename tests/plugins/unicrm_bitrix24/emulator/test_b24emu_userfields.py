"""User field definitions: ``crm.{lead,contact}.userfield.add|get|list|update|delete`` and how
a new field then behaves in ``fields``, ``select``, writes, filters and a reopened ``--db``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from unicrm.emulation import EmulatorRequest, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator

from .conftest import WEBHOOK, post_json

Ok = Callable[..., Any]
Caller = Callable[..., tuple[int, Any]]

#: The ids the static seed definitions take (lead 101-109, contact 151-154; options to 253).
LAST_SEEDED_FIELD_ID = 154
LAST_SEEDED_OPTION_ID = 253


def _add(ok: Ok, entity: str = "lead", **fields: Any) -> int:
    result = ok(f"crm.{entity}.userfield.add", fields=fields)["result"]
    assert isinstance(result, int) and not isinstance(result, bool)
    return result


def _names(ok: Ok, entity: str = "lead") -> list[str]:
    return [r["FIELD_NAME"] for r in ok(f"crm.{entity}.userfield.list")["result"]]


# -- add / get / list ------------------------------------------------------------------------
def test_add_returns_a_new_integer_id_and_prefixes_the_name(ok: Ok) -> None:
    first = _add(ok, FIELD_NAME="region", USER_TYPE_ID="string", EDIT_FORM_LABEL="Region")
    second = _add(ok, "contact", FIELD_NAME="UF_SHOE", USER_TYPE_ID="integer")
    third = _add(ok, FIELD_NAME="UF_CRM_HOBBY", USER_TYPE_ID="string")
    assert first == LAST_SEEDED_FIELD_ID + 1
    assert (second, third) == (first + 1, first + 2)  # one id sequence for both entities
    assert "UF_CRM_REGION" in _names(ok) and "UF_CRM_HOBBY" in _names(ok)
    assert "UF_CRM_SHOE" in _names(ok, "contact") and "UF_CRM_SHOE" not in _names(ok)
    got = ok("crm.lead.userfield.get", id=first)["result"]
    assert got["ID"] == str(first) and got["ENTITY_ID"] == "CRM_LEAD"
    assert got["FIELD_NAME"] == "UF_CRM_REGION" and got["USER_TYPE_ID"] == "string"
    assert got["MULTIPLE"] == "N" and got["MANDATORY"] == "N" and got["SORT"] == "100"
    assert got["EDIT_FORM_LABEL"] == {"en": "Region", "ru": "Region"}
    assert got["LIST_FILTER_LABEL"] is None and got["HELP_MESSAGE"] is None
    assert "LIST" not in got


def test_list_orders_by_sort_then_id_and_filters_and_translates(ok: Ok) -> None:
    late = _add(ok, FIELD_NAME="LATE", USER_TYPE_ID="string", SORT=900, LIST_COLUMN_LABEL="Late")
    early = _add(
        ok,
        FIELD_NAME="EARLY",
        USER_TYPE_ID="double",
        SORT="5",
        EDIT_FORM_LABEL={"en": "Early", "ru": "Ранний"},
    )
    names = _names(ok)
    assert names[0] == "UF_CRM_EARLY" and names[-1] == "UF_CRM_LATE"
    rows = ok("crm.lead.userfield.list", filter={"USER_TYPE_ID": "double"})["result"]
    assert {r["FIELD_NAME"] for r in rows} == {"UF_CRM_EARLY", "UF_CRM_WEIGHT"}
    ru = ok("crm.lead.userfield.list", filter={"ID": early, "LANG": "ru"})["result"]
    assert [r["EDIT_FORM_LABEL"] for r in ru] == ["Ранний"]
    desc = ok("crm.lead.userfield.list", order={"ID": "DESC"})["result"]
    assert desc[0]["ID"] == str(early) and desc[1]["ID"] == str(late)


def test_enumeration_options_get_ids_from_the_emulator(ok: Ok) -> None:
    field_id = _add(
        ok,
        FIELD_NAME="SIZE",
        USER_TYPE_ID="enumeration",
        LIST=[{"VALUE": "S"}, {"VALUE": "M", "DEF": "Y"}, {"VALUE": "L", "SORT": 5}, {"SORT": 1}],
    )
    options = ok("crm.lead.userfield.get", id=field_id)["result"]["LIST"]
    assert [o["VALUE"] for o in options] == ["L", "S", "M"]  # by SORT, then id; no VALUE: none
    ids = sorted(int(o["ID"]) for o in options)
    assert ids == [LAST_SEEDED_OPTION_ID + 1, LAST_SEEDED_OPTION_ID + 2, LAST_SEEDED_OPTION_ID + 3]
    assert [o["DEF"] for o in options] == ["N", "N", "Y"]
    assert all(o["XML_ID"] for o in options)
    described = ok("crm.lead.fields")["result"]["UF_CRM_SIZE"]
    assert described["type"] == "enumeration" and described["isDynamic"] is True
    assert {i["VALUE"]: i["ID"] for i in described["items"]} == {
        o["VALUE"]: o["ID"] for o in options
    }


def test_a_form_encoded_add_with_php_brackets_works_like_json(emu: Bitrix24Emulator) -> None:
    body = urlencode(
        {
            "fields[FIELD_NAME]": "colour",
            "fields[USER_TYPE_ID]": "enumeration",
            "fields[MULTIPLE]": "Y",
            "fields[LIST][0][VALUE]": "Red",
            "fields[LIST][1][VALUE]": "Blue",
        }
    ).encode()
    response = emu.handle(
        EmulatorRequest(
            "POST",
            f"/rest/{WEBHOOK}/crm.contact.userfield.add.json",
            headers={"content-type": "application/x-www-form-urlencoded"},
            body=body,
        )
    )
    assert response.status == 200
    status, got = post_json(emu, "crm.contact.userfield.list", {"filter": {"MULTIPLE": "Y"}})
    assert status == 200
    assert [(r["FIELD_NAME"], [o["VALUE"] for o in r["LIST"]]) for r in got["result"]] == [
        ("UF_CRM_COLOUR", ["Red", "Blue"])
    ]


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "code", "fragment"),
    [
        ({"USER_TYPE_ID": "string"}, "", "FIELD_NAME"),
        ({"FIELD_NAME": "  ", "USER_TYPE_ID": "string"}, "", "FIELD_NAME"),
        ({"FIELD_NAME": "UF_CRM_", "USER_TYPE_ID": "string"}, "", "FIELD_NAME"),
        ({"FIELD_NAME": "X"}, "", "USER_TYPE_ID"),
        ({"FIELD_NAME": "X", "USER_TYPE_ID": "rainbow"}, "ERROR_CORE", "custom type"),
        ({"FIELD_NAME": "my-field", "USER_TYPE_ID": "string"}, "ERROR_CORE", "A-Z, 0-9"),
        ({"FIELD_NAME": "поле", "USER_TYPE_ID": "string"}, "ERROR_CORE", "A-Z, 0-9"),
        ({"FIELD_NAME": "A" * 44, "USER_TYPE_ID": "string"}, "ERROR_CORE", "50"),
        ({"FIELD_NAME": "priority", "USER_TYPE_ID": "string"}, "", "UF_CRM_PRIORITY"),
    ],
)
def test_invalid_definitions_are_400s_and_add_nothing(
    call: Caller, ok: Ok, fields: dict[str, Any], code: str, fragment: str
) -> None:
    before = ok("crm.lead.userfield.list")["result"]
    status, body = call("crm.lead.userfield.add", fields=fields)
    assert status == 400
    assert set(body) == {"error", "error_description"} and body["error"] == code
    assert fragment in body["error_description"]
    assert ok("crm.lead.userfield.list")["result"] == before


def test_name_of_exactly_fifty_characters_is_accepted(ok: Ok) -> None:
    _add(ok, FIELD_NAME="B" * 43, USER_TYPE_ID="string")
    assert "UF_CRM_" + "B" * 43 in _names(ok)


def test_both_missing_keys_are_reported_at_once(call: Caller) -> None:
    status, body = call("crm.lead.userfield.add", fields={"SORT": "5"})
    assert status == 400
    assert body["error_description"].count("\n") == 1  # name missing + type missing


def test_fields_must_be_a_map_and_ids_must_exist(call: Caller) -> None:
    assert call("crm.lead.userfield.add", fields="x")[1]["error_description"] == (
        "Parameter 'fields' must be array."
    )
    for method in ("get", "update", "delete"):
        status, body = call(f"crm.lead.userfield.{method}", id=0, fields={})
        assert (status, body["error"]) == (400, "")
        assert body["error_description"] == "ID is not defined or invalid."
        status, body = call(f"crm.lead.userfield.{method}", id=9999, fields={})
        assert (status, body["error"]) == (400, "ERROR_NOT_FOUND")
    # a lead field's id is not a contact field
    status, _ = call("crm.contact.userfield.get", id=101)
    assert status == 400


# -- update / delete -------------------------------------------------------------------------
def test_update_changes_labels_sort_and_options_but_not_the_name_or_type(ok: Ok) -> None:
    field_id = _add(
        ok,
        FIELD_NAME="TIER",
        USER_TYPE_ID="enumeration",
        LIST=[{"VALUE": "One"}, {"VALUE": "Two"}, {"VALUE": "Three"}],
    )
    opts = {
        o["VALUE"]: o["ID"] for o in ok("crm.lead.userfield.get", id=field_id)["result"]["LIST"]
    }
    result = ok(
        "crm.lead.userfield.update",
        id=field_id,
        fields={
            "FIELD_NAME": "RENAMED",
            "USER_TYPE_ID": "string",
            "MULTIPLE": "Y",
            "SORT": 7,
            "EDIT_FORM_LABEL": {"ru": "Уровень"},
            "LIST": [
                {"ID": opts["One"], "VALUE": "First"},
                {"ID": opts["Two"], "DEL": "Y"},
                {"VALUE": "Four"},
                {"ID": 201, "DEL": "Y"},  # another field's option: ignored
            ],
        },
    )["result"]
    assert result is True
    got = ok("crm.lead.userfield.get", id=field_id)["result"]
    assert (got["FIELD_NAME"], got["USER_TYPE_ID"], got["MULTIPLE"]) == (
        "UF_CRM_TIER",
        "enumeration",
        "N",
    )
    assert got["SORT"] == "7"
    assert got["EDIT_FORM_LABEL"] == {"ru": "Уровень"}
    assert [(o["ID"], o["VALUE"]) for o in got["LIST"]][:2] == [
        (opts["One"], "First"),
        (opts["Three"], "Three"),
    ]
    assert [o["VALUE"] for o in got["LIST"]] == ["First", "Three", "Four"]
    priority = ok("crm.lead.userfield.get", id=101)["result"]["LIST"]
    assert "201" in {o["ID"] for o in priority}


def test_deleting_an_option_clears_the_values_that_pointed_at_it(ok: Ok) -> None:
    field_id = _add(
        ok,
        FIELD_NAME="TAGS",
        USER_TYPE_ID="enumeration",
        MULTIPLE="Y",
        LIST=[{"VALUE": "a"}, {"VALUE": "b"}],
    )
    a, b = (o["ID"] for o in ok("crm.lead.userfield.get", id=field_id)["result"]["LIST"])
    both = ok("crm.lead.add", fields={"TITLE": "x", "UF_CRM_TAGS": [a, b]})["result"]
    only_a = ok("crm.lead.add", fields={"TITLE": "y", "UF_CRM_TAGS": [a]})["result"]
    ok("crm.lead.userfield.update", id=field_id, fields={"LIST": [{"ID": a, "DEL": "Y"}]})
    assert ok("crm.lead.get", id=both)["result"]["UF_CRM_TAGS"] == [b]
    assert ok("crm.lead.get", id=only_a)["result"]["UF_CRM_TAGS"] is False


def test_delete_removes_the_definition_and_its_values(ok: Ok, call: Caller) -> None:
    field_id = _add(ok, FIELD_NAME="GONE", USER_TYPE_ID="string")
    lead = ok("crm.lead.add", fields={"TITLE": "t", "UF_CRM_GONE": "value"})["result"]
    assert ok("crm.lead.userfield.delete", id=field_id)["result"] is True
    assert "UF_CRM_GONE" not in _names(ok)
    assert "UF_CRM_GONE" not in ok("crm.lead.fields")["result"]
    assert "UF_CRM_GONE" not in ok("crm.lead.get", id=lead)["result"]
    assert call("crm.lead.userfield.get", id=field_id)[0] == 400
    # the name is free again, and the new field starts empty
    _add(ok, FIELD_NAME="GONE", USER_TYPE_ID="string")
    assert ok("crm.lead.get", id=lead)["result"]["UF_CRM_GONE"] == ""


# -- a new field behaves like the seeded ones -------------------------------------------------
def _typed_fields(ok: Ok) -> dict[str, int]:
    specs: dict[str, dict[str, Any]] = {
        "NOTE": {"USER_TYPE_ID": "string"},
        "RATE": {"USER_TYPE_ID": "double"},
        "COUNT": {"USER_TYPE_ID": "integer"},
        "DUE": {"USER_TYPE_ID": "date"},
        "CALL_AT": {"USER_TYPE_ID": "datetime"},
        "OK": {"USER_TYPE_ID": "boolean"},
        "KIND": {"USER_TYPE_ID": "enumeration", "LIST": [{"VALUE": "k1"}, {"VALUE": "k2"}]},
        "ALIASES": {"USER_TYPE_ID": "string", "MULTIPLE": "Y"},
        "DAYS": {"USER_TYPE_ID": "date", "MULTIPLE": "Y"},
    }
    return {name: _add(ok, FIELD_NAME=name, **spec) for name, spec in specs.items()}


def test_values_of_new_fields_round_trip_typed_like_the_seeded_ones(ok: Ok) -> None:
    ids = _typed_fields(ok)
    k1, k2 = (o["ID"] for o in ok("crm.lead.userfield.get", id=ids["KIND"])["result"]["LIST"])
    lead = ok(
        "crm.lead.add",
        fields={
            "TITLE": "typed",
            "UF_CRM_NOTE": "hello",
            "UF_CRM_RATE": "12.5",
            "UF_CRM_COUNT": 42,
            "UF_CRM_DUE": "2025-03-04",
            "UF_CRM_CALL_AT": "2025-03-04T10:30:00+03:00",
            "UF_CRM_OK": "Y",
            "UF_CRM_KIND": k2,
            "UF_CRM_ALIASES": ["a", "", "b"],
            "UF_CRM_DAYS": ["2025-01-02", "garbage", "2025-01-03"],
            "UF_CRM_NOSUCH": "ignored",
        },
    )["result"]
    got = ok("crm.lead.get", id=lead)["result"]
    assert got["UF_CRM_NOTE"] == "hello"
    assert got["UF_CRM_RATE"] == "12.5"
    assert got["UF_CRM_COUNT"] == "42"
    assert got["UF_CRM_DUE"] == "2025-03-04T00:00:00+03:00"
    assert got["UF_CRM_CALL_AT"] == "2025-03-04T10:30:00+03:00"
    assert got["UF_CRM_OK"] == "1"
    assert got["UF_CRM_KIND"] == k2
    assert got["UF_CRM_ALIASES"] == ["a", "b"]
    assert got["UF_CRM_DAYS"] == ["2025-01-02T00:00:00+03:00", "2025-01-03T00:00:00+03:00"]
    assert "UF_CRM_NOSUCH" not in got
    # an option id the field does not list is dropped; update keeps the other values
    ok("crm.lead.update", id=lead, fields={"UF_CRM_KIND": 99999, "UF_CRM_COUNT": ""})
    again = ok("crm.lead.get", id=lead)["result"]
    assert again["UF_CRM_KIND"] == k2 and again["UF_CRM_COUNT"] == ""
    ok("crm.lead.update", id=lead, fields={"UF_CRM_KIND": k1, "UF_CRM_ALIASES": []})
    again = ok("crm.lead.get", id=lead)["result"]
    assert again["UF_CRM_KIND"] == k1 and again["UF_CRM_ALIASES"] is False


def test_new_fields_are_described_and_follow_select_masks(ok: Ok) -> None:
    _add(ok, FIELD_NAME="NOTE", USER_TYPE_ID="string", EDIT_FORM_LABEL="Note", MANDATORY="Y")
    described = ok("crm.lead.fields")["result"]["UF_CRM_NOTE"]
    assert described["type"] == "string" and described["title"] == "UF_CRM_NOTE"
    assert described["listLabel"] == "Note" and described["isRequired"] is True
    ok("crm.lead.add", fields={"TITLE": "t", "UF_CRM_NOTE": "n"})
    assert ok("crm.lead.list", select=["UF_*"])["result"][0]["UF_CRM_NOTE"] == "n"
    both = ok("crm.lead.list", select=["*", "UF_*"])["result"][0]
    assert both["UF_CRM_NOTE"] == "n" and both["TITLE"] == "t"
    stars = ok("crm.lead.list", select=["*"])["result"][0]
    assert "UF_CRM_NOTE" not in stars
    named = ok("crm.lead.list", select=["ID", "uf_crm_note"])["result"][0]
    assert named == {"ID": "1", "UF_CRM_NOTE": "n"}
    default = ok("crm.lead.list")["result"][0]
    assert default["UF_CRM_NOTE"] == "n"


def test_filters_work_on_new_fields(ok: Ok) -> None:
    ids = _typed_fields(ok)
    k1, k2 = (o["ID"] for o in ok("crm.lead.userfield.get", id=ids["KIND"])["result"]["LIST"])
    rows = [
        {"UF_CRM_NOTE": "alpha", "UF_CRM_RATE": 1.5, "UF_CRM_KIND": k1, "UF_CRM_ALIASES": ["x"]},
        {"UF_CRM_NOTE": "beta", "UF_CRM_RATE": 7, "UF_CRM_KIND": k2, "UF_CRM_ALIASES": ["y", "z"]},
        {"UF_CRM_NOTE": None, "UF_CRM_DUE": "2025-05-05", "UF_CRM_OK": 1},
    ]
    for i, fields in enumerate(rows, start=1):
        ok("crm.lead.add", fields={"TITLE": f"L{i}", **fields})

    def ids_for(filter_: dict[str, Any]) -> list[str]:
        return [r["ID"] for r in ok("crm.lead.list", filter=filter_, select=["ID"])["result"]]

    assert ids_for({"UF_CRM_NOTE": "alpha"}) == ["1"]
    assert ids_for({"%UF_CRM_NOTE": "et"}) == ["2"]
    assert ids_for({">UF_CRM_RATE": 2}) == ["2"]
    assert ids_for({"UF_CRM_KIND": [k1, k2]}) == ["1", "2"]
    assert ids_for({"!UF_CRM_KIND": k1}) == ["2", "3"]
    assert ids_for({"UF_CRM_ALIASES": "z"}) == ["2"]
    assert ids_for({">=UF_CRM_DUE": "2025-05-01"}) == ["3"]
    assert ids_for({"UF_CRM_OK": 1}) == ["3"]
    assert ids_for({"UF_CRM_NOTE": ""}) == ["3"]
    ordered = ok("crm.lead.list", order={"UF_CRM_RATE": "DESC"}, select=["ID"])["result"]
    assert [r["ID"] for r in ordered][:2] == ["2", "1"]


# -- persistence -----------------------------------------------------------------------------
def test_definitions_and_values_persist_in_a_file_db(tmp_path: Path, clock: ManualClock) -> None:
    db = str(tmp_path / "portal.sqlite")
    first = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="off", db=db)
    status, body = post_json(
        first,
        "crm.contact.userfield.add",
        {
            "fields": {
                "FIELD_NAME": "PET",
                "USER_TYPE_ID": "enumeration",
                "LIST": [{"VALUE": "cat"}],
            }
        },
    )
    assert status == 200
    field_id = body["result"]
    _, got = post_json(first, "crm.contact.userfield.get", {"id": field_id})
    cat = got["result"]["LIST"][0]["ID"]
    post_json(first, "crm.contact.add", {"fields": {"NAME": "Ann", "UF_CRM_PET": cat}})
    _, deleted = post_json(first, "crm.contact.userfield.delete", {"id": 152})  # NEWSLETTER
    assert deleted["result"] is True
    first.close()

    reopened = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="off", db=db)
    try:
        _, listed = post_json(reopened, "crm.contact.userfield.list", {})
        names = [r["FIELD_NAME"] for r in listed["result"]]
        assert "UF_CRM_PET" in names and "UF_CRM_NEWSLETTER" not in names  # not reseeded
        _, contact = post_json(reopened, "crm.contact.get", {"id": 1})
        assert contact["result"]["UF_CRM_PET"] == cat
        assert "UF_CRM_NEWSLETTER" not in contact["result"]
        _, again = post_json(
            reopened,
            "crm.contact.userfield.add",
            {"fields": {"FIELD_NAME": "PET", "USER_TYPE_ID": "string"}},
        )
        assert again["error"] == ""  # still there: a duplicate
        _, fresh = post_json(
            reopened,
            "crm.lead.userfield.add",
            {"fields": {"FIELD_NAME": "NEXT", "USER_TYPE_ID": "string"}},
        )
        assert fresh["result"] == field_id + 1  # the id sequence survives too
    finally:
        reopened.close()
