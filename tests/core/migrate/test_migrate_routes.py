"""Routes: the ``[routes]`` table (defaults, validation, round trip) and pipelines they create."""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import pytest

import unicrm
from unicrm import EntityKind, Pipeline, Stage
from unicrm.errors import ConfigurationError
from unicrm.migrate import Ledger, auto_mapping, load_schema, loads, verify
from unicrm.migrate.mapping import dumps
from unicrm.migrate.tables import ROUTES, PipelinePolicy, Route
from unicrm_memory.adapter import MemoryAdapter

pytestmark = pytest.mark.anyio
LEAD = EntityKind.LEAD


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[routes.leed]\nto = 'lead'",
            r"\[routes.leed\]: 'leed' is not one of company, contact, deal, lead",
        ),
        (
            "[routes.lead]\nto = 'contact'",
            r"\[routes.lead\] to: 'contact' is not one of deal, lead",
        ),
        (
            "[routes.lead]\npipelines = 'sideways'",
            r"pipelines = 'sideways' is not one of match, create, own, none",
        ),
        ("[routes.lead]\npipelines = 'own'", r'pipelines = "own" needs pipeline = '),
        ("[routes.lead]\npipelines = 'none'", r'lead routed to lead needs pipelines = "match"'),
        ("[routes.contact]\npipelines = 'match'", r"contact -> contact has no pipelines; drop"),
        ("[routes.lead]\nfrom = 'x'", r"\[routes.lead\] has unknown keys \['from'\]"),
        ("[routes.lead.stages]\nNEW = '1/new'", r"'NEW' is not a \"pipeline/stage\" pair"),
        ("[routes.lead]\ndefault_stage = 'new'", r"default_stage 'new' is not \"pipeline/stage\""),
        ("[routez.lead]\nto = 'lead'", r"unknown keys \['routez'\]"),
        (
            "[stages.map]\n'1/a' = '1/b'\n[routes.lead.stages]\n'1/a' = '1/c'",
            r"both \[stages\] and \[routes.lead\] list stages",
        ),
    ],
)
def test_bad_routes_are_clear_configuration_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        loads(text)


def test_routes_default_round_trip_and_older_stage_tables_still_load() -> None:
    mapping = loads("")
    assert mapping.route(LEAD) == ROUTES[LEAD]
    assert mapping.route(EntityKind.CONTACT) == Route("contact", "contact")
    own = Route("lead", "lead", "own", "From the old CRM", {"0/NEW": "5/1"}, "5/1")
    again = loads(dumps(mapping.with_route(own)))
    assert again.route(LEAD) == own
    older = loads('[stages]\ndefault = "1/new"\n[stages.map]\n"0/NEW" = "1/new"\n')
    assert older.route(LEAD) == attrs.evolve(
        ROUTES[LEAD], stages={"0/NEW": "1/new"}, default_stage="1/new"
    )


class PipelineCRM(unicrm.AsyncCRM):
    """A memory CRM that can create pipelines (as a vendor adapter with pipeline creation)."""

    created: list[Pipeline]
    _ids = itertools.count(100)

    async def create_pipeline(self, entity: EntityKind, pipeline: Pipeline) -> Pipeline:
        assert entity is LEAD
        number = next(self._ids)
        made = Pipeline(
            str(number),
            pipeline.name,
            [Stage(f"{number}{s.id}", s.name, s.semantic, s.sort) for s in pipeline.stages],
        )
        self.adapter.store.pipelines[entity].append(made)  # type: ignore[attr-defined]
        self.created.append(made)
        return made


def _pipeline_crm(name: str) -> PipelineCRM:
    crm = PipelineCRM(MemoryAdapter.from_url(f"memory://{name}", {}))
    crm.created = []
    return crm


async def _own_route_mapping(src: Any, dst: Any) -> Any:
    mapping = auto_mapping(await load_schema(src), await load_schema(dst))
    own = Route("lead", "lead", PipelinePolicy.OWN, "From the old CRM")
    return mapping.with_route(own)


async def test_an_own_pipeline_is_created_once_and_the_stages_keep_their_order(
    store_names: tuple[str, str], seed: Any, run_s_to_t: Any, ledger_at: Any
) -> None:
    src = unicrm.connect_async(f"memory://{store_names[0]}")
    await seed(src, contacts=6, leads=15)
    dst = _pipeline_crm(store_names[1])
    mapping = await _own_route_mapping(src, dst)
    dry = await run_s_to_t(src, dst, None, mapping=mapping)
    assert dst.created == []  # a dry run creates nothing ...
    planned = [d for d in dry.decisions if d.topic == "pipeline" and d.entity == "lead"]
    assert [(d.outcome, d.reason) for d in planned] == [
        ("From the old CRM", "the route's own pipeline, created by the migration")
    ]
    with Ledger(ledger_at("run")) as ledger:
        report = await run_s_to_t(src, dst, ledger, mapping=mapping)
        assert report.state == "complete", report.errors
        assert [d for d in report.decisions if d.topic == "pipeline" and d.entity == "lead"] == (
            planned  # the same
        )
        assert f"lead pipeline 'From the old CRM' ({dst.created[0].id})" in report.created
        assert (await verify(src, dst, ledger=ledger, source_label="s")).differences == 0
    assert [p.name for p in dst.created] == ["From the old CRM"]
    own = dst.created[0]
    leads = await dst.leads.all().to_list()
    assert {lead.stage.pipeline_id for lead in leads if lead.stage} == {own.id}
    # each source stage went to its namesake in the new pipeline, not all into the first
    assert {lead.stage.stage_id for lead in leads if lead.stage} == {s.id for s in own.stages}
    with Ledger(ledger_at("second")) as ledger:
        await run_s_to_t(src, dst, ledger, mapping=mapping)
    assert len(dst.created) == 1  # the second run found it by name


async def test_a_target_that_cannot_create_pipelines_falls_back_to_matching_and_says_so(
    memory_pair: Any, seed: Any, run_s_to_t: Any, ledger_at: Any
) -> None:
    src, dst = memory_pair
    await seed(src, contacts=3, leads=5)
    mapping = await _own_route_mapping(src, dst)
    with Ledger(ledger_at("run")) as ledger:
        report = await run_s_to_t(src, dst, ledger, mapping=mapping)
        assert report.state == "complete", report.errors
        assert (await verify(src, dst, ledger=ledger, source_label="s")).differences == 0
    assert any("cannot create pipelines" in w and "From the old CRM" in w for w in report.warnings)
    assert {lead.stage.pipeline_id for lead in await dst.leads.all().to_list() if lead.stage} == {
        "1"
    }
