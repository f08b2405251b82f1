"""memory -> memory migrations, verified field by field, with the mapping's edge cases."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import unicrm
from unicrm import F
from unicrm.migrate import (
    FieldRule,
    Ledger,
    MappingFailure,
    MigrateOptions,
    MissingPolicy,
    auto_mapping,
    load_schema,
    migrate,
    rollback,
    verify,
)

pytestmark = pytest.mark.anyio


async def _pair(names: tuple[str, str]) -> tuple[unicrm.AsyncCRM, unicrm.AsyncCRM]:
    return unicrm.connect_async(f"memory://{names[0]}"), unicrm.connect_async(
        f"memory://{names[1]}"
    )


async def _run(src, dst, ledger, **options):  # type: ignore[no-untyped-def]
    return await migrate(
        src,
        dst,
        ledger=ledger,
        options=MigrateOptions(**options),
        source_label="memory://src",
        target_label="memory://dst",
    )


async def _verify(src, dst, ledger):  # type: ignore[no-untyped-def]
    return await verify(src, dst, ledger=ledger, source_label="memory://src")


async def test_full_migration_is_exact_and_rerun_writes_nothing(
    store_names, seed, long_text, ledger_at
) -> None:
    src, dst = await _pair(store_names)
    await seed(src)
    with Ledger(ledger_at("run")) as ledger:
        report = await _run(src, dst, ledger, batch_size=7)
        assert report.state == "complete", report.errors
        assert report.stats("contact").created == 60
        assert report.stats("lead").created == 90
        result = await _verify(src, dst, ledger)
        assert result.differences == 0, result.as_dict()
        assert result.counts["lead"] == {"source": 90, "target": 90, "ledger": 90}
        again = await _run(src, dst, ledger)
        assert again.written == 0
    # the data really arrived: a long unicode text, links with the main contact, select values
    leads = await dst.leads.all().to_list()
    assert len(leads) == 90
    long_one = [lead for lead in leads if lead.comments and lead.comments.startswith(long_text)]
    assert len(long_one) == 1
    linked = [lead for lead in leads if lead.contacts]
    target_contacts = {c.id for c in await dst.contacts.all().to_list()}
    assert linked and all(set(lead.contact_ids) <= target_contacts for lead in linked)
    assert {lead.custom["COLOR"] for lead in leads} == {"Red", "Green"}  # created as a code
    # company ids do not translate: they are kept as data in the note
    contacts = await dst.contacts.all().to_list()
    noted = [c for c in contacts if c.comments and "company_id: 900" in c.comments]
    assert len(noted) == 10 and all(c.company_id is None for c in contacts)


async def test_unmapped_open_stage_goes_to_default_and_select_values_transform(
    store_names, seed, ledger_at
) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=10, leads=20)
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    route = mapping.route(unicrm.EntityKind.LEAD)
    stages = {k: v for k, v in route.stages.items() if k != "1/proposal"}
    rules = dict(mapping.rules(unicrm.EntityKind.LEAD))
    rules["color"] = FieldRule(
        source="color",
        target="colour",
        create=True,
        label="Farbe",
        type="select",
        options=("Rot", "Grün"),
        values={"Red": "Rot", "Green": "Grün"},
    )
    mapping = attrs.evolve(
        mapping.with_route(attrs.evolve(route, stages=stages, default_stage="1/in_progress")),
        fields={"lead": rules, "contact": dict(mapping.rules(unicrm.EntityKind.CONTACT))},
    )
    with Ledger(ledger_at("run")) as ledger:
        report = await _run(src, dst, ledger, mapping=mapping)
        assert report.state == "complete", report.errors
        assert (await _verify(src, dst, ledger)).differences == 0
    leads = await dst.leads.all().to_list()
    assert not [lead for lead in leads if lead.stage and lead.stage.stage_id == "proposal"]
    assert len([lead for lead in leads if lead.stage and lead.stage.stage_id == "in_progress"]) == 8
    values = {lead.custom.get("colour") for lead in leads}
    assert values == {"Rot", "Grün"}
    assert any(f.label == "Farbe" for f in await dst.leads.custom_fields())


async def test_select_values_the_target_list_lacks_go_to_the_note(
    store_names, seed, ledger_at
) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=4, leads=10)
    # the target has its own "Colour" list without "Green": matched by label, not created
    await dst.leads.create_custom_field(
        unicrm.CustomFieldDef(
            key="colour",
            label="Colour",
            type="select",
            options=[unicrm.CustomFieldOption("r", "Red"), unicrm.CustomFieldOption("b", "Blue")],
        )
    )
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    assert mapping.rules(unicrm.EntityKind.LEAD)["color"].target == "colour"
    with Ledger(ledger_at("run")) as ledger:
        report = await _run(src, dst, ledger, mapping=mapping)
        assert report.state == "complete", report.errors
        assert (await _verify(src, dst, ledger)).differences == 0
    leads = {lead.title: lead for lead in await dst.leads.all().to_list()}
    red, green = leads["Сделка №1 🚀"], leads["Deal 2"]  # odd leads are Red, even Green
    assert red.custom.get("colour") == "Red"
    assert "colour" not in green.custom
    assert "Colour: Green" in (green.comments or "")


@pytest.mark.parametrize("policy", ["note", "drop", "fail"])
async def test_missing_target_field_policies(store_names, seed, ledger_at, policy: str) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=4, leads=4)
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    rules = {"nick": FieldRule(source="nick", target="", create=False, label="Nickname")}
    mapping = attrs.evolve(
        mapping,
        missing=MissingPolicy(policy),
        fields={"contact": rules, "lead": dict(mapping.rules(unicrm.EntityKind.LEAD))},
    )
    with Ledger(ledger_at("run")) as ledger:
        if policy == "fail":
            with pytest.raises(MappingFailure, match=r"no field for (company_id|Nickname)"):
                await _run(src, dst, ledger, mapping=mapping)
            assert await dst.leads.all().to_list() == []
            return
        report = await _run(src, dst, ledger, mapping=mapping)
        assert (await _verify(src, dst, ledger)).differences == 0
    contacts = await dst.contacts.all().to_list()
    assert all("nick" not in c.custom for c in contacts)
    notes = [c.comments or "" for c in contacts]
    if policy == "note":
        assert sum("Nickname: nick-" in n for n in notes) == 2
    else:
        assert not any("Nickname" in n for n in notes)
        assert any("dropped Nickname" in w for w in report.warnings)


async def test_dry_run_plans_previews_and_writes_nothing(store_names, seed, tmp_path: Path) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=10, leads=12)
    report = await migrate(
        src,
        dst,
        ledger=None,
        options=MigrateOptions(dry_run=True, sample=3),
        source_label="a",
        target_label="b",
    )
    assert report.state == "planned"
    assert report.plan == {
        "contact": {"create": 10, "update": 0, "skip": 0, "check": 0},
        "lead": {"create": 12, "update": 0, "skip": 0, "check": 0},
    }
    assert len(report.preview) == 6
    assert report.preview[0]["record"]["origin"].startswith("unicrm:")
    assert await dst.contacts.all().to_list() == []
    assert await dst.leads.custom_fields() == []


async def test_delta_run_updates_only_changed_records(store_names, seed, ledger_at) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=8, leads=10)
    with Ledger(ledger_at("run")) as ledger:
        await _run(src, dst, ledger)
        lead = await src.leads.filter(F("title") == "Deal 4").first()
        assert lead is not None
        await src.leads.update(attrs.evolve(lead, title="Deal 4 (renamed)"))
        delta = await _run(src, dst, ledger)
        assert delta.since is not None
        assert delta.stats("lead").updated == 1
        assert delta.stats("lead").created == 0
        assert delta.written == 1
        assert (await _verify(src, dst, ledger)).differences == 0
    assert await dst.leads.filter(F("title") == "Deal 4 (renamed)").count() == 1


async def test_lost_ledger_entries_are_found_by_origin_not_duplicated(
    store_names, seed, ledger_at
) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=8, leads=10)
    with Ledger(ledger_at("first")) as ledger:
        await _run(src, dst, ledger)
    # a brand-new ledger against a target that already holds everything
    with Ledger(ledger_at("second")) as ledger:
        report = await _run(src, dst, ledger)
        assert report.stats("contact").created == 0
        assert report.stats("contact").recovered == 8
        assert report.stats("lead").created == 0
        result = await _verify(src, dst, ledger)
        assert result.differences == 0, result.as_dict()
    assert len(await dst.leads.all().to_list()) == 10


async def test_verify_reports_missing_changed_and_duplicate_records(
    store_names, seed, ledger_at
) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=5, leads=6)
    with Ledger(ledger_at("run")) as ledger:
        await _run(src, dst, ledger)
        leads = await dst.leads.all().to_list()
        await dst.leads.delete(leads[0].id)
        await dst.leads.update(attrs.evolve(leads[1], title="tampered"))
        await dst.leads.create(attrs.evolve(leads[2], id=None))
        result = await _verify(src, dst, ledger)
    assert result.by_kind == {"lead.missing": 1, "lead.field": 1, "lead.duplicate": 1}
    assert result.as_dict()["differences"] == 3


async def test_rollback_deletes_what_the_run_created(store_names, seed, ledger_at) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=5, leads=6)
    existing = await dst.contacts.create(unicrm.Contact(first_name="kept"))
    with Ledger(ledger_at("run")) as ledger:
        await _run(src, dst, ledger)
        report = await rollback(dst, ledger)
        assert report.supported and report.deleted == {"lead": 6, "contact": 5}
        assert ledger.created(unicrm.EntityKind.LEAD) == []
    assert [c.id for c in await dst.contacts.all().to_list()] == [existing.id]
    assert await dst.leads.all().to_list() == []


async def test_ledger_refuses_another_source_and_interrupted_runs_need_resume(
    store_names, ledger_at
) -> None:
    src, dst = await _pair(store_names)
    with Ledger(ledger_at("run")) as ledger:
        await _run(src, dst, ledger)
        with pytest.raises(unicrm.ConfigurationError, match="belongs to"):
            await migrate(
                src, dst, ledger=ledger, source_label="memory://other", target_label="memory://dst"
            )
        ledger.begin_run("memory://src", "memory://dst")  # a run that never finished
        with pytest.raises(unicrm.ConfigurationError, match="--resume"):
            await _run(src, dst, ledger)
        assert (await _run(src, dst, ledger, resume=True)).state == "complete"


async def test_unmapped_won_stage_is_a_configuration_error(store_names, seed, ledger_at) -> None:
    src, dst = await _pair(store_names)
    await seed(src, contacts=2, leads=5)
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    route = mapping.route(unicrm.EntityKind.LEAD)
    mapping = mapping.with_route(
        attrs.evolve(route, stages={k: v for k, v in route.stages.items() if k != "1/won"})
    )
    with (
        Ledger(ledger_at("run")) as ledger,
        pytest.raises(unicrm.ConfigurationError, match="won stage 1/won"),
    ):
        await _run(src, dst, ledger, mapping=mapping)
