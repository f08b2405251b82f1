"""Shared fixtures for the amoCRM adapter tests: a small account schema snapshot, and a bearer
auth for clients built by hand around an emulator."""

from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest

from unicrm.model import EntityKind
from unicrm_amocrm.schema import AccountSchema, AmoField, FieldEnum, parse_pipeline

PIPELINES = (
    {
        "id": 10,
        "name": "Sales",
        "is_main": True,
        "_embedded": {
            "statuses": [
                {"id": 1, "name": "Unsorted", "sort": 10},
                {"id": 2, "name": "New", "sort": 20},
                {"id": 142, "name": "Won", "sort": 10000},
                {"id": 143, "name": "Lost", "sort": 11000},
            ]
        },
    },
    {
        "id": 20,
        "name": "Partners",
        "_embedded": {
            "statuses": [
                {"id": 3, "name": "Talk", "sort": 20},
                {"id": 142, "name": "Won", "sort": 10000},
                {"id": 143, "name": "Lost", "sort": 11000},
            ]
        },
    },
)


def make_schema() -> AccountSchema:
    """Two pipelines, lead fields of several types, contact PHONE/EMAIL/POSITION/origin."""
    lead_fields = (
        AmoField(
            101, "Priority", "select", None, (FieldEnum(1001, "high"), FieldEnum(1002, "low"))
        ),
        AmoField(102, "Budget note", "text"),
        AmoField(103, "Score", "numeric", "SCORE"),
        AmoField(104, "Due", "date"),
        AmoField(105, "Flags", "multiselect", None, (FieldEnum(1051, "a"), FieldEnum(1052, "b"))),
        AmoField(106, "VIP", "checkbox"),
        AmoField(107, "Origin", "text", "UNICRM_ORIGIN"),
        AmoField(108, "Legal", "legal_entity"),
    )
    contact_fields = (
        AmoField(
            201,
            "Phone",
            "multitext",
            "PHONE",
            tuple(
                FieldEnum(2010 + i, c, c)
                for i, c in enumerate(("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"))
            ),
        ),
        AmoField(
            202,
            "Email",
            "multitext",
            "EMAIL",
            tuple(FieldEnum(2020 + i, c, c) for i, c in enumerate(("WORK", "PRIV", "OTHER"))),
        ),
        AmoField(203, "Position", "text", "POSITION"),
        AmoField(204, "Hobby", "text"),
    )
    return AccountSchema(
        currency="RUB",
        pipelines=tuple(parse_pipeline(p) for p in PIPELINES),
        fields={EntityKind.LEAD: lead_fields, EntityKind.CONTACT: contact_fields},
    )


@pytest.fixture
def schema() -> AccountSchema:
    return make_schema()


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request (a long-lived token, no refresh)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request
