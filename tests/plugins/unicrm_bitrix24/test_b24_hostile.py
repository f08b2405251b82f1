"""Hostile and broken bodies (issue 11): whatever a server sends, the Bitrix24 adapter raises
only :mod:`unicrm.errors` types.

The adapter runs against a live emulator through a transport that spoils one answer: a value
of the wrong JSON type at any depth, a key dropped, the body cut short, bytes that are not
UTF-8, a body nested thousands deep, a huge body, an HTML page, an empty body, another status.
Every operation (reads by id and by query, projections, writes, the portal snapshot and custom
field definitions) either succeeds or raises a ``UnicrmError``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unicrm import Contact, CustomFieldDef, F, Lead, Money, Phone
from unicrm.crm import AsyncCRM
from unicrm.emulation import EmulatorTransport
from unicrm.errors import InvalidResponse, UnicrmError
from unicrm.model import CustomFieldType
from unicrm.transport import Backoff, RetryPolicy
from unicrm_bitrix24.adapter import AdapterSettings, Bitrix24Adapter
from unicrm_bitrix24.auth import Credentials
from unicrm_bitrix24.client import Bitrix24Client, parse_endpoint
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.limiter import NoLimits

WEBHOOK = "1/hostilecode1234"
ONE_TRY = RetryPolicy(max_attempts=2, backoff=Backoff(base=0.0, cap=0.0), max_retry_after=0.0)
WRONG_VALUES: tuple[Any, ...] = (
    None,
    0,
    -1,
    1.5,
    "",
    "x",
    "12abc",
    True,
    False,
    [],
    {},
    [1, "a"],
    {"a": {"b": []}},
)

Spoil = Callable[[int, bytes], tuple[int, bytes]]


class SpoilingTransport(EmulatorTransport):
    """Answers from the emulator, except that request number ``target`` gets ``spoil``ed."""

    def __init__(self, emulator: Bitrix24Emulator, target: int, spoil: Spoil) -> None:
        super().__init__(emulator, latency=0.0)
        self.target = target
        self.spoil = spoil
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        index, self.count = self.count, self.count + 1
        if index != self.target:
            return response
        status, body = self.spoil(response.status_code, response.content)
        return httpx.Response(
            status, content=body, request=request, headers={"content-type": "application/json"}
        )


# --- spoilers -------------------------------------------------------------------------------
def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if drop and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, new, drop)
    return copy


@st.composite
def spoilers(draw: st.DrawFn) -> Spoil:
    kind = draw(
        st.sampled_from(
            [
                "retype",
                "retype",
                "retype",
                "drop",
                "truncate",
                "not-utf8",
                "html",
                "empty",
                "shape",
                "huge",
                "status",
            ]
        )
    )
    pick = draw(st.integers(min_value=0, max_value=10_000))
    depth = draw(st.integers(min_value=0, max_value=5))  # structure first: shallow nodes as often
    wrong = draw(st.sampled_from(WRONG_VALUES))
    status = draw(st.sampled_from([200, 200, 400, 401, 403, 404, 429, 500, 502, 503]))

    def spoil(code: int, body: bytes) -> tuple[int, bytes]:
        if kind in ("retype", "drop"):
            try:
                data = json.loads(body)
            except ValueError:
                return code, body
            paths = list(_nodes(data))
            shallow = [p for p in paths if len(p) == depth] or paths
            path = shallow[pick % len(shallow)]
            if kind == "drop" and (not path or not isinstance(_at(data, path[:-1]), dict)):
                return code, body
            return code, json.dumps(_replace(data, path, wrong, kind == "drop")).encode()
        if kind == "truncate":
            return code, body[: pick % max(1, len(body))]
        if kind == "not-utf8":
            cut = pick % max(1, len(body))
            return code, body[:cut] + b"\xff\xfe\xc3(" + body[cut:]
        if kind == "html":
            return status, b"<html><head><title>Oops</title></head><body>down</body></html>"
        if kind == "empty":
            return status, b""
        if kind == "shape":
            return code, json.dumps([None, 1, "result", {"result": wrong}][pick % 4]).encode()
        if kind == "huge":
            return code, json.dumps({"result": ["x" * 1000] * 2000, "total": "many"}).encode()
        return status, body

    return spoil


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


# --- operations -----------------------------------------------------------------------------
async def _update_first(crm: AsyncCRM) -> Any:
    lead = await crm.leads.get("3")
    return await crm.leads.update(attrs.evolve(lead, title="changed", phones=[Phone("+15550100")]))


OPERATIONS: dict[str, Callable[[AsyncCRM], Any]] = {
    "get-lead": lambda crm: crm.leads.get("5"),
    "get-contact": lambda crm: crm.contacts.get("2"),
    "all-leads": lambda crm: crm.leads.all().to_list(),
    "all-contacts": lambda crm: crm.contacts.all().to_list(),
    "filter": lambda crm: crm.leads.filter(F("title").contains("a"), F("amount") > 10).to_list(),
    "projection": lambda crm: (
        crm.leads.all().only("id", "custom.PRIORITY", "stage.semantic").to_list()
    ),
    "limit": lambda crm: crm.leads.all().limit(60).to_list(),
    "create": lambda crm: crm.leads.create(
        Lead(
            title="new",
            amount=Money("10", "USD"),
            phones=[Phone("+15550101")],
            custom={"PRIORITY": "High"},
        )
    ),
    "create-contact": lambda crm: crm.contacts.create(Contact(first_name="Ann")),
    "update": _update_first,
    "fields": lambda crm: crm.leads.custom_fields(),
    "pipelines": lambda crm: crm.pipelines(),
    "new-field": lambda crm: crm.contacts.create_custom_field(
        CustomFieldDef(key="HOSTILE", label="Hostile", type=CustomFieldType.TEXT)
    ),
}


@pytest.fixture(scope="module")
def portal() -> Iterator[Bitrix24Emulator]:
    emulator = Bitrix24Emulator(limits="off", webhook=WEBHOOK)
    emulator.seed(120, contacts=40)
    yield emulator
    emulator.close()


def _perform(transport: SpoilingTransport, operation: str) -> Any:
    """Run one operation on a fresh connection through ``transport``; its result."""
    client = Bitrix24Client(
        parse_endpoint(f"bitrix24+http://127.0.0.1:1/rest/{WEBHOOK}/"),
        credentials=Credentials(),
        limiter=NoLimits(),
        transport=transport,
        policy=ONE_TRY,
    )
    crm = AsyncCRM(Bitrix24Adapter(client, AdapterSettings()))

    async def go() -> Any:
        async with crm:
            return await OPERATIONS[operation](crm)

    return asyncio.run(go())


def _run(emulator: Bitrix24Emulator, operation: str, target: int, spoil: Spoil) -> None:
    """The operation with answer number ``target`` spoiled: a result or a ``UnicrmError``
    (a typed refusal is a right answer to a spoiled body); anything else propagates."""
    try:
        _perform(SpoilingTransport(emulator, target, spoil), operation)
    except UnicrmError:
        pass


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(target=st.integers(min_value=0, max_value=4), spoil=spoilers())
def test_spoiled_answers_raise_only_unicrm_errors(
    portal: Bitrix24Emulator, operation: str, target: int, spoil: Spoil
) -> None:
    _run(portal, operation, target, spoil)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_deeply_nested_bodies_raise_only_unicrm_errors(
    portal: Bitrix24Emulator, operation: str
) -> None:
    """``[`` x 5000: the core's JSON decoding (``unicrm/transport/bodies.py``) turns nesting
    past Python's limit into InvalidResponse before the adapter sees the body."""
    _run(portal, operation, 0, lambda code, body: (code, b"[" * 5000 + b"]" * 5000))


def test_every_operation_works_unspoiled(portal: Bitrix24Emulator) -> None:
    """The harness itself: without a spoiled answer every operation succeeds."""
    for operation in sorted(set(OPERATIONS) - {"new-field"}):  # that one creates once only
        transport = SpoilingTransport(portal, -1, lambda code, body: (code, body))
        assert _perform(transport, operation) is not None, operation
        assert transport.count >= 1


def _drop_command(key: str) -> Spoil:
    def spoil(code: int, body: bytes) -> tuple[int, bytes]:
        data = json.loads(body)
        data["result"]["result"].pop(key, None)
        return code, json.dumps(data).encode()

    return spoil


def test_a_get_whose_rows_command_came_back_empty_is_invalid_response(
    portal: Bitrix24Emulator,
) -> None:
    """Neither a result nor an error for the rows command: ``InvalidResponse``, never the
    ``NotFound`` a silently missing row would look like."""
    transport = SpoilingTransport(portal, 1, _drop_command("p0"))  # 0: snapshot, 1: rows
    with pytest.raises(InvalidResponse, match="neither a result nor an error"):
        _perform(transport, "get-lead")


def test_links_command_that_came_back_empty_is_invalid_response(portal: Bitrix24Emulator) -> None:
    linked = portal.store.scalar("SELECT MIN(LEAD_ID) FROM lead_contact")
    transport = SpoilingTransport(portal, 1, _drop_command(f"l{linked}"))
    OPERATIONS["get-linked"] = lambda crm: crm.leads.get(str(linked))
    try:
        with pytest.raises(InvalidResponse):
            _perform(transport, "get-linked")
    finally:
        del OPERATIONS["get-linked"]
