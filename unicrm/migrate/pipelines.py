"""Target pipelines for routes that create them (``pipelines = "create"`` or ``"own"``).

For each such route, every source pipeline whose target pipeline does not exist by name gets
one: the run creates it with the source pipeline's stages (the target may add or rename its
own system stages), then matches the stages of the source pipelines that go there by name and
order (:func:`~unicrm.migrate.automap.match_stages`). Matching by name first makes this safe
to repeat: a pipeline created by a crashed run is found, not created twice.

Creating needs ``create_pipeline(entity, pipeline) -> Pipeline`` on the target CRM. A target
without it cannot create pipelines: the route then falls back to ``match`` (the pipeline of
the same name, else the default one) and the report says so. A dry run creates nothing; it
plans the same pipelines under placeholder ids (``new-1`` ...) and reports the same decisions.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from unicrm.crm import AsyncCRM
from unicrm.migrate.automap import Schema, route_stages, target_pipeline
from unicrm.migrate.run import TRANSIENT, Run, backoff
from unicrm.migrate.tables import PipelinePolicy, Route
from unicrm.model import EntityKind, Pipeline

CreatePipeline = Callable[[EntityKind, Pipeline], Awaitable[Pipeline]]


def pipeline_creator(crm: Any) -> CreatePipeline | None:
    """The CRM's ``create_pipeline`` when it has one."""
    create = getattr(crm, "create_pipeline", None)
    return create if callable(create) else None


async def read_pipelines(crm: AsyncCRM, entity: EntityKind) -> tuple[Pipeline, ...]:
    """The pipelines of ``entity`` (``crm.pipelines(entity)`` where the CRM takes the entity;
    a CRM whose ``pipelines()`` takes none has lead pipelines only)."""
    read: Callable[..., Awaitable[list[Pipeline]]] = crm.pipelines
    if len(inspect.signature(read).parameters):
        return tuple(await read(entity))
    return tuple(await read()) if entity is EntityKind.LEAD else ()


async def _create_once(
    run: Run, create: CreatePipeline, entity: EntityKind, spec: Pipeline
) -> Pipeline:
    """Create ``spec``; after a failure that may have landed, look for it by name before
    trying again (a pipeline is never created twice)."""
    for attempt in range(run.options.max_attempts):
        try:
            return await create(entity, spec)
        except TRANSIENT:
            if attempt + 1 == run.options.max_attempts:
                raise
            await asyncio.sleep(backoff(attempt))
            existing = await run.retrying(lambda: read_pipelines(run.target, entity))
            found = next((p for p in existing if p.name.casefold() == spec.name.casefold()), None)
            if found is not None:
                return found
    raise AssertionError("unreachable")  # pragma: no cover


def _wanted(route: Route, source: Schema, target: Schema) -> tuple[list[Pipeline], frozenset[str]]:
    """The target pipelines ``route`` needs and ``target`` lacks, as they would be created,
    and the ids of the source pipelines that go into them."""
    wanted: dict[str, Pipeline] = {}
    lacking: set[str] = set()
    for pipeline in source.pipelines_of(route.source_kind):
        if target_pipeline(route, pipeline, target) is not None:
            continue
        lacking.add(pipeline.id)
        name = route.pipeline if route.pipelines is PipelinePolicy.OWN else pipeline.name
        wanted.setdefault(
            name.casefold(), attrs.evolve(pipeline, id="", name=name, is_default=False)
        )
    return list(wanted.values()), frozenset(lacking)


def _with_pipeline(schema: Schema, entity: EntityKind, pipeline: Pipeline) -> Schema:
    pipelines = dict(schema.pipelines)
    pipelines[entity] = (*schema.pipelines_of(entity), pipeline)
    return attrs.evolve(schema, pipelines=pipelines)


async def ensure_pipelines(
    run: Run, source: Schema, entities: tuple[EntityKind, ...]
) -> tuple[Schema, frozenset[str]]:
    """Create (or plan) the pipelines the routes of ``entities`` need; return the target
    schema with them and their (case-folded) names, and leave the stages of the source
    pipelines that go into them matched in ``run.mapping``."""
    assert run.target_schema is not None
    target = run.target_schema
    created: set[str] = set()
    create = pipeline_creator(run.target)
    planned = 0
    for entity in entities:
        route = run.mapping.route(entity)
        if route.pipelines not in {PipelinePolicy.CREATE, PipelinePolicy.OWN}:
            continue
        wanted, lacking = _wanted(route, source, target)
        if wanted and create is None:
            names = ", ".join(repr(p.name) for p in wanted)
            run.report.warn(
                f"the target cannot create pipelines: {entity} pipelines {names} go to the "
                "pipeline of the same name, else the default one"
            )
            route = attrs.evolve(route, pipelines=PipelinePolicy.MATCH, pipeline="")
            wanted = []
        for spec in wanted:
            if run.options.dry_run:
                planned += 1
                made = attrs.evolve(spec, id=f"new-{planned}")
            else:
                assert create is not None
                made = await _create_once(run, create, route.target_kind, spec)
                run.report.created.append(f"{route.target} pipeline {made.name!r} ({made.id})")
            target = _with_pipeline(target, route.target_kind, made)
            created.add(spec.name.casefold())
        run.mapping = run.mapping.with_route(route_stages(route, source, target, fill=lacking))
    return target, frozenset(created)
