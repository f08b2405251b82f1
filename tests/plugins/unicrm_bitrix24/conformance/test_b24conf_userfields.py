"""Conformance: ``crm.lead.userfield.*`` / ``crm.contact.userfield.*``."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Caller, Ok

ENTITIES = ("lead", "contact")


def _names(ok: Ok, entity: str, **params: Any) -> list[str]:
    return [r["FIELD_NAME"] for r in ok(f"crm.{entity}.userfield.list", **params)["result"]]


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("MANAGER_NOTE", "UF_CRM_MANAGER_NOTE"),
        ("UF_MANAGER_NOTE", "UF_CRM_MANAGER_NOTE"),
        ("UF_CRM_MANAGER_NOTE", "UF_CRM_MANAGER_NOTE"),
        ("manager_note", "UF_CRM_MANAGER_NOTE"),
    ],
)
def test_add_builds_the_full_name(ok: Ok, entity: str, given: str, stored: str) -> None:
    """``FIELD_NAME`` gets the ``UF_CRM_`` prefix; ``UF_`` becomes ``UF_CRM_``; lower case is
    raised; ``add`` answers the new definition's id.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-add.md:
        The prefix `UF_CRM_` is always added to the code, and the system builds the full field
        name itself: - `MANAGER_NOTE` becomes `UF_CRM_MANAGER_NOTE` - `UF_MANAGER_NOTE` becomes
        `UF_CRM_MANAGER_NOTE` — the prefix `UF_` is replaced with `UF_CRM_` -
        `UF_CRM_MANAGER_NOTE` remains unchanged
        ... Lowercase letters are converted to uppercase
    """
    new_id = ok(
        f"crm.{entity}.userfield.add", fields={"FIELD_NAME": given, "USER_TYPE_ID": "string"}
    )["result"]
    assert type(new_id) is int
    assert ok(f"crm.{entity}.userfield.get", id=new_id)["result"]["FIELD_NAME"] == stored


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"USER_TYPE_ID": "string"}, "", "The 'FIELD_NAME' field is not found."),
        ({"FIELD_NAME": "X"}, "", "The 'USER_TYPE_ID' field is not found."),
        (
            {"FIELD_NAME": "B" * 44, "USER_TYPE_ID": "string"},
            "ERROR_CORE",
            "Field name is too long (more than 50 characters).",
        ),
        (
            {"FIELD_NAME": "my-note", "USER_TYPE_ID": "string"},
            "ERROR_CORE",
            "Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _.",
        ),
        (
            {"FIELD_NAME": "X", "USER_TYPE_ID": "rainbow"},
            "ERROR_CORE",
            "Invalid custom type specified.",
        ),
    ],
    ids=["no-name", "no-type", "too-long", "bad-chars", "bad-type"],
)
def test_add_refuses_bad_definitions(
    call: Caller, ok: Ok, fields: dict[str, Any], code: str, text: str
) -> None:
    """A missing name or type, a name over 50 characters with its prefix, other characters
    than ``A-Z 0-9 _`` and an unknown type are refused with the documented code and text,
    and nothing is added.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-add.md:
        || Empty value | The 'FIELD_NAME' field is not found. | ... ||
        || `ERROR_CORE` | Field name is too long (more than 50 characters). | ... ||
        || `ERROR_CORE` | Field name contains invalid characters. Allowed characters are: A-Z,
        0-9 and _. | ... ||
        || Empty value | The 'USER_TYPE_ID' field is not found. | ... ||
        || `ERROR_CORE` | Invalid custom type specified. | ... ||
    """
    before = _names(ok, "lead")
    status, body = call("crm.lead.userfield.add", fields=fields)
    assert (status, body) == (400, {"error": code, "error_description": text})
    assert _names(ok, "lead") == before


def test_fifty_characters_with_the_prefix_is_the_limit(ok: Ok) -> None:
    """Up to 50 characters with the prefix (43 for the code) are accepted.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-add.md:
        The length limit is `50` characters including the prefix, that is, up to `43`
        characters for the code.
    """
    ok("crm.lead.userfield.add", fields={"FIELD_NAME": "C" * 43, "USER_TYPE_ID": "string"})
    assert "UF_CRM_" + "C" * 43 in _names(ok, "lead")


@pytest.mark.parametrize("method", ["get", "update", "delete"])
def test_bad_and_unknown_ids(call: Caller, method: str) -> None:
    """A non-positive id is ``ID is not defined or invalid``; an unknown one is
    ``ERROR_NOT_FOUND``.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-get.md:
        || `400` | ID is not defined or invalid | The provided `id` is less than or equal to
        zero, or not provided at all ||
        || `ERROR_NOT_FOUND` | The entity with ID 'id' is not found | The custom field with
        the provided `id` was not found ||
    """
    status, body = call(f"crm.lead.userfield.{method}", id=0, fields={"SORT": 1})
    assert (status, body) == (
        400,
        {"error": "", "error_description": "ID is not defined or invalid."},
    )
    status, body = call(f"crm.lead.userfield.{method}", id=99999, fields={"SORT": 1})
    assert (status, body["error"]) == (400, "ERROR_NOT_FOUND")
    assert body["error_description"] == "The entity with ID '99999' is not found"


def test_list_is_ordered_by_sort_then_id_by_default(ok: Ok) -> None:
    """Without ``order`` the definitions come by ``SORT`` then ``ID``.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-list.md:
        By default: { "SORT": "ASC", "ID": "ASC" }
    """
    for name, sort in (("Z1", 5), ("Z2", 1), ("Z3", 5)):
        ok(
            "crm.lead.userfield.add",
            fields={"FIELD_NAME": name, "USER_TYPE_ID": "string", "SORT": sort},
        )
    rows = ok("crm.lead.userfield.list")["result"]
    keys = [(int(r["SORT"]), int(r["ID"])) for r in rows]
    assert keys == sorted(keys)
    ours = [r["FIELD_NAME"] for r in rows if r["FIELD_NAME"].startswith("UF_CRM_Z")]
    assert ours == ["UF_CRM_Z2", "UF_CRM_Z1", "UF_CRM_Z3"]


def test_list_filters_and_rows_carry_enumeration_options(ok: Ok) -> None:
    """``filter`` selects definitions (conditions joined with AND); an enumeration's row has
    its ``LIST`` of options (``ID``, ``SORT``, ``VALUE``, ``DEF``, ``XML_ID``).

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-list.md:
        All conditions for individual fields are combined using `AND`.
    Also: bitrix-tools/b24-rest-docs, the same page's sample answer: "LIST": [{"ID": "3157",
        "SORT": "10", "VALUE": "Детское радио", "DEF": "N", "XML_ID": "79b4..."}, ...]
    """
    ok(
        "crm.lead.userfield.add",
        fields={
            "FIELD_NAME": "TONE",
            "USER_TYPE_ID": "enumeration",
            "MULTIPLE": "Y",
            "LIST": [{"VALUE": "Low"}, {"VALUE": "High"}],
        },
    )
    rows = ok("crm.lead.userfield.list", filter={"USER_TYPE_ID": "enumeration", "MULTIPLE": "Y"})[
        "result"
    ]
    tone = next(r for r in rows if r["FIELD_NAME"] == "UF_CRM_TONE")
    assert all(r["USER_TYPE_ID"] == "enumeration" and r["MULTIPLE"] == "Y" for r in rows)
    assert [o["VALUE"] for o in tone["LIST"]] == ["Low", "High"]
    assert set(tone["LIST"][0]) == {"ID", "SORT", "VALUE", "DEF", "XML_ID"}


@pytest.mark.parametrize("param", ["filter", "order"])
def test_list_filter_and_order_must_be_objects(call: Caller, param: str) -> None:
    """``filter`` and ``order`` must be objects.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-list.md:
        || `400` | Parameter 'order' must be array | The provided `order` is not an object ||
        || `400` | Parameter 'filter' must be array | The provided `filter` is not an object ||
    """
    status, body = call("crm.lead.userfield.list", **{param: "SORT"})
    assert (status, body) == (
        400,
        {"error": "", "error_description": f"Parameter '{param}' must be array."},
    )


def test_lang_filter_gives_labels_in_that_language(ok: Ok) -> None:
    """With ``LANG`` in the filter, labels are strings in that language.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-list.md:
        || **LANG** [`string`](../../../data-types.md) | [Language
        identifier](../../data-types.md#lang-ids). When filtering by this parameter, a set of
        fields with values in the specified language will be provided
    """
    ok(
        "crm.lead.userfield.add",
        fields={
            "FIELD_NAME": "MOOD",
            "USER_TYPE_ID": "string",
            "EDIT_FORM_LABEL": {"en": "Mood", "ru": "Настроение"},
        },
    )
    (row,) = [
        r
        for r in ok("crm.lead.userfield.list", filter={"LANG": "ru"})["result"]
        if r["FIELD_NAME"] == "UF_CRM_MOOD"
    ]
    assert row["EDIT_FORM_LABEL"] == "Настроение"


def test_a_new_field_is_at_once_in_fields_and_selectable(ok: Ok) -> None:
    """A user field added by ``userfield.add`` is a field of the entity: listed by
    ``crm.lead.fields`` and written and read like the others.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/crm-lead-get.md:
        ||**UF_...** | Custom fields. For example, `UF_CRM_25534736`.
    """
    ok("crm.lead.userfield.add", fields={"FIELD_NAME": "COLOUR", "USER_TYPE_ID": "string"})
    assert "UF_CRM_COLOUR" in ok("crm.lead.fields")["result"]
    lead_id = ok("crm.lead.add", fields={"TITLE": "x", "UF_CRM_COLOUR": "teal"})["result"]
    assert ok("crm.lead.get", id=lead_id)["result"]["UF_CRM_COLOUR"] == "teal"


def test_delete_removes_the_definition(ok: Ok, call: Caller) -> None:
    """``delete`` removes the definition: ``get`` no longer finds it.

    Source: bitrix24/b24restdocs, api-reference/crm/leads/userfield/crm-lead-userfield-delete.md:
        || `ERROR_NOT_FOUND` | The entity with ID 'id' is not found | The custom field with the
        provided `id` does not exist ||
    """
    new_id = ok("crm.lead.userfield.add", fields={"FIELD_NAME": "GONE", "USER_TYPE_ID": "string"})[
        "result"
    ]
    assert ok("crm.lead.userfield.delete", id=new_id)["result"] is True
    assert call("crm.lead.userfield.get", id=new_id)[1]["error"] == "ERROR_NOT_FOUND"
    assert "UF_CRM_GONE" not in _names(ok, "lead")
