# ruff: noqa: RUF002
"""Conformance: ``crm.lead.*`` / ``crm.contact.*`` get, add, update, delete and fields,
multifield writes."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Caller, Ok

ENTITIES = ("lead", "contact")


@pytest.mark.parametrize("entity", ENTITIES)
def test_add_returns_the_integer_id_and_get_returns_the_record(ok: Ok, entity: str) -> None:
    """``add`` answers the new record's integer id; ``get`` answers the record, IDs as
    strings, multiple fields included.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-add.md:
        || **result** [`integer`](../../data-types.md) | Root element of the response, contains
        the identifier of the created lead ||
    Also: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-get.md:
        The method `crm.lead.get` returns a lead by its identifier.
    """
    new_id = ok(
        f"crm.{entity}.add",
        fields={"NAME": "Ann", "PHONE": [{"VALUE": "+15550001", "VALUE_TYPE": "MOBILE"}]},
    )["result"]
    assert type(new_id) is int and new_id > 0
    record = ok(f"crm.{entity}.get", id=new_id)["result"]
    assert record["ID"] == str(new_id) and record["NAME"] == "Ann"
    (phone,) = record["PHONE"]
    assert (phone["VALUE"], phone["VALUE_TYPE"], phone["TYPE_ID"]) == (
        "+15550001",
        "MOBILE",
        "PHONE",
    )


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("method", ["get", "update", "delete"])
def test_bad_or_missing_ids_are_classic_errors(call: Caller, entity: str, method: str) -> None:
    """A missing or non-positive id, and an id that does not exist, are HTTP 400 with an
    empty ``error`` and the documented text.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-get.md:
        || `ID is not defined or invalid` | The `id` parameter is either not provided or is not
        a positive integer || || `Not found` | A lead with the specified `id` was not found ||
    Also: bitrix-tools/b24-rest-docs, api-reference/crm/leads/crm-lead-get.md (the sample):
        "error": "", "error_description": "Not found"
    """
    for bad in (0, -3, "abc"):
        status, body = call(f"crm.{entity}.{method}", id=bad, fields={"NAME": "x"})
        assert (status, body) == (
            400,
            {"error": "", "error_description": "ID is not defined or invalid."},
        )
    status, body = call(f"crm.{entity}.{method}", id=987654, fields={"NAME": "x"})
    assert (status, body) == (400, {"error": "", "error_description": "Not found"})


@pytest.mark.parametrize("entity", ENTITIES)
def test_update_changes_only_the_fields_passed_and_ignores_unknown_ones(
    ok: Ok, entity: str
) -> None:
    """``update`` answers ``true``; fields not passed keep their values; an unknown field is
    ignored.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-update.md:
        An incorrect field in `fields` will be ignored.
    Also: bitrix-tools/b24-rest-docs, api-reference/crm/leads/crm-lead-update.md:
        В `fields` нужно передавать только те поля, которые требуется изменить
    """
    new_id = ok(f"crm.{entity}.add", fields={"NAME": "Ann", "LAST_NAME": "Lee"})["result"]
    assert (
        ok(f"crm.{entity}.update", id=new_id, fields={"NAME": "Bo", "NO_SUCH_FIELD": 1})["result"]
        is True
    )
    record = ok(f"crm.{entity}.get", id=new_id)["result"]
    assert (record["NAME"], record["LAST_NAME"]) == ("Bo", "Lee")
    assert "NO_SUCH_FIELD" not in record


def _phones(ok: Ok, contact_id: int) -> list[tuple[str, str]]:
    return [
        (p["VALUE"], p["VALUE_TYPE"])
        for p in ok("crm.contact.get", id=contact_id)["result"].get("PHONE", [])
    ]


def test_multifield_entries_are_changed_by_id_added_without_one_and_deleted(ok: Ok) -> None:
    """An entry with its ``ID`` changes that entry; ``ID`` with ``DELETE: Y``, with an empty
    ``VALUE`` or alone deletes it; an entry without ``ID`` is added; others stay.

    Source: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-update.md:
        To overwrite an existing value of a multiple field, pass the `ID` of the field you
        want to change and its new value/type.
        To delete one of the values from a multiple field, pass their identifiers and either
        the parameter `DELETE = 'Y'` or an empty `VALUE`.
        To add a new value, simply enter it. Existing values will not be changed.
    """
    numbers = ["111111", "222222", "333333", "44444"]
    contact_id = ok(
        "crm.contact.add", fields={"PHONE": [{"VALUE": n, "VALUE_TYPE": "WORK"} for n in numbers]}
    )["result"]
    ids = [p["ID"] for p in ok("crm.contact.get", id=contact_id)["result"]["PHONE"]]
    ok(
        "crm.contact.update",
        id=contact_id,
        fields={"PHONE": [{"ID": ids[1], "VALUE": "555555", "VALUE_TYPE": "MOBILE"}]},
    )
    assert _phones(ok, contact_id) == [
        ("111111", "WORK"),
        ("555555", "MOBILE"),
        ("333333", "WORK"),
        ("44444", "WORK"),
    ]
    ok(
        "crm.contact.update",
        id=contact_id,
        fields={
            "PHONE": [{"ID": ids[0], "DELETE": "Y"}, {"ID": ids[1], "VALUE": ""}, {"ID": ids[2]}]
        },
    )
    assert _phones(ok, contact_id) == [("44444", "WORK")]
    ok(
        "crm.contact.update",
        id=contact_id,
        fields={"PHONE": [{"VALUE": "55555", "VALUE_TYPE": "WORK"}]},
    )
    assert _phones(ok, contact_id) == [("44444", "WORK"), ("55555", "WORK")]


@pytest.mark.parametrize("entity", ENTITIES)
def test_delete_removes_the_record(ok: Ok, call: Caller, entity: str) -> None:
    """``delete`` answers ``true``; the record is then not found.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-delete.md:
        The method `crm.lead.delete` removes a lead and all associated objects
    """
    new_id = ok(f"crm.{entity}.add", fields={"NAME": "Gone"})["result"]
    assert ok(f"crm.{entity}.delete", id=new_id)["result"] is True
    assert call(f"crm.{entity}.get", id=new_id)[1]["error_description"] == "Not found"


DESCRIPTION_KEYS = {
    "type",
    "isRequired",
    "isReadOnly",
    "isImmutable",
    "isMultiple",
    "isDynamic",
    "title",
}


def _fields(ok: Ok, entity: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(f"crm.{entity}.fields")["result"]
    return found


@pytest.mark.parametrize(
    ("entity", "code", "expected"),
    [
        ("lead", "CONTACT_ID", {"type": "crm_contact", "isDeprecated": True}),
        ("lead", "CONTACT_IDS", {"type": "crm_contact", "isMultiple": True}),
        ("lead", "STATUS_ID", {"type": "crm_status", "statusType": "STATUS"}),
        ("lead", "STATUS_SEMANTIC_ID", {"type": "string", "isReadOnly": True}),
        ("lead", "PHONE", {"type": "crm_multifield", "isMultiple": True}),
        ("lead", "LINK", {"type": "crm_multifield", "isMultiple": True}),
        ("contact", "PHOTO", {"type": "file", "isMultiple": False}),
        ("contact", "COMPANY_ID", {"type": "crm_company", "isDeprecated": True}),
        ("contact", "COMPANY_IDS", {"type": "crm_company", "isMultiple": True}),
        ("contact", "LEAD_ID", {"type": "crm_lead", "isReadOnly": True}),
        ("contact", "TYPE_ID", {"type": "crm_status", "statusType": "CONTACT_TYPE"}),
        ("contact", "LINK", {"type": "crm_multifield", "isMultiple": True}),
    ],
)
def test_fields_describe_each_field(
    ok: Ok, entity: str, code: str, expected: dict[str, Any]
) -> None:
    """``crm.*.fields`` describes every field with type and flags, as the sample shows.

    The sample answers describe each field of the table below as it is checked.

    Source: bitrix-tools/b24-rest-docs, api-reference/crm/contacts/crm-contact-fields.md:
        "PHOTO": { "type": "file", ... "COMPANY_ID": { "type": "crm_company", ...
        "isDeprecated": true, ... "COMPANY_IDS": { "type": "crm_company", ... "isMultiple": true,
    Also: bitrix-tools/b24-rest-docs, api-reference/crm/leads/crm-lead-fields.md:
        "CONTACT_ID": { "type": "crm_contact", ... "isDeprecated": true,
    """
    description = _fields(ok, entity)[code]
    assert set(description) >= DESCRIPTION_KEYS
    assert {k: description.get(k, False) for k in expected} == expected


@pytest.mark.parametrize("entity", ENTITIES)
def test_fields_list_user_fields_with_labels_and_options(ok: Ok, entity: str) -> None:
    """User fields appear in ``crm.*.fields`` as dynamic fields titled by their code, with
    their labels, and an enumeration with its ``items``.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-fields.md:
        The method `crm.lead.fields` returns a description of lead fields, including custom
        fields.
    """
    ok(
        f"crm.{entity}.userfield.add",
        fields={
            "FIELD_NAME": "SIZE",
            "USER_TYPE_ID": "enumeration",
            "EDIT_FORM_LABEL": "Size",
            "LIST": [{"VALUE": "S"}, {"VALUE": "M"}],
        },
    )
    described = _fields(ok, entity)["UF_CRM_SIZE"]
    assert set(described) >= DESCRIPTION_KEYS
    assert (described["type"], described["isDynamic"], described["title"]) == (
        "enumeration",
        True,
        "UF_CRM_SIZE",
    )
    assert [i["VALUE"] for i in described["items"]] == ["S", "M"]


def test_contact_company_ids_bind_the_primary_company(ok: Ok) -> None:
    """``COMPANY_IDS`` binds companies to a contact; ``COMPANY_ID`` reads the primary one.

    Source: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-add.md:
        || **COMPANY_IDS** [`crm_company[]`](../data-types.md) | Array of identifiers of
        companies associated with the contact.
    Also: bitrix24/b24restdocs, api-reference/crm/contacts/crm-contact-get.md:
        || **COMPANY_ID** [`crm_company`](../data-types.md) | Identifier of the main company ||
    """
    contact_id = ok("crm.contact.add", fields={"NAME": "Ann", "COMPANY_IDS": [7, 9]})["result"]
    record = ok("crm.contact.get", id=contact_id)["result"]
    assert record["COMPANY_ID"] == "7" and "PHOTO" in record and record["PHOTO"] is None
