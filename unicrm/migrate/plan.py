"""The planning stage: every decision a run makes, made once, for the dry run and the real run.

:func:`plan` turns the effective mapping and the two schemas into
:class:`~unicrm.migrate.decisions.Decision` s (routes, pipelines, stages, links, fields,
standard fields the target cannot hold, where notes go, users); :class:`ValueCounter` counts,
while records are mapped, the values that go to the note. Both runs call both, so the dry run's
decisions are the real run's. What only the target's answers can tell (a field it refuses that
it did not declare) is reported apart, as ``learned``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from unicrm.migrate.automap import Schema, target_pipeline
from unicrm.migrate.decisions import Decision, counted, plural, sort_key
from unicrm.migrate.links import SHAPES
from unicrm.migrate.mapping import Mapping, MissingPolicy
from unicrm.migrate.names import automatic_reasons, stage_names
from unicrm.migrate.routes import default_route
from unicrm.migrate.tables import ORDER, PipelinePolicy, Route, links_of, migrated
from unicrm.migrate.transform import DROPPED, NOTED
from unicrm.migrate.users import UserMatch
from unicrm.model import EntityKind

#: What the missing-field policy does with a value, in words.
POLICY_OUTCOME = {
    MissingPolicy.NOTE: NOTED,
    MissingPolicy.DROP: DROPPED,
    MissingPolicy.FAIL: "stops the run",
}


def _route(entity: EntityKind, route: Route) -> Decision:
    usual = default_route(entity)
    same = (route.target, route.pipelines, route.pipeline) == (
        usual.target,
        usual.pipelines,
        usual.pipeline,
    )
    how = {
        PipelinePolicy.MATCH: ", pipelines matched by name",
        PipelinePolicy.CREATE: ", pipelines matched by name or created",
        PipelinePolicy.OWN: f", all in the pipeline {route.pipeline!r}",
        PipelinePolicy.NONE: "",
    }[route.pipelines]
    reason = "the default route" if same else "set in the mapping"
    outcome = f"become {plural(route.target)}{how}"
    return Decision("route", str(entity), plural(str(entity)), outcome, reason)


def _pipelines(
    route: Route, source: Schema, target: Schema, created: frozenset[str]
) -> Iterator[Decision]:
    """Each source pipeline's target pipeline, and each source stage's target stage."""
    entity = route.source
    mine, theirs = stage_names(source, route.source_kind), stage_names(target, route.target_kind)
    automatic = automatic_reasons(route, source, target)
    for pipeline in source.pipelines_of(route.source_kind):
        into = target_pipeline(route, pipeline, target)
        if into is None:
            yield Decision("pipeline", entity, pipeline.name, "no target pipeline")
            continue
        named = into.name.casefold() == pipeline.name.casefold()
        reason = (
            "the route's own pipeline"
            if route.pipelines is PipelinePolicy.OWN
            else ("same name" if named else "no pipeline of that name: the default one")
        )
        if into.name.casefold() in created:
            reason += ", created by the migration"
        yield Decision("pipeline", entity, pipeline.name, into.name, reason)
    for key, name in mine.items():
        chosen = route.stages.get(key)
        auto = automatic.get(key)
        if chosen is not None:
            how = auto[1] if auto is not None and auto[0] == chosen else "set in the mapping"
            yield Decision("stage", entity, name, theirs.get(chosen, chosen), how)
        elif route.default_stage:
            default = theirs.get(route.default_stage, route.default_stage)
            yield Decision("stage", entity, name, default, "not listed: the default stage")
        else:
            yield Decision("stage", entity, name, "none", "not listed and no default stage")


def _unmoved(
    source: Schema, target: Schema, migrating: tuple[EntityKind, ...]
) -> Iterator[Decision]:
    """The source's kinds that are not moved, and why."""
    for entity in ORDER:
        if entity not in source.entities or entity in migrating:
            continue
        name = plural(str(entity))
        read_as = [k for k in source.shares(entity) if k in migrating]
        if read_as:
            yield Decision(
                "route",
                str(entity),
                name,
                f"read as {plural(str(read_as[0]))}",
                f"the source keeps {name} and {plural(str(read_as[0]))} as the same records",
            )
        else:
            yield Decision("route", str(entity), name, "not migrated", "the target has no place")


def _links(
    entity: EntityKind, kind: EntityKind, mapping: Mapping, moving: tuple[EntityKind, ...]
) -> Iterator[Decision]:
    for link in links_of(kind):
        if link.mirror:
            outcome, reason = "written from the other side", f"the {plural(link.entity)} own it"
        elif migrated(link.entity, moving) is not None:
            outcome, reason = f"the target's {link.entity} ids", "remapped through the ledger"
            if not SHAPES[link.shape][2]:
                reason += (
                    f"; an id naming no migrated {link.entity}: {POLICY_OUTCOME[mapping.missing]}"
                )
        elif mapping.keep_company_ids:
            outcome, reason = "kept as they are", "keep_company_ids = true"
        else:
            outcome = POLICY_OUTCOME[mapping.missing]
            reason = f"{plural(link.entity)} are not migrated: their ids mean nothing in the target"
        yield Decision("link", str(entity), link.field, outcome, reason)


def _fields(
    entity: EntityKind, kind: EntityKind, mapping: Mapping, target: Schema
) -> Iterator[Decision]:
    existing = {f.key: f for f in target.field_list(kind)}
    for key, rule in mapping.rules(entity).items():
        subject = f"{rule.label or key} ({key})" if rule.label and rule.label != key else key
        if rule.create:
            outcome = f"a new {rule.type} field {rule.label or key!r}"
            reason = "the target has no field of that name and type"
        elif rule.target:
            field = existing.get(rule.target)
            label = field.label if field is not None else rule.label or rule.target
            outcome = f"the target field {label!r} ({rule.target})"
            reason = "set in the mapping" if field is None else "matched by key or label"
        else:
            outcome = POLICY_OUTCOME[mapping.missing]
            reason = "the target has no such field"
        yield Decision("field", str(entity), subject, outcome, reason)
    for name in sorted(mapping.target_lacks(kind)):
        yield Decision(
            "standard",
            str(entity),
            name,
            POLICY_OUTCOME[mapping.missing],
            f"the target cannot store it on a {kind}",
        )


def _note(mapping: Mapping, target: Schema, kinds: list[EntityKind]) -> Decision:
    lacking = [k for k in kinds if "comments" in mapping.target_lacks(k)]
    if mapping.note_field.startswith("custom."):
        where = f"the custom field {mapping.note_field.removeprefix('custom.')}"
        return Decision("note", "", "notes", f"go to {where}", "set in the mapping")
    if not lacking:
        return Decision("note", "", "notes", "go to the comments", "the target has comments")
    if target.can_create_fields:
        return Decision(
            "note",
            "",
            "notes",
            "go to a new text field 'unicrm migration note'",
            f"the target has no comments on {', '.join(map(str, lacking))}",
        )
    return Decision("note", "", "notes", DROPPED, "the target has neither comments nor fields")


def plan(
    mapping: Mapping,
    source: Schema,
    target: Schema,
    entities: tuple[EntityKind, ...] = ORDER,
    *,
    created: frozenset[str] = frozenset(),
    users: list[UserMatch] | None = None,
    migrating: tuple[EntityKind, ...] = ORDER,
) -> list[Decision]:
    """Every decision the run makes before it reads a record (see the module docstring).

    ``created``: the (case-folded) names of the target pipelines this run creates; ``users``:
    how the source users were matched (:func:`~unicrm.migrate.users.match_users`);
    ``migrating``: the kinds read and routed (their links are remapped).
    """
    decisions: list[Decision] = list(_unmoved(source, target, migrating))
    kinds = []
    for entity in entities:
        if entity not in migrating:
            continue
        route = mapping.route(entity)
        kinds.append(route.target_kind)
        decisions.append(_route(entity, route))
        decisions.extend(_pipelines(route, source, target, created))
        decisions.extend(_links(entity, route.target_kind, mapping, migrating))
        decisions.extend(_fields(entity, route.target_kind, mapping, target))
    decisions.append(_note(mapping, target, kinds))
    for match in users or ():
        outcome = match.target.label() if match.target else "kept as it is"
        decisions.append(Decision("user", "", match.source.label(), outcome, match.how))
    return sorted(decisions, key=sort_key)


def unmapped_stages(
    mapping: Mapping, source: Schema, entities: tuple[EntityKind, ...]
) -> list[str]:
    """The source stages no record in them could be written from: won or lost stages the
    route does not list, open ones when it has no default stage either."""
    problems = []
    for entity in entities:
        route = mapping.route(entity)
        if route.pipelines is PipelinePolicy.NONE or entity not in source.entities:
            continue
        names = stage_names(source, entity)
        for pipeline in source.pipelines_of(entity):
            for stage in pipeline.stages:
                key = f"{pipeline.id}/{stage.id}"
                open_ok = stage.semantic == "open" and route.default_stage
                if key not in route.stages and not open_ok:
                    problems.append(
                        f"{stage.semantic} stage {key} ({names[key]}) has no target stage; "
                        f"add it to [routes.{entity}.stages]"
                    )
    return problems


class ValueCounter:
    """Counts, per entity and value name, the records whose value went to the note (or was
    dropped): the ``values`` decisions."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def __call__(self, entity: EntityKind, names: tuple[str, ...], outcome: str) -> None:
        for name in names:
            self.counts[(str(entity), name, outcome)] += 1

    def decisions(self) -> list[Decision]:
        return counted(
            self.counts, {NOTED: "the target cannot hold them", DROPPED: "missing = drop"}
        )
