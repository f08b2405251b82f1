"""Shared fixtures for the Bitrix24 adapter tests: a small portal snapshot."""

from __future__ import annotations

import pytest

from unicrm.model import EntityKind
from unicrm_bitrix24.schema import PortalSchema, parse_stages, parse_user_field

STATUS_ROWS = (
    {"STATUS_ID": "NEW", "NAME": "New", "SORT": "10", "EXTRA": {"SEMANTICS": "process"}},
    {"STATUS_ID": "IN_PROCESS", "NAME": "In work", "SORT": "20"},
    {"STATUS_ID": "CONVERTED", "NAME": "Good", "SORT": "50", "SEMANTICS": "S"},
    {"STATUS_ID": "JUNK", "NAME": "Junk", "SORT": "60", "SEMANTICS": "F"},
    {"STATUS_ID": "UC_LATE", "NAME": "Late", "SORT": "70"},
)
LEAD_UF = (
    {
        "FIELD_NAME": "UF_CRM_PRIORITY",
        "USER_TYPE_ID": "enumeration",
        "MULTIPLE": "N",
        "LIST": [{"ID": "11", "VALUE": "high"}, {"ID": "12", "VALUE": "low"}],
    },
    {
        "FIELD_NAME": "UF_CRM_FLAGS",
        "USER_TYPE_ID": "enumeration",
        "MULTIPLE": "Y",
        "LIST": [{"ID": "21", "VALUE": "a"}, {"ID": "22", "VALUE": "b"}],
    },
    {"FIELD_NAME": "UF_CRM_SCORE", "USER_TYPE_ID": "double", "MULTIPLE": "N"},
    {"FIELD_NAME": "UF_CRM_VIP", "USER_TYPE_ID": "boolean", "MULTIPLE": "N"},
    {"FIELD_NAME": "UF_CRM_DUE", "USER_TYPE_ID": "date", "MULTIPLE": "N"},
    {"FIELD_NAME": "UF_CRM_NOTE", "USER_TYPE_ID": "string", "MULTIPLE": "N"},
    {"FIELD_NAME": "UF_CRM_FILE", "USER_TYPE_ID": "file", "MULTIPLE": "N"},
)


def make_schema() -> PortalSchema:
    return PortalSchema(
        stages=parse_stages(STATUS_ROWS),
        sources=("CALL", "WEB"),
        fields={
            EntityKind.LEAD: tuple(parse_user_field(r) for r in LEAD_UF),
            EntityKind.CONTACT: (),
        },
    )


@pytest.fixture
def schema() -> PortalSchema:
    return make_schema()
