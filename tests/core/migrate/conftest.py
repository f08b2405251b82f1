"""Fixtures for the migration tests: named memory stores with deterministic, awkward data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from unicrm import (
    Contact,
    ContactLink,
    CustomFieldDef,
    CustomFieldOption,
    Email,
    Lead,
    Money,
    Phone,
    StageRef,
)

LONG = "Долгий текст — " * 800  # ~12k characters of unicode
STAGES = [
    ("new", "open"),
    ("in_progress", "open"),
    ("proposal", "open"),
    ("won", "won"),
    ("lost", "lost"),
]


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (anyio's pytest plugin, installed with httpx)."""
    return "asyncio"


@pytest.fixture
def seed() -> object:
    """The seeding coroutine function (fixtures cannot be imported in importlib mode)."""
    return seed_source


async def migrate_s_to_t(src: Any, dst: Any, ledger: Any, **options: Any) -> Any:
    """Migrate ``src`` (labelled "s") into ``dst`` ("t"); a dry run when ``ledger`` is None."""
    from unicrm.migrate import MigrateOptions, migrate

    run_options = MigrateOptions(dry_run=ledger is None, **options)
    return await migrate(
        src, dst, ledger=ledger, options=run_options, source_label="s", target_label="t"
    )


@pytest.fixture
def run_s_to_t() -> object:
    """:func:`migrate_s_to_t` (verify such a run with ``source_label="s"``)."""
    return migrate_s_to_t


@pytest.fixture
def memory_pair(store_names: tuple[str, str]) -> tuple[object, object]:
    """Two memory CRMs (source, target) on fresh stores."""
    import unicrm

    return unicrm.connect_async(f"memory://{store_names[0]}"), unicrm.connect_async(
        f"memory://{store_names[1]}"
    )


@pytest.fixture
def long_text() -> str:
    return LONG


@pytest.fixture
def store_names() -> Iterator[tuple[str, str]]:
    """Two fresh shared memory store names (source, target), forgotten afterwards."""
    from unicrm_memory.store import forget

    names = (f"src-{uuid.uuid4().hex[:8]}", f"dst-{uuid.uuid4().hex[:8]}")
    yield names
    for name in names:
        forget(name)


async def seed_source(
    crm: object, contacts: int = 60, leads: int = 90, long_texts: bool = True
) -> None:
    """Contacts and leads covering the edge cases the brief lists."""
    color = CustomFieldDef(
        key="color",
        label="Colour",
        type="select",
        options=[CustomFieldOption("1", "Red"), CustomFieldOption("2", "Green")],
    )
    await crm.leads.create_custom_field(color)  # type: ignore[attr-defined]
    await crm.leads.create_custom_field(CustomFieldDef(key="budget", label="Budget", type="number"))  # type: ignore[attr-defined]
    await crm.contacts.create_custom_field(
        CustomFieldDef(key="nick", label="Nickname", type="text")
    )  # type: ignore[attr-defined]
    ids = []
    for i in range(contacts):
        contact = Contact(
            first_name=["Анна", "Zoë", "O'Neil", "李"][i % 4] + str(i),
            last_name="Ёлкина" if i % 2 else None,
            phones=[] if i % 5 == 0 else [Phone(f"+7 900 {i:07d}", "mobile")],
            emails=[] if i % 3 == 0 else [Email(f"user{i}@пример.рф")],
            comments=LONG if i == 7 and long_texts else None,
            tags=["vip", "опт"] if i % 4 == 0 else [],
            custom={"nick": f"nick-{i}"} if i % 2 else {},
            company_id="900" if i % 6 == 0 else None,
        )
        ids.append((await crm.contacts.create(contact)).id)  # type: ignore[attr-defined]
    for i in range(leads):
        stage_id, semantic = STAGES[i % len(STAGES)]
        lead = Lead(
            title=f"Сделка №{i} 🚀" if i % 2 else f"Deal {i}",
            amount=Money(Decimal(i * 100) + Decimal("0.5"), "USD") if i % 3 else None,
            stage=StageRef("1", stage_id, semantic),
            contacts=[ContactLink(ids[i % contacts], True), ContactLink(ids[(i + 3) % contacts])]
            if i % 7
            else [],
            custom={"color": "Red" if i % 2 else "Green", "budget": Decimal(i)},
            comments=LONG if i == 11 and long_texts else None,
            tags=["b2b"] if i % 5 == 0 else [],
        )
        await crm.leads.create(lead)  # type: ignore[attr-defined]
