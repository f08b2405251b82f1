"""The adapter's portal snapshot: read once however many calls need it at the same time, and
anew when asked for fresh. Requests are counted at the transport."""

from __future__ import annotations

import asyncio
from typing import Any

from unicrm_bitrix24.adapter import Bitrix24Adapter

from .conftest import adapter_crm, seeded_portal


def _snapshot_reads(transport: Any) -> int:
    return sum(1 for _m, cmds, _s in transport.seen if "crm.lead.userfield.list" in cmds)


def test_concurrent_first_calls_share_one_snapshot_read() -> None:
    with seeded_portal(40, contacts=10, webhook="1/sharedsnapshot12") as emulator:
        crm, transport = adapter_crm(emulator)
        transport._latency = 0.005  # answers take a while: the gets really overlap

        async def go() -> list[Any]:
            async with crm:
                return await asyncio.gather(*(crm.leads.get(str(i)) for i in range(1, 41)))

        leads = asyncio.run(go())
        assert [lead.id for lead in leads] == [str(i) for i in range(1, 41)]
        assert _snapshot_reads(transport) == 1
        assert len(transport.seen) == 1 + 40  # the snapshot and one batch per get


def test_a_fresh_snapshot_is_read_again_and_sees_a_new_field() -> None:
    with seeded_portal(5, contacts=2, webhook="1/sharedsnapshot12") as emulator:
        crm, transport = adapter_crm(emulator)

        async def go() -> tuple[set[str], set[str]]:
            async with crm:
                before = {f.key for f in await crm.leads.custom_fields()}
                await crm.raw(
                    "crm.lead.userfield.add",
                    {"fields": {"FIELD_NAME": "FRESHLY_MADE", "USER_TYPE_ID": "string"}},
                )
                cached = {f.key for f in await crm.leads.custom_fields()}
                adapter = crm.adapter  # the cached snapshot, read anew on request
                assert isinstance(adapter, Bitrix24Adapter)
                await adapter.schema(fresh=True)
                after = {f.key for f in await crm.leads.custom_fields()}
                return before | cached, after

        old, new = asyncio.run(go())
        assert "FRESHLY_MADE" not in old and "FRESHLY_MADE" in new
        assert _snapshot_reads(transport) == 2
