"""The automatic mapping: what ``--init-mapping`` writes and what the demo runs with.

Rules, in order:

* Pipelines: a source pipeline goes to the target pipeline of the same name (case-folded),
  else to the target's default pipeline.
* Stages: won and lost stages go to the target pipeline's first stage of the same semantic
  (matched by semantic); open stages go to the same-named open stage of that pipeline (matched
  by name), else to the named default (the first open stage of the target default pipeline).
* Custom fields: a source field goes to the target field with the same key, else the same
  label (case-folded), when the types agree; otherwise it is created when the target can
  create fields, else it is left to the missing-field policy. Select options that differ only
  in case are mapped to the target's spelling.
* Users: ids are kept as they are unless the file maps them.
"""

from __future__ import annotations

import attrs

from unicrm.migrate.mapping import FieldRule, Mapping, MissingPolicy
from unicrm.model import CustomFieldDef, CustomFieldType, EntityKind, Pipeline, StageSemantic


@attrs.frozen
class Schema:
    """What the mapping needs to know about one side: pipelines, fields, abilities."""

    pipelines: tuple[Pipeline, ...]
    fields: dict[EntityKind, tuple[CustomFieldDef, ...]]
    can_create_fields: bool = False
    can_delete: bool = True

    def field_list(self, entity: EntityKind) -> tuple[CustomFieldDef, ...]:
        return self.fields.get(entity, ())

    @property
    def default_pipeline(self) -> Pipeline | None:
        return next((p for p in self.pipelines if p.is_default), None) or next(
            iter(self.pipelines), None
        )


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


def _target_pipeline(source: Pipeline, target: Schema) -> Pipeline | None:
    by_name = {p.name.casefold(): p for p in target.pipelines}
    return by_name.get(source.name.casefold()) or target.default_pipeline


def _stages(source: Schema, target: Schema) -> tuple[dict[str, str], str]:
    default_pipeline = target.default_pipeline
    if default_pipeline is None:
        return {}, ""
    first_open = next(iter(default_pipeline.by_semantic(StageSemantic.OPEN)), None)
    default = stage_key(default_pipeline.id, first_open.id) if first_open else ""
    found: dict[str, str] = {}
    for pipeline in source.pipelines:
        into = _target_pipeline(pipeline, target)
        if into is None:
            continue
        for stage in pipeline.stages:
            if stage.semantic is not StageSemantic.OPEN:
                match = next(iter(into.by_semantic(stage.semantic)), None)
            else:
                match = next(
                    (
                        s
                        for s in into.by_semantic(StageSemantic.OPEN)
                        if s.name.casefold() == stage.name.casefold()
                    ),
                    None,
                )
            if match is not None:
                found[stage_key(pipeline.id, stage.id)] = stage_key(into.id, match.id)
    return found, default


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
    stages, default = _stages(source, target)
    fields = {
        str(entity): {f.key: _field_rule(f, target, entity) for f in source.field_list(entity)}
        for entity in EntityKind
    }
    return Mapping(
        stages=stages,
        default_stage=default,
        fields=fields,
        missing=missing,
    )
