"""A deterministic seeder: realistic leads and contacts in bulk.

The output depends only on ``n``, ``random_seed`` and the ids already taken: names come from
small Faker pools (ru_RU and en_US, built once with a fixed seed) combined by a seeded
``random.Random``; dates are spread over the two years before a fixed instant, so no clock is
read. Rows go in with ``executemany`` inside one transaction.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from faker import Faker

from unicrm_bitrix24.emulator.fields import CURRENCIES, STATUSES, USERS, UserField
from unicrm_bitrix24.emulator.store import Store, normalize

EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z: seeded data lies in the two years before it
SPAN = 2 * 365 * 86400
POOL = 400

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=False,
    )
)
_STAGE_WEIGHTS = {
    "NEW": 22,
    "IN_PROCESS": 25,
    "PROCESSED": 12,
    "UC_QUALIFIED": 9,
    "CONVERTED": 14,
    "JUNK": 12,
    "UC_NO_BUDGET": 6,
}
_SOURCES = [s.status_id for s in STATUSES if s.entity_id == "SOURCE"]
_SEMANTIC = {s.status_id: s.semantics or "P" for s in STATUSES if s.entity_id == "STATUS"}
_PRODUCTS = (
    "CRM rollout",
    "Website redesign",
    "Server hardware",
    "Annual support",
    "Consulting",
    "Cloud migration",
    "Training",
    "Licences",
    "Integration",
)
_DOMAINS = ("gmail.com", "yandex.ru", "mail.ru", "outlook.com", "example.com", "inbox.ru")


class _FastRandom(random.Random):
    """``choice``/``randrange`` from one ``random()`` draw each: several times faster than
    the exact-uniform versions, and just as deterministic (a seeder needs no more)."""

    def choice(self, seq: Sequence[Any]) -> Any:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))


@lru_cache(maxsize=8192)
def _translit(text: str) -> str:
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    return "".join(ch for ch in out if ch.isalnum())


@lru_cache(maxsize=1)
def _pools() -> dict[str, dict[str, tuple[str, ...]]]:
    """Name pools per locale; built once with a fixed Faker seed (deterministic)."""
    pools: dict[str, dict[str, tuple[str, ...]]] = {}
    for locale in ("ru_RU", "en_US"):
        fake = Faker(locale)
        fake.seed_instance(20240601)
        pools[locale] = {
            "first_male": tuple(fake.first_name_male() for _ in range(POOL)),
            "first_female": tuple(fake.first_name_female() for _ in range(POOL)),
            "last_male": tuple(fake.last_name_male() for _ in range(POOL)),
            "last_female": tuple(fake.last_name_female() for _ in range(POOL)),
            "middle_male": tuple(
                fake.middle_name_male() if locale == "ru_RU" else "" for _ in range(POOL // 4)
            ),
            "middle_female": tuple(
                fake.middle_name_female() if locale == "ru_RU" else "" for _ in range(POOL // 4)
            ),
            "company": tuple(fake.company() for _ in range(POOL)),
            "city": tuple(fake.city() for _ in range(POOL // 2)),
            "street": tuple(fake.street_address() for _ in range(POOL)),
            "job": tuple(fake.job() for _ in range(POOL // 2)),
        }
    return pools


class _Person:
    __slots__ = ("first", "last", "latin", "locale", "middle")

    def __init__(self, rng: random.Random) -> None:
        self.locale = "ru_RU" if rng.random() < 0.55 else "en_US"
        pool = _pools()[self.locale]
        sex = "male" if rng.random() < 0.5 else "female"
        self.first = rng.choice(pool[f"first_{sex}"])
        self.last = rng.choice(pool[f"last_{sex}"])
        middle = rng.choice(pool[f"middle_{sex}"]) if rng.random() < 0.4 else ""
        self.middle = middle or None
        self.latin = (_translit(self.first), _translit(self.last))


def _phone(rng: random.Random, locale: str) -> str:
    if locale == "ru_RU":
        return f"+79{rng.randrange(10**9):09d}"
    style = rng.random()
    digits = f"{rng.randrange(200, 990)}{rng.randrange(200, 999)}{rng.randrange(10**4):04d}"
    if style < 0.5:
        return f"+1{digits}"
    return f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _email(rng: random.Random, person: _Person, serial: int) -> str:
    first, last = person.latin
    shape = rng.random()
    local = f"{first}.{last}" if shape < 0.5 else f"{first[:1]}{last}{serial % 1000}"
    return f"{local}@{rng.choice(_DOMAINS)}"


def _uf_value(rng: random.Random, uf: UserField, created: int) -> Any:
    if rng.random() < 0.3:
        return None
    t = uf.user_type
    if uf.multiple:
        chosen = [o.id for o in uf.options if rng.random() < 0.35]
        return json.dumps(chosen) if chosen else None
    if t == "enumeration":
        return rng.choice(uf.options).id if uf.options else None
    if t == "money":
        return f"{rng.randrange(1, 500) * 1000}|{rng.choice(CURRENCIES[:3])}"
    if t == "integer":
        return rng.randrange(0, 101)
    if t == "boolean":
        return 1 if rng.random() < 0.2 else 0
    if t == "double":
        return round(rng.uniform(0.1, 99.9), 2)
    if t == "datetime":
        return created + rng.randrange(86400, 60 * 86400)
    if t == "date":
        return created - (created % 86400) - 3 * 3600 + rng.randrange(1, 90) * 86400
    return f"REF-{rng.randrange(10**6):06d}"


def _fm_rows(
    rng: random.Random, entity: str, owner: int, person: _Person, serial: int
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    if rng.random() < 0.85:
        for i in range(1 if rng.random() < 0.8 else 2):
            value = _phone(rng, person.locale)
            vt = "MOBILE" if i == 0 and rng.random() < 0.7 else rng.choice(("WORK", "HOME"))
            rows.append((entity, owner, "PHONE", vt, value, normalize("PHONE", value)))
    if rng.random() < 0.75:
        value = _email(rng, person, serial)
        vt = rng.choice(("WORK", "WORK", "HOME"))
        rows.append((entity, owner, "EMAIL", vt, value, normalize("EMAIL", value)))
    if rng.random() < 0.08:
        value = f"https://{person.latin[1] or 'site'}{serial % 97}.example.com"
        rows.append((entity, owner, "WEB", "WORK", value, value))
    if rng.random() < 0.05:
        value = f"@{person.latin[0]}{serial % 1000}"
        rows.append((entity, owner, "IM", "TELEGRAM", value, value.lower()))
    return rows


def _insert(store: Store, table: str, columns: Sequence[str], rows: list[list[Any]]) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    store.db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def seed_portal(store: Store, n: int, random_seed: int = 0, *, contacts: int | None = None) -> None:
    """Add exactly ``n`` leads and ``contacts`` contacts (default ``round(0.75 n)``) with
    links and multifields."""
    if n < 0 or (contacts is not None and contacts < 0):
        raise ValueError("seed counts must not be negative")
    n_contacts = round(0.75 * n) if contacts is None else contacts
    if n == 0 and n_contacts == 0:
        return
    with store.transaction():
        lead0, contact0 = store.max_id("lead"), store.max_id("contact")
        key = f"bitrix24-seed:{random_seed}:{n}:{lead0}:{contact0}"
        rng = _FastRandom(key if contacts is None else f"{key}:{contacts}")
        fm: list[tuple[Any, ...]] = []
        bulk = n + n_contacts >= 5000
        if bulk:
            store.drop_indexes()
        made = _seed_contacts(store, rng, n_contacts, contact0, fm)
        _seed_leads(store, rng, n, lead0, made, fm)
        store.db.executemany(
            "INSERT INTO fm(ENTITY, OWNER_ID, TYPE_ID, VALUE_TYPE, VALUE, NORM) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            fm,
        )
        if bulk:
            store.create_schema()


def _has(fm_rows: list[tuple[Any, ...]], kind: str) -> str:
    return "Y" if any(r[2] == kind for r in fm_rows) else "N"


def _seed_contacts(
    store: Store, rng: random.Random, count: int, first_id: int, fm: list[tuple[Any, ...]]
) -> list[int]:
    ufs = store.schema("contact").user_fields
    columns = [
        "ID",
        "NAME",
        "SECOND_NAME",
        "LAST_NAME",
        "HONORIFIC",
        "BIRTHDATE",
        "TYPE_ID",
        "SOURCE_ID",
        "POST",
        "ADDRESS",
        "ADDRESS_CITY",
        "OPENED",
        "EXPORT",
        "HAS_PHONE",
        "HAS_EMAIL",
        "HAS_IMOL",
        "ASSIGNED_BY_ID",
        "CREATED_BY_ID",
        "MODIFY_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "ORIGINATOR_ID",
        "ORIGIN_ID",
        "LAST_ACTIVITY_BY",
        "LAST_ACTIVITY_TIME",
        *[u.code for u in ufs],
    ]
    types = ("CLIENT", "CLIENT", "CLIENT", "SUPPLIER", "PARTNER", "OTHER")
    rows: list[list[Any]] = []
    ids: list[int] = []
    for i in range(count):
        cid = first_id + i + 1
        person = _Person(rng)
        pool = _pools()[person.locale]
        created = EPOCH - SPAN + rng.randrange(SPAN)
        modified = created + rng.randrange(0, 90 * 86400)
        user = rng.choice(USERS)[0]
        fm_rows = _fm_rows(rng, "contact", cid, person, cid)
        fm.extend(fm_rows)
        imported = rng.random() < 0.1
        rows.append(
            [
                cid,
                person.first,
                person.middle,
                person.last,
                rng.choice(("HNR_EN_1", "HNR_EN_2", "HNR_EN_3")) if rng.random() < 0.1 else None,
                (created - 86400 * rng.randrange(18 * 365, 70 * 365)) // 86400 * 86400 - 3 * 3600
                if rng.random() < 0.35
                else None,
                rng.choice(types),
                rng.choice(_SOURCES),
                rng.choice(pool["job"]) if rng.random() < 0.6 else None,
                rng.choice(pool["street"]) if rng.random() < 0.4 else None,
                rng.choice(pool["city"]) if rng.random() < 0.5 else None,
                "Y",
                "Y",
                _has(fm_rows, "PHONE"),
                _has(fm_rows, "EMAIL"),
                "N",
                user,
                user,
                user,
                created,
                modified,
                "import-1c" if imported else None,
                f"C-{cid:07d}" if imported else None,
                user,
                modified,
                *[_uf_value(rng, uf, created) for uf in ufs],
            ]
        )
        ids.append(cid)
    _insert(store, "contact", columns, rows)
    return ids


def _seed_leads(  # noqa: PLR0917
    store: Store,
    rng: random.Random,
    count: int,
    first_id: int,
    contacts: list[int],
    fm: list[tuple[Any, ...]],
) -> None:
    ufs = store.schema("lead").user_fields
    columns = [
        "ID",
        "TITLE",
        "NAME",
        "SECOND_NAME",
        "LAST_NAME",
        "COMPANY_TITLE",
        "CONTACT_ID",
        "IS_RETURN_CUSTOMER",
        "SOURCE_ID",
        "SOURCE_DESCRIPTION",
        "STATUS_ID",
        "CURRENCY_ID",
        "OPPORTUNITY",
        "IS_MANUAL_OPPORTUNITY",
        "HAS_PHONE",
        "HAS_EMAIL",
        "HAS_IMOL",
        "ASSIGNED_BY_ID",
        "CREATED_BY_ID",
        "MODIFY_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "DATE_CLOSED",
        "STATUS_SEMANTIC_ID",
        "OPENED",
        "ORIGINATOR_ID",
        "ORIGIN_ID",
        "MOVED_BY_ID",
        "MOVED_TIME",
        "ADDRESS_CITY",
        "UTM_SOURCE",
        "UTM_MEDIUM",
        "LAST_ACTIVITY_BY",
        "LAST_ACTIVITY_TIME",
        *[u.code for u in ufs],
    ]
    stages = list(_STAGE_WEIGHTS)
    weights = list(_STAGE_WEIGHTS.values())
    rows: list[list[Any]] = []
    links: list[tuple[int, int, int, str]] = []
    for i in range(count):
        lid = first_id + i + 1
        person = _Person(rng)
        pool = _pools()[person.locale]
        created = EPOCH - SPAN + rng.randrange(SPAN)
        stage = rng.choices(stages, weights)[0]
        semantic = _SEMANTIC[stage]
        moved = created + rng.randrange(0, 30 * 86400)
        modified = moved + rng.randrange(0, 10 * 86400)
        user = rng.choice(USERS)[0]
        company = rng.choice(pool["company"]) if rng.random() < 0.5 else None
        named = rng.random() < 0.85
        fm_rows = _fm_rows(rng, "lead", lid, person, lid) if named else []
        fm.extend(fm_rows)
        linked: list[int] = []
        if contacts and rng.random() < 0.6:
            linked = rng.sample(contacts, 2 if rng.random() < 0.15 and len(contacts) > 1 else 1)
            links.extend(
                (lid, cid, (k + 1) * 10, "Y" if k == 0 else "N") for k, cid in enumerate(linked)
            )
        imported = rng.random() < 0.1
        utm = rng.random() < 0.3
        rows.append(
            [
                lid,
                f"{company or person.last}: {rng.choice(_PRODUCTS)}",
                person.first if named else None,
                person.middle if named else None,
                person.last if named else None,
                company,
                linked[0] if linked else None,
                "Y" if linked else "N",
                rng.choice(_SOURCES),
                None,
                stage,
                rng.choice(CURRENCIES[:3]),
                round(rng.randrange(0, 50_000_000) / 100, 2) if rng.random() < 0.8 else 0.0,
                "Y" if rng.random() < 0.3 else "N",
                _has(fm_rows, "PHONE"),
                _has(fm_rows, "EMAIL"),
                "N",
                user,
                user,
                user,
                created,
                modified,
                moved if semantic != "P" else None,
                semantic,
                "Y",
                "import-1c" if imported else None,
                f"L-{lid:07d}" if imported else None,
                user,
                moved,
                rng.choice(pool["city"]) if rng.random() < 0.4 else None,
                rng.choice(("google", "yandex", "facebook", "newsletter")) if utm else None,
                rng.choice(("cpc", "email", "social")) if utm else None,
                user,
                modified,
                *[_uf_value(rng, uf, created) for uf in ufs],
            ]
        )
    _insert(store, "lead", columns, rows)
    store.db.executemany(
        "INSERT INTO lead_contact(LEAD_ID, CONTACT_ID, SORT, IS_PRIMARY) VALUES (?, ?, ?, ?)",
        links,
    )
