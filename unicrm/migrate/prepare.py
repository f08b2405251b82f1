"""Set-up before the first record moves: schemas, the effective mapping, the target fields.

The effective mapping is the user's (or the automatic one), plus what the target declares it
cannot store, plus what earlier runs learned and kept in the ledger (fields they created,
fields the target refused, where the note went). A real run then creates the custom fields
the mapping asks for, and a note field when the target has no comments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import attrs

from unicrm.crm import AsyncCRM
from unicrm.errors import ConfigurationError, ValidationError
from unicrm.migrate.automap import (
    Schema,
    auto_mapping,
    compatible,
    complete_routes,
    migrating,
    stage_key,
)
from unicrm.migrate.mapping import Mapping, loads
from unicrm.migrate.pipelines import ensure_pipelines, pipeline_creator, read_pipelines
from unicrm.migrate.plan import plan, unmapped_stages
from unicrm.migrate.run import SET_UP_RETRY, Run, backoff
from unicrm.migrate.tables import PIPELINED
from unicrm.migrate.users import UserMatch, match_users, read_users, users_map
from unicrm.model import CustomFieldDef, EntityKind, StageSemantic

NOTE_FIELD = CustomFieldDef(key="UNICRM_NOTE", label="unicrm migration note", type="text")


async def load_schema(crm: AsyncCRM) -> Schema:
    """Entities, pipelines, custom fields and abilities of a CRM."""
    caps = crm.capabilities
    fields = {e: tuple(await crm.collection(e).custom_fields()) for e in caps.entities}
    pipelines = {e: await read_pipelines(crm, e) for e in caps.entities if e in PIPELINED}
    return Schema(
        pipelines=pipelines,
        fields=fields,
        can_create_fields=caps.supports_custom_field_create,
        can_delete=caps.supports_delete,
        entities=frozenset(caps.entities),
        can_create_pipelines=pipeline_creator(crm) is not None,
        same_records=caps.same_records,
    )


def stage_semantics(schema: Schema) -> dict[str, dict[str, StageSemantic]]:
    """Per entity name, ``"pipeline/stage"`` -> semantic."""
    return {
        str(entity): {stage_key(p.id, s.id): s.semantic for p in pipelines for s in p.stages}
        for entity, pipelines in schema.pipelines.items()
    }


def with_learned(mapping: Mapping, learned: Mapping) -> Mapping:
    """``mapping`` plus what an earlier run learned (``learned``, kept in the ledger): the
    fields the target lacks, the fields it created, a note field it moved notes to."""
    for entity in EntityKind:
        mapping = mapping.with_lacks(entity, learned.target_lacks(entity))
    for entity in EntityKind:
        for source, rule in learned.rules(entity).items():
            mine = mapping.rules(entity).get(source)
            if mine is not None and mine.create and rule.target and not rule.create:
                mapping = mapping.with_field_target(entity, source, rule.target)
    if learned.note_field.startswith("custom.") and mapping.note_field == "comments":
        mapping = attrs.evolve(mapping, note_field=learned.note_field)
    return mapping


async def prepare(run: Run) -> None:
    """Schemas, the effective mapping and (real runs) the custom fields to create."""
    source_schema = await run.retrying(lambda: load_schema(run.source))
    run.target_schema = await run.retrying(lambda: load_schema(run.target))
    mapping = run.options.mapping or auto_mapping(source_schema, run.target_schema)
    mapping = complete_routes(mapping, source_schema, run.target_schema)
    run.migrating = migrating(mapping, source_schema, run.target_schema)
    run.entities = tuple(e for e in run.migrating if e in run.options.entities)
    for entity in EntityKind:
        declared = run.target.capabilities.cannot_store(entity)
        if declared:
            mapping = mapping.with_lacks(entity, set(declared))
    stored = run.ledger.get_meta("mapping") if run.ledger else None
    if stored:
        mapping = with_learned(mapping, loads(stored))
    run.mapping, users = await match_run_users(run, mapping)
    run.target_schema, created = await ensure_pipelines(run, source_schema, run.entities)
    run.target_stages = stage_semantics(run.target_schema)
    entities = run.entities
    run.report.decisions = plan(
        run.mapping,
        source_schema,
        run.target_schema,
        entities,
        created=created,
        users=users,
        migrating=run.migrating,
    )
    run.report.unmatched_users = [m.source.label() for m in users if not m.matched]
    problems = unmapped_stages(run.mapping, source_schema, entities)
    if problems:
        raise ConfigurationError("mapping: " + "; ".join(problems))
    targets = [run.target_of(e) for e in entities]
    lacking = [k for k in targets if "comments" in run.mapping.target_lacks(k)]
    if run.options.dry_run:
        plan_set_up(run, bool(lacking))
        return
    await create_fields(run)
    if lacking:
        await ensure_note_field(run, lacking[0])
    run.save_mapping()


def plan_set_up(run: Run, note_field: bool) -> None:
    """What a dry run maps with instead of creating fields: the keys a real run proposes
    (the target may pick others; the values land in the same fields either way)."""
    for entity in EntityKind:
        for source, rule in run.mapping.rules(entity).items():
            if rule.create:
                run.mapping = run.mapping.with_field_target(entity, source, rule.definition().key)
    assert run.target_schema is not None
    if note_field and run.mapping.note_field == "comments" and run.target_schema.can_create_fields:
        run.mapping = attrs.evolve(run.mapping, note_field=f"custom.{NOTE_FIELD.key}")


async def match_run_users(run: Run, mapping: Mapping) -> tuple[Mapping, list[UserMatch]]:
    """Match the source users to the target's when both CRMs expose users: the mapping's
    ``[users]`` become every source user's target (see :mod:`unicrm.migrate.users`)."""
    mine = await run.retrying(lambda: read_users(run.source))
    theirs = await run.retrying(lambda: read_users(run.target))
    if mine is None or theirs is None:
        return mapping, []
    default = mapping.default_user or theirs[1]
    matches = match_users(mine[0], theirs[0], mapping.users, default)
    users = {**mapping.users, **users_map(matches)}
    return attrs.evolve(mapping, users=users, default_user=default), matches


async def create_fields(run: Run) -> None:
    """Map rules marked ``create`` to a target field of the same label, creating the
    missing ones per entity in one call (one vendor request where the vendor allows)."""
    for entity in EntityKind:
        wanted = {s: r for s, r in run.mapping.rules(entity).items() if r.create}
        if not wanted:
            continue
        definitions = [r.definition() for r in wanted.values()]
        fields = await fields_by_label(run, run.target_of(entity), definitions)
        for source, target in zip(wanted, fields, strict=True):
            run.mapping = run.mapping.with_field_target(entity, source, target.key)


async def fields_by_label(
    run: Run, entity: EntityKind, definitions: Sequence[CustomFieldDef]
) -> list[CustomFieldDef]:
    """The target's field of each definition's label, creating the missing ones.

    Safe to repeat after a failure that may have landed (a timeout, a 5xx): each attempt
    reads the fields again first. A refusal (``ValidationError``) is usually a proposed
    key taken by a field the neutral model cannot see (a money field ``UF_CRM_BUDGET``): the
    next attempt proposes ``KEY_2``, ``KEY_3`` ... (the key is only a proposal; the label is
    what the mapping matches).
    """
    collection = run.target.collection(entity)
    wanted = {d.label.casefold(): d for d in definitions}
    for attempt in range(run.options.max_attempts):
        try:
            # by label, among the fields whose type can hold the values as they are
            existing: dict[str, CustomFieldDef] = {}
            for field in await collection.custom_fields():
                want = wanted.get(field.label.casefold())
                if want is not None and compatible(want.type, field.type):
                    existing.setdefault(field.label.casefold(), field)
            missing = [d for label, d in wanted.items() if label not in existing]
            for new in await collection.create_custom_fields(missing) if missing else ():
                existing.setdefault(new.label.casefold(), new)
                run.report.created.append(f"{entity} field {new.label!r} ({new.key})")
            return [existing[d.label.casefold()] for d in definitions]
        except SET_UP_RETRY as exc:
            if attempt + 1 == run.options.max_attempts:
                raise
            if isinstance(exc, ValidationError):
                wanted = {
                    label: attrs.evolve(d, key=f"{_base_key(d.key)}_{attempt + 2}")
                    for label, d in wanted.items()
                }
                continue
            await asyncio.sleep(backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


async def ensure_note_field(run: Run, entity: EntityKind) -> None:
    """The target lacks comments: move notes into a custom text field if possible."""
    if run.mapping.note_field != "comments":
        return
    assert run.target_schema is not None
    if not run.target_schema.can_create_fields:
        run.report.warn("the target has no comments and no custom fields: notes are dropped")
        return
    kinds = sorted({run.target_of(e) for e in run.entities} | {entity}, key=str)
    keys = {kind: (await fields_by_label(run, kind, [NOTE_FIELD]))[0].key for kind in kinds}
    if len(set(keys.values())) != 1:
        run.report.warn(f"note fields differ per entity: {keys}; using the {entity} one")
    run.mapping = attrs.evolve(run.mapping, note_field=f"custom.{keys[entity]}")


def _base_key(key: str) -> str:
    """``BUDGET_3`` -> ``BUDGET`` (the key :func:`fields_by_label` first proposed)."""
    stem, _, number = key.rpartition("_")
    return stem if stem and number.isdigit() else key
