"""Hostile and broken bodies: whatever a server answers, the adapter raises only unicrm errors.

The emulator answers every request as the real API would; an httpx transport in front of it
replaces one answer (the n-th request of an operation) with a mutation of its body: a value of
the wrong type (or a deleted key) at any depth, a truncated or empty body, a JSON scalar where an
object is due, an HTML page, bytes that are not UTF-8, a huge body, a deeply nested one. The
adapter then runs reads by id, list reads, creates, updates, custom field reads and creation,
and pipeline reads. Every outcome must be a result or a :class:`~unicrm.errors.UnicrmError`; an
``AttributeError`` or ``TypeError`` from the adapter, the mapping or the schema parser is a
failure (issue 11).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unicrm.emulation import EmulatorTransport, ManualClock
from unicrm.errors import UnicrmError
from unicrm.model import Contact, CustomFieldDef, EntityKind, Lead, Pipeline
from unicrm.query import ALL
from unicrm.transport import Backoff, NoLimiter, RetryPolicy
from unicrm_amocrm.adapter import AmoCRMAdapter
from unicrm_amocrm.client import AmoClient
from unicrm_amocrm.emulator import AmoCRMEmulator

from .conftest import BearerToken

Mutation = Callable[[bytes], tuple[bytes, str]]
RESULT_TYPES = (UnicrmError, Lead, Contact, CustomFieldDef, Pipeline)
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


class HostileTransport(EmulatorTransport):
    """The emulator, except that answer number ``target`` goes through ``mutate``."""

    def __init__(self, emulator: AmoCRMEmulator, target: int, mutate: Mutation) -> None:
        super().__init__(emulator)
        self.target = target
        self.mutate = mutate
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.seen += 1
        if self.seen - 1 != self.target:
            return response
        body, content_type = self.mutate(await response.aread())
        return httpx.Response(
            response.status_code if response.status_code != 204 else 200,
            content=body,
            headers={"content-type": content_type},
        )


def _emulator() -> AmoCRMEmulator:
    emulator = AmoCRMEmulator(clock=ManualClock(), limits="off")
    emulator.seed(4, contacts=3)
    return emulator


def _adapter(emulator: AmoCRMEmulator, transport: httpx.AsyncBaseTransport) -> AmoCRMAdapter:
    client = AmoClient(
        "http://127.0.0.1:1",
        auth=BearerToken(emulator.long_lived_token),
        limiter=NoLimiter(),
        transport=transport,
        policy=RetryPolicy(max_attempts=2, backoff=Backoff(base=0.0, cap=0.0)),
    )
    return AmoCRMAdapter(client)


async def _read_all(adapter: AmoCRMAdapter, entity: EntityKind) -> list[Any]:
    request = await adapter.compile(entity, ALL)
    return [record async for batch in adapter.fetch(entity, request) for record in batch]


async def _first_id(adapter: AmoCRMAdapter, entity: EntityKind) -> str:
    return str((await _read_all(adapter, entity))[0].id)


Operation = Callable[[AmoCRMAdapter, dict[EntityKind, str]], Awaitable[Any]]
OPERATIONS: dict[str, Operation] = {
    "get-lead": lambda a, ids: a.get(EntityKind.LEAD, ids[EntityKind.LEAD]),
    "get-contact": lambda a, ids: a.get(EntityKind.CONTACT, ids[EntityKind.CONTACT]),
    "list-leads": lambda a, ids: _read_all(a, EntityKind.LEAD),
    "list-contacts": lambda a, ids: _read_all(a, EntityKind.CONTACT),
    "create-leads": lambda a, ids: a.create_many(EntityKind.LEAD, [Lead(title="A"), Lead()]),
    "create-lead": lambda a, ids: a.create(EntityKind.LEAD, Lead(title="read back")),
    "update-contacts": lambda a, ids: a.update_many(
        EntityKind.CONTACT, [Contact(id=ids[EntityKind.CONTACT], first_name="Renamed")]
    ),
    "update-lead": lambda a, ids: a.update(
        EntityKind.LEAD, Lead(id=ids[EntityKind.LEAD], title="Renamed")
    ),
    "custom-fields": lambda a, ids: a.custom_fields(EntityKind.CONTACT),
    "create-field": lambda a, ids: a.create_custom_field(
        EntityKind.LEAD, CustomFieldDef(key="HOSTILE", label="Hostile", type="text")
    ),
    "pipelines": lambda a, ids: a.pipelines(),
}


def _ids(emulator: AmoCRMEmulator) -> dict[EntityKind, str]:
    async def go() -> dict[EntityKind, str]:
        adapter = _adapter(emulator, EmulatorTransport(emulator))
        try:
            return {e: await _first_id(adapter, e) for e in (EntityKind.LEAD, EntityKind.CONTACT)}
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def _run(operation: str, target: int, mutate: Mutation) -> None:
    """Run one operation against a fresh account with answer ``target`` mutated; only a result
    or a unicrm error may come out."""
    emulator = _emulator()
    ids = _ids(emulator)
    transport = HostileTransport(emulator, target, mutate)

    async def go() -> None:
        adapter = _adapter(emulator, transport)
        try:
            result = await OPERATIONS[operation](adapter, ids)
            if isinstance(result, list):
                assert all(isinstance(r, RESULT_TYPES) for r in result), result
        except UnicrmError:
            pass
        finally:
            await adapter.aclose()

    asyncio.run(go())


# --- mutations ---------------------------------------------------------------------------------
def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value, the root included."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if delete and not rest:
        if isinstance(node, dict):
            node.pop(head, None)
        elif isinstance(node, list):
            node.pop(head)
        return node
    node[head] = _replace(node[head], rest, value, delete)
    return node


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def wrong_type_mutations(draw: st.DrawFn) -> Mutation:
    """Replace (or delete) the value at one path of the JSON body with a value of any type."""
    choice = draw(st.integers(min_value=0, max_value=10_000))
    value = draw(JSON_VALUES)
    delete = draw(st.booleans())

    def mutate(body: bytes) -> tuple[bytes, str]:
        if not body:
            return json.dumps(value).encode(), "application/hal+json"
        tree = json.loads(body)
        paths = _paths(tree)
        path = paths[choice % len(paths)]
        tree = _replace(tree, path, value, delete and bool(path))
        return json.dumps(tree).encode(), "application/hal+json"

    return mutate


@st.composite
def truncations(draw: st.DrawFn) -> Mutation:
    fraction = draw(st.floats(min_value=0.0, max_value=0.99))

    def mutate(body: bytes) -> tuple[bytes, str]:
        return body[: int(len(body) * fraction)], "application/hal+json"

    return mutate


def _constant(body: bytes, content_type: str = "application/hal+json") -> Mutation:
    return lambda _original: (body, content_type)


def _huge(_original: bytes) -> tuple[bytes, str]:
    item = {"id": 1, "name": "x" * 200, "custom_fields_values": [{"field_id": 1, "values": []}]}
    return json.dumps({"_embedded": {"leads": [item] * 20_000}}).encode(), "application/hal+json"


MUTATIONS = st.one_of(
    wrong_type_mutations(),
    truncations(),
    st.sampled_from(
        [
            _constant(b""),
            _constant(b"5"),
            _constant(b'"text"'),
            _constant(b"null"),
            _constant(b"[]"),
            _constant(b"[1, 2]"),
            _constant(HTML, "text/html"),
            _constant(b'{"_embedded": {"leads": [{"id": 1, "name": "\xff"}]}}'),
            _huge,
        ]
    ),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    operation=st.sampled_from(sorted(OPERATIONS)),
    target=st.integers(min_value=0, max_value=9),
    mutate=MUTATIONS,
)
def test_any_body_gives_a_result_or_a_unicrm_error(
    operation: str, target: int, mutate: Mutation
) -> None:
    _run(operation, target, mutate)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("target", range(6))
def test_every_answer_of_every_operation_as_a_number(operation: str, target: int) -> None:
    """The plainest hostile body, a JSON number, in place of each answer in turn."""
    _run(operation, target, _constant(b"42"))


@pytest.mark.parametrize("operation", ["get-lead", "list-leads", "create-leads", "pipelines"])
@pytest.mark.parametrize(
    "body",
    [
        b'{"_embedded": {"leads": [{"id": 1, "name": "\xff\xfe"}]}}',
        "\u00e9t\u00e9".encode("latin-1"),
    ],
    ids=["bad-utf8-in-json", "latin-1"],
)
def test_bodies_that_are_not_utf8(operation: str, body: bytes) -> None:
    for target in range(6):
        _run(operation, target, _constant(body))


@pytest.mark.parametrize("operation", ["get-lead", "list-leads", "create-leads", "pipelines"])
def test_deeply_nested_bodies(operation: str) -> None:
    """``[`` x 5000: the core's JSON decode turns the nesting into InvalidResponse
    (unicrm/transport/bodies.py); the adapter itself never sees the body."""
    for target in range(6):
        _run(operation, target, _constant(b"[" * 5000 + b"]" * 5000))
