"""The automatic mapping: what ``--init-mapping`` writes and what runs without a file use.

Rules, in order:

* Routes: every entity both sides have takes its default route
  (:data:`unicrm.migrate.tables.ROUTES`).
* Pipelines, per route policy: ``match`` takes the target pipeline of the same name
  (case-folded), else the target's default pipeline; ``create`` the same name, else a new
  pipeline the run creates; ``own`` the one pipeline named in the route.
* Stages: within each semantic (open, won, lost) a source stage goes to the target stage of
  the same name, else to the target stage at the same position among that semantic's stages
  (the last one when the target has fewer): open stages keep their order instead of all
  collapsing into one. ``default_stage`` (the first open stage of the target pipeline) takes
  open stages the file does not list.
* Custom fields: a source field goes to the target field with the same key, else the same
  label (case-folded), when the types agree; otherwise it is created when the target can
  create fields, else it is left to the missing-field policy. Select options that differ only
  in case are mapped to the target's spelling.
* Users: ids are kept as they are unless the file maps them.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping

import attrs

from unicrm.migrate.mapping import FieldRule, Mapping, MissingPolicy
from unicrm.migrate.routes import default_route
from unicrm.migrate.tables import (
    ORDER,
    PIPELINED,
    READ_PREFERENCE,
    ROUTABLE,
    SHARED_ROUTES,
    PipelinePolicy,
    Route,
)
from unicrm.model import CustomFieldDef, CustomFieldType, EntityKind, Pipeline, Stage


def _pipelines(
    value: AbcMapping[EntityKind, tuple[Pipeline, ...]],
) -> dict[EntityKind, tuple[Pipeline, ...]]:
    return {EntityKind(k): tuple(v) for k, v in value.items()}


@attrs.frozen
class Schema:
    """What the mapping needs to know about one side: entities, pipelines, fields, abilities."""

    pipelines: dict[EntityKind, tuple[Pipeline, ...]] = attrs.field(converter=_pipelines)
    fields: dict[EntityKind, tuple[CustomFieldDef, ...]]
    can_create_fields: bool = False
    can_delete: bool = True
    entities: frozenset[EntityKind] = frozenset(EntityKind)
    can_create_pipelines: bool = False
    #: groups of kinds that are one set of records here (``Capabilities.same_records``)
    same_records: tuple[frozenset[EntityKind], ...] = ()

    def shares(self, entity: EntityKind) -> frozenset[EntityKind]:
        """Every kind whose records are ``entity``'s records here (itself included)."""
        return next((g for g in self.same_records if entity in g), frozenset({entity}))

    def read_kinds(self) -> frozenset[EntityKind]:
        """The kinds a migration reads from this side: one per group of kinds that are the
        same records (the first of :data:`~unicrm.migrate.tables.READ_PREFERENCE`)."""
        chosen: set[EntityKind] = set()
        covered: set[EntityKind] = set()
        for entity in READ_PREFERENCE:
            if entity in self.entities and entity not in covered:
                chosen.add(entity)
                covered |= self.shares(entity)
        return frozenset(chosen)

    def field_list(self, entity: EntityKind) -> tuple[CustomFieldDef, ...]:
        return self.fields.get(entity, ())

    def pipelines_of(self, entity: EntityKind) -> tuple[Pipeline, ...]:
        return self.pipelines.get(entity, ())

    def default_pipeline(self, entity: EntityKind) -> Pipeline | None:
        pipelines = self.pipelines_of(entity)
        return next((p for p in pipelines if p.is_default), None) or next(iter(pipelines), None)

    def pipeline_named(self, entity: EntityKind, name: str) -> Pipeline | None:
        wanted = name.strip().casefold()
        return next((p for p in self.pipelines_of(entity) if p.name.casefold() == wanted), None)


def stage_key(pipeline_id: str, stage_id: str) -> str:
    """The ``"pipeline/stage"`` form used in mapping files."""
    return f"{pipeline_id}/{stage_id}"


#: Field types that can hold each other's values unchanged.
_COMPATIBLE: dict[CustomFieldType, frozenset[CustomFieldType]] = {
    CustomFieldType.TEXT: frozenset({CustomFieldType.TEXT, CustomFieldType.URL}),
    CustomFieldType.URL: frozenset({CustomFieldType.URL, CustomFieldType.TEXT}),
}


def compatible(source: CustomFieldType, target: CustomFieldType) -> bool:
    """Whether a value of ``source`` type can be written to a ``target`` field as it is."""
    return target in _COMPATIBLE.get(source, frozenset({source}))


def target_pipeline(route: Route, source: Pipeline, target: Schema) -> Pipeline | None:
    """The target pipeline of ``source`` under ``route``; None: one the run has to create."""
    entity = route.target_kind
    if route.pipelines is PipelinePolicy.OWN:
        return target.pipeline_named(entity, route.pipeline)
    named = target.pipeline_named(entity, source.name)
    if named is not None or route.pipelines is PipelinePolicy.CREATE:
        return named
    return target.default_pipeline(entity)


def match_stages(source: Pipeline, target: Pipeline) -> dict[str, tuple[Stage, str]]:
    """Source stage id -> (target stage, how it was matched), semantic by semantic."""
    found: dict[str, tuple[Stage, str]] = {}
    for stage in source.stages:
        mine = source.by_semantic(stage.semantic)
        theirs = target.by_semantic(stage.semantic)
        if not theirs:
            continue
        named = next((t for t in theirs if t.name.casefold() == stage.name.casefold()), None)
        if named is not None:
            found[stage.id] = (named, "same name")
            continue
        position = mine.index(stage)
        how = (
            f"the {stage.semantic} stage"
            if len(mine) == len(theirs) == 1
            else f"{stage.semantic} stage {position + 1} of {len(mine)}, by order"
        )
        found[stage.id] = (theirs[min(position, len(theirs) - 1)], how)
    return found


def route_stages(
    route: Route, source: Schema, target: Schema, *, fill: frozenset[str] | None = None
) -> Route:
    """``route`` with its source stages matched automatically where their target pipeline
    exists, and a default stage. ``fill``: the source pipeline ids whose stages to match
    (stages listed already stay); None: every pipeline when the route lists no stages, none
    when it does (a route that lists stages keeps exactly those)."""
    if route.pipelines is PipelinePolicy.NONE:
        return route
    stages = dict(route.stages)
    for pipeline in source.pipelines_of(route.source_kind):
        if (pipeline.id not in fill) if fill is not None else bool(route.stages):
            continue
        into = target_pipeline(route, pipeline, target)
        if into is None:
            continue
        for stage_id, (stage, _how) in match_stages(pipeline, into).items():
            stages.setdefault(stage_key(pipeline.id, stage_id), stage_key(into.id, stage.id))
    default = route.default_stage
    if not default:
        home = (
            target.pipeline_named(route.target_kind, route.pipeline)
            if route.pipelines is PipelinePolicy.OWN
            else target.default_pipeline(route.target_kind)
        )
        first_open = next(iter(home.by_semantic("open")), None) if home else None
        default = stage_key(home.id, first_open.id) if home and first_open else ""
    return attrs.evolve(route, stages=stages, default_stage=default)


def default_route_for(entity: EntityKind, target: Schema) -> Route | None:
    """The default route of ``entity`` into ``target``: the :data:`ROUTES` row, else (the
    target lacks that entity) the first entity of :data:`ROUTABLE` the target has; the
    :data:`SHARED_ROUTES` row where the target keeps that entity in the same records as
    another kind. None: the target has nowhere to put ``entity``."""
    route = default_route(entity)
    if route.target_kind not in target.entities:
        other = next((k for k in ROUTABLE.get(entity, ()) if k in target.entities), None)
        if other is None:
            return None
        pipelined = entity in PIPELINED and other in PIPELINED
        policy = PipelinePolicy.MATCH if pipelined else PipelinePolicy.NONE
        route = Route(str(entity), str(other), policy)
    shared = SHARED_ROUTES.get(entity)
    shares = len(target.shares(route.target_kind)) > 1
    if shared is not None and shares and shared.target_kind == route.target_kind:
        return shared
    return route


def complete_routes(mapping: Mapping, source: Schema, target: Schema) -> Mapping:
    """``mapping`` with a route for every kind read from ``source`` that ``target`` can take:
    the default route where the mapping names none, automatic stages for a route that lists
    none (one that lists stages keeps exactly those), a default stage where it has none."""
    for entity in ORDER:
        if entity not in source.read_kinds():
            continue
        route = mapping.routes.get(str(entity)) or default_route_for(entity, target)
        if route is not None and route.target_kind in target.entities:
            mapping = mapping.with_route(route_stages(route, source, target))
    return mapping


def migrating(mapping: Mapping, source: Schema, target: Schema) -> tuple[EntityKind, ...]:
    """The kinds a run moves, in order: read from ``source``, routed into a kind ``target``
    has."""
    return tuple(
        entity
        for entity in ORDER
        if entity in source.read_kinds() and mapping.route(entity).target_kind in target.entities
    )


def _field_rule(source: CustomFieldDef, target: Schema, entity: EntityKind) -> FieldRule:
    candidates = target.field_list(entity)
    match = next((f for f in candidates if f.key == source.key), None) or next(
        (f for f in candidates if f.label.casefold() == source.label.casefold()), None
    )
    labels = tuple(o.label for o in source.options)
    if match is not None and compatible(source.type, match.type):
        theirs = {o.label.casefold(): o.label for o in match.options}
        values = {
            label: theirs[label.casefold()]
            for label in labels
            if label.casefold() in theirs and theirs[label.casefold()] != label
        }
        return FieldRule(
            source=source.key,
            target=match.key,
            label=match.label,
            type=match.type,
            options=tuple(o.label for o in match.options),
            multiple=match.multiple,
            values=values,
        )
    return FieldRule(
        source=source.key,
        target="",
        create=target.can_create_fields,
        label=source.label,
        type=source.type,
        options=labels,
        multiple=source.multiple,
    )


def auto_mapping(
    source: Schema, target: Schema, *, missing: MissingPolicy = MissingPolicy.NOTE
) -> Mapping:
    """The default mapping from ``source`` to ``target`` (rules in the module docstring)."""
    mapping = complete_routes(Mapping(missing=missing), source, target)
    fields = {
        str(entity): {
            f.key: _field_rule(f, target, mapping.route(entity).target_kind)
            for f in source.field_list(entity)
        }
        for entity in EntityKind
    }
    return attrs.evolve(mapping, fields=fields)
