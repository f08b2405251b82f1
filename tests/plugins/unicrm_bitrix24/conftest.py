"""Shared fixtures for the Bitrix24 adapter tests: a small portal snapshot."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from unicrm.crm import AsyncCRM
from unicrm.emulation import EmulatorTransport
from unicrm.model import EntityKind
from unicrm.transport import Backoff, RetryPolicy
from unicrm_bitrix24.adapter import AdapterSettings, Bitrix24Adapter
from unicrm_bitrix24.auth import Credentials
from unicrm_bitrix24.client import Bitrix24Client, parse_endpoint
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.limiter import Bitrix24Limiter, NoLimits
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


# --- adapters over an in-process emulator, with what the adapter tests need to observe -------


class CountingTransport(EmulatorTransport):
    """An :class:`EmulatorTransport` that records each request's method, sub-commands and
    answer status (``None`` when the emulator dropped or timed the request out)."""

    def __init__(self, emulator: Any) -> None:
        super().__init__(emulator, latency=0.0)
        self.seen: list[tuple[str, tuple[str, ...], int | None]] = []
        #: every ``start`` sent, in plain calls and inside batch commands
        self.starts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json").lower()
        body = json.loads(await request.aread() or b"{}")
        commands = tuple(str(c).split("?", 1)[0] for c in (body.get("cmd") or {}).values())
        if "start" in body:
            self.starts.append(str(body["start"]))
        for text in (body.get("cmd") or {}).values():
            self.starts += parse_qs(str(text).partition("?")[2]).get("start", [])
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError:
            self.seen.append((method, commands, None))
            raise
        self.seen.append((method, commands, response.status_code))
        return response

    def statuses(self) -> list[int | None]:
        return [status for _m, _c, status in self.seen]

    def requests_for(self, sub_method: str) -> int:
        """HTTP requests that carried ``sub_method`` (plain or inside a batch)."""
        return sum(1 for m, cmds, _s in self.seen if m == sub_method or sub_method in cmds)


#: Retries without real waiting (the emulator's faults need no patience).
FAST_RETRIES = RetryPolicy(
    max_attempts=8, backoff=Backoff(base=0.0005, cap=0.001), max_retry_after=0.001
)


def adapter_crm(
    emulator: Any,
    *,
    limiter: Bitrix24Limiter | None = None,
    policy: RetryPolicy = FAST_RETRIES,
    credentials: Credentials | None = None,
    url: str | None = None,
    settings: AdapterSettings | None = None,
) -> tuple[AsyncCRM, CountingTransport]:
    """An async CRM over ``emulator`` through the real client, with a counting transport."""
    transport = CountingTransport(emulator)
    client = Bitrix24Client(
        parse_endpoint(url or f"bitrix24+http://127.0.0.1:1{emulator.webhook_path}"),
        credentials=credentials or Credentials(),
        limiter=limiter or NoLimits(),
        transport=transport,
        policy=policy,
    )
    return AsyncCRM(Bitrix24Adapter(client, settings or AdapterSettings())), transport


@contextlib.contextmanager
def seeded_portal(leads: int, *, contacts: int, webhook: str) -> Iterator[Bitrix24Emulator]:
    """A Bitrix24 emulator (limits off) seeded with ``leads`` and ``contacts``, closed after."""
    emulator = Bitrix24Emulator(limits="off", webhook=webhook)
    try:
        emulator.seed(leads, contacts=contacts)
        yield emulator
    finally:
        emulator.close()
