"""The account every emulated amoCRM starts with: users, pipelines with their system stages,
and the predefined custom fields (vendor notes §5.4-5.6).

Every pipeline gets Unsorted (type 1, an id of its own), won 142 and lost 143. Contacts and
companies get the predefined PHONE/EMAIL multitext fields with their enum codes.
"""

from __future__ import annotations

import json
from typing import Any

from unicrm_amocrm.emulator.store import Store

ACCOUNT_ID = 31_000_001
SUBDOMAIN = "example"
CURRENCY = "RUB"
WON, LOST = 142, 143

USERS = ((5_001, "Anna Admin"), (5_002, "Boris Sales"), (5_003, "Vera Sales"), (5_004, "Oleg Lead"))

#: (pipeline id, name, is_main, regular stages (id, name)).
PIPELINES: tuple[tuple[int, str, bool, tuple[tuple[int, str], ...]], ...] = (
    (
        7_001,
        "Sales",
        True,
        ((40_011, "First contact"), (40_012, "Negotiation"), (40_013, "Invoice")),
    ),
    (7_002, "Partners", False, ((40_021, "Talks"), (40_022, "Contract"))),
)
UNSORTED_IDS = {7_001: 40_010, 7_002: 40_020}

PHONE_ENUMS = ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")
EMAIL_ENUMS = ("WORK", "PRIV", "OTHER")

#: (id, kind, name, type, code, enums) of the fields every account has.
FIELDS: tuple[tuple[int, str, str, str, str | None, tuple[str, ...]], ...] = (
    (60_001, "contacts", "Phone", "multitext", "PHONE", PHONE_ENUMS),
    (60_002, "contacts", "Email", "multitext", "EMAIL", EMAIL_ENUMS),
    (60_003, "contacts", "Position", "text", "POSITION", ()),
    (60_011, "companies", "Phone", "multitext", "PHONE", PHONE_ENUMS),
    (60_012, "companies", "Email", "multitext", "EMAIL", EMAIL_ENUMS),
    (60_013, "companies", "Web", "url", "WEB", ()),
    (60_021, "leads", "utm_source", "tracking_data", "UTM_SOURCE", ()),
    (60_022, "leads", "utm_medium", "tracking_data", "UTM_MEDIUM", ()),
    (60_023, "leads", "utm_campaign", "tracking_data", "UTM_CAMPAIGN", ()),
    (60_024, "leads", "utm_content", "tracking_data", "UTM_CONTENT", ()),
    (60_025, "leads", "utm_term", "tracking_data", "UTM_TERM", ()),
)


def enum_items(field_id: int, values: tuple[str, ...], coded: bool) -> list[dict[str, Any]]:
    """Enum options of a field: ids derived from the field id, sort in steps of 2."""
    items = []
    for index, value in enumerate(values):
        item: dict[str, Any] = {"id": field_id * 10 + index + 1, "value": value, "sort": 2 * index}
        if coded:
            item["code"] = value
        items.append(item)
    return items


def install(store: Store) -> None:
    """Create the account's users, pipelines, stages and predefined fields (once)."""
    if store.meta("installed"):
        return
    db = store.db
    db.executemany(
        "INSERT INTO users VALUES (?, ?, ?)", [(i, n, f"u{i}@example.com") for i, n in USERS]
    )
    for sort, (pipeline_id, name, is_main, stages) in enumerate(PIPELINES):
        db.execute(
            "INSERT INTO pipelines (id, name, sort, is_main) VALUES (?, ?, ?, ?)",
            (pipeline_id, name, (sort + 1) * 1000, int(is_main)),
        )
        rows = [(UNSORTED_IDS[pipeline_id], pipeline_id, "Unsorted", 10, "#c1c1c1", 1, 0)]
        rows += [
            (sid, pipeline_id, n, 20 + 10 * i, "#99ccff", 0, 1) for i, (sid, n) in enumerate(stages)
        ]
        rows += [
            (WON, pipeline_id, "Closed - won", 10_000, "#CCFF66", 0, 0),
            (LOST, pipeline_id, "Closed - lost", 11_000, "#D5D8DB", 0, 0),
        ]
        db.executemany("INSERT INTO statuses VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    for sort, (field_id, kind, name, type_, code, enums) in enumerate(FIELDS):
        db.execute(
            "INSERT INTO fields VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (
                field_id,
                kind,
                name,
                type_,
                code,
                sort * 2,
                json.dumps(enum_items(field_id, enums, coded=True)) if enums else None,
            ),
        )
    store.set_meta("installed", "1")
    store.set_meta("seq:fields", "60999")


def main_pipeline(store: Store) -> int:
    row = store.db.execute(
        "SELECT id FROM pipelines ORDER BY is_main DESC, sort LIMIT 1"
    ).fetchone()
    return int(row[0])


def first_stage(store: Store, pipeline_id: int, unsorted: bool = False) -> int:
    """The default stage of new leads: the first regular stage of a pipeline, or its Unsorted
    stage (``unsorted``; which one the docs mean is an open rule)."""
    row = store.db.execute(
        "SELECT id FROM statuses WHERE pipeline_id = ? AND type = ? ORDER BY sort LIMIT 1",
        (pipeline_id, 1 if unsorted else 0),
    ).fetchone()
    return int(row[0])
