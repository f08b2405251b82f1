"""The amoCRM wire mapping: vendor items (shaped as in the vendor notes §5) <-> neutral records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm.errors import ValidationError
from unicrm.model import (
    Contact,
    ContactKind,
    ContactLink,
    Email,
    Lead,
    Money,
    Phone,
    StageRef,
    StageSemantic,
)
from unicrm_amocrm.mapping import make_converter
from unicrm_amocrm.records import contact_to_wire, lead_to_wire

UTC = dt.timezone.utc

LEAD_ITEM = {
    "id": 25813923,
    "name": "Deal",
    "price": 1500,
    "responsible_user_id": 9983934,
    "group_id": 0,
    "status_id": 143,
    "pipeline_id": 10,
    "loss_reason_id": 77,
    "created_by": 9983930,
    "updated_by": 9983930,
    "created_at": 1692861891,
    "updated_at": 1692888780,
    "closed_at": 1692888780,
    "closest_task_at": None,
    "is_deleted": False,
    "custom_fields_values": [
        {
            "field_id": 101,
            "field_name": "Priority",
            "field_code": None,
            "field_type": "select",
            "values": [{"value": "high", "enum_id": 1001}],
        },
        {"field_id": 103, "field_code": "SCORE", "values": [{"value": "12.5"}]},
        {"field_id": 104, "values": [{"value": 1704067200}]},
        {
            "field_id": 105,
            "values": [{"value": "a", "enum_id": 1051}, {"value": "b", "enum_id": 1052}],
        },
        {"field_id": 106, "values": [{"value": True}]},
        {"field_id": 107, "field_code": "UNICRM_ORIGIN", "values": [{"value": "b24:lead:9"}]},
        {"field_id": 108, "values": [{"value": {"name": "ACME", "vat_id": "1"}}]},
    ],
    "score": None,
    "account_id": 31247590,
    "labor_cost": None,
    "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/leads/25813923"}},
    "_embedded": {
        "tags": [{"id": 1, "name": "vip", "color": None}],
        "companies": [{"id": 55, "_links": {}}],
        "contacts": [{"id": 7, "is_main": True}, {"id": 8, "is_main": False}],
        "loss_reason": [{"id": 77, "name": "Too expensive"}],
    },
}


def test_lead_fields(schema) -> None:
    lead = make_converter(schema).structure(LEAD_ITEM, Lead)
    assert lead.id == "25813923" and lead.vendor == "amocrm"
    assert lead.title == "Deal"
    assert lead.amount == Money(Decimal(1500), "RUB")
    assert lead.stage == StageRef("10", "143", StageSemantic.LOST)
    assert lead.responsible_id == "9983934"
    assert lead.tags == ("vip",)
    assert lead.company_id == "55"
    assert lead.contacts == (ContactLink("7", True), ContactLink("8", False))
    assert lead.origin == "b24:lead:9"
    assert lead.closed_at == dt.datetime(2023, 8, 24, 14, 53, tzinfo=UTC)
    assert dict(lead.custom) == {
        "101": "high",
        "SCORE": Decimal("12.5"),
        "104": dt.date(2024, 1, 1),
        "105": ("a", "b"),
        "106": True,
    }


def test_unknown_vendor_fields_are_kept(schema) -> None:
    lead = make_converter(schema).structure(LEAD_ITEM, Lead)
    assert lead.extra["loss_reason_id"] == 77
    assert lead.extra["created_by"] == 9983930
    assert lead.extra["_embedded.loss_reason"] == [{"id": 77, "name": "Too expensive"}]
    assert lead.extra["custom_fields_values"][0]["field_id"] == 108


@pytest.mark.parametrize(("status", "semantic"), [(142, "won"), (143, "lost"), (2, "open")])
def test_stage_semantics(schema, status, semantic) -> None:
    lead = make_converter(schema).structure({**LEAD_ITEM, "status_id": status}, Lead)
    assert lead.stage is not None and lead.stage.semantic is StageSemantic(semantic)


@pytest.mark.parametrize("price", [0, None])
def test_no_price_is_no_amount(schema, price) -> None:
    lead = make_converter(schema).structure({**LEAD_ITEM, "price": price}, Lead)
    assert lead.amount is None


def test_lead_round_trip_through_the_wire(schema) -> None:
    lead = make_converter(schema).structure(LEAD_ITEM, Lead)
    wire = lead_to_wire(lead, schema)
    assert wire["price"] == 1500 and wire["status_id"] == 143 and wire["pipeline_id"] == 10
    assert wire["loss_reason_id"] == 77
    assert wire["_embedded"]["contacts"] == [
        {"id": 7, "is_main": True},
        {"id": 8, "is_main": False},
    ]
    assert wire["_embedded"]["companies"] == [{"id": 55}]
    by_id = {i["field_id"]: i["values"] for i in wire["custom_fields_values"]}
    assert by_id[101] == [{"enum_id": 1001}]
    assert by_id[105] == [{"enum_id": 1051}, {"enum_id": 1052}]
    assert by_id[107] == [{"value": "b24:lead:9"}]
    assert 108 not in by_id  # types the model does not interpret are never sent back


def test_update_clears_what_the_record_no_longer_has(schema) -> None:
    lead = Lead(id="5", title="x", custom={"101": "low"})
    wire = lead_to_wire(lead, schema, update=True)
    by_id = {i["field_id"]: i["values"] for i in wire["custom_fields_values"]}
    assert by_id[101] == [{"enum_id": 1002}]
    assert by_id[102] is None and by_id[107] is None
    assert 108 not in by_id
    assert wire["_embedded"]["tags"] == []
    assert wire["price"] == 0


@pytest.mark.parametrize(
    ("lead", "field"),
    [
        (Lead(amount=Money("10.50", "RUB")), "amount"),
        (Lead(amount=Money(10, "USD")), "amount"),
        (Lead(stage=StageRef("10", "142", "open")), "stage"),
        (Lead(phones=["+1"]), "phones"),
        (Lead(custom={"101": "nope"}), "custom.101"),
        (Lead(custom={"missing": "x"}), "custom.missing"),
        (Lead(utm_source="g"), "utm_source"),
        (Lead(responsible_id="bob"), "responsible_id"),
    ],
)
def test_what_amocrm_cannot_hold_is_refused(schema, lead, field) -> None:
    with pytest.raises(ValidationError) as info:
        lead_to_wire(lead, schema)
    assert field in str(info.value)


CONTACT_ITEM = {
    "id": 3,
    "name": "Ann Maria Lee",
    "first_name": "Ann",
    "last_name": "Lee",
    "responsible_user_id": 1,
    "created_at": 1700000000,
    "updated_at": 1700000000,
    "custom_fields_values": [
        {
            "field_id": 201,
            "field_code": "PHONE",
            "values": [
                {"value": "+7 999", "enum_id": 2012, "enum_code": "MOB"},
                {"value": "+7 111", "enum_id": 2011, "enum_code": "WORKDD"},
            ],
        },
        {
            "field_id": 202,
            "field_code": "EMAIL",
            "values": [{"value": "a@x.io", "enum_code": "PRIV"}],
        },
        {"field_id": 203, "field_code": "POSITION", "values": [{"value": "CEO"}]},
        {"field_id": 204, "values": [{"value": "chess"}]},
    ],
    "_embedded": {"tags": [], "companies": []},
}


def test_contact_fields(schema) -> None:
    contact = make_converter(schema).structure(CONTACT_ITEM, Contact)
    assert (contact.first_name, contact.middle_name, contact.last_name) == ("Ann", "Maria", "Lee")
    assert contact.phones == (
        Phone("+7 999", ContactKind.MOBILE),
        Phone("+7 111", ContactKind.WORK),
    )
    assert contact.emails == (Email("a@x.io", ContactKind.PRIVATE),)
    assert contact.post == "CEO"
    assert dict(contact.custom) == {"204": "chess"}


def test_contact_name_not_built_from_parts_is_kept(schema) -> None:
    contact = make_converter(schema).structure({**CONTACT_ITEM, "name": "Boss"}, Contact)
    assert contact.middle_name is None and contact.extra["name"] == "Boss"
    assert contact_to_wire(contact, schema)["name"] == "Ann Lee"


def test_contact_kinds_written_by_enum_code(schema) -> None:
    contact = Contact(first_name="A", phones=[Phone("1", "home")], emails=[Email("e", "work")])
    wire = contact_to_wire(contact, schema)
    by_id = {i["field_id"]: i["values"] for i in wire["custom_fields_values"]}
    assert by_id[201] == [{"value": "1", "enum_code": "HOME"}]
    assert by_id[202] == [{"value": "e", "enum_code": "WORK"}]
    with pytest.raises(ValidationError, match="pager"):
        contact_to_wire(Contact(phones=[Phone("1", "pager")]), schema)


names = st.text(st.characters(codec="utf-8", exclude_characters=" "), min_size=1, max_size=8)


@given(first=st.none() | names, middle=st.none() | names, last=st.none() | names)
def test_contact_names_round_trip(first, middle, last) -> None:
    from unicrm_amocrm.schema import AccountSchema

    schema = AccountSchema()
    contact = Contact(first_name=first, middle_name=middle, last_name=last)
    if middle and not (first and last):
        with pytest.raises(ValidationError):
            contact_to_wire(contact, schema)
        return
    wire = {**contact_to_wire(contact, schema), "id": 1}
    back = make_converter(schema).structure(wire, Contact)
    assert (back.first_name, back.middle_name, back.last_name) == (first, middle, last)
