"""The mapping decisions a run reports (stages by name, fields, the missing-field policy)."""

from __future__ import annotations

from typing import Any

from unicrm.migrate.automap import Schema, stage_key
from unicrm.migrate.mapping import Mapping
from unicrm.model import EntityKind


def describe_mapping(mapping: Mapping, source: Schema, target: Schema) -> dict[str, Any]:
    """The mapping decisions worth showing (stages by name, fields, policy)."""
    names = {
        stage_key(p.id, s.id): f"{p.name} / {s.name}"
        for p in source.pipelines_of(EntityKind.LEAD)
        for s in p.stages
    }
    target_names = {
        stage_key(p.id, s.id): f"{p.name} / {s.name}"
        for p in target.pipelines_of(EntityKind.LEAD)
        for s in p.stages
    }
    route = mapping.route(EntityKind.LEAD)
    stages = {names.get(k, k): target_names.get(v, v) for k, v in sorted(route.stages.items())}
    for key, label in names.items():
        if key not in route.stages:
            stages[label] = (
                f"{target_names.get(route.default_stage, route.default_stage)} (default)"
            )
    fields: dict[str, str] = {}
    for entity in EntityKind:
        for source_key, rule in mapping.rules(entity).items():
            outcome = (
                rule.target
                if rule.target
                else ("create" if rule.create else f"missing -> {mapping.missing}")
            )
            fields[f"{entity}.{source_key}"] = outcome
    return {
        "stages": stages,
        "fields": fields,
        "missing": str(mapping.missing),
        "note_field": mapping.note_field,
        "target_lacks": {k: list(v) for k, v in mapping.lacks.items()},
    }
