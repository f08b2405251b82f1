"""The ``[routes]`` table of the mapping file: reading it, checking it, writing it.

::

    [routes.lead]               # a source entity
    to = "lead"                 # the target entity its records become
    pipelines = "match"         # match | create | own | none (see PipelinePolicy)
    pipeline = ""               # with "own": the name of the one target pipeline
    default_stage = "9/100"     # target "pipeline/stage" for open stages not listed below
    [routes.lead.stages]
    "0/NEW" = "9/100"           # source "pipeline/stage" = target "pipeline/stage"

A route left out keeps its default (:data:`unicrm.migrate.tables.ROUTES`); a key left out of a
route keeps the default route's value. Every mistake is a ``ConfigurationError`` naming the
table, the key and what would be accepted.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from typing import Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.migrate.tables import ORDER, PIPELINED, ROUTABLE, ROUTES, PipelinePolicy, Route
from unicrm.model import EntityKind

_KEYS = frozenset({"to", "pipelines", "pipeline", "default_stage", "stages"})


def _names(kinds: tuple[EntityKind, ...] | frozenset[EntityKind]) -> str:
    return ", ".join(sorted(str(k) for k in kinds))


def _kind(name: str, where: str, allowed: tuple[EntityKind, ...]) -> EntityKind:
    kind = next((k for k in allowed if str(k) == name), None)
    if kind is None:
        raise ConfigurationError(f"mapping: {where}: {name!r} is not one of {_names(allowed)}")
    return kind


def _stage_keys(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, AbcMapping):
        raise ConfigurationError(f"mapping: {where} must be a table of strings")
    stages = {str(k): str(v) for k, v in value.items()}
    for key, target in stages.items():
        for text in (key, target):
            if "/" not in text:
                raise ConfigurationError(
                    f'mapping: {where}: {text!r} is not a "pipeline/stage" pair '
                    '(such as "0/NEW"; --init-mapping writes them all)'
                )
    return stages


def check_route(route: Route, where: str) -> Route:
    """``route`` if it is consistent (a ConfigurationError saying why not)."""
    source = _kind(route.source, where, ORDER)
    target = _kind(route.target, f"{where} to", ROUTABLE[source])
    pipelined = source in PIPELINED and target in PIPELINED
    if pipelined and route.pipelines is PipelinePolicy.NONE:
        raise ConfigurationError(
            f'mapping: {where}: a {source} routed to {target} needs pipelines = "match", '
            '"create" or "own"'
        )
    if not pipelined and route.pipelines is not PipelinePolicy.NONE:
        raise ConfigurationError(
            f"mapping: {where}: {source} -> {target} has no pipelines; drop pipelines = "
            f'"{route.pipelines}"'
        )
    if route.pipelines is PipelinePolicy.OWN and not route.pipeline.strip():
        raise ConfigurationError(
            f'mapping: {where}: pipelines = "own" needs pipeline = "<the pipeline\'s name>"'
        )
    if route.default_stage and "/" not in route.default_stage:
        raise ConfigurationError(
            f'mapping: {where}: default_stage {route.default_stage!r} is not "pipeline/stage"'
        )
    return route


def default_route(entity: EntityKind) -> Route:
    """The route of ``entity`` when the mapping names none."""
    return ROUTES.get(entity) or Route(str(entity), str(entity))


def route_from_data(name: str, value: Any) -> Route:
    """The route of ``[routes.<name>]`` (checked)."""
    where = f"[routes.{name}]"
    if not isinstance(value, AbcMapping):
        raise ConfigurationError(f"mapping: {where} must be a table")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ConfigurationError(
            f"mapping: {where} has unknown keys {unknown} (known: {', '.join(sorted(_KEYS))})"
        )
    base = default_route(_kind(name, where, ORDER))
    policy = str(value.get("pipelines", base.pipelines))
    if policy not in {str(p) for p in PipelinePolicy}:
        raise ConfigurationError(
            f"mapping: {where} pipelines = {policy!r} is not one of "
            f"{', '.join(str(p) for p in PipelinePolicy)}"
        )
    target = str(value.get("to", base.target))
    if "pipelines" not in value and target != base.target:
        # another target entity: pipelines follow whether it has any
        pipelined = EntityKind(name) in PIPELINED and target in {str(k) for k in PIPELINED}
        policy = str(PipelinePolicy.MATCH if pipelined else PipelinePolicy.NONE)
    route = Route(
        source=name,
        target=target,
        pipelines=PipelinePolicy(policy),
        pipeline=str(value.get("pipeline", base.pipeline)),
        stages=_stage_keys(value.get("stages", {}), f"{where}.stages"),
        default_stage=str(value.get("default_stage", "")),
    )
    return check_route(route, where)


def route_to_data(route: Route) -> dict[str, Any]:
    """The ``[routes.<source>]`` table of ``route``."""
    data: dict[str, Any] = {"to": route.target, "pipelines": str(route.pipelines)}
    if route.pipeline:
        data["pipeline"] = route.pipeline
    if route.pipelines is not PipelinePolicy.NONE:
        data["default_stage"] = route.default_stage
        data["stages"] = dict(route.stages)
    return data


def routes_from_data(
    routes: AbcMapping[str, Any], legacy_stages: AbcMapping[str, Any]
) -> dict[str, Route]:
    """Every ``[routes.*]`` table, plus the ``[stages]`` table of version-1 files (the lead
    route's stages, as files and ledgers written before routes existed have them)."""
    found = {str(name): route_from_data(str(name), value) for name, value in routes.items()}
    if legacy_stages:
        lead = str(EntityKind.LEAD)
        if lead in found and (found[lead].stages or found[lead].default_stage):
            raise ConfigurationError(
                "mapping: both [stages] and [routes.lead] list stages; keep [routes.lead] only"
            )
        base = found.get(lead) or default_route(EntityKind.LEAD)
        found[lead] = attrs.evolve(
            base,
            stages=_stage_keys(legacy_stages.get("map", {}), "[stages.map]"),
            default_stage=str(legacy_stages.get("default", "")),
        )
    return found
