"""Applying a mapping to one record: source record in, the record to write to the target out.

The same pure function serves the engine (what to write), the dry run (the preview) and
verification (what the target must hold), so the three can never disagree. The output has no
id, vendor, timestamps, ``extra`` or ``raw`` (all target-maintained or vendor-specific), and
carries the origin marker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from collections.abc import Mapping as AbcMapping
from typing import Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.migrate.automap import stage_key
from unicrm.migrate.compare import (
    UNCOMPARED,
    checksum,
    comparable,
    matches,
    present,
    to_plain,
)
from unicrm.migrate.links import IdMaps, LinkMissing, remap_links
from unicrm.migrate.mapping import FieldRule, Mapping, MissingPolicy
from unicrm.model import (
    RECORD_TYPES,
    ContactKind,
    Email,
    EntityKind,
    Money,
    Phone,
    Record,
    StageRef,
    StageSemantic,
)

#: Standard fields the engine may move into the note when the target lacks them, in note order.
NOTABLE: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.LEAD: (
        "title",
        "amount",
        "source",
        "first_name",
        "middle_name",
        "last_name",
        "company_title",
        "post",
        "phones",
        "emails",
        "tags",
        "comments",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
    ),
    EntityKind.CONTACT: (
        "first_name",
        "middle_name",
        "last_name",
        "post",
        "company_title",
        "source",
        "phones",
        "emails",
        "tags",
        "comments",
    ),
    EntityKind.DEAL: ("title", "amount", "source", "tags", "comments"),
    EntityKind.COMPANY: (
        "title",
        "phones",
        "emails",
        "websites",
        "address",
        "industry",
        "tags",
        "comments",
    ),
}

NOTE_HEADER = "[unicrm migration]"
#: What happens to a value the target cannot hold, in words (see ``Context.noted``).
NOTED = "moved to the note"
DROPPED = "dropped"
#: Pseudo field in ``lacks``: the target takes whole amounts only (fractional ones are noted).
FRACTION = "amount.fraction"
#: Pseudo field prefix in ``lacks``: the target refuses amounts in this currency (noted).
CURRENCY = "amount.currency."


class MappingFailure(ConfigurationError):
    """The mapping says ``missing = "fail"`` and a record has a value the target lacks."""


def source_key_of(label: str) -> str:
    """A short stable key for a source CRM (part of every origin marker)."""
    return hashlib.sha1(label.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


def origin_marker(source_key: str, entity: EntityKind, source_id: str) -> str:
    """The origin marker written on a target record: stable per source CRM, entity and id."""
    return f"unicrm:{source_key}:{entity}:{source_id}"


def show(value: Any) -> str:
    """A value as one line of note text."""
    if isinstance(value, (Phone, Email)):
        return value.value
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return ", ".join(show(v) for v in value)
    return str(value)


@attrs.frozen
class Context:
    """What mapping one record needs besides the mapping itself."""

    mapping: Mapping
    source_key: str
    #: per target entity name, target "pipeline/stage" -> semantic
    target_stages: AbcMapping[str, AbcMapping[str, StageSemantic]] = attrs.field(factory=dict)
    #: per linked entity name, source id -> target id (see :mod:`unicrm.migrate.links`)
    ids: IdMaps = attrs.field(factory=dict)
    #: called with a message for every value dropped under ``missing = "drop"``
    warn: Callable[[str], None] | None = None
    #: called per record with the names of the values moved to the note (or dropped) and
    #: what happened to them (:data:`NOTED` or :data:`DROPPED`): the plan counts them
    noted: Callable[[EntityKind, tuple[str, ...], str], None] | None = None
    #: remap mirrored links too (verification: every end is written by then)
    mirrors: bool = False


def _stage(stage: StageRef | None, entity: EntityKind, ctx: Context) -> StageRef | None:
    if stage is None:
        return None
    route = ctx.mapping.route(entity)
    key = stage_key(stage.pipeline_id, stage.stage_id)
    target = route.stages.get(key)
    if target is None:
        if stage.semantic is not StageSemantic.OPEN:
            raise ConfigurationError(
                f"mapping: {stage.semantic} stage {key} has no target stage; "
                f"add it to [routes.{entity}.stages]"
            )
        target = route.default_stage
    if not target:
        raise ConfigurationError(
            f"mapping: stage {key} unmapped and no default_stage in [routes.{entity}]"
        )
    pipeline_id, _, stage_id = target.partition("/")
    semantic = ctx.target_stages.get(route.target, {}).get(target, stage.semantic)
    return StageRef(pipeline_id=pipeline_id, stage_id=stage_id, semantic=semantic)


def _custom(
    record: Record, entity: EntityKind, ctx: Context, lost: list[tuple[str, Any]]
) -> dict[str, Any]:
    rules = ctx.mapping.rules(entity)
    out: dict[str, Any] = {}
    for key, value in record.custom.items():
        if not present(value):
            continue
        rule = rules.get(key)
        if rule is None or not rule.target:
            lost.append((rule.label if rule and rule.label else key, value))
            continue
        mapped = _transform(value, rule.values)
        if rule.options and rule.type in ("select", "multiselect"):
            mapped = _known_options(mapped, rule, lost)
            if not present(mapped):
                continue
        out[rule.target] = mapped
    return out


def _known_options(value: Any, rule: FieldRule, lost: list[tuple[str, Any]]) -> Any:
    """Keep the option labels the target field has; the others go to the note (a target
    select cannot hold them, e.g. amoCRM "normal" priority into a Low/Medium/High list)."""
    known = set(rule.options)
    label = rule.label or rule.source
    if isinstance(value, str):
        if value in known:
            return value
        lost.append((label, value))
        return None
    if isinstance(value, tuple):
        kept = tuple(v for v in value if v in known)
        if len(kept) != len(value):
            lost.append((label, tuple(v for v in value if v not in known)))
        return kept
    return value


def _transform(value: Any, values: AbcMapping[str, str]) -> Any:
    """Select option transforms: source labels -> target labels (others unchanged)."""
    if values and isinstance(value, str):
        return values.get(value, value)
    if values and isinstance(value, tuple):
        return tuple(values.get(v, v) for v in value)
    return value


def _note(
    entity: EntityKind, source_id: str, lost: list[tuple[str, Any]], ctx: Context
) -> str | None:
    if not lost:
        return None
    policy = ctx.mapping.missing
    names = ", ".join(name for name, _ in lost)
    if policy is MissingPolicy.FAIL:
        raise MappingFailure(
            f"{entity} {source_id}: the target has no field for {names} "
            '(mapping says missing = "fail"; use "note" or "drop", or map the fields)'
        )
    if ctx.noted is not None:
        outcome = DROPPED if policy is MissingPolicy.DROP else NOTED
        ctx.noted(entity, tuple(name for name, _ in lost), outcome)
    if policy is MissingPolicy.DROP:
        if ctx.warn is not None:
            ctx.warn(f"dropped {names} (the target lacks them)")
        return None
    return "\n".join([NOTE_HEADER, *(f"{name}: {show(value)}" for name, value in lost)])


def _place_note(fields: dict[str, Any], note: str | None, entity: EntityKind, ctx: Context) -> None:
    if note is None:
        return
    where = ctx.mapping.note_field
    if where.startswith("custom."):
        fields["custom"][where.removeprefix("custom.")] = note
        return
    if where == "comments" and "comments" not in ctx.mapping.target_lacks(entity):
        existing = fields.get("comments")
        fields["comments"] = f"{existing}\n\n{note}" if existing else note
        return
    if ctx.warn is not None:
        ctx.warn(f"no place for the migration note of a {entity} (note_field = {where!r})")


def _kinds(name: str, values: tuple[Any, ...], lacks: frozenset[str], lost: list[Any]) -> Any:
    """Phones/emails whose kind the target cannot hold (``emails.kind.home`` in ``lacks``)
    are written with kind ``other``; the original kind goes into the note."""
    kept = []
    for value in values:
        if f"{name}.kind.{value.kind}" in lacks:
            lost.append((f"{name} kind", f"{value.value} ({value.kind})"))
            kept.append(attrs.evolve(value, kind=ContactKind.OTHER))
        else:
            kept.append(value)
    return tuple(kept)


def map_record(record: Record, ctx: Context) -> Record:
    """The record to write to the target for source ``record`` (pure; raises on bad mapping).

    The result is of the route's target entity: a field that entity's record type does not
    have goes to the note, like a field the target lacks.
    """
    entity = record.kind
    kind = ctx.mapping.route(entity).target_kind
    made_type = RECORD_TYPES[kind]
    source_id = record.id or ""
    mapping = ctx.mapping
    fields: dict[str, Any] = {
        a.name: getattr(record, a.name)
        for a in attrs.fields(type(record))
        if a.name not in {"id", "vendor", "created_at", "updated_at", "closed_at", "extra", "raw"}
    }
    lost: list[tuple[str, Any]] = []
    if made_type is not type(record):
        kept = {a.name for a in attrs.fields(made_type)}
        for name in [n for n in fields if n not in kept]:
            value = fields.pop(name)
            if present(value):
                lost.append((name, value))
    lacks = mapping.target_lacks(kind)
    ordered = [n for n in NOTABLE.get(kind, ()) if n in lacks] + sorted(
        {
            n
            for n in lacks - set(NOTABLE.get(kind, ()))
            if not n.startswith("amount.") and ".kind." not in n
        }
    )
    for name in ("phones", "emails"):
        if name not in lacks and fields.get(name):
            fields[name] = _kinds(name, fields[name], lacks, lost)
    for name in ordered:
        if name in fields and name not in {"origin", "custom", "stage", "contacts", "companies"}:
            if present(fields[name]) and name != "comments":
                lost.append((name, fields[name]))
            fields[name] = () if isinstance(fields[name], tuple) else None
    amount = getattr(record, "amount", None)
    if amount is not None and (
        f"{CURRENCY}{amount.currency}" in lacks
        or (FRACTION in lacks and amount.amount != amount.amount.to_integral_value())
    ):
        lost.append(("amount", amount))
        fields["amount"] = None
    comments = getattr(record, "comments", None)
    if "comments" in lacks and present(comments):
        lost.append(("comments", comments))
    remap_links(
        kind,
        fields,
        ctx.ids,
        keep_foreign=mapping.keep_company_ids,
        lost=lost,
        mirrors=ctx.mirrors,
    )
    fields["custom"] = _custom(record, entity, ctx, lost)
    responsible = getattr(record, "responsible_id", None)
    if responsible is not None:
        chosen = mapping.users.get(responsible) or mapping.default_user
        if chosen:
            fields["responsible_id"] = chosen
            lost[:] = [(n, v) for n, v in lost if n != "responsible_id"]
        elif "responsible_id" not in lacks:
            fields["responsible_id"] = responsible
    if "stage" in fields:
        fields["stage"] = _stage(fields["stage"], entity, ctx)
    fields["origin"] = origin_marker(ctx.source_key, entity, source_id)
    _place_note(fields, _note(entity, source_id, lost, ctx), kind, ctx)
    made: Record = made_type(**fields)
    return made


__all__ = [
    "CURRENCY",
    "FRACTION",
    "NOTABLE",
    "UNCOMPARED",
    "Context",
    "LinkMissing",
    "MappingFailure",
    "checksum",
    "comparable",
    "map_record",
    "matches",
    "origin_marker",
    "show",
    "source_key_of",
    "to_plain",
]
