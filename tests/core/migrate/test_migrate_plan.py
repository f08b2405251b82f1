"""The planning stage: the dry run's decisions are the real run's, and they read as words."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from unicrm import CustomFieldDef, CustomFieldOption, EntityKind
from unicrm.migrate import Ledger, auto_mapping, load_schema, verify
from unicrm.migrate.decisions import Decision, describe_record, words

pytestmark = pytest.mark.anyio


async def test_dry_run_decisions_equal_the_real_runs(
    memory_pair: Any, run_s_to_t: Any, seed: Any, ledger_at: Any
) -> None:
    src, dst = memory_pair
    await seed(src, contacts=12, leads=20)
    # the target has its own Colour list without "Green": those values go to the note
    await dst.leads.create_custom_field(
        CustomFieldDef(
            key="colour",
            label="Colour",
            type="select",
            options=[CustomFieldOption("r", "Red")],
        )
    )
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    route = mapping.route(EntityKind.LEAD)
    mapping = mapping.with_route(
        attrs.evolve(route, stages={**route.stages, "1/proposal": "1/new"})
    )
    dry = await run_s_to_t(src, dst, None, mapping=mapping)
    assert await dst.leads.all().to_list() == []
    with Ledger(ledger_at("run")) as ledger:
        real = await run_s_to_t(src, dst, ledger, mapping=mapping)
        assert real.state == "complete", real.errors
        assert (await verify(src, dst, ledger=ledger, source_label="s")).differences == 0
    assert dry.decisions == real.decisions
    assert real.learned == []
    said = {d.sentence() for d in real.decisions}
    for expected in (
        "lead route leads: become leads, pipelines matched by name (the default route)",
        "lead stage Sales / Proposal: Sales / New (set in the mapping)",
        "lead stage Sales / In progress: Sales / In progress (same name)",
        "lead field Colour (color): the target field 'Colour' (colour) (matched by key or label)",
        "contact field Nickname (nick): a new text field 'Nickname' "
        "(the target has no field of that name and type)",
        "contact link company_id: the target's company ids (remapped through the ledger; "
        "an id naming no migrated company: moved to the note)",
        "company link contacts: written from the other side (the contacts own it)",
        "lead values Colour: moved to the note (the target cannot hold them), 10 records",
        "contact values company_id: moved to the note (the target cannot hold them), 2 records",
    ):
        assert expected in said
    # the decisions are what happened: the green leads carry their colour in the note
    noted = [
        lead for lead in await dst.leads.all().to_list() if "Colour: Green" in (lead.comments or "")
    ]
    assert len(noted) == 10
    in_new = [
        lead
        for lead in await dst.leads.all().to_list()
        if lead.stage and lead.stage.stage_id == "new"
    ]
    assert len(in_new) == 8  # "new" and "proposal" leads (4 each of 20)


def test_decisions_and_records_read_as_words() -> None:
    decision = Decision("values", "lead", "Colour", "moved to the note", "why not", 3)
    assert decision.sentence() == "lead values Colour: moved to the note (why not), 3 records"
    assert decision.as_dict()["text"] == decision.sentence()
    plain = {
        "title": "Deal",
        "amount": {"amount": "10.5", "currency": "EUR"},
        "stage": {"pipeline_id": "1", "stage_id": "new", "semantic": "open"},
        "contacts": [{"contact_id": "7", "is_main": True}, {"contact_id": "8", "is_main": False}],
        "phones": [{"value": "+1 555", "kind": "work"}],
        "custom": {"COLOR": "Red", "SIZES": ["S", "M"]},
        "comments": "[unicrm migration]\nColour: Green",
        "tags": [],
        "company_id": None,
    }
    assert describe_record(plain) == (
        "title: Deal; amount: 10.5 EUR; stage: 1/new (open); contacts: 7 (main), 8; "
        "phones: +1 555 (work); custom: COLOR: Red; SIZES: S, M; "
        "comments: [unicrm migration] | Colour: Green"
    )
    assert words(None) == "(none)" and words(True) == "yes" and words("x" * 100).endswith("...")
