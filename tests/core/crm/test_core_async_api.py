"""The async API: ``connect_async``, ``async with``, awaitable collections, ``async for``;
and the sync API driving the same engine (also from several threads)."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import pytest

import unicrm
from unicrm import Contact, F, Lead, Money, NotFound, QueryError, UnsupportedOperation


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_async_crud_and_streaming() -> None:
    async def scenario() -> None:
        async with unicrm.connect_async("memory://async-api?pushdown=basic&page_size=7") as crm:
            assert isinstance(crm, unicrm.AsyncCRM)
            created = await crm.leads.create_many(
                [Lead(title=f"L{i}", amount=Money(i, "EUR")) for i in range(40)]
            )
            assert all(isinstance(r, Lead) and r.id for r in created)
            lead = await crm.leads.get(created[3].id)  # type: ignore[union-attr]
            assert lead.title == "L3"
            query = crm.leads.filter(F("amount") >= 10).order_by("-amount")
            titles = [r.title async for r in query]
            assert titles == [f"L{i}" for i in range(39, 9, -1)]
            pages = [len(p) async for p in query.pages()]
            assert sum(pages) == 30 and max(pages) <= 7 and len(pages) > 1
            assert await query.count() == 30
            first = await query.first()
            assert first is not None and first.title == "L39"
            assert len(await query.limit(4).to_list()) == 4
            updated = await crm.leads.update(
                lead.__class__(**{**_fields(lead), "title": "renamed"})
            )
            assert (await crm.leads.get(updated.id)).title == "renamed"  # type: ignore[arg-type]
            await crm.leads.delete(lead.id)  # type: ignore[arg-type]
            with pytest.raises(NotFound):
                await crm.leads.get(lead.id)  # type: ignore[arg-type]
            plan = await query.explain()
            assert "request 1" in str(plan)
            pipelines = await crm.pipelines()
            assert {s.semantic for p in pipelines for s in p.stages} >= {"open", "won", "lost"}
            assert isinstance(await crm.contacts.custom_fields(), list)

    _run(scenario())


def _fields(record: Lead) -> dict[str, object]:
    import attrs

    return {f.name: getattr(record, f.name) for f in attrs.fields(type(record))}


def test_queries_are_lazy_and_immutable() -> None:
    crm = unicrm.connect("memory://async-lazy")
    base = crm.leads.filter(F("amount") >= 1)
    narrower = base.filter(title="x")
    assert base is not narrower
    assert "title" not in repr(base) and "title == 'x'" in repr(narrower)
    assert "NOT" in repr(base.exclude(F("title") == "x"))
    # nothing was sent: the store is still empty and building did not fail
    assert crm.leads.filter(F("title") == "none").to_list() == []


def test_query_building_errors() -> None:
    crm = unicrm.connect("memory://async-errors")
    with pytest.raises(QueryError, match="valid fields"):
        crm.contacts.filter(F("amount") >= 1)  # amount is a lead field
    with pytest.raises(QueryError, match="valid fields"):
        crm.leads.all().order_by("nope")
    with pytest.raises(QueryError, match="non-negative"):
        crm.leads.all().limit(-1)
    with pytest.raises(QueryError, match=r"F\(\.\.\.\)"):
        crm.leads.filter("title == 'x'")
    with pytest.raises(QueryError, match="Lead records"):
        crm.leads.create(Contact(first_name="x"))  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="id"):
        crm.leads.update(Lead(title="no id"))


def test_sync_api_is_safe_from_many_threads() -> None:
    crm = unicrm.connect("memory://async-threads")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                crm.leads.create(Lead(title=f"t{n}-{i}", amount=Money(Decimal(n), "USD")))
            assert len(crm.leads.filter(F("amount") == n).to_list()) == 10
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert crm.leads.all().count() == 80


def test_sync_api_refuses_to_run_inside_the_engine_loop() -> None:
    crm = unicrm.connect("memory://async-loop")

    async def inner() -> None:
        crm.leads.all().count()

    from unicrm.crm import portal  # the engine loop

    with pytest.raises(RuntimeError, match="engine loop"):
        portal.call(inner())


def test_capabilities_are_printable_data() -> None:
    crm = unicrm.connect("memory://async-caps?pushdown=basic")
    caps = crm.capabilities
    assert isinstance(caps, unicrm.Capabilities)
    text = str(caps)
    assert "vendor: memory (pushdown=basic)" in text
    assert "title: ==, contains~, startswith~" in text


def test_raw_passthrough_reaches_the_adapter() -> None:
    crm = unicrm.connect("memory://async-raw")
    crm.leads.create(Lead(title="x"))
    assert crm.raw("count", {"entity": "lead"}) == 1
    with pytest.raises(NotFound, match="no raw method"):
        crm.raw("nothing.here")


def test_base_adapter_refuses_what_it_cannot_do() -> None:
    from unicrm.adapter import Adapter

    class Minimal(Adapter):
        """Implements only the abstract methods."""

        name = "minimal"

        async def get(self, entity, record_id):  # type: ignore[no-untyped-def]
            raise NotFound("none", vendor=self.name)

        async def compile(self, entity, predicate, **kw):  # type: ignore[no-untyped-def]
            raise AssertionError

        def fetch(self, entity, request):  # type: ignore[no-untyped-def]
            raise AssertionError

        async def create(self, entity, record):  # type: ignore[no-untyped-def]
            if record.title == "bad":
                raise unicrm.ValidationError("bad title", vendor=self.name)
            return record

        async def update(self, entity, record):  # type: ignore[no-untyped-def]
            return record

        async def pipelines(self):  # type: ignore[no-untyped-def]
            return []

        async def custom_fields(self, entity):  # type: ignore[no-untyped-def]
            return []

    async def scenario() -> None:
        adapter = Minimal()
        lead = unicrm.EntityKind.LEAD
        with pytest.raises(UnsupportedOperation, match="minimal cannot delete"):
            await adapter.delete(lead, "1")
        with pytest.raises(UnsupportedOperation, match="no raw calls"):
            await adapter.raw("x")
        with pytest.raises(UnsupportedOperation, match="custom fields"):
            await adapter.create_custom_field(lead, unicrm.CustomFieldDef("k", "K", "text"))
        # batch writes report per-item errors instead of raising
        results = await adapter.create_many(lead, [Lead(title="ok"), Lead(title="bad")])
        assert isinstance(results[0], Lead)
        assert isinstance(results[1], unicrm.ValidationError)
        assert adapter.describe() == "minimal"

    _run(scenario())


@pytest.mark.parametrize("level", ["none", "full"])
def test_order_puts_nulls_last_both_ways_and_limit_applies_after_residual(level: str) -> None:
    crm = unicrm.connect(f"memory://async-order-{level}?pushdown={level}&page_size=3")
    for amount in (5, None, 1, 9, None, 3):
        crm.leads.create(
            Lead(title=f"a{amount}", amount=None if amount is None else Money(amount, "USD"))
        )
    up = [lead.title for lead in crm.leads.all().order_by("amount")]
    down = [lead.title for lead in crm.leads.all().order_by("-amount")]
    assert up[:4] == ["a1", "a3", "a5", "a9"] and set(up[4:]) == {"aNone"}
    assert down[:4] == ["a9", "a5", "a3", "a1"] and set(down[4:]) == {"aNone"}
    with pytest.warns(unicrm.FullScanWarning) if level == "none" else _no_warning():
        limited = crm.leads.filter(F("title").contains("a")).order_by("-amount").limit(2)
        assert [lead.title for lead in limited] == ["a9", "a5"]


def _no_warning():  # type: ignore[no-untyped-def]
    import contextlib

    return contextlib.nullcontext()
