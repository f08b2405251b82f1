"""Mapping tests: wire rows -> records, and records -> wire -> stored row -> the same record.

The "stored row" is what the vendor notes say the server keeps and returns (§6.2, §6.3, §10):
strings for ids and money, multifield entries with their own ids, ``STATUS_SEMANTIC_ID`` from
the stage, ``""`` for empty dates, ``null`` for empty strings.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unicrm.errors import ValidationError
from unicrm.model import (
    Contact,
    ContactKind,
    ContactLink,
    Email,
    EntityKind,
    Lead,
    Money,
    Phone,
    StageRef,
)
from unicrm_bitrix24.mapping import from_wire, links_from_bindings, to_wire
from unicrm_bitrix24.multifields import replace_entries
from unicrm_bitrix24.schema import PortalSchema, parse_stages

from .conftest import make_schema

ROW = {
    "ID": "5",
    "TITLE": "Lead 1",
    "NAME": "Erasmus",
    "SECOND_NAME": None,
    "COMPANY_ID": "0",
    "CONTACT_ID": "2069",
    "SOURCE_ID": "CALL",
    "STATUS_ID": "CONVERTED",
    "CURRENCY_ID": "USD",
    "OPPORTUNITY": "15000.00",
    "HAS_PHONE": "Y",
    "ASSIGNED_BY_ID": "1",
    "DATE_CREATE": "2021-05-31T15:10:16+02:00",
    "DATE_MODIFY": "2021-11-26T18:56:13+02:00",
    "DATE_CLOSED": "",
    "STATUS_SEMANTIC_ID": "S",
    "ORIGINATOR_ID": None,
    "ORIGIN_ID": None,
    "ADDRESS": "7677 Hollow Ridge Alley",
    "UF_CRM_PRIORITY": "12",
    "UF_CRM_FLAGS": ["21", "22"],
    "UF_CRM_SCORE": "4.5",
    "UF_CRM_VIP": "1",
    "UF_CRM_DUE": "2024-04-19T00:00:00+03:00",
    "UF_CRM_FILE": {"id": 3, "showUrl": "/x"},
    "UF_CRM_UNKNOWN": "kept",
    "PHONE": [{"ID": "11", "VALUE_TYPE": "MOBILE", "VALUE": "+15454777777", "TYPE_ID": "PHONE"}],
}


def test_documented_row_reads_into_a_lead(schema: PortalSchema) -> None:
    lead = from_wire(EntityKind.LEAD, ROW, schema)
    assert isinstance(lead, Lead)
    assert lead.id == "5" and lead.title == "Lead 1" and lead.first_name == "Erasmus"
    assert lead.amount == Money(Decimal("15000"), "USD")
    assert lead.stage == StageRef("0", "CONVERTED", "won")
    assert lead.company_id is None and lead.responsible_id == "1"
    assert lead.contacts == (ContactLink("2069", is_main=True),)
    assert lead.phones == (Phone("+15454777777", ContactKind.MOBILE),)
    assert lead.created_at == dt.datetime(2021, 5, 31, 13, 10, 16, tzinfo=dt.timezone.utc)
    assert lead.closed_at is None
    assert lead.custom == {
        "PRIORITY": "low",
        "FLAGS": ("a", "b"),
        "SCORE": Decimal("4.5"),
        "VIP": True,
        "DUE": dt.date(2024, 4, 19),
    }
    assert lead.extra["UF_CRM_FILE"] == {"id": 3, "showUrl": "/x"}
    assert lead.extra["UF_CRM_UNKNOWN"] == "kept"
    assert lead.extra["ADDRESS"] == "7677 Hollow Ridge Alley"
    assert "HAS_PHONE" in lead.extra


def test_update_rewrites_multifields_in_place() -> None:
    stored = [{"ID": "1", "VALUE": "a"}, {"ID": "2", "VALUE": "b"}, {"ID": "3", "VALUE": "c"}]
    got = replace_entries("PHONE", [Phone("x", "mobile")], stored)
    assert got == [
        {"ID": "1", "VALUE": "x", "VALUE_TYPE": "MOBILE"},
        {"ID": "2", "DELETE": "Y"},
        {"ID": "3", "DELETE": "Y"},
    ]
    grown = replace_entries("PHONE", [Phone("x"), Phone("y", "home")], stored[:1])
    assert grown == [
        {"ID": "1", "VALUE": "x", "VALUE_TYPE": "WORK"},
        {"VALUE": "y", "VALUE_TYPE": "HOME"},
    ]


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(Lead(tags=("vip",)), id="tags"),
        pytest.param(Contact(company_title="Acme"), id="contact-company-title"),
        pytest.param(Lead(stage=StageRef("0", "NOPE")), id="unknown-stage"),
        pytest.param(Lead(stage=StageRef("0", "JUNK", "won")), id="wrong-semantic"),
        pytest.param(Lead(stage=StageRef("7", "NEW")), id="other-pipeline"),
        pytest.param(Contact(emails=[Email("x@y", "private")]), id="private-email"),
        pytest.param(Lead(custom={"PRIORITY": "urgent"}), id="unknown-option"),
        pytest.param(Lead(custom={"NOPE": "x"}), id="unknown-field"),
        pytest.param(Lead(custom={"VIP": "yes"}), id="bool-type"),
        pytest.param(Lead(responsible_id="bob"), id="bad-user-id"),
    ],
)
def test_unstorable_values_are_validation_errors(schema: PortalSchema, record: Any) -> None:
    with pytest.raises(ValidationError):
        to_wire(record.kind, record, schema)


# --- round trips through a stored row ----------------------------------------------------
_ids = itertools.count(100)


def _store(wire: dict[str, Any], schema: PortalSchema) -> dict[str, Any]:
    """What the server keeps of an ``add`` (vendor notes §6.2-§6.3, §10)."""
    row: dict[str, Any] = {"ID": str(next(_ids))}
    for key, value in wire.items():
        if key in ("PHONE", "EMAIL"):
            row[key] = [
                {"ID": str(next(_ids)), "TYPE_ID": key, **e} for e in value if e.get("VALUE")
            ]
        elif key == "OPPORTUNITY":
            row[key] = f"{Decimal(value):.2f}" if value != "" else None
        else:
            row[key] = None if value == "" else value
    status = row.get("STATUS_ID")
    if status:
        stage = schema.stage(status)
        row["STATUS_SEMANTIC_ID"] = {"open": "P", "won": "S", "lost": "F"}[str(stage.semantic)]  # type: ignore[union-attr]
    row["DATE_CREATE"] = "2024-01-01T10:00:00+03:00"
    return row


text = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8),
)
phones = st.lists(
    st.builds(
        Phone,
        st.from_regex(r"\+7 9\d{2}", fullmatch=True),
        st.sampled_from(["work", "mobile", "home", "fax", "other"]),
    ),
    max_size=3,
)


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    schema = make_schema()
    stage = draw(st.one_of(st.none(), st.sampled_from(schema.stages)))
    amount = draw(
        st.one_of(
            st.none(),
            st.builds(
                Money,
                st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
                st.sampled_from(["USD", "RUB"]),
            ),
        )
    )
    return Lead(
        title=draw(text),
        first_name=draw(text),
        last_name=draw(text),
        post=draw(text),
        comments=draw(text),
        source=draw(st.one_of(st.none(), st.sampled_from(["CALL", "WEB"]))),
        amount=amount,
        stage=StageRef("0", stage.id, stage.semantic) if stage else None,
        responsible_id=draw(st.one_of(st.none(), st.integers(1, 99).map(str))),
        phones=draw(phones),
        origin=draw(text),
        custom=draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "PRIORITY": st.sampled_from(["high", "low"]),
                    "FLAGS": st.sampled_from([("a",), ("a", "b")]),
                    "VIP": st.booleans(),
                    "SCORE": st.decimals(-100, 100, places=1),
                    "DUE": st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)),
                    "NOTE": st.text(min_size=1, max_size=5),
                },
            )
        ),
    )


@settings(max_examples=150)
@given(leads())
def test_lead_round_trip(lead: Lead) -> None:
    schema = make_schema()
    row = _store(to_wire(EntityKind.LEAD, lead, schema), schema)
    back = from_wire(EntityKind.LEAD, row, schema)
    assert back.id == row["ID"] and back.vendor == "bitrix24"
    assert back.created_at is not None
    keep = {"id": None, "vendor": None, "created_at": None, "extra": {}}
    import attrs

    assert attrs.evolve(back, **keep) == attrs.evolve(lead, **keep)


@settings(max_examples=60)
@given(leads(), phones)
def test_update_replaces_phones_exactly(lead: Lead, new: list[Phone]) -> None:
    import attrs

    schema = make_schema()
    row = _store(to_wire(EntityKind.LEAD, lead, schema), schema)
    wire = to_wire(EntityKind.LEAD, attrs.evolve(lead, phones=new), schema, stored=row)
    by_id = {e["ID"]: dict(e) for e in row["PHONE"]}
    added = []
    for entry in wire["PHONE"]:  # the vendor's write rules, notes §6.3
        if "ID" not in entry:
            added.append(entry)
        elif entry.get("DELETE") == "Y":
            by_id.pop(entry["ID"])
        else:
            by_id[entry["ID"]].update(entry)
    result = [Phone(e["VALUE"], e["VALUE_TYPE"].lower()) for e in [*by_id.values(), *added]]
    assert result == list(new)


def test_money_user_fields_read_and_write_as_amount_and_currency_text() -> None:
    from unicrm_bitrix24.schema import UserField
    from unicrm_bitrix24.user_values import read_value, write_value

    budget = UserField("UF_CRM_BUDGET", "money", label="Budget")
    definition = budget.definition()
    assert definition is not None and definition.type == "text"  # visible, so migrated
    assert read_value("443000|RUB", budget) == "443000|RUB"
    assert read_value("", budget) is None
    assert write_value("99.50|USD", budget) == "99.50|USD"
    assert write_value(None, budget) == ""
    for bad in ("99.50", "USD|99", "12|usd", 12):
        with pytest.raises(ValidationError, match="UF_CRM_BUDGET"):
            write_value(bad, budget)


# --- malformed answers (found by the hostile-body tests) -----------------------------------
def test_malformed_sorts_and_codes_do_not_stop_a_read(schema: PortalSchema) -> None:
    links = links_from_bindings(
        [{"CONTACT_ID": "7", "SORT": "12abc"}, {"CONTACT_ID": 5, "SORT": [1], "IS_PRIMARY": "Y"}]
    )
    assert [link.contact_id for link in links] == ["5", "7"]
    stages = parse_stages([{"STATUS_ID": "A", "SORT": [1]}, {"STATUS_ID": "B", "SORT": "x"}])
    assert {s.id for s in stages} == {"A", "B"}
    lead = from_wire(
        EntityKind.LEAD, {"ID": "1", "STATUS_ID": "NEW", "STATUS_SEMANTIC_ID": [1]}, schema
    )
    assert isinstance(lead, Lead) and lead.stage is not None and lead.stage.stage_id == "NEW"


@pytest.mark.parametrize(
    ("opportunity", "currency"),
    [("10.00", "1.5"), ("10.00", "BITCOIN"), ("NaN", "USD"), ("12x", "USD")],
)
def test_an_amount_the_model_cannot_hold_stays_in_extra(
    schema: PortalSchema, opportunity: str, currency: str
) -> None:
    row = {"ID": "1", "OPPORTUNITY": opportunity, "CURRENCY_ID": currency}
    lead = from_wire(EntityKind.LEAD, row, schema)
    assert isinstance(lead, Lead) and lead.amount is None
    assert (lead.extra["OPPORTUNITY"], lead.extra["CURRENCY_ID"]) == (opportunity, currency)
