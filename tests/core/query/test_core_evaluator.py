"""The reference evaluator as a golden table: the rules written in docs/query.md, one row each.

Expected values are written by hand from the documented semantics, never computed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from unicrm import Contact, ContactLink, Email, F, Lead, Money, Phone, StageRef
from unicrm.query import ALL, NOTHING, Compare, Op, evaluate

UTC = dt.timezone.utc
MSK = dt.timezone(dt.timedelta(hours=3))
NOON_UTC = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

FULL = Lead(
    id="10",
    title="Invoice Nr 7",
    amount=Money("15000.00", "USD"),
    stage=StageRef("1", "won", "won"),
    source="web",
    phones=[Phone("+7 999 555-11-22", "mobile"), Phone("+1 202 555 0101")],
    emails=[Email("Ivan@Example.com")],
    tags=["vip", "b2b"],
    contacts=[ContactLink("5", is_main=True), ContactLink("6")],
    created_at=dt.datetime(2024, 5, 1, 15, 0, tzinfo=MSK),  # == 12:00 UTC
    custom={
        "size": Decimal("3"),
        "color": "red",
        "flag": True,
        "due": dt.date(2024, 6, 1),
        "labels": ("alpha", "beta"),
    },
)
EMPTY = Lead(id="11")  # every optional field null / empty

GOLDEN: list[tuple[str, Any, Lead, bool]] = [
    # strings: exact and case-sensitive
    ("eq exact", F("title") == "Invoice Nr 7", FULL, True),
    ("eq other case", F("title") == "invoice nr 7", FULL, False),
    ("eq trailing space", F("title") == "Invoice Nr 7 ", FULL, False),
    ("contains", F("title").contains("Nr"), FULL, True),
    ("contains other case", F("title").contains("nr"), FULL, False),
    ("contains empty string", F("title").contains(""), FULL, True),
    ("startswith", F("title").startswith("Inv"), FULL, True),
    ("startswith other case", F("title").startswith("inv"), FULL, False),
    ("startswith middle", F("title").startswith("Nr"), FULL, False),
    ("string ordering", F("title") < "J", FULL, True),
    ("string ordering is by code point", F("title") < "a", FULL, True),
    ("in", F("source").in_(["web", "call"]), FULL, True),
    ("in other case", F("source").in_(["WEB"]), FULL, False),
    ("not in", F("source").not_in(["call"]), FULL, True),
    ("ne", F("source") != "web", FULL, False),
    # nulls: only !=, not in, is null hold
    ("null eq", F("title") == "x", EMPTY, False),
    ("null ne", F("title") != "x", EMPTY, True),
    ("null lt", F("amount") < 1, EMPTY, False),
    ("null ge", F("amount") >= 1, EMPTY, False),
    ("null in", F("source").in_(["web"]), EMPTY, False),
    ("null not in", F("source").not_in(["web"]), EMPTY, True),
    ("null contains", F("title").contains(""), EMPTY, False),
    ("null startswith", F("title").startswith(""), EMPTY, False),
    ("null is null", F("title").is_null(), EMPTY, True),
    ("null is not null", F("title").is_null(False), EMPTY, False),
    ("value is null", F("title").is_null(), FULL, False),
    ("value is not null", F("title").is_null(False), FULL, True),
    ("not eq on null", ~(F("title") == "x"), EMPTY, True),
    ("not lt on null", ~(F("amount") < 1), EMPTY, True),
    ("null stage semantic", F("stage.semantic") == "open", EMPTY, False),
    ("null stage semantic ne", F("stage.semantic") != "open", EMPTY, True),
    # numbers: by value, whatever the currency or scale
    ("amount eq int", F("amount") == 15000, FULL, True),
    ("amount eq other scale", F("amount") == "15000.0000", FULL, True),
    ("amount ge", F("amount") >= 15000, FULL, True),
    ("amount gt", F("amount") > 15000, FULL, False),
    ("amount lt float", F("amount") < 15000.01, FULL, True),
    ("amount le", F("amount") <= Decimal("14999.99"), FULL, False),
    ("amount in", F("amount").in_([1, 15000]), FULL, True),
    ("currency", F("currency") == "USD", FULL, True),
    ("currency is case sensitive", F("currency") == "usd", FULL, False),
    # datetimes: instants, time zones normalised
    ("same instant other zone", F("created_at") == NOON_UTC, FULL, True),
    ("same instant as string", F("created_at") == "2024-05-01T12:00:00Z", FULL, True),
    ("same instant third zone", F("created_at") == "2024-05-01T07:00:00-05:00", FULL, True),
    ("before by one second", F("created_at") < "2024-05-01T12:00:01+00:00", FULL, True),
    ("after", F("created_at") > "2024-05-01T14:59:59+03:00", FULL, True),
    ("not after itself", F("created_at") > "2024-05-01T15:00:00+03:00", FULL, False),
    ("le same instant", F("created_at") <= NOON_UTC, FULL, True),
    ("ne same instant", F("created_at") != NOON_UTC, FULL, False),
    ("null datetime", F("closed_at") < NOON_UTC, FULL, False),
    # collections: any element
    ("any phone equals", F("phones") == "+1 202 555 0101", FULL, True),
    ("no phone equals", F("phones") == "+1 202", FULL, False),
    ("any phone startswith", F("phones").startswith("+7"), FULL, True),
    ("any phone contains", F("phones").contains("555-11"), FULL, True),
    ("phone ne: no element equals", F("phones") != "+7 999 555-11-22", FULL, False),
    ("phone ne: none equal", F("phones") != "+44", FULL, True),
    ("phones not in", F("phones").not_in(["+44", "+7 999 555-11-22"]), FULL, False),
    ("phones in", F("phones").in_(["+44", "+7 999 555-11-22"]), FULL, True),
    ("email case sensitive", F("emails") == "ivan@example.com", FULL, False),
    ("email exact", F("emails") == "Ivan@Example.com", FULL, True),
    ("tags any", F("tags") == "b2b", FULL, True),
    ("tags not contains via not", ~F("tags").contains("vi"), FULL, False),
    ("empty tags eq", F("tags") == "vip", EMPTY, False),
    ("empty tags ne", F("tags") != "vip", EMPTY, True),
    ("empty tags is null", F("tags").is_null(), EMPTY, True),
    ("tags is not null", F("tags").is_null(False), FULL, True),
    ("contact ids any", F("contact_ids") == 6, FULL, True),
    ("contact ids in", F("contact_ids").in_([7, 8]), FULL, False),
    # custom fields: the stored type; other types never match
    ("custom number", F("custom.size") == 3, FULL, True),
    ("custom number order", F("custom.size") > 2.5, FULL, True),
    ("custom number vs text", F("custom.size") == "3", FULL, False),
    ("custom number vs text ne", F("custom.size") != "3", FULL, True),
    ("custom text", F("custom.color") == "red", FULL, True),
    ("custom text vs number", F("custom.color") > 1, FULL, False),
    ("custom bool", F("custom.flag") == True, FULL, True),  # noqa: E712
    ("custom bool is not a number", F("custom.flag") == 1, FULL, False),
    ("custom date", F("custom.due") >= dt.date(2024, 6, 1), FULL, True),
    ("custom date vs text", F("custom.due") == "2024-06-01", FULL, False),
    ("custom multiselect any", F("custom.labels") == "beta", FULL, True),
    ("custom multiselect none", F("custom.labels") != "alpha", FULL, False),
    ("custom missing", F("custom.nothing") == "x", FULL, False),
    ("custom missing is null", F("custom.nothing").is_null(), FULL, True),
    # stage semantic compares as strings
    ("semantic won", F("stage.semantic") == "won", FULL, True),
    ("semantic in", F("stage.semantic").in_(["open", "lost"]), FULL, False),
    ("stage id", F("stage.id") == "won", FULL, True),
    ("pipeline id int", F("stage.pipeline_id") == 1, FULL, True),
    ("id", F("id") == 10, FULL, True),
    # boolean structure and constants
    ("and", (F("amount") >= 1) & (F("source") == "web"), FULL, True),
    ("and one false", (F("amount") >= 1) & (F("source") == "call"), FULL, False),
    ("or", (F("amount") < 1) | (F("source") == "web"), FULL, True),
    ("not", ~(F("source") == "web"), FULL, False),
    ("double not", ~~(F("source") == "web"), FULL, True),
    ("all", ALL, EMPTY, True),
    ("nothing", NOTHING, FULL, False),
    # negated text operators arise from NOT; they hold when no element matches
    ("not contains", Compare("title", Op.NOT_CONTAINS, "zzz"), FULL, True),
    ("not startswith", Compare("title", Op.NOT_STARTSWITH, "Inv"), FULL, False),
    ("not contains on null", Compare("title", Op.NOT_CONTAINS, "x"), EMPTY, True),
]


@pytest.mark.parametrize(
    "predicate, record, expected",
    [pytest.param(p, r, e, id=name) for name, p, r, e in GOLDEN],
)
def test_golden(predicate: Any, record: Lead, expected: bool) -> None:
    assert evaluate(predicate, record) is expected


def test_contact_fields_evaluate_on_contacts() -> None:
    contact = Contact(first_name="Ivan", phones=["+7 1"], emails=["a@b.c"])
    assert evaluate(F("first_name") == "Ivan", contact)
    assert evaluate(F("phones").startswith("+7"), contact)
    assert not evaluate(F("last_name") == "Ivan", contact)


def test_evaluate_refuses_non_nodes() -> None:
    with pytest.raises(TypeError, match="not a query node"):
        evaluate("title == 'a'", FULL)  # type: ignore[arg-type]
