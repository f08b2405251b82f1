"""How the engine spends the target's requests: what it learns once is not paid for again.

The targets here are memory adapters with one vendor-like habit added (rejecting a field,
counting calls), so the tests can count what a rate-limited vendor would have been sent.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest

import unicrm
from unicrm import Contact, ContactLink, CustomFieldDef, EntityKind, Lead
from unicrm.adapter import WriteResult
from unicrm.errors import ValidationError
from unicrm.migrate import Ledger, MigrateOptions, migrate, recover, verify
from unicrm.migrate.run import Run
from unicrm.model import Record
from unicrm_memory.adapter import MemoryAdapter
from unicrm_memory.store import forget

pytestmark = pytest.mark.anyio


@pytest.fixture
def names() -> Iterator[tuple[str, str]]:
    pair = (f"src-{uuid.uuid4().hex[:8]}", f"dst-{uuid.uuid4().hex[:8]}")
    yield pair
    for name in pair:
        forget(name)


class NoUsersTarget(MemoryAdapter):
    """Rejects every record that names a responsible user (the target knows no such user),
    naming the field per item as amoCRM does; logs the calls it gets."""

    calls: list[tuple[str, EntityKind, int]]

    async def create_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        self.calls.append(("create_many", entity, len(records)))
        results: list[WriteResult] = []
        for index, record in enumerate(records):
            if getattr(record, "responsible_id", None):
                results.append(
                    ValidationError(
                        "unknown user",
                        details=[(f"{index}:responsible_user_id", "no such user")],
                        vendor="memory",
                    )
                )
            else:
                results.extend(await super().create_many(entity, [record]))
        return results

    async def create_custom_fields(
        self, entity: EntityKind, definitions: Sequence[CustomFieldDef]
    ) -> list[CustomFieldDef]:
        self.calls.append(("create_custom_fields", entity, len(definitions)))
        return await super().create_custom_fields(entity, definitions)


def _target(name: str) -> tuple[unicrm.AsyncCRM, NoUsersTarget]:
    plain = MemoryAdapter.from_url(f"memory://{name}", {})
    adapter = NoUsersTarget(plain.store, plain.capabilities, plain.describe())
    adapter.calls = []
    return unicrm.AsyncCRM(adapter), adapter


async def _source(name: str, contacts: int, leads: int) -> unicrm.AsyncCRM:
    src = unicrm.connect_async(f"memory://{name}")
    for key, label in (("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")):
        await src.contacts.create_custom_field(CustomFieldDef(key=key, label=label, type="text"))
    ids = []
    for i in range(contacts):
        made = await src.contacts.create(
            Contact(first_name=f"C{i}", responsible_id="7", custom={"a": f"x{i}"})
        )
        ids.append(made.id or "")
    for i in range(leads):
        await src.leads.create(
            Lead(title=f"L{i}", contacts=[ContactLink(ids[i % contacts], True)] if ids else [])
        )
    return src


async def test_batches_cut_before_the_engine_learned_are_remapped_not_rejected_again(
    names: tuple[str, str], ledger_at
) -> None:
    src = await _source(names[0], contacts=200, leads=0)
    dst, adapter = _target(names[1])
    with Ledger(ledger_at("run")) as ledger:
        report = await migrate(
            src,
            dst,
            ledger=ledger,
            options=MigrateOptions(batch_size=10, writers=4),
            source_label="s",
            target_label="t",
        )
        assert report.state == "complete", report.errors
        assert "responsible_id" in report.target_lacks["contact"]
        learned = [(d.entity, d.subject, d.outcome) for d in report.learned]
        assert learned == [("contact", "responsible_id", "moved to the note")]
        result = await verify(src, dst, ledger=ledger, source_label="s")
    assert result.differences == 0, result.as_dict()
    writes = [c for c in adapter.calls if c[0] == "create_many"]
    # 20 batches of 10; only the first was sent with the responsible user (and rejected),
    # then resent without it: 21 calls, not one rejection per batch cut before the lesson
    assert len(writes) == 21
    assert sum(n for _, _, n in writes) == 210


async def test_missing_fields_are_created_in_one_call_per_entity(
    names: tuple[str, str], ledger_at
) -> None:
    src = await _source(names[0], contacts=5, leads=0)
    dst, adapter = _target(names[1])
    with Ledger(ledger_at("run")) as ledger:
        report = await migrate(
            src, dst, ledger=ledger, options=MigrateOptions(), source_label="s", target_label="t"
        )
    assert report.state == "complete", report.errors
    made = [c for c in adapter.calls if c[0] == "create_custom_fields"]
    assert made == [("create_custom_fields", EntityKind.CONTACT, 3)]
    labels = {f.label for f in await dst.contacts.custom_fields()}
    assert {"Alpha", "Beta", "Gamma"} <= labels


async def test_a_fresh_ledger_probes_the_target_with_the_first_records_only(
    names: tuple[str, str], ledger_at, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = await _source(names[0], contacts=180, leads=0)
    dst, _adapter = _target(names[1])
    asked: list[int] = []
    original = recover.find_by_origin

    async def counting(run: Run, entity: EntityKind, markers: Sequence[str]) -> Any:
        asked.append(len(markers))
        return await original(run, entity, markers)

    monkeypatch.setattr(recover, "find_by_origin", counting)
    with Ledger(ledger_at("run")) as ledger:
        report = await migrate(
            src,
            dst,
            ledger=ledger,
            options=MigrateOptions(batch_size=20),
            source_label="s",
            target_label="t",
        )
    assert report.state == "complete", report.errors
    assert asked == [50]  # one probe of the first 50 records, found nothing: no more lookups
    assert len(await dst.contacts.all().to_list()) == 180


async def test_leads_are_read_while_contacts_are_still_being_written(
    names: tuple[str, str], ledger_at
) -> None:
    events: list[tuple[str, EntityKind]] = []

    class LoggingSource(MemoryAdapter):
        async def fetch(self, entity: EntityKind, request: Any) -> AsyncIterator[list[Record]]:
            async for page in super().fetch(entity, request):
                events.append(("read", entity))
                yield page

    class LoggingTarget(MemoryAdapter):
        async def create_many(
            self, entity: EntityKind, records: Sequence[Record]
        ) -> list[WriteResult]:
            events.append(("write", entity))
            return await super().create_many(entity, records)

    await _source(names[0], contacts=120, leads=30)
    plain_src = MemoryAdapter.from_url(f"memory://{names[0]}?page_size=20", {})
    plain_dst = MemoryAdapter.from_url(f"memory://{names[1]}", {})
    src = unicrm.AsyncCRM(LoggingSource(plain_src.store, plain_src.capabilities, "src"))
    dst = unicrm.AsyncCRM(LoggingTarget(plain_dst.store, plain_dst.capabilities, "dst"))
    with Ledger(ledger_at("run")) as ledger:
        report = await migrate(
            src,
            dst,
            ledger=ledger,
            options=MigrateOptions(batch_size=5),
            source_label="s",
            target_label="t",
        )
        assert report.state == "complete", report.errors
        assert (await verify(src, dst, ledger=ledger, source_label="s")).differences == 0
    first_lead_read = events.index(("read", EntityKind.LEAD))
    last_contact_write = len(events) - 1 - events[::-1].index(("write", EntityKind.CONTACT))
    assert first_lead_read < last_contact_write
