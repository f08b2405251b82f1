"""Records refuse bad values when they are built (issue 11, "A model that refuses bad values").

Wrong types are ``TypeError``, wrong values ``ValueError``; both name the field. The named cases
are the ones a reliability probe found accepted; the property tests sweep the same rules over
generated values.
"""

from __future__ import annotations

import string
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm import (
    Company,
    CompanyLink,
    Contact,
    ContactLink,
    Deal,
    Email,
    Lead,
    Money,
    Phone,
    StageRef,
    UserRef,
)
from unicrm.model.checks import iso_currencies

LONE_SURROGATE = "ok\ud800"
BELOW = "below 10"

# --- the named cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, error, message",
    [
        pytest.param(lambda: Money(Decimal("NaN"), "USD"), ValueError, "finite", id="nan"),
        pytest.param(lambda: Money(Decimal("Infinity"), "USD"), ValueError, "finite", id="inf"),
        pytest.param(lambda: Money(Decimal("-Infinity"), "USD"), ValueError, "finite", id="-inf"),
        pytest.param(lambda: Money(Decimal("sNaN"), "USD"), ValueError, "finite", id="snan"),
        pytest.param(lambda: Money("NaN", "USD"), ValueError, "finite", id="nan-text"),
        pytest.param(lambda: Money(float("inf"), "USD"), ValueError, "finite", id="inf-float"),
        pytest.param(lambda: Money(Decimal("1E+999999"), "USD"), ValueError, BELOW, id="huge"),
        pytest.param(lambda: Money(10**15, "USD"), ValueError, BELOW, id="10**15"),
        pytest.param(lambda: Money(Decimal("0E+30"), "USD"), ValueError, BELOW, id="0E+30"),
        pytest.param(lambda: Money(Decimal("1E-999999"), "USD"), ValueError, "places", id="tiny"),
        pytest.param(lambda: Money(1, "ZZZ"), ValueError, "ISO 4217", id="zzz"),
        pytest.param(lambda: Money(1, "RUR"), ValueError, "ISO 4217", id="withdrawn-code"),
        pytest.param(lambda: Money(1, None), TypeError, "ISO 4217", id="no-currency"),
        pytest.param(lambda: Money(b"1", "USD"), TypeError, "number", id="bytes-amount"),
        pytest.param(lambda: Lead(amount=5), TypeError, "Lead.amount must be a Money", id="int"),
        pytest.param(lambda: Lead(amount="5"), TypeError, "Money", id="str-amount"),
        pytest.param(lambda: Lead(stage="won"), TypeError, "Lead.stage must be a StageRef", id="s"),
        pytest.param(lambda: Lead(title=b"x"), TypeError, "Lead.title must be text", id="bytes"),
        pytest.param(lambda: Lead(title=123), TypeError, "Lead.title must be text", id="int-t"),
        pytest.param(lambda: Contact(first_name=1.5), TypeError, "first_name", id="float-name"),
        pytest.param(lambda: Phone(None), TypeError, "Phone.value must be text", id="phone-none"),
        pytest.param(lambda: Phone(""), ValueError, "must not be empty", id="phone-empty"),
        pytest.param(lambda: Phone("  "), ValueError, "must not be empty", id="phone-blank"),
        pytest.param(lambda: Phone(79991112233), TypeError, "Phone.value", id="phone-int"),
        pytest.param(lambda: Email(None), TypeError, "Email.value", id="email-none"),
        pytest.param(lambda: Email(""), ValueError, "must not be empty", id="email-empty"),
        pytest.param(lambda: Lead(phones=[None]), TypeError, "Phone.value", id="phones-none"),
        pytest.param(lambda: Lead(title=LONE_SURROGATE), ValueError, "surrogate", id="surrogate"),
        pytest.param(lambda: Phone(LONE_SURROGATE), ValueError, "surrogate", id="phone-surr"),
        pytest.param(lambda: Lead(tags=[LONE_SURROGATE]), ValueError, "surrogate", id="tag-surr"),
        pytest.param(lambda: Lead(tags=[7]), TypeError, "text", id="tag-int"),
        pytest.param(lambda: Lead(tags=[""]), ValueError, "empty", id="tag-empty"),
        pytest.param(lambda: Lead(id=b"1"), TypeError, "id must be a str or an int", id="id-b"),
        pytest.param(lambda: Lead(id=1.0), TypeError, "id must be a str or an int", id="id-f"),
        pytest.param(lambda: Lead(id=True), TypeError, "id must be a str or an int", id="id-bool"),
        pytest.param(lambda: Lead(id=""), ValueError, "empty", id="id-empty"),
        pytest.param(lambda: StageRef(None, "x"), TypeError, "id", id="stage-none"),
        pytest.param(lambda: ContactLink(None), TypeError, "id", id="link-none"),
        pytest.param(lambda: ContactLink("1", is_main="yes"), TypeError, "True or False", id="m"),
        pytest.param(lambda: UserRef(1, name=5), TypeError, "UserRef.name", id="user-name"),
        pytest.param(lambda: Lead(custom={"k": float("nan")}), TypeError, "custom", id="c-flt"),
        pytest.param(lambda: Lead(custom={"k": Decimal("NaN")}), ValueError, "finite", id="c-n"),
        pytest.param(lambda: Lead(custom={"k": b"x"}), TypeError, "custom", id="c-bytes"),
        pytest.param(lambda: Lead(custom={"k": LONE_SURROGATE}), ValueError, "surr", id="c-s"),
        pytest.param(lambda: Lead(custom={"k": [1]}), TypeError, "custom", id="c-label-int"),
        pytest.param(lambda: Lead(custom={"": "x"}), ValueError, "key", id="c-key-empty"),
        pytest.param(lambda: Lead(custom={1: "x"}), TypeError, "key", id="c-key-int"),
        pytest.param(lambda: Lead(custom=["x"]), TypeError, "mapping", id="c-list"),
        pytest.param(lambda: Deal(amount=5), TypeError, "Deal.amount must be a Money", id="deal"),
        pytest.param(lambda: Deal(closed_at="x"), TypeError, "Deal.closed_at", id="deal-when"),
        pytest.param(lambda: Company(websites="a.com"), TypeError, "single string", id="site"),
        pytest.param(lambda: Company(websites=[""]), ValueError, "empty", id="site-empty"),
        pytest.param(lambda: Company(phones=[""]), ValueError, "empty", id="company-phone"),
        pytest.param(lambda: CompanyLink(None), TypeError, "id", id="company-link-none"),
        pytest.param(lambda: Contact(companies="1"), TypeError, "single string", id="c-links"),
    ],
)
def test_bad_values_are_refused_at_construction(build: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_good_values_still_build() -> None:
    lead = Lead(
        id=12,
        title="Ёжик",
        amount=Money("-1500.50", "usd"),
        stage=StageRef(1, "NEW"),
        phones=["+7 999 111-22-33"],
        emails=[Email("a@b.c", "home")],
        tags=["vip"],
        contacts=[ContactLink(3, is_main=True)],
        custom={"n": 5, "d": Decimal("1.5"), "m": ["a", "b"], "flag": False, "none": None},
    )
    assert lead.id == "12" and lead.amount == Money(Decimal("-1500.50"), "USD")
    assert lead.custom["m"] == ("a", "b")  # a list of labels is stored as a tuple
    assert Money(Decimal("999999999999999.99"), "RUB").amount == Decimal("999999999999999.99")
    assert Money(Decimal("0.000000000000000001"), "EUR").amount.as_tuple().exponent == -18


@pytest.mark.parametrize("code", ["USD", "EUR", "RUB", "KZT", "BYN", "UAH", "CNY", "GBP", "XAU"])
def test_current_iso_codes_are_known(code: str) -> None:
    assert Money(1, code.lower()).currency == code


def test_the_currency_list_is_the_iso_table_not_a_pattern() -> None:
    known = iso_currencies()
    assert 150 < len(known) < 300
    all_patterns = {a + b + c for a in "ABZ" for b in string.ascii_uppercase for c in "AZ"}
    assert not all_patterns <= known  # most three-letter words are not currencies


# --- properties ------------------------------------------------------------------------------

in_range = st.decimals(
    allow_nan=False,
    allow_infinity=False,
    min_value=Decimal("-999999999999999.99"),
    max_value=Decimal("999999999999999.99"),
    places=2,
)


@given(in_range)
def test_finite_amounts_in_range_keep_their_exact_value(amount: Decimal) -> None:
    assert Money(amount, "USD").amount.as_tuple() == amount.as_tuple()
    assert Money(str(amount), "USD").amount == amount


@given(st.sampled_from(["NaN", "sNaN", "Infinity", "-Infinity", "-NaN"]), st.booleans())
def test_non_finite_amounts_are_refused(text: str, as_decimal: bool) -> None:
    with pytest.raises(ValueError, match="finite"):
        Money(Decimal(text) if as_decimal else text, "USD")


@given(st.integers(15, 10**6), st.integers(1, 9))
def test_amounts_of_fifteen_digits_or_more_are_refused(exponent: int, digit: int) -> None:
    with pytest.raises(ValueError, match="below"):
        Money(Decimal(f"{digit}E+{exponent}"), "USD")


@given(st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3))
def test_a_currency_is_accepted_exactly_when_it_is_in_the_iso_table(code: str) -> None:
    if code in iso_currencies():
        assert Money(1, code).currency == code
    else:
        with pytest.raises(ValueError, match="ISO 4217"):
            Money(1, code)


TEXT_FIELDS = {
    Lead: [
        "vendor",
        "title",
        "source",
        "first_name",
        "middle_name",
        "last_name",
        "company_title",
        "post",
        "comments",
        "origin",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
    ],
    Contact: [
        "vendor",
        "first_name",
        "middle_name",
        "last_name",
        "post",
        "company_title",
        "source",
        "comments",
        "origin",
    ],
    Deal: ["vendor", "title", "source", "comments", "origin"],
    Company: ["vendor", "title", "address", "industry", "comments", "origin"],
}
text_field = st.sampled_from([(cls, name) for cls, names in TEXT_FIELDS.items() for name in names])
not_text = st.one_of(
    st.binary(max_size=4), st.integers(), st.floats(), st.lists(st.text(), max_size=2)
)


@given(text_field, not_text)
def test_text_fields_refuse_anything_but_str(where: tuple[type, str], value: Any) -> None:
    cls, name = where
    with pytest.raises(TypeError, match=f"{cls.__name__}.{name} must be text"):
        cls(**{name: value})


@given(text_field, st.text(max_size=5), st.integers(0xD800, 0xDFFF), st.text(max_size=5))
def test_text_fields_refuse_lone_surrogates(
    where: tuple[type, str], before: str, surrogate: int, after: str
) -> None:
    cls, name = where
    with pytest.raises(ValueError, match="surrogate"):
        cls(**{name: before + chr(surrogate) + after})


@given(text_field, st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_text_fields_keep_any_encodable_text(where: tuple[type, str], value: str) -> None:
    cls, name = where
    assert getattr(cls(**{name: value}), name) == value
