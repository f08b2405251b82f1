"""Applying a mapping to one record: source record in, the record to write to the target out.

The same pure function serves the engine (what to write), the dry run (the preview) and
verification (what the target must hold), so the three can never disagree. The output has no
id, vendor, timestamps, ``extra`` or ``raw`` (all target-maintained or vendor-specific), and
carries the origin marker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from collections.abc import Mapping as AbcMapping
from decimal import Decimal
from typing import Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.migrate.automap import stage_key
from unicrm.migrate.mapping import FieldRule, Mapping, MissingPolicy
from unicrm.model import (
    ContactKind,
    ContactLink,
    Email,
    EntityKind,
    Lead,
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
}

NOTE_HEADER = "[unicrm migration]"
#: Pseudo field in ``lacks``: the target takes whole amounts only (fractional ones are noted).
FRACTION = "amount.fraction"
#: Pseudo field prefix in ``lacks``: the target refuses amounts in this currency (noted).
CURRENCY = "amount.currency."


class MappingFailure(ConfigurationError):
    """The mapping says ``missing = "fail"`` and a record has a value the target lacks."""


class LinkMissing(ConfigurationError):
    """A lead links a source contact that has no target record (it stays unwritten)."""


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


def _present(value: Any) -> bool:
    return value is not None and value not in ((), "")


@attrs.frozen
class Context:
    """What mapping one record needs besides the mapping itself."""

    mapping: Mapping
    source_key: str
    #: target "pipeline/stage" -> semantic
    target_stages: AbcMapping[str, StageSemantic] = attrs.field(factory=dict)
    #: source contact id -> target contact id
    contact_ids: AbcMapping[str, str] = attrs.field(factory=dict)
    #: called with a message for every value dropped under ``missing = "drop"``
    warn: Callable[[str], None] | None = None


def _stage(stage: StageRef | None, ctx: Context) -> StageRef | None:
    if stage is None:
        return None
    key = stage_key(stage.pipeline_id, stage.stage_id)
    target = ctx.mapping.stages.get(key)
    if target is None:
        if stage.semantic is not StageSemantic.OPEN:
            raise ConfigurationError(
                f"mapping: {stage.semantic} stage {key} has no target stage; add it to [stages.map]"
            )
        target = ctx.mapping.default_stage
    if not target:
        raise ConfigurationError(f"mapping: stage {key} unmapped and no [stages] default")
    pipeline_id, _, stage_id = target.partition("/")
    semantic = ctx.target_stages.get(target, stage.semantic)
    return StageRef(pipeline_id=pipeline_id, stage_id=stage_id, semantic=semantic)


def _custom(
    record: Record, entity: EntityKind, ctx: Context, lost: list[tuple[str, Any]]
) -> dict[str, Any]:
    rules = ctx.mapping.rules(entity)
    out: dict[str, Any] = {}
    for key, value in record.custom.items():
        if not _present(value):
            continue
        rule = rules.get(key)
        if rule is None or not rule.target:
            lost.append((rule.label if rule and rule.label else key, value))
            continue
        mapped = _transform(value, rule.values)
        if rule.options and rule.type in ("select", "multiselect"):
            mapped = _known_options(mapped, rule, lost)
            if not _present(mapped):
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
    """The record to write to the target for source ``record`` (pure; raises on bad mapping)."""
    entity = record.kind
    source_id = record.id or ""
    mapping = ctx.mapping
    fields: dict[str, Any] = {
        a.name: getattr(record, a.name)
        for a in attrs.fields(type(record))
        if a.name not in {"id", "vendor", "created_at", "updated_at", "closed_at", "extra", "raw"}
    }
    lost: list[tuple[str, Any]] = []
    lacks = mapping.target_lacks(entity)
    ordered = [n for n in NOTABLE[entity] if n in lacks] + sorted(
        {
            n
            for n in lacks - set(NOTABLE[entity])
            if not n.startswith("amount.") and ".kind." not in n
        }
    )
    for name in ("phones", "emails"):
        if name not in lacks and fields.get(name):
            fields[name] = _kinds(name, fields[name], lacks, lost)
    for name in ordered:
        if name in fields and name not in {"origin", "custom", "stage", "contacts"}:
            if _present(fields[name]) and name != "comments":
                lost.append((name, fields[name]))
            fields[name] = () if isinstance(fields[name], tuple) else None
    amount = getattr(record, "amount", None)
    if amount is not None and (
        f"{CURRENCY}{amount.currency}" in lacks
        or (FRACTION in lacks and amount.amount != amount.amount.to_integral_value())
    ):
        lost.append(("amount", amount))
        fields["amount"] = None
    comments_lost = "comments" in lacks and _present(record.comments)
    if comments_lost:
        lost.append(("comments", record.comments))
    company_id = getattr(record, "company_id", None)
    if company_id and not mapping.keep_company_ids:
        lost.append(("company_id", company_id))
        fields["company_id"] = None
    fields["custom"] = _custom(record, entity, ctx, lost)
    if record.responsible_id is not None:
        chosen = mapping.users.get(record.responsible_id) or mapping.default_user
        if chosen:
            fields["responsible_id"] = chosen
            lost[:] = [(n, v) for n, v in lost if n != "responsible_id"]
        elif "responsible_id" not in lacks:
            fields["responsible_id"] = record.responsible_id
    if isinstance(record, Lead):
        fields["stage"] = _stage(record.stage, ctx)
        fields["contacts"] = _links(record.contacts, ctx)
    fields["origin"] = origin_marker(ctx.source_key, entity, source_id)
    _place_note(fields, _note(entity, source_id, lost, ctx), entity, ctx)
    made: Record = type(record)(**fields)
    return made


def _links(links: Iterable[ContactLink], ctx: Context) -> tuple[ContactLink, ...]:
    out = []
    for link in links:
        target = ctx.contact_ids.get(link.contact_id)
        if target is None:
            raise LinkMissing(
                f"lead links source contact {link.contact_id}, which has no target record "
                "(contacts are migrated first; is it missing from the source?)"
            )
        out.append(ContactLink(contact_id=target, is_main=link.is_main))
    return tuple(out)


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {a.name: _plain(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, AbcMapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return str(value)
    return value


def to_plain(record: Record) -> dict[str, Any]:
    """A JSON-ready dict of a record (for previews, reports and checksums)."""
    data = _plain(record)
    data.pop("raw", None)
    result: dict[str, Any] = data
    return result


def checksum(record: Record) -> str:
    """A stable digest of a mapped record (what the ledger remembers as written)."""
    text = json.dumps(to_plain(record), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


#: Fields verification and recovery never compare (target-maintained or vendor-specific).
UNCOMPARED = frozenset({"id", "vendor", "created_at", "updated_at", "closed_at", "extra", "raw"})


#: Fields a target fills with its own default when the migration leaves them empty.
TARGET_DEFAULTS = frozenset({"responsible_id", "stage"})


def matches(expected: Record, actual: Record) -> list[str]:
    """Names of the fields where ``actual`` differs from ``expected`` (empty: a match).

    A field in :data:`TARGET_DEFAULTS` that ``expected`` leaves empty may hold anything.
    """
    want, have = comparable(expected), comparable(actual)
    return [
        name
        for name, value in want.items()
        if have.get(name) != value and not (value is None and name in TARGET_DEFAULTS)
    ]


def comparable(record: Record) -> dict[str, Any]:
    """A record reduced to what must match after migration, with order-free collections.

    Tags compare as a set; links as the set of contact ids plus the main contact; empty
    custom values are dropped; everything the target maintains itself is left out.
    """
    data: dict[str, Any] = {}
    for a in attrs.fields(type(record)):
        if a.name in UNCOMPARED:
            continue
        value = getattr(record, a.name)
        if a.name == "amount" and value is not None and not value.amount:
            value = None  # a zero amount and no amount are the same to every vendor
        elif a.name == "tags":
            value = tuple(sorted(set(value)))
        elif a.name == "contacts":
            value = (tuple(sorted({c.contact_id for c in value})), record.main_contact_id)  # type: ignore[union-attr]
        elif a.name == "custom":
            value = {k: v for k, v in sorted(value.items()) if _present(v)}
        data[a.name] = value
    return data


def contact_ids_of(record: Record) -> tuple[str, ...]:
    """Source contact ids a record links (leads only)."""
    return record.contact_ids if isinstance(record, Lead) else ()


__all__ = [
    "CURRENCY",
    "FRACTION",
    "NOTABLE",
    "Context",
    "LinkMissing",
    "MappingFailure",
    "UNCOMPARED",
    "comparable",
    "matches",
    "checksum",
    "contact_ids_of",
    "map_record",
    "origin_marker",
    "show",
    "to_plain",
]
