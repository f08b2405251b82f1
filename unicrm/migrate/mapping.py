"""The migration mapping: how source stages, users and fields land in the target.

A mapping is plain data, kept in a TOML file the user can edit (``unicrm migrate
--init-mapping`` writes a starting one, see :func:`unicrm.migrate.automap.auto_mapping`)::

    version = 1
    missing = "note"            # fields the target lacks: note | drop | fail
    note_field = "comments"     # where notes go: "comments" or "custom.<key>"
    keep_company_ids = false    # company ids do not translate between CRMs: noted instead

    [routes.lead]               # where each source entity goes (unicrm.migrate.routes)
    to = "lead"
    pipelines = "match"         # match | create | own
    default_stage = "1/new"     # target "pipeline/stage" for unlisted open stages
    [routes.lead.stages]
    "src-pipeline/src-stage" = "target-pipeline/target-stage"  # Main / New -> Sales / New

    [users]
    default = ""                # "" keeps unmapped user ids as they are
    [users.map]
    "1" = "42"

    [target]                    # standard fields the target cannot hold, per entity
    lead_lacks = ["first_name", "phones"]
    contact_lacks = ["comments"]

    [fields.lead.UF_CRM_COLOR]  # source custom field key
    target = "COLOR"            # target key; "" = the target lacks it (missing policy)
    create = false              # create it in the target (label/type/options below) first
    label = "Colour"
    type = "select"
    options = ["red", "green"]
    [fields.lead.UF_CRM_COLOR.values]
    "Red" = "red"               # select option transforms, source label -> target label

Nothing here does I/O except :func:`load_mapping` and :func:`dump_mapping`.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Mapping as AbcMapping
from pathlib import Path
from typing import Any

import attrs
import tomli_w

from unicrm.errors import ConfigurationError
from unicrm.migrate.routes import default_route, route_to_data, routes_from_data
from unicrm.migrate.tables import Route
from unicrm.model import CustomFieldDef, CustomFieldOption, CustomFieldType, EntityKind, FrozenMap

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

VERSION = 1
#: The keys a mapping file may have at the top (``stages``: the lead stages of older files).
TOP_KEYS = frozenset(
    {"version", "missing", "note_field", "keep_company_ids"}
    | {"routes", "stages", "users", "target", "fields"}
)


class MissingPolicy(str, enum.Enum):
    """What happens to a value the target has no field for."""

    NOTE = "note"  # keep it as a "Label: value" line in the note field
    DROP = "drop"  # leave it out, with a warning in the report
    FAIL = "fail"  # stop before writing anything

    def __str__(self) -> str:
        return str(self.value)


def code_of(key: str) -> str:
    """``key`` as a field code: upper-case ASCII letters, digits and ``_``, not digit-first."""
    code = re.sub(r"[^A-Z0-9_]", "_", key.upper())
    return code if code and not code[0].isdigit() else f"F_{code}"


def _str_map(value: AbcMapping[str, str] | None) -> FrozenMap[str]:
    return FrozenMap({str(k): str(v) for k, v in (value or {}).items()})


def _str_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@attrs.frozen
class FieldRule:
    """Where one source custom field goes.

    ``target`` is the target key ("" when the target lacks the field and ``create`` is off);
    ``create`` asks the engine to create the field (``label``/``type``/``options``) before
    writing and use the key the target gives it; ``values`` maps source select labels to
    target labels (labels not listed pass unchanged).
    """

    source: str
    target: str = ""
    create: bool = False
    label: str = ""
    type: CustomFieldType = attrs.field(default=CustomFieldType.TEXT, converter=CustomFieldType)
    options: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    multiple: bool = False
    values: FrozenMap[str] = attrs.field(factory=FrozenMap, converter=_str_map)

    def definition(self) -> CustomFieldDef:
        """The definition to create in the target.

        The key proposed is ``target`` when set, else the source key as a code (upper-case
        letters, digits and ``_``, which vendors accept); the target may still choose its own.
        """
        return CustomFieldDef(
            key=self.target or code_of(self.source),
            label=self.label or self.source,
            type=self.type,
            options=tuple(
                CustomFieldOption(id=str(i), label=o) for i, o in enumerate(self.options)
            ),
            multiple=self.multiple,
        )


def _entity_rules(value: AbcMapping[Any, AbcMapping[str, FieldRule]]) -> FrozenMap[Any]:
    return FrozenMap({str(EntityKind(k)): FrozenMap(v) for k, v in value.items()})


def _routes(value: AbcMapping[str, Route]) -> FrozenMap[Route]:
    return FrozenMap({str(k): v for k, v in value.items()})


def _lacks(value: AbcMapping[Any, Any]) -> FrozenMap[tuple[str, ...]]:
    return FrozenMap({str(EntityKind(k)): tuple(v) for k, v in value.items()})


@attrs.frozen
class Mapping:
    """The whole mapping (see the module docstring for the file form)."""

    routes: FrozenMap[Route] = attrs.field(factory=FrozenMap, converter=_routes)
    users: FrozenMap[str] = attrs.field(factory=FrozenMap, converter=_str_map)
    default_user: str = ""
    fields: FrozenMap[FrozenMap[FieldRule]] = attrs.field(
        factory=FrozenMap, converter=_entity_rules
    )
    missing: MissingPolicy = attrs.field(default=MissingPolicy.NOTE, converter=MissingPolicy)
    note_field: str = "comments"
    keep_company_ids: bool = False
    lacks: FrozenMap[tuple[str, ...]] = attrs.field(factory=FrozenMap, converter=_lacks)

    def route(self, entity: EntityKind) -> Route:
        """Where ``entity`` goes: the mapping's route, else the default one."""
        return self.routes.get(str(entity)) or default_route(entity)

    def with_route(self, route: Route) -> Mapping:
        """A copy with ``route`` replacing the route of its source entity."""
        return attrs.evolve(self, routes={**self.routes, route.source: route})

    def rules(self, entity: EntityKind) -> AbcMapping[str, FieldRule]:
        """Custom field rules of ``entity`` by source key."""
        return self.fields.get(str(entity), FrozenMap())

    def target_lacks(self, entity: EntityKind) -> frozenset[str]:
        """Standard model fields the target cannot hold for ``entity``."""
        return frozenset(self.lacks.get(str(entity), ()))

    def with_lacks(self, entity: EntityKind, names: set[str] | frozenset[str]) -> Mapping:
        """A copy that also knows the target lacks ``names`` on ``entity``."""
        merged = {**{k: tuple(v) for k, v in self.lacks.items()}}
        merged[str(entity)] = tuple(sorted(self.target_lacks(entity) | set(names)))
        return attrs.evolve(self, lacks=merged)

    def with_field_target(self, entity: EntityKind, source: str, target: str) -> Mapping:
        """A copy where the rule for ``source`` points at ``target`` (after creating it)."""
        rules = dict(self.rules(entity))
        rules[source] = attrs.evolve(rules[source], target=target, create=False)
        fields = {k: dict(v) for k, v in self.fields.items()}
        fields[str(entity)] = rules
        return attrs.evolve(self, fields=fields)


# --- TOML ----------------------------------------------------------------------------------
def to_data(mapping: Mapping) -> dict[str, Any]:
    """The mapping as TOML-ready data."""
    fields: dict[str, Any] = {}
    for entity, rules in mapping.fields.items():
        fields[entity] = {
            key: {
                "target": rule.target,
                "create": rule.create,
                "label": rule.label,
                "type": str(rule.type),
                "options": list(rule.options),
                "multiple": rule.multiple,
                "values": dict(rule.values),
            }
            for key, rule in rules.items()
        }
    return {
        "version": VERSION,
        "missing": str(mapping.missing),
        "note_field": mapping.note_field,
        "keep_company_ids": mapping.keep_company_ids,
        "routes": {name: route_to_data(route) for name, route in mapping.routes.items()},
        "users": {"default": mapping.default_user, "map": dict(mapping.users)},
        "target": {f"{entity}_lacks": list(names) for entity, names in mapping.lacks.items()},
        "fields": fields,
    }


def _table(data: AbcMapping[str, Any], key: str) -> AbcMapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, AbcMapping):
        raise ConfigurationError(f"mapping: [{key}] must be a table")
    return value


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, AbcMapping):
        raise ConfigurationError(f"mapping: {where} must be a table of strings")
    return {str(k): str(v) for k, v in value.items()}


def _rule(source: str, value: Any, where: str) -> FieldRule:
    if not isinstance(value, AbcMapping):
        raise ConfigurationError(f"mapping: {where} must be a table")
    known = {"target", "create", "label", "type", "options", "multiple", "values"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigurationError(f"mapping: {where} has unknown keys {unknown}")
    try:
        return FieldRule(
            source=source,
            target=str(value.get("target", "")),
            create=bool(value.get("create", False)),
            label=str(value.get("label", "")),
            type=value.get("type", "text"),
            options=tuple(str(o) for o in value.get("options", ())),
            multiple=bool(value.get("multiple", False)),
            values=_strings(value.get("values", {}), f"{where}.values"),
        )
    except ValueError as exc:
        raise ConfigurationError(f"mapping: {where}: {exc}") from None


def from_data(data: AbcMapping[str, Any]) -> Mapping:
    """Build a mapping from parsed TOML; unknown keys and bad values are ConfigurationErrors."""
    if data.get("version", VERSION) != VERSION:
        raise ConfigurationError(f"mapping: version {data.get('version')!r} is not {VERSION}")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise ConfigurationError(
            f"mapping: unknown keys {unknown} (known: {', '.join(sorted(TOP_KEYS))})"
        )
    users, target = _table(data, "users"), _table(data, "target")
    fields: dict[str, dict[str, FieldRule]] = {}
    for entity, rules in _table(data, "fields").items():
        try:
            kind = EntityKind(entity)
        except ValueError:
            raise ConfigurationError(
                f"mapping: [fields.{entity}] is not one of {', '.join(map(str, EntityKind))}"
            ) from None
        if not isinstance(rules, AbcMapping):
            raise ConfigurationError(f"mapping: [fields.{entity}] must be a table")
        fields[str(kind)] = {
            str(k): _rule(str(k), v, f"[fields.{entity}.{k}]") for k, v in rules.items()
        }
    lacks = {}
    for key, names in target.items():
        entity = key.removesuffix("_lacks")
        if entity not in {str(e) for e in EntityKind} or not isinstance(names, list):
            known = ", ".join(f"{e}_lacks" for e in EntityKind)
            raise ConfigurationError(f"mapping: [target] {key} is not one of {known}")
        lacks[entity] = tuple(str(n) for n in names)
    try:
        return Mapping(
            routes=routes_from_data(_table(data, "routes"), _table(data, "stages")),
            users=_strings(users.get("map", {}), "[users.map]"),
            default_user=str(users.get("default", "")),
            fields=fields,
            missing=data.get("missing", "note"),
            note_field=str(data.get("note_field", "comments")),
            keep_company_ids=bool(data.get("keep_company_ids", False)),
            lacks=lacks,
        )
    except ValueError as exc:
        raise ConfigurationError(f"mapping: {exc}") from None


def dumps(mapping: Mapping) -> str:
    """The mapping as TOML text."""
    return tomli_w.dumps(to_data(mapping))


def loads(text: str) -> Mapping:
    """Parse mapping TOML text."""
    try:
        return from_data(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"mapping: not valid TOML: {exc}") from None


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read mapping file {path}: {exc}") from None
    return loads(text)


def dump_mapping(mapping: Mapping, path: str | Path, *, text: str | None = None) -> None:
    """Write a mapping file (atomically: a temporary file renamed over the old one).

    ``text`` is the mapping's TOML when the caller has it already (with names beside the
    ids, :func:`unicrm.migrate.names.annotated_dumps`); it must load as ``mapping``.
    """
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(dumps(mapping) if text is None else text, encoding="utf-8")
    temporary.replace(target)
