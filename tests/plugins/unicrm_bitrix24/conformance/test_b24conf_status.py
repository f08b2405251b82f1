"""Conformance: ``crm.status.*`` (lead stages, sources and the other dictionaries)."""

from __future__ import annotations

from .conftest import Caller, Ok

ROW_KEYS = {
    "ID",
    "ENTITY_ID",
    "STATUS_ID",
    "NAME",
    "NAME_INIT",
    "SORT",
    "SYSTEM",
    "CATEGORY_ID",
    "COLOR",
    "SEMANTICS",
}


def test_list_returns_matching_entries_with_total(ok: Ok) -> None:
    """``crm.status.list`` answers the entries that match ``filter`` with their ``total``;
    stage entries carry ``EXTRA.SEMANTICS`` (``process``/``success``/``failure``).

    Source: bitrix24/b24restdocs, api-reference/crm/status/crm-status-list.md:
        The method `crm.status.list` returns a list of directory items based on the filter.
    Also: bitrix-tools/b24-rest-docs, the same page's sample answer (rows with "ID", "ENTITY_ID",
        "STATUS_ID", "NAME", "NAME_INIT", "SORT", "SYSTEM", "CATEGORY_ID", "COLOR",
        "SEMANTICS", "EXTRA": {"SEMANTICS": "process", ...}; "total": 8)
    """
    body = ok("crm.status.list", filter={"ENTITY_ID": "STATUS"})
    rows = body["result"]
    assert rows and body["total"] == len(rows)
    assert all(set(r) >= ROW_KEYS and r["ENTITY_ID"] == "STATUS" for r in rows)
    words = {r["STATUS_ID"]: r["EXTRA"]["SEMANTICS"] for r in rows}
    assert (words["NEW"], words["CONVERTED"], words["JUNK"]) == ("process", "success", "failure")
    assert [int(r["SORT"]) for r in rows] == sorted(int(r["SORT"]) for r in rows)


def test_custom_entries_are_not_system_and_have_no_initial_name(ok: Ok) -> None:
    """A portal's own entries carry ``SYSTEM: "N"`` and an empty ``NAME_INIT``; shipped ones
    ``SYSTEM: "Y"`` and their name in ``NAME_INIT``.

    Source: bitrix-tools/b24-rest-docs, api-reference/crm/status/crm-status-list.md (sample):
        "STATUS_ID": "NEW", "NAME": "Новая", "NAME_INIT": "Новая", "SORT": "10", "SYSTEM": "Y",
        ... "STATUS_ID": "PREPARATION", "NAME": "Подготовка документов", "NAME_INIT": "",
        "SORT": "20", "SYSTEM": "N",
    """
    rows = {
        r["STATUS_ID"]: r for r in ok("crm.status.list", filter={"ENTITY_ID": "STATUS"})["result"]
    }
    custom = [r for code, r in rows.items() if code.startswith("UC_")]
    assert custom and all((r["SYSTEM"], r["NAME_INIT"]) == ("N", "") for r in custom)
    assert (rows["NEW"]["SYSTEM"], rows["NEW"]["NAME_INIT"]) == ("Y", rows["NEW"]["NAME"])


def test_fields_describe_the_entry(ok: Ok) -> None:
    """``crm.status.fields`` describes the entry's fields.

    Source: bitrix24/b24restdocs, api-reference/crm/status/crm-status-fields.md:
        The method `crm.status.fields` returns the description of CRM reference fields.
    Also: bitrix-tools/b24-rest-docs, the same page's sample: "ID": {"type": "integer", ...,
        "isReadOnly": true, ...}, "SYSTEM": {"type": "char", ..., "isReadOnly": true, ...},
        "EXTRA": {"type": "crm_status_extra", ...}
    """
    fields = ok("crm.status.fields")["result"]
    assert set(fields) == ROW_KEYS | {"EXTRA"}
    assert (fields["ID"]["type"], fields["ID"]["isReadOnly"]) == ("integer", True)
    assert (fields["SYSTEM"]["type"], fields["SYSTEM"]["isReadOnly"]) == ("char", True)
    assert fields["EXTRA"]["type"] == "crm_status_extra"
    assert fields["STATUS_ID"]["isRequired"] and fields["STATUS_ID"]["isImmutable"]


def test_get_returns_one_entry_by_id(ok: Ok, call: Caller) -> None:
    """``crm.status.get`` answers the entry with that numeric ``ID``; an unknown one is
    ``Status is not found.``

    Source: bitrix24/b24restdocs, api-reference/crm/status/crm-status-get.md:
        The method `crm.status.get` returns the parameters of a directory item by its ID.
        || `400` | `Status is not found.` | Directory item not found ||
    """
    listed = ok("crm.status.list", filter={"ENTITY_ID": "SOURCE", "STATUS_ID": "WEB"})["result"][0]
    got = ok("crm.status.get", id=listed["ID"])["result"]
    assert {k: got[k] for k in ROW_KEYS} == {k: listed[k] for k in ROW_KEYS}
    status, body = call("crm.status.get", id=987654)
    assert (status, body["error_description"]) == (400, "Status is not found.")


def test_entity_items_are_sorted_by_sort(ok: Ok, call: Caller) -> None:
    """``crm.status.entity.items`` answers a dictionary's entries sorted by ``SORT`` (an
    integer there); without ``entityId`` it is refused.

    Source: bitrix24/b24restdocs, api-reference/crm/status/crm-status-entity-items.md:
        The `crm.status.entity.items` method retrieves all directory items by the `ENTITY_ID`
        identifier, sorted by the `SORT` field.
        || `400` | `The parameter entityId is not defined or invalid.` | The identifier of the
        directory is not specified or is incorrect ||
    """
    items = ok("crm.status.entity.items", entityId="SOURCE")["result"]
    assert items and all(
        set(i) == {"NAME", "SORT", "STATUS_ID"} and type(i["SORT"]) is int for i in items
    )
    assert [i["SORT"] for i in items] == sorted(i["SORT"] for i in items)
    status, body = call("crm.status.entity.items")
    assert (status, body["error_description"]) == (
        400,
        "The parameter entityId is not defined or invalid.",
    )
