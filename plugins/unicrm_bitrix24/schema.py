"""A portal snapshot: lead stages with their semantics, sources and user field definitions.

Read once per connection from ``crm.status.list`` (``ENTITY_ID`` ``STATUS`` and ``SOURCE``) and
``crm.lead.userfield.list`` / ``crm.contact.userfield.list`` (vendor notes §7, §9) and used by
the mapping (typing user fields, stage semantics) and the compiler (stage ids, semantics).
Leads have no pipelines on Bitrix24 (§7.2): the stages form one implicit pipeline, id ``"0"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from unicrm.model import (
    CustomFieldDef,
    CustomFieldOption,
    CustomFieldType,
    EntityKind,
    Pipeline,
    Stage,
    StageSemantic,
)
from unicrm_bitrix24.wire import int_or

#: The one implicit lead pipeline.
PIPELINE_ID = "0"
PIPELINE_NAME = "Leads"
#: ``STATUS_SEMANTIC_ID`` / ``SEMANTICS`` codes <-> neutral semantics.
SEMANTIC_OF_CODE: Mapping[str, StageSemantic] = {
    "P": StageSemantic.OPEN,
    "S": StageSemantic.WON,
    "F": StageSemantic.LOST,
}
CODE_OF_SEMANTIC: Mapping[StageSemantic, str] = {v: k for k, v in SEMANTIC_OF_CODE.items()}
#: ``EXTRA.SEMANTICS`` words (notes §7.1).
SEMANTIC_OF_WORD: Mapping[str, StageSemantic] = {
    "process": StageSemantic.OPEN,
    "success": StageSemantic.WON,
    "failure": StageSemantic.LOST,
    "apology": StageSemantic.LOST,
}
#: Prefix of every CRM user field code; custom keys are the code without it.
UF_PREFIX = "UF_CRM_"
#: ``USER_TYPE_ID`` -> neutral custom field type (others are kept raw in ``extra``).
UF_TYPES: Mapping[str, CustomFieldType] = {
    "string": CustomFieldType.TEXT,
    "integer": CustomFieldType.NUMBER,
    "double": CustomFieldType.NUMBER,
    "boolean": CustomFieldType.BOOLEAN,
    "date": CustomFieldType.DATE,
    "datetime": CustomFieldType.DATETIME,
    "enumeration": CustomFieldType.SELECT,
    "url": CustomFieldType.URL,
    # "443000|RUB": amount and currency in one string, read and written as that text (a
    # migration then carries it whole instead of dropping it with the vendor's extras)
    "money": CustomFieldType.TEXT,
}
#: Types whose *multiple* fields read as a tuple of texts (each value as its single field would).
MULTIPLE_TEXT_TYPES = frozenset({"string", "url", "money"})
#: Neutral type -> ``USER_TYPE_ID`` for ``crm.*.userfield.add``.
UF_TYPE_OF: Mapping[CustomFieldType, str] = {
    CustomFieldType.TEXT: "string",
    CustomFieldType.NUMBER: "double",
    CustomFieldType.BOOLEAN: "boolean",
    CustomFieldType.DATE: "date",
    CustomFieldType.DATETIME: "datetime",
    CustomFieldType.SELECT: "enumeration",
    CustomFieldType.MULTISELECT: "enumeration",
    CustomFieldType.URL: "url",
}


@attrs.frozen
class UserField:
    """One ``UF_CRM_*`` definition as ``*.userfield.list`` gives it."""

    name: str
    type: str
    multiple: bool = False
    options: tuple[tuple[str, str], ...] = ()
    label: str = ""
    id: str = ""

    @property
    def key(self) -> str:
        """The neutral custom key: the code without ``UF_CRM_``."""
        return self.name[len(UF_PREFIX) :] if self.name.startswith(UF_PREFIX) else self.name

    @property
    def neutral_type(self) -> CustomFieldType | None:
        if self.type == "enumeration" and self.multiple:
            return CustomFieldType.MULTISELECT
        if self.multiple and self.type not in MULTIPLE_TEXT_TYPES:
            return None  # multiple values of other types are kept raw (in ``extra``)
        return UF_TYPES.get(self.type)

    def label_of(self, option_id: str) -> str | None:
        return next((label for oid, label in self.options if oid == str(option_id)), None)

    def id_of(self, label: str) -> str | None:
        return next((oid for oid, text in self.options if text == label), None)

    def definition(self) -> CustomFieldDef | None:
        kind = self.neutral_type
        if kind is None:
            return None
        return CustomFieldDef(
            key=self.key,
            label=self.label or self.key,
            type=kind,
            options=tuple(CustomFieldOption(i, t) for i, t in self.options),
            multiple=self.multiple,
            vendor_id=self.name,
        )


def _label(raw: Any) -> str:
    if isinstance(raw, Mapping):
        return str(next((v for v in raw.values() if v), "") or "")
    return str(raw or "")


def parse_user_field(row: Mapping[str, Any]) -> UserField:
    """One ``*.userfield.list`` row."""
    options = tuple(
        (str(o.get("ID")), str(o.get("VALUE") or ""))
        for o in (row.get("LIST") or ())
        if isinstance(o, Mapping)
    )
    return UserField(
        name=str(row.get("FIELD_NAME") or ""),
        type=str(row.get("USER_TYPE_ID") or "string"),
        multiple=str(row.get("MULTIPLE") or "N").upper() == "Y",
        options=options,
        label=_label(row.get("EDIT_FORM_LABEL") or row.get("LIST_COLUMN_LABEL")),
        id=str(row.get("ID") or ""),
    )


def _semantic_of_status(row: Mapping[str, Any], after_success: bool) -> StageSemantic:
    extra = row.get("EXTRA") if isinstance(row.get("EXTRA"), Mapping) else {}
    word = str((extra or {}).get("SEMANTICS") or "").lower()
    if word in SEMANTIC_OF_WORD:
        return SEMANTIC_OF_WORD[word]
    code = str(row.get("SEMANTICS") or "").upper()
    if code in SEMANTIC_OF_CODE:
        return SEMANTIC_OF_CODE[code]
    # Stages sorted after the success stage are failures (notes §7.2).
    return StageSemantic.LOST if after_success else StageSemantic.OPEN


def parse_stages(rows: Iterable[Mapping[str, Any]]) -> tuple[Stage, ...]:
    """Lead stages from ``crm.status.list`` rows with ``ENTITY_ID`` ``STATUS``."""
    ordered = sorted(rows, key=lambda r: (int_or(r.get("SORT")), str(r.get("ID"))))
    stages: list[Stage] = []
    after_success = False
    for row in ordered:
        semantic = _semantic_of_status(row, after_success)
        after_success = after_success or semantic is StageSemantic.WON
        stages.append(
            Stage(
                id=str(row.get("STATUS_ID")),
                name=str(row.get("NAME") or row.get("STATUS_ID")),
                semantic=semantic,
                sort=int_or(row.get("SORT")),
            )
        )
    return tuple(stages)


@attrs.frozen
class PortalSchema:
    """Everything the mapping and the compiler need to know about one portal."""

    stages: tuple[Stage, ...] = ()
    sources: tuple[str, ...] = ()
    fields: Mapping[EntityKind, tuple[UserField, ...]] = attrs.field(factory=dict)
    currency: str = "USD"

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(PIPELINE_ID, PIPELINE_NAME, self.stages, is_default=True)

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def stage_ids_with(self, semantics: Iterable[StageSemantic]) -> frozenset[str]:
        wanted = set(semantics)
        return frozenset(s.id for s in self.stages if s.semantic in wanted)

    def fields_of(self, entity: EntityKind) -> tuple[UserField, ...]:
        return tuple(self.fields.get(entity, ()))

    def field_by_name(self, entity: EntityKind, name: str) -> UserField | None:
        return next((f for f in self.fields_of(entity) if f.name == name), None)

    def field_by_key(self, entity: EntityKind, key: str) -> UserField | None:
        return next((f for f in self.fields_of(entity) if f.key == key), None)

    def multiple_field_names(self, entity: EntityKind) -> tuple[str, ...]:
        """The entity's multiple user fields: ``select: ["UF_*"]`` leaves them out, so list
        reads name them (``crm.lead.list``: "UF_*" - all custom fields, excluding multiple)."""
        return tuple(dict.fromkeys(f.name for f in self.fields_of(entity) if f.multiple and f.name))

    def with_fields(self, entity: EntityKind, fields: Iterable[UserField]) -> PortalSchema:
        return attrs.evolve(self, fields={**self.fields, entity: tuple(fields)})


__all__ = [
    "CODE_OF_SEMANTIC",
    "MULTIPLE_TEXT_TYPES",
    "PIPELINE_ID",
    "SEMANTIC_OF_CODE",
    "UF_PREFIX",
    "UF_TYPE_OF",
    "PortalSchema",
    "UserField",
    "parse_stages",
    "parse_user_field",
]
