"""Multiple user fields survive every read (issue 10): on a real portal ``select: ["UF_*"]``
leaves them out, so the adapter names them from ``*.userfield.list``.

A lead with a multiple enumeration field and a multiple string field (and a contact with a
multiple string field) is created on ``unicrm sandbox bitrix24`` served over HTTP, then read
back through ``crm.leads.get``, ``crm.leads.filter()`` (on fresh connections, with and without
conditions) and a migration; the sandbox itself is asked what ``UF_*`` returns. Expected values
are the ones written, never the adapter's own answers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import unicrm
from unicrm import Contact, CustomFieldDef, CustomFieldOption, F, Lead
from unicrm.emulation import SandboxOptions, ServerThread, free_port
from unicrm.migrate import Ledger, MigrateOptions, migrate
from unicrm.model import CustomFieldType

COLOURS = ("Red", "Green", "Blue")
PICKED = ("Red", "Blue")
ALIASES = ("first alias", "second alias", "third alias")
OTHERS = 130  # leads after the first, so a full read spans several chained batches


@pytest.fixture(scope="module")
def portal() -> Iterator[dict[str, Any]]:
    port = free_port()
    spec = next(s for s in unicrm.plugins.sandboxes() if s.name == "bitrix24")
    box = spec.create(SandboxOptions(port=port, seed=0, contacts=0, limits="off"))
    with ServerThread(box.emulator, port=port) as server:
        url = box.banner[0].replace("http://", "bitrix24+http://")
        with unicrm.connect(url, limits="off") as crm:
            crm.leads.create_custom_field(
                CustomFieldDef(
                    key="COLOURS",
                    label="Colours",
                    type=CustomFieldType.MULTISELECT,
                    options=tuple(CustomFieldOption("", c) for c in COLOURS),
                    multiple=True,
                )
            )
            crm.leads.create_custom_field(
                CustomFieldDef(
                    key="ALIASES", label="Aliases", type=CustomFieldType.TEXT, multiple=True
                )
            )
            crm.contacts.create_custom_field(
                CustomFieldDef(
                    key="NICKS", label="Nicknames", type=CustomFieldType.TEXT, multiple=True
                )
            )
            custom = {"COLOURS": PICKED, "ALIASES": ALIASES}
            first = crm.leads.create(Lead(title="Multiple values, first", custom=custom))
            crm.leads.create_many([Lead(title=f"Other {i}") for i in range(OTHERS)])
            late = crm.leads.create(Lead(title="Multiple values, late", custom=custom))
            contact = crm.contacts.create(
                Contact(first_name="Ann", custom={"NICKS": ("annie", "an")})
            )
        yield {"url": url, "server": server, "ids": (first.id, late.id), "contact": contact.id}


def _expected(lead: Any) -> None:
    assert lead.custom["COLOURS"] == PICKED
    assert lead.custom["ALIASES"] == ALIASES


def test_get_reads_every_value(portal: dict[str, Any]) -> None:
    with unicrm.connect(portal["url"], limits="off") as crm:
        for lead_id in portal["ids"]:
            _expected(crm.leads.get(lead_id))
        assert crm.contacts.get(portal["contact"]).custom["NICKS"] == ("annie", "an")


def test_a_full_read_on_a_fresh_connection_reads_every_value(portal: dict[str, Any]) -> None:
    """The first page of a fresh connection's read comes before the portal snapshot that names
    the multiple fields: it is completed, and the later pages select them."""
    with unicrm.connect(portal["url"], limits="off") as crm:
        leads = {lead.id: lead for lead in crm.leads.all()}
        assert len(leads) == OTHERS + 2
        for lead_id in portal["ids"]:
            _expected(leads[lead_id])
        (contact,) = [c for c in crm.contacts.all() if c.id == portal["contact"]]
        assert contact.custom["NICKS"] == ("annie", "an")


def test_filtered_reads_keep_every_value(portal: dict[str, Any]) -> None:
    with unicrm.connect(portal["url"], limits="off") as crm:
        found = list(crm.leads.filter(F("title").startswith("Multiple values")))
        assert sorted(lead.id for lead in found) == sorted(portal["ids"])
        for lead in found:
            _expected(lead)
        projected = crm.leads.filter(F("id") == portal["ids"][1]).only("custom.COLOURS").first()
        assert projected is not None and projected.custom["COLOURS"] == PICKED


def test_uf_star_on_the_sandbox_leaves_multiple_fields_out(portal: dict[str, Any]) -> None:
    with unicrm.connect(portal["url"], limits="off") as crm:
        lead_id = portal["ids"][0]
        masked = crm.raw("crm.lead.list", {"select": ["ID", "UF_*"], "filter": {"ID": lead_id}})
        (row,) = masked["result"]
        assert "UF_CRM_COLOURS" not in row and "UF_CRM_ALIASES" not in row
        named = crm.raw(
            "crm.lead.list",
            {"select": ["ID", "UF_CRM_COLOURS", "UF_CRM_ALIASES"], "filter": {"ID": lead_id}},
        )
        (row,) = named["result"]
        assert row["UF_CRM_ALIASES"] == list(ALIASES) and len(row["UF_CRM_COLOURS"]) == 2


def test_a_migration_carries_every_value(portal: dict[str, Any], tmp_path: Path) -> None:
    from unicrm_memory.store import forget

    store = f"multi-{uuid.uuid4().hex[:8]}"

    async def run() -> tuple[Any, list[Any], list[Any]]:
        src = unicrm.connect_async(portal["url"], limits="off")
        dst = unicrm.connect_async(f"memory://{store}")
        with Ledger(tmp_path / "ledger.db") as ledger:
            report = await migrate(
                src,
                dst,
                ledger=ledger,
                options=MigrateOptions(),
                source_label="b24",
                target_label="mem",
            )
        leads = await dst.leads.filter(F("title").startswith("Multiple values")).to_list()
        contacts = await dst.contacts.all().to_list()
        await src.aclose()
        await dst.aclose()
        return report, leads, contacts

    try:
        report, leads, contacts = asyncio.run(run())
    finally:
        forget(store)
    assert report.state == "complete", report.errors
    assert len(leads) == 2
    for lead in leads:
        _expected(lead)
    (ann,) = [c for c in contacts if c.first_name == "Ann"]
    assert ann.custom["NICKS"] == ("annie", "an")
