"""Rendering stored values for answers: the fast paths give the vendor's wire text.

Dates are checked against the standard library's ISO rendering in the portal zone (cold and
cached), column renderers against the wire forms of the vendor notes (string ids, money with
two decimals, ``""`` for empty dates, ``false`` for an empty multiple field), and list pages
against single reads of the same records.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm_bitrix24.emulator import Bitrix24Emulator, dates
from unicrm_bitrix24.emulator.fields import Field, UserField
from unicrm_bitrix24.emulator.wire import column_renderer, user_field_column_renderer

from .conftest import post_json

# Unix seconds from year 1 to year 9999 in the portal zone (+03:00).
_FIRST = int(datetime(1, 1, 2, tzinfo=dates.PORTAL_TZ).timestamp())
_LAST = int(datetime(9999, 12, 30, tzinfo=dates.PORTAL_TZ).timestamp())


@given(st.integers(_FIRST, _LAST))
def test_date_text_is_iso_with_the_portal_offset(ts: int) -> None:
    expected = datetime.fromtimestamp(ts, dates.PORTAL_TZ).isoformat()
    assert dates.render(ts) == expected  # maybe cold
    assert dates.render(ts) == expected  # cached parts
    if ts >= 0:
        assert dates.render(float(ts) + 0.75) == expected  # fractions are cut, not rounded
    assert dates.render_column([ts, None, ts], None) == [expected, None, expected]


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (0, "1970-01-01T03:00:00+03:00"),
        (-10801, "1969-12-31T23:59:59+03:00"),
        (1_716_477_505, "2024-05-23T18:18:25+03:00"),
        (1_716_487_199, "2024-05-23T20:59:59+03:00"),
        (1_716_487_200, "2024-05-23T21:00:00+03:00"),
    ],
)
def test_date_text_at_day_edges(ts: int, text: str) -> None:
    assert dates.render(ts) == text
    assert dates.render_column([None, ts]) == ["", text]


def test_out_of_range_date_fails_like_datetime() -> None:
    with pytest.raises((ValueError, OverflowError, OSError)):
        datetime.fromtimestamp(10**15, dates.PORTAL_TZ)
    with pytest.raises((ValueError, OverflowError, OSError)):
        dates.render(10**15)


@pytest.mark.parametrize(
    ("vendor_type", "stored", "wire"),
    [
        ("integer", [7, None, 0], ["7", None, "0"]),
        ("user", [3], ["3"]),
        ("crm_company", [None, 12], [None, "12"]),
        ("double", [15000.0, 0.5, None, 1234567.891], ["15000.00", "0.50", None, "1234567.89"]),
        ("datetime", [None, 0], ["", "1970-01-01T03:00:00+03:00"]),
        ("date", [1_716_411_600], ["2024-05-23T00:00:00+03:00"]),
    ],
)
def test_standard_columns_render_as_the_wire_shows_them(
    vendor_type: str, stored: list[Any], wire: list[Any]
) -> None:
    render = column_renderer(Field("X", vendor_type, "X"))
    assert render is not None
    assert render(stored) == wire


@pytest.mark.parametrize("vendor_type", ["string", "char", "crm_status", "crm_currency"])
def test_text_columns_are_sent_as_stored(vendor_type: str) -> None:
    assert column_renderer(Field("X", vendor_type, "X")) is None


def _uf(user_type: str, *, multiple: bool = False) -> UserField:
    return UserField(1, "UF_CRM_X", user_type, "X", "X", multiple=multiple)


@pytest.mark.parametrize(
    ("user_type", "full", "stored", "wire"),
    [
        ("integer", False, [5, None], ["5", None]),
        ("integer", True, [5, None], ["5", ""]),
        ("enumeration", False, [11], ["11"]),
        ("employee", True, [None], [""]),
        ("boolean", False, [1, 0, None], ["1", "0", None]),
        ("double", False, [12.5, 3.0, None], ["12.5", "3", None]),
        ("datetime", False, [0, None], ["1970-01-01T03:00:00+03:00", None]),
        ("date", True, [None], [""]),
        ("string", False, ["abc", None], ["abc", None]),
        ("string", True, [None], [""]),
        ("money", False, ["9000|EUR"], ["9000|EUR"]),
    ],
)
def test_user_field_columns(user_type: str, full: bool, stored: list[Any], wire: list[Any]) -> None:
    assert user_field_column_renderer(_uf(user_type), full=full)(stored) == wire


def test_multiple_user_field_column_gives_each_row_its_own_list() -> None:
    render = user_field_column_renderer(_uf("enumeration", multiple=True), full=False)
    stored = [json.dumps([21, 22]), None, "[]", json.dumps([21, 22]), ""]
    out = render(stored)
    assert out == [["21", "22"], False, False, ["21", "22"], False]
    assert out[0] is not out[3]
    out[0].append("x")  # one row's list changed: the other row and later pages unaffected
    assert render(stored)[3] == ["21", "22"]
    assert out[3] == ["21", "22"]


def test_list_pages_carry_what_get_reads(emu: Bitrix24Emulator) -> None:
    emu.seed(120)
    status, body = post_json(
        emu,
        "crm.lead.list",
        {
            "order": {"ID": "ASC"},
            "filter": {">ID": 0},
            "select": ["*", "UF_*", "PHONE", "EMAIL", "WEB", "IM"],
            "start": -1,
        },
    )
    assert status == 200
    page = body["result"]
    assert len(page) == 50
    for row in page:
        status, single = post_json(emu, "crm.lead.get", {"id": row["ID"]})
        assert status == 200
        record = single["result"]
        assert list(row) == [k for k in record if k in row]  # same keys, same order
        for key, value in row.items():
            if key.startswith("UF_") and value is None:
                assert record[key] in ("", None)  # get renders empty user fields as ""
            else:
                assert record[key] == value, key
