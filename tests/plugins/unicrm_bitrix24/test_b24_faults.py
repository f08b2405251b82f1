"""Fault injection through the adapter: the emulator fails a share of the requests (its 503
rate-limit body, 5xx HTML pages, timeouts, dropped connections, expired OAuth tokens) and the
adapter must still read exactly the stored rows and write each record exactly once; permanent
errors surface typed, without retry loops, and never show the webhook code.

The emulator applies its faults before a request takes effect (``PRE_EFFECT_FAULTS``), so the
store tells exactly what happened; expectations come from the store, not from the adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from unicrm import Contact, Lead
from unicrm.errors import (
    AuthError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UnicrmError,
    UnsupportedOperation,
    ValidationError,
)
from unicrm.transport import Backoff, RetryPolicy
from unicrm_bitrix24.auth import make_credentials
from unicrm_bitrix24.emulator import Bitrix24Emulator

from .conftest import CountingTransport, adapter_crm

CODE = "faultsc0de9876543"
HTTP_FAULTS = ("rate_limit", "server_error", "html", "timeout", "reset")


@pytest.fixture
def emulator() -> Iterator[Bitrix24Emulator]:
    portal = Bitrix24Emulator(limits="off", webhook=f"1/{CODE}", random_seed=3)
    portal.seed(3_000, contacts=200)
    yield portal
    portal.close()


def _ids(emulator: Bitrix24Emulator, entity: str = "lead") -> list[str]:
    return [str(r[0]) for r in emulator.store.query(f"SELECT ID FROM {entity} ORDER BY ID")]


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.mark.parametrize("rate", [0.1, 0.2])
def test_full_reads_return_exactly_the_stored_rows(emulator: Bitrix24Emulator, rate: float) -> None:
    emulator.set_faults(rate, HTTP_FAULTS)
    crm, transport = adapter_crm(emulator)

    async def go() -> tuple[list[Any], list[Any]]:
        async with crm:
            for _round in range(3):  # enough requests that the faults surely hit some
                ids = [r.id for r in await crm.leads.all().only("id").to_list()]
                assert sorted(ids, key=int) == _ids(emulator)
            leads = await crm.leads.all().to_list()
            contacts = await crm.contacts.all().only("id", "first_name").to_list()
            return leads, contacts

    leads, contacts = _run(go())
    assert sorted((r.id for r in leads), key=int) == _ids(emulator)
    assert sorted((r.id for r in contacts), key=int) == _ids(emulator, "contact")
    stored = {str(r[0]): r[1] for r in emulator.store.query("SELECT ID, TITLE FROM lead")}
    assert {r.id: r.title for r in leads} == stored
    assert sum(emulator.faults.injected.values()) >= 1  # the faults really happened
    assert {s for s in transport.statuses() if s != 200} <= {None, 500, 502, 503}


def test_oauth_reads_survive_expired_tokens(emulator: Bitrix24Emulator) -> None:
    client_id, client_secret, code = emulator.register_app()
    # a token refused twice within one call is given up on (the core refreshes once per call),
    # so the rate is kept where two faults on one call are rare; the seed makes it repeatable
    emulator.set_faults(0.08, ("expired_token",))
    oauth_transport = CountingTransport(emulator)
    credentials = make_credentials(
        {
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "oauth_url": "http://127.0.0.1:1/oauth/token/",
        },
        oauth_transport,
    )
    crm, _transport = adapter_crm(
        emulator, credentials=credentials, url="bitrix24+http://127.0.0.1:1"
    )

    async def go() -> list[Any]:
        async with crm:
            return [await crm.leads.all().only("id").to_list() for _ in range(6)]

    for leads in _run(go()):
        assert sorted((r.id for r in leads), key=int) == _ids(emulator)
    assert emulator.faults.injected["expired_token"] >= 1
    refreshes = [s for m, _c, s in oauth_transport.seen if m == "token"]
    assert refreshes and set(refreshes) == {200}


def test_creates_under_rate_limit_faults_end_exactly(emulator: Bitrix24Emulator) -> None:
    """A 503 QUERY_LIMIT_EXCEEDED provably did nothing, so even writes are retried."""
    emulator.set_faults(0.2, ("rate_limit",))
    crm, transport = adapter_crm(emulator)
    before = emulator.store.count("lead")
    leads = [Lead(title=f"rl {i:03d}") for i in range(180)]

    async def go() -> list[Any]:
        async with crm:
            return await crm.leads.create_many(leads)

    results = _run(go())
    assert all(isinstance(r, Lead) for r in results)
    assert 503 in transport.statuses()
    titles = [r[0] for r in emulator.store.query("SELECT TITLE FROM lead WHERE TITLE LIKE 'rl %'")]
    assert sorted(titles) == [lead.title for lead in leads]
    assert emulator.store.count("lead") == before + 180


def _titles(emulator: Bitrix24Emulator, prefix: str) -> list[str]:
    rows = emulator.store.query("SELECT TITLE FROM lead WHERE TITLE LIKE ?", (prefix + "%",))
    return sorted(r[0] for r in rows)


def test_creates_under_every_fault_end_exactly(emulator: Bitrix24Emulator) -> None:
    """A write batch that meets a 5xx page, a timeout or a dropped connection may have taken
    effect as far as the client can tell: the adapter must not resend it on its own (a
    duplicate), and must say so with a typed error. The caller then looks before it writes
    again. In the end every record is stored once."""
    emulator.set_faults(0.15, HTTP_FAULTS)
    crm, _transport = adapter_crm(emulator)
    leads = [Lead(title=f"ff {i:03d}") for i in range(200)]
    failures: list[UnicrmError] = []

    async def go() -> None:
        async with crm:
            for start in range(0, len(leads), 50):
                chunk = leads[start : start + 50]
                for _attempt in range(20):
                    present = set(_titles(emulator, "ff "))
                    todo = [lead for lead in chunk if lead.title not in present]
                    if not todo:
                        break
                    try:
                        results = await crm.leads.create_many(todo)
                    except (ServerError, TransportError, RateLimited) as exc:
                        failures.append(exc)
                        # nothing of a failed batch was stored (the faults hit before effect)
                        assert not {t.title for t in todo} & set(_titles(emulator, "ff "))
                        continue
                    # the read-back may fail after the writes went through: that's a result
                    # per item, and the store is the truth
                    assert all(isinstance(r, (Lead, UnicrmError)) for r in results)

    _run(go())
    assert _titles(emulator, "ff ") == [lead.title for lead in leads]  # once each
    for exc in failures:
        if isinstance(exc, TransportError):
            assert exc.maybe_applied  # a timeout / reset after sending: the adapter can't know


def test_updates_under_faults_end_exactly(emulator: Bitrix24Emulator) -> None:
    emulator.set_faults(0.15, HTTP_FAULTS)
    crm, _transport = adapter_crm(emulator)
    wanted = {str(i): f"upd {i}" for i in range(1, 151)}

    async def go() -> None:
        async with crm:
            for _attempt in range(30):
                rows = emulator.store.query("SELECT ID, NAME FROM contact WHERE ID <= 150")
                todo = [str(r[0]) for r in rows if r[1] != wanted[str(r[0])]]
                if not todo:
                    return
                try:
                    records = [await crm.contacts.get(i) for i in todo[:60]]
                    await crm.contacts.update_many(
                        [attrs.evolve(c, first_name=wanted[c.id or ""]) for c in records]
                    )
                except (ServerError, TransportError, RateLimited):
                    continue  # an update is safe to send again

    _run(go())
    rows = emulator.store.query("SELECT ID, NAME FROM contact")
    assert len(rows) == 200
    assert all(r[1] == wanted[str(r[0])] for r in rows if r[0] <= 150)
    assert not any(str(r[1]).startswith("upd") for r in rows if r[0] > 150)


def test_a_portal_that_always_refuses_is_given_up_on() -> None:
    portal = Bitrix24Emulator(limits="off", webhook=f"1/{CODE}")
    portal.set_faults(1.0, ("rate_limit",))
    policy = RetryPolicy(max_attempts=4, backoff=Backoff(base=0.0005, cap=0.001))
    crm, transport = adapter_crm(portal, policy=policy)

    async def go() -> None:
        async with crm:
            await crm.leads.all().to_list()

    with pytest.raises(RateLimited) as info:
        _run(go())
    assert transport.statuses() == [503] * 4
    assert CODE not in str(info.value) and CODE not in repr(info.value)


# --- permanent errors: typed, one request, no secret ----------------------------------------


def _assert_hidden(exc: BaseException) -> None:
    assert CODE not in str(exc) and CODE not in repr(exc)
    request = getattr(exc, "request", None)
    assert CODE not in repr(request) and CODE not in str(request)


def test_a_wrong_webhook_code_is_an_auth_error_at_once(emulator: Bitrix24Emulator) -> None:
    wrong = CODE[::-1]
    crm, transport = adapter_crm(emulator, url=f"bitrix24+http://127.0.0.1:1/rest/1/{wrong}/")

    async def go() -> None:
        async with crm:
            await crm.leads.get("1")

    with pytest.raises(AuthError) as info:
        _run(go())
    assert transport.statuses() == [401]
    assert wrong not in str(info.value) and wrong not in repr(info.value)
    _assert_hidden(info.value)


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("crm.lead.add", {"fields": "not a map"}, ValidationError),
        ("crm.lead.get", {"id": "abc"}, NotFound),
        ("crm.lead.update", {"id": 987_654, "fields": {"TITLE": "x"}}, NotFound),
        ("crm.nothing.here", {}, UnsupportedOperation),
    ],
    ids=["400-fields", "400-id", "400-missing", "404-method"],
)
def test_permanent_errors_are_typed_and_not_retried(
    emulator: Bitrix24Emulator, method: str, params: dict[str, Any], expected: type[Exception]
) -> None:
    crm, transport = adapter_crm(emulator)

    async def go() -> None:
        async with crm:
            await crm.raw(method, params)

    with pytest.raises(expected) as info:
        _run(go())
    assert len(transport.seen) == 1
    _assert_hidden(info.value)
    assert emulator.store.count("lead") == 3_000


def test_a_refused_item_in_a_faulty_bulk_write_is_typed(emulator: Bitrix24Emulator) -> None:
    """Per-command errors and transport faults together: the refused item is NotFound, the
    rest are stored once."""
    emulator.set_faults(0.1, ("rate_limit",))
    crm, _transport = adapter_crm(emulator)
    contacts = [Contact(first_name=f"pc {i}") for i in range(40)]

    async def go() -> list[Any]:
        async with crm:
            created = await crm.contacts.create_many(contacts)
            ghost = attrs.evolve(created[3], id="999999")
            return await crm.contacts.update_many([*created[:3], ghost, *created[4:]])

    results = _run(go())
    assert isinstance(results[3], NotFound)
    assert sum(isinstance(r, Contact) for r in results) == 39
    assert emulator.store.count("contact") == 240
