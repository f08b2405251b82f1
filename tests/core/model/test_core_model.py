"""The neutral model: immutability, value validation, and exact round trips through the core
cattrs converter (JSON included) on hypothesis-generated records."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm import (
    Company,
    CompanyLink,
    Contact,
    ContactKind,
    ContactLink,
    CustomFieldDef,
    CustomFieldOption,
    CustomFieldType,
    Deal,
    Email,
    Lead,
    Money,
    Phone,
    Pipeline,
    Stage,
    StageRef,
    StageSemantic,
)
from unicrm.model import FrozenMap, make_converter

UTC = dt.timezone.utc

# --- strategies (written here, independent of unicrm.testing) ---------------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
nonblank = text.filter(str.strip)
opt_text = st.none() | text
ids = st.none() | st.integers(1, 10**9).map(str)
zones = st.sampled_from(
    [UTC, dt.timezone(dt.timedelta(hours=3)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))]
)
aware = st.none() | st.builds(
    lambda d, tz: d.replace(tzinfo=tz),
    st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    zones,
)
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12
)
money = st.none() | st.builds(Money, decimals, st.sampled_from(["USD", "RUB", "EUR", "KZT"]))
kinds = st.sampled_from(list(ContactKind))
phones = st.lists(st.builds(Phone, nonblank, kinds), max_size=3)
emails = st.lists(st.builds(Email, nonblank, kinds), max_size=3)
tags = st.lists(nonblank, max_size=3)
custom_values = st.one_of(
    st.none(),
    text,
    decimals,
    st.booleans(),
    st.dates(),
    aware.filter(lambda v: v is not None),
    st.lists(text, max_size=3).map(tuple),
)
custom = st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), custom_values)
# ``extra`` holds whatever JSON a vendor sent.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
extra = st.dictionaries(text, json_values, max_size=3)
stage = st.none() | st.builds(
    StageRef, st.integers(1, 99).map(str), nonblank, st.sampled_from(list(StageSemantic))
)
links = st.lists(st.builds(ContactLink, st.integers(1, 999).map(str), st.booleans()), max_size=3)

leads = st.builds(
    Lead,
    id=ids,
    vendor=opt_text,
    title=opt_text,
    amount=money,
    stage=stage,
    responsible_id=ids,
    source=opt_text,
    first_name=opt_text,
    last_name=opt_text,
    company_title=opt_text,
    phones=phones,
    emails=emails,
    contacts=links,
    company_id=ids,
    tags=tags,
    comments=opt_text,
    utm_source=opt_text,
    created_at=aware,
    updated_at=aware,
    closed_at=aware,
    custom=custom,
    extra=extra,
)
contacts = st.builds(
    Contact,
    id=ids,
    first_name=opt_text,
    middle_name=opt_text,
    last_name=opt_text,
    post=opt_text,
    company_id=ids,
    phones=phones,
    emails=emails,
    tags=tags,
    created_at=aware,
    custom=custom,
    extra=extra,
)

deals = st.builds(
    Deal,
    id=ids,
    title=opt_text,
    amount=money,
    stage=stage,
    contacts=links,
    company_id=ids,
    responsible_id=ids,
    source=opt_text,
    comments=opt_text,
    tags=tags,
    created_at=aware,
    closed_at=aware,
    custom=custom,
    extra=extra,
)
companies = st.builds(
    Company,
    id=ids,
    title=opt_text,
    phones=phones,
    emails=emails,
    websites=tags,
    address=opt_text,
    industry=opt_text,
    responsible_id=ids,
    contacts=links,
    updated_at=aware,
    custom=custom,
    extra=extra,
)
company_links = st.lists(
    st.builds(CompanyLink, st.integers(1, 999).map(str), st.booleans()), max_size=3
)


# --- round trips --------------------------------------------------------------------------


@given(leads)
def test_lead_round_trips_through_the_converter_and_json(lead: Lead) -> None:
    converter = make_converter()
    data = converter.unstructure(lead)
    wire = json.loads(json.dumps(data))  # must be plain JSON
    back = converter.structure(wire, Lead)
    assert back == lead
    # exact types survive, not just equal values
    if lead.amount is not None:
        assert isinstance(back.amount.amount, Decimal)  # type: ignore[union-attr]
        assert back.amount.amount.as_tuple() == lead.amount.amount.as_tuple()  # type: ignore[union-attr]
    for key, value in lead.custom.items():
        assert type(back.custom[key]) is type(value)
    if lead.created_at is not None:
        assert back.created_at.utcoffset() == lead.created_at.utcoffset()  # type: ignore[union-attr]


@given(contacts)
def test_contact_round_trips_through_the_converter_and_json(contact: Contact) -> None:
    converter = make_converter()
    back = converter.structure(json.loads(json.dumps(converter.unstructure(contact))), Contact)
    assert back == contact


@given(st.one_of(deals, companies, st.builds(Contact, companies=company_links)))
def test_deals_companies_and_contact_links_round_trip(record: Deal | Company | Contact) -> None:
    converter = make_converter()
    wire = json.loads(json.dumps(converter.unstructure(record)))
    assert converter.structure(wire, type(record)) == record
    assert pickle.loads(pickle.dumps(record)) == record


@given(leads)
def test_records_pickle_and_hash(lead: Lead) -> None:
    assert pickle.loads(pickle.dumps(lead)) == lead
    assert hash(lead) == hash(attrs.evolve(lead))


def test_unstructured_shapes_are_json_friendly() -> None:
    lead = Lead(
        title="A",
        amount=Money("10.50", "usd"),
        stage=StageRef(1, "won", "won"),
        created_at=dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        custom={"d": dt.date(2024, 1, 2), "n": Decimal("1.5"), "m": ("a", "b")},
    )
    data = make_converter().unstructure(lead)
    assert data["amount"] == {"amount": "10.50", "currency": "USD"}
    assert data["stage"] == {"pipeline_id": "1", "stage_id": "won", "semantic": "won"}
    assert data["created_at"] == "2024-05-01T12:00:00+03:00"
    assert data["custom"] == {
        "d": {"date": "2024-01-02"},
        "n": {"decimal": "1.5"},
        "m": {"labels": ["a", "b"]},
    }
    assert data["phones"] == [] and data["tags"] == []


def test_converter_refuses_naive_timestamps() -> None:
    converter = make_converter()
    data = converter.unstructure(Lead(title="x"))
    data["created_at"] = "2024-05-01T12:00:00"
    with pytest.raises(cattrs.ClassValidationError) as caught:
        converter.structure(data, Lead)
    messages = [str(e) for e in caught.value.exceptions]
    assert any("time zone" in m for m in messages), messages


# --- immutability -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj, attr",
    [
        (Lead(title="x"), "title"),
        (Contact(first_name="x"), "first_name"),
        (Money(1, "USD"), "amount"),
        (Phone("1"), "value"),
        (Email("a@b.c"), "kind"),
        (StageRef("1", "2"), "semantic"),
        (Pipeline("1", "P"), "name"),
        (Stage("1", "S"), "semantic"),
    ],
)
def test_model_objects_are_frozen(obj: Any, attr: str) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(obj, attr, None)


def test_collections_are_tuples_and_mappings_are_read_only() -> None:
    source_tags = ["a", "b"]
    lead = Lead(tags=source_tags, custom={"k": "v"}, extra={"VENDOR_X": [1, 2]})
    source_tags.append("c")
    assert lead.tags == ("a", "b")
    assert isinstance(lead.phones, tuple)
    assert isinstance(lead.custom, FrozenMap)
    with pytest.raises(TypeError):
        lead.custom["k"] = "w"  # type: ignore[index]
    assert lead.extra["VENDOR_X"] == [1, 2]
    assert lead.custom.set("k", "w")["k"] == "w" and lead.custom["k"] == "v"
    assert "k" not in lead.custom.without("k")


def test_records_take_keyword_arguments_only() -> None:
    with pytest.raises(TypeError):
        Lead("title")  # type: ignore[misc]


def test_single_string_for_a_list_field_is_refused() -> None:
    with pytest.raises(TypeError, match="single string"):
        Lead(tags="vip")  # type: ignore[arg-type]


def test_strings_become_phones_emails_and_links() -> None:
    lead = Lead(phones=["+1 555"], emails=["a@b.c"], contacts=["7"])
    assert lead.phones == (Phone("+1 555", ContactKind.WORK),)
    assert lead.emails == (Email("a@b.c"),)
    assert lead.contacts == (ContactLink("7", False),)


def test_ids_are_strings() -> None:
    assert Lead(id=5, responsible_id=7, company_id=9).id == "5"  # type: ignore[arg-type]
    assert StageRef(1, 2).pipeline_id == "1"  # type: ignore[arg-type]


def test_main_contact_and_contact_ids_put_the_main_one_first() -> None:
    lead = Lead(contacts=[ContactLink("1"), ContactLink("2", is_main=True), ContactLink("3")])
    assert lead.main_contact_id == "2"
    assert lead.contact_ids == ("2", "1", "3")
    assert Lead(contacts=["4", "5"]).main_contact_id == "4"
    assert Lead().main_contact_id is None


def test_raw_does_not_take_part_in_equality() -> None:
    assert Lead(title="a", raw={"x": 1}) == Lead(title="a", raw={"y": 2})


def test_full_name_skips_missing_parts() -> None:
    assert Contact(first_name="Ivan", last_name="Petrov").full_name == "Ivan Petrov"
    assert Contact().full_name == ""


# --- value validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, expected",
    [
        (10, Decimal(10)),
        ("10.50", Decimal("10.50")),
        (0.1, Decimal("0.1")),
        (Decimal("3"), Decimal(3)),
    ],
)
def test_money_amounts_become_exact_decimals(amount: Any, expected: Decimal) -> None:
    assert Money(amount, "USD").amount == expected


@pytest.mark.parametrize("amount", ["ten", None, True, [1], "1,5"])
def test_money_refuses_non_numbers(amount: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        Money(amount, "USD")


@pytest.mark.parametrize("currency", ["US", "DOLLAR", "12A", "", "U$D"])
def test_money_refuses_non_iso_currencies(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(1, currency)


def test_money_upper_cases_currency_and_prints() -> None:
    assert Money("1.5", "rub").currency == "RUB"
    assert str(Money("1.5", "rub")) == "1.5 RUB"


@pytest.mark.parametrize("cls", [Phone, Email])
def test_contact_kinds_are_validated(cls: Any) -> None:
    assert cls("x", "mobile").kind is ContactKind.MOBILE
    assert cls("x").kind is ContactKind.WORK
    with pytest.raises(ValueError):
        cls("x", "cell")


def test_semantics_are_validated_and_compare_as_strings() -> None:
    assert StageRef("1", "2", "won").semantic == "won"
    assert str(StageSemantic.LOST) == "lost"
    with pytest.raises(ValueError):
        StageRef("1", "2", "closed")


@pytest.mark.parametrize("field", ["created_at", "updated_at", "closed_at"])
def test_naive_timestamps_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Lead(**{field: dt.datetime(2024, 1, 1)})
    with pytest.raises(TypeError, match="datetime"):
        Lead(**{field: "2024-01-01"})


def test_pipeline_orders_stages_and_finds_them() -> None:
    pipeline = Pipeline(
        1,
        "Sales",
        [Stage("w", "Won", "won", 30), Stage("n", "New", sort=10), Stage("l", "Lost", "lost", 40)],
    )
    assert [s.id for s in pipeline.stages] == ["n", "w", "l"]
    assert pipeline.stage("w").name == "Won"  # type: ignore[union-attr]
    assert pipeline.stage("zzz") is None
    assert [s.id for s in pipeline.by_semantic("lost")] == ["l"]


def test_custom_field_definitions() -> None:
    definition = CustomFieldDef(
        "color", "Colour", "select", [CustomFieldOption(1, "Red"), CustomFieldOption(2, "Blue")]
    )
    assert definition.type is CustomFieldType.SELECT
    assert definition.option_by_label("Blue").id == "2"  # type: ignore[union-attr]
    assert definition.option_by_id(1).label == "Red"  # type: ignore[union-attr, arg-type]
    assert definition.option_by_label("Green") is None
    with pytest.raises(ValueError):
        CustomFieldDef("x", "X", "colour")
    converter = make_converter()
    assert converter.structure(converter.unstructure(definition), CustomFieldDef) == definition
