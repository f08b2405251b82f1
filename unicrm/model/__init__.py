"""The neutral model: immutable records with Python names only, no vendor formats, no I/O."""

from __future__ import annotations

from unicrm.model.converter import configure_converter, make_converter
from unicrm.model.custom_fields import CustomFieldDef, CustomFieldOption, CustomValue
from unicrm.model.enums import ContactKind, CustomFieldType, EntityKind, StageSemantic
from unicrm.model.frozen import FrozenMap, freeze
from unicrm.model.kinds import LINK_LISTS, RECORD_TYPES, STAGED, Record, RecordType
from unicrm.model.links import LINK_FIELDS, NOT_LOADED, NotLoaded
from unicrm.model.patching import apply_patch, check_patch, patchable
from unicrm.model.pipeline import Pipeline, Stage
from unicrm.model.records import Contact, Lead
from unicrm.model.sales import Company, Deal
from unicrm.model.values import CompanyLink, ContactLink, Email, Money, Phone, StageRef, UserRef

__all__ = [
    "LINK_FIELDS",
    "LINK_LISTS",
    "NOT_LOADED",
    "RECORD_TYPES",
    "STAGED",
    "Company",
    "CompanyLink",
    "Contact",
    "ContactKind",
    "ContactLink",
    "CustomFieldDef",
    "CustomFieldOption",
    "CustomFieldType",
    "CustomValue",
    "Deal",
    "Email",
    "EntityKind",
    "FrozenMap",
    "Lead",
    "Money",
    "NotLoaded",
    "Phone",
    "Pipeline",
    "Record",
    "RecordType",
    "Stage",
    "StageRef",
    "StageSemantic",
    "UserRef",
    "apply_patch",
    "check_patch",
    "configure_converter",
    "freeze",
    "make_converter",
    "patchable",
]
