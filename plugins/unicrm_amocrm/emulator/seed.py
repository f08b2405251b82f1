"""A deterministic account: exactly ``n`` leads, about as many contacts, companies, tags,
links and custom field values, from faker with a fixed seed (names in Russian and English).

Rows are generated in Python and written with ``executemany``, so 50,000 leads take seconds.
The same ``(n, random_seed)`` and clock reading always give the same account.
"""

from __future__ import annotations

import json
import random
from typing import Any

from faker import Faker

from unicrm_amocrm.emulator import account
from unicrm_amocrm.emulator.store import Store, cf_rows
from unicrm_amocrm.emulator.writes import ID_START

LEAD_FIELDS = (
    ("Priority", "select", ("high", "normal", "low")),
    ("Budget note", "text", ()),
    ("Score", "numeric", ()),
    ("Due date", "date", ()),
    ("Channels", "multiselect", ("web", "phone", "email", "event")),
    ("VIP", "checkbox", ()),
)
TAGS = ("hot", "cold", "repeat", "partner", "a", "b", "web", "import")
PHONE_CODES = ("WORK", "MOB", "HOME", "OTHER")
EMAIL_CODES = ("WORK", "PRIV", "OTHER")


def _lead_fields(store: Store) -> list[Any]:
    """The seeded accounts' own lead fields (created once)."""
    rows = store.db.execute(
        "SELECT * FROM fields WHERE kind = 'leads' AND is_predefined = 0 AND code IS NULL "
        "ORDER BY id"
    ).fetchall()
    if rows:
        return rows
    for name, type_, options in LEAD_FIELDS:
        field_id = store.next_id("fields", 61_000)
        enums = account.enum_items(field_id, options, coded=False) if options else None
        store.db.execute(
            "INSERT INTO fields VALUES (?, 'leads', ?, ?, NULL, ?, ?, 0)",
            (field_id, name, type_, 100 + field_id % 1000, json.dumps(enums) if enums else None),
        )
    return _lead_fields(store)


def _enum(field: Any, value: str) -> dict[str, Any]:
    option = next(e for e in json.loads(field["enums"]) if e["value"] == value)
    return {"value": option["value"], "enum_id": option["id"]}


def _cf(field: Any, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "field_id": field["id"],
        "field_name": field["name"],
        "field_code": field["code"],
        "field_type": field["type"],
        "values": values,
    }


def _lead_values(rng: random.Random, fields: list[Any], now: int) -> list[dict[str, Any]] | None:
    by_name = {f["name"]: f for f in fields}
    items = []
    if rng.random() < 0.6:
        items.append(
            _cf(
                by_name["Priority"],
                [_enum(by_name["Priority"], rng.choice(("high", "normal", "low")))],
            )
        )
    if rng.random() < 0.4:
        items.append(
            _cf(by_name["Budget note"], [{"value": rng.choice(("approved", "pending", "none"))}])
        )
    if rng.random() < 0.5:
        items.append(_cf(by_name["Score"], [{"value": str(rng.randint(0, 100))}]))
    if rng.random() < 0.3:
        items.append(_cf(by_name["Due date"], [{"value": now + rng.randint(0, 90) * 86_400}]))
    if rng.random() < 0.3:
        picks = sorted(rng.sample(("web", "phone", "email", "event"), rng.randint(1, 2)))
        items.append(_cf(by_name["Channels"], [_enum(by_name["Channels"], p) for p in picks]))
    if rng.random() < 0.2:
        items.append(_cf(by_name["VIP"], [{"value": True}]))
    return items or None


def seed(store: Store, n: int, random_seed: int, now: int, contacts: int | None = None) -> None:
    """Add ``n`` leads and ``contacts`` contacts (default ``round(0.75 * n)``; plus companies)."""
    if n < 0 or (contacts is not None and contacts < 0):
        raise ValueError("seed counts must not be negative")
    n_contacts = round(0.75 * n) if contacts is None else contacts
    if n == 0 and n_contacts == 0:
        return
    rng = random.Random(random_seed * 1_000_003 + n + (0 if contacts is None else 7919 * contacts))
    fakers = (Faker("ru_RU"), Faker("en_US"))
    for index, fake in enumerate(fakers):
        fake.seed_instance(random_seed * 7 + index)
    fields = _lead_fields(store)
    contact_fields = {
        r["code"]: r
        for r in store.db.execute(
            "SELECT * FROM fields WHERE kind = 'contacts' AND code IS NOT NULL"
        )
    }
    users = [u for u, _ in account.USERS]
    stages = [
        (r["pipeline_id"], r["id"])
        for r in store.db.execute("SELECT pipeline_id, id FROM statuses ORDER BY pipeline_id, sort")
    ]
    tag_ids = [store.tag_id("leads", t) for t in TAGS]
    n_companies = max(1, n // 10)
    companies = store.reserve_ids("companies", ID_START["companies"], n_companies)
    contact_ids = store.reserve_ids("contacts", ID_START["contacts"], n_contacts)
    leads = store.reserve_ids("leads", ID_START["leads"], n)
    entity_rows: list[tuple[Any, ...]] = []
    value_rows: list[tuple[Any, ...]] = []
    link_rows: list[tuple[Any, ...]] = []
    tag_rows: list[tuple[Any, ...]] = []

    def created() -> int:
        return now - rng.randint(0, 365 * 86_400)

    for company_id in companies:
        fake = rng.choice(fakers)
        at = created()
        entity_rows.append(
            (
                "companies",
                company_id,
                fake.company(),
                None,
                None,
                None,
                None,
                None,
                rng.choice(users),
                0,
                0,
                0,
                at,
                at,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        )
    for contact_id in contact_ids:
        fake = rng.choice(fakers)
        first, last = fake.first_name(), fake.last_name()
        at = created()
        values = []
        if rng.random() < 0.85:
            phones = [
                {"value": fake.phone_number(), "enum_code": code}
                for code in rng.sample(PHONE_CODES, rng.randint(1, 2))
            ]
            values.append(
                _cf(contact_fields["PHONE"], [_multi(contact_fields["PHONE"], p) for p in phones])
            )
        if rng.random() < 0.7:
            email = {"value": fake.email(), "enum_code": rng.choice(EMAIL_CODES)}
            values.append(_cf(contact_fields["EMAIL"], [_multi(contact_fields["EMAIL"], email)]))
        if rng.random() < 0.4:
            values.append(_cf(contact_fields["POSITION"], [{"value": fake.job()[:200]}]))
        cf = values or None
        entity_rows.append(
            (
                "contacts",
                contact_id,
                f"{first} {last}",
                first,
                last,
                None,
                None,
                None,
                rng.choice(users),
                0,
                0,
                0,
                at,
                at,
                None,
                None,
                None,
                None,
                None,
                json.dumps(cf, ensure_ascii=False) if cf else None,
            )
        )
        value_rows += cf_rows("contacts", contact_id, cf)
        if rng.random() < 0.3:
            link_rows.append(("contacts", contact_id, "companies", rng.choice(companies), None))
    for lead_id in leads:
        fake = rng.choice(fakers)
        pipeline, status = rng.choice(stages)
        at = created()
        closed = (
            at + rng.randint(3_600, 30 * 86_400) if status in (account.WON, account.LOST) else None
        )
        cf = _lead_values(rng, fields, now)
        title = rng.choice(
            (f"{fake.company()} order", f"Deal with {fake.last_name()}", fake.catch_phrase()[:120])
        )
        entity_rows.append(
            (
                "leads",
                lead_id,
                title,
                None,
                None,
                rng.choice((0, rng.randint(1, 500) * 1000)),
                status,
                pipeline,
                rng.choice(users),
                0,
                0,
                0,
                at,
                closed or at,
                closed,
                None,
                None,
                None,
                None,
                json.dumps(cf, ensure_ascii=False) if cf else None,
            )
        )
        value_rows += cf_rows("leads", lead_id, cf)
        for position, contact_id in enumerate(
            rng.sample(contact_ids, min(len(contact_ids), rng.randint(0, 2)))
        ):
            link_rows.append(
                ("leads", lead_id, "contacts", contact_id, json.dumps({"is_main": position == 0}))
            )
        if rng.random() < 0.2:
            link_rows.append(("leads", lead_id, "companies", rng.choice(companies), None))
        for tag in rng.sample(tag_ids, rng.randint(0, 2)):
            tag_rows.append(("leads", lead_id, tag))
    db = store.db
    db.executemany(f"INSERT INTO entities VALUES ({','.join('?' * 20)})", entity_rows)
    db.executemany("INSERT INTO cf_values VALUES (?, ?, ?, ?, ?, ?)", value_rows)
    db.executemany("INSERT OR IGNORE INTO entity_tags VALUES (?, ?, ?)", tag_rows)
    db.executemany("INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)", link_rows)
    db.executemany(
        "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)",
        [(c, d, a, b, m) for a, b, c, d, m in link_rows],
    )


def _multi(field: Any, value: dict[str, Any]) -> dict[str, Any]:
    option = next(e for e in json.loads(field["enums"]) if e.get("code") == value["enum_code"])
    return {"value": value["value"], "enum_id": option["id"], "enum_code": option["code"]}
