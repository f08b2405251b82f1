"""The parallel-range keyset reader through ``crm.leads.all()`` over a seeded emulator.

Expected rows come from the emulator's SQLite store (``SELECT ID ...``), never from the
adapter. Parallel ranges hand pages over as they come, so the reader promises no order for a
full read: the checks are "every stored row exactly once". A limited read runs one chain, in
ID order. Requests are counted at the transport.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicrm import F
from unicrm_bitrix24.adapter import AdapterSettings
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.reading import ROWS_PER_BATCH, KeysetReader

from .conftest import adapter_crm, seeded_portal

BIG = 12_000
SNAPSHOT_METHODS = ["crm.contact.userfield.list", "crm.lead.userfield.list", "crm.status.list"]


def _ids(emulator: Bitrix24Emulator, entity: str = "lead", where: str = "1=1") -> list[str]:
    rows = emulator.store.query(f"SELECT ID FROM {entity} WHERE {where} ORDER BY ID")
    return [str(r[0]) for r in rows]


def _delete(emulator: Bitrix24Emulator, ids: Any) -> None:
    with emulator.store.transaction():
        for i in ids:
            emulator.store.delete("lead", int(i))


def _read(emulator: Bitrix24Emulator, make: Any, **settings: Any) -> tuple[list[Any], Any]:
    crm, transport = adapter_crm(emulator, settings=AdapterSettings(**settings))

    async def go() -> list[Any]:
        async with crm:
            return await make(crm).to_list()  # type: ignore[no-any-return]

    return asyncio.run(go()), transport


@pytest.fixture(scope="module")
def big() -> Iterator[Bitrix24Emulator]:
    emulator = Bitrix24Emulator(limits="off", webhook="1/readingcode12345")
    emulator.seed(BIG, contacts=100)
    yield emulator
    emulator.close()


def test_12000_rows_at_about_2500_per_request(big: Bitrix24Emulator) -> None:
    records, transport = _read(big, lambda crm: crm.leads.all().only("id", "title"))
    ids = [r.id for r in records]
    assert sorted(ids, key=int) == _ids(big)  # every row, none twice
    reads = transport.requests_for("crm.lead.list")
    # the probe (50 rows), then 11,950 IDs in ranges of whole batches: 5,000 + 5,000 + 1,950
    # read in 2 + 2 + 1 batches (the floor, 12,000 / 2,500 rounded up, plus the probe)
    assert reads == 1 + 5
    assert len(transport.seen) == reads  # the portal schema rode along with the probe
    first, *rest = [cmds for _m, cmds, _s in transport.seen]
    assert sorted(set(first) - {"crm.lead.list"}) == SNAPSHOT_METHODS
    assert all(set(cmds) == {"crm.lead.list"} for cmds in rest)
    assert all(len(cmds) <= 50 for _m, cmds, _s in transport.seen)


def test_full_records_match_the_store(big: Bitrix24Emulator) -> None:
    records, _transport = _read(
        big, lambda crm: crm.leads.all(), contact_links="primary", concurrency=6
    )
    stored = {str(r[0]): r[1] for r in big.store.query("SELECT ID, TITLE FROM lead")}
    assert len(records) == len(stored) == BIG
    assert {r.id: r.title for r in records} == stored


@pytest.mark.parametrize("concurrency", [1, 2, 3, 7])
def test_any_concurrency_reads_each_row_once(big: Bitrix24Emulator, concurrency: int) -> None:
    records, _transport = _read(
        big, lambda crm: crm.leads.all().only("id"), concurrency=concurrency
    )
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)) and sorted(ids, key=int) == _ids(big)


@given(
    low=st.integers(0, 10**6),
    span=st.integers(1, 10**6),
    concurrency=st.integers(1, 12),
)
def test_ranges_cover_the_span_in_whole_batches(low: int, span: int, concurrency: int) -> None:
    reader = KeysetReader(None, "crm.lead.list", {}, ["ID"], concurrency=concurrency)  # type: ignore[arg-type]
    ranges = reader._ranges(low, low + span)
    assert ranges[0][0] == low and ranges[-1][1] == low + span
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # contiguous, no overlap
    assert 1 <= len(ranges) <= concurrency
    rounds = -(-span // (concurrency * ROWS_PER_BATCH))  # the fewest sequential batches
    sizes = [(up or 0) - after for after, up in ranges]
    assert all(size == rounds * ROWS_PER_BATCH for size in sizes[:-1])
    assert 0 < sizes[-1] <= rounds * ROWS_PER_BATCH
    # no more requests than whole batches need (dense IDs): ceil(span / 2,500)
    assert sum(-(-size // ROWS_PER_BATCH) for size in sizes) == -(-span // ROWS_PER_BATCH)


def _gappy_portal(seed: int) -> Bitrix24Emulator:
    """IDs that are not contiguous: random holes, every row around each range edge gone, and
    one whole range (and then some) without a single row."""
    emulator = Bitrix24Emulator(limits="off", webhook="1/gappycode1234567")
    emulator.seed(9_000, contacts=50)
    rng = random.Random(seed)
    holes = {i for i in range(1, 9_001) if rng.random() < 0.2}
    # where a 4-way read would cut the span above the first page (computed from the span the
    # reader sees, so the holes sit on the edges whatever page the probe returns)
    reader = KeysetReader(None, "crm.lead.list", {}, ["ID"], concurrency=4)  # type: ignore[arg-type]
    for low, high in reader._ranges(62, 9_000):
        holes.update(range((high or 9_000) - 3, (high or 9_000) + 4))
        holes.update(range(low - 3, low + 4))
    holes.update(range(2_400, 5_600))  # more than one range's span: a range with no rows
    holes.discard(9_000)  # keep the top row: the probe reads the span up to it
    _delete(emulator, sorted(holes))
    return emulator


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_holes_and_empty_ranges(seed: int) -> None:
    emulator = _gappy_portal(seed)
    try:
        expected = _ids(emulator)
        assert len(expected) < 6_000 and "9000" in expected
        for concurrency in (4, 5):
            records, _t = _read(
                emulator, lambda crm: crm.leads.all().only("id"), concurrency=concurrency
            )
            ids = [r.id for r in records]
            assert len(ids) == len(set(ids)), "a row came twice"
            assert sorted(ids, key=int) == expected
    finally:
        emulator.close()


def test_deleted_rows_at_the_top_and_bottom() -> None:
    with seeded_portal(5_200, contacts=10, webhook="1/edgecode12345678") as emulator:
        _delete(emulator, [*range(1, 120), *range(5_000, 5_201)])
        records, _t = _read(emulator, lambda crm: crm.leads.all().only("id"))
        assert sorted((r.id for r in records), key=int) == _ids(emulator)


@pytest.mark.parametrize("rows", [0, 1, 49, 50, 51, 2_550, 2_551])
def test_small_and_page_sized_portals(rows: int) -> None:
    with seeded_portal(rows, contacts=5, webhook="1/smallcode1234567") as emulator:
        records, transport = _read(emulator, lambda crm: crm.leads.all().only("id"))
        assert sorted((r.id for r in records), key=int) == _ids(emulator)
        if rows < 50:
            assert transport.requests_for("crm.lead.list") == 1  # the probe answers it all


def test_exactly_one_page_takes_one_request() -> None:
    with seeded_portal(50, contacts=5, webhook="1/smallcode1234567") as emulator:
        records, transport = _read(emulator, lambda crm: crm.leads.all().only("id"))
        assert len(records) == 50
        assert transport.requests_for("crm.lead.list") == 1


@pytest.mark.parametrize("limit", [1, 50, 51, 2_499, 5_000, 11_999, 20_000])
def test_limit_reads_the_lowest_ids_in_order(big: Bitrix24Emulator, limit: int) -> None:
    records, transport = _read(big, lambda crm: crm.leads.all().limit(limit).only("id"))
    assert [r.id for r in records] == _ids(big)[:limit]
    expected_rows = min(limit, BIG)
    assert transport.requests_for("crm.lead.list") <= 1 + -(-max(0, expected_rows - 50) // 2_500)


def test_filtered_parallel_read_matches_the_store(big: Bitrix24Emulator) -> None:
    records, _t = _read(big, lambda crm: crm.leads.filter(F("amount") > 5_000).only("id"))
    assert sorted((r.id for r in records), key=int) == _ids(big, where="OPPORTUNITY > 5000")


def test_contacts_read_each_row_once(big: Bitrix24Emulator) -> None:
    records, _t = _read(big, lambda crm: crm.contacts.all().only("id"))
    assert sorted((r.id for r in records), key=int) == _ids(big, "contact")


def test_records_mapped_with_the_snapshot_that_rode_along() -> None:
    """A fresh connection's first read maps its rows with the snapshot fetched in the same
    request: the records equal those of a connection that read the snapshot beforehand."""
    with seeded_portal(400, contacts=100, webhook="1/ridecode12345678") as emulator:
        fresh, transport = _read(emulator, lambda crm: crm.leads.all(), contact_links="primary")
        crm, _t = adapter_crm(emulator, settings=AdapterSettings(contact_links="primary"))

        async def after_pipelines() -> list[Any]:
            async with crm:
                await crm.pipelines()
                return await crm.leads.all().to_list()

        known = asyncio.run(after_pipelines())
        assert sorted(fresh, key=lambda r: int(r.id)) == sorted(known, key=lambda r: int(r.id))
        assert any(r.custom for r in fresh) and len({r.stage for r in fresh}) > 2
        assert len(transport.seen) == 2  # the probe, carrying the snapshot, and one chain


def test_a_filtered_read_reads_the_snapshot_first(big: Bitrix24Emulator) -> None:
    """Conditions are compiled against the snapshot, so it comes before the probe."""
    _records, transport = _read(big, lambda crm: crm.leads.filter(F("amount") > 5_000).limit(5))
    first, second, *_ = [cmds for _m, cmds, _s in transport.seen]
    assert sorted(set(first)) == SNAPSHOT_METHODS
    assert set(second) == {"crm.lead.list"}


def test_extra_commands_may_not_take_the_probe_keys() -> None:
    with pytest.raises(ValueError, match="probe"):
        KeysetReader(None, "crm.lead.list", {}, ["ID"], extra_commands={"first": "x"})  # type: ignore[arg-type]
