"""The polling source and the feed engine, on the memory adapter with a clock the tests move."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import unicrm
from unicrm import ChangeCursor, ChangeKind, Contact, Lead
from unicrm.changes import ChangeSource
from unicrm.errors import ConfigurationError, QueryError, UnsupportedOperation

from .conftest import Replica, Time, truth


def kinds(events: list[unicrm.ChangeEvent]) -> list[tuple[str, str, str]]:
    return [(str(e.kind), str(e.entity), e.record_id) for e in events]


def test_first_call_reports_every_record_once_as_created_in_keyset_order(
    crm: unicrm.CRM, time: Time
) -> None:
    first = crm.leads.create(Lead(title="first"))
    contact = crm.contacts.create(Contact(first_name="Ann"))
    time.advance()
    second = crm.leads.create(Lead(title="second"))
    time.advance(10)
    events = list(crm.changes(lag=5, clock=time))
    assert kinds(events) == [
        ("created", "lead", first.id),
        ("created", "lead", second.id),
        ("created", "contact", contact.id),
    ]
    assert [e.time for e in events] == [first.updated_at, second.updated_at, contact.updated_at]
    assert events[0].record == first and events[0].source is ChangeSource.POLL


def test_a_call_from_the_returned_cursor_reports_exactly_the_changes_since(
    crm: unicrm.CRM, time: Time
) -> None:
    a, b, c = (crm.leads.create(Lead(title=t)) for t in "abc")
    person = crm.contacts.create(Contact(first_name="Ann"))
    time.advance(10)
    feed = crm.changes(lag=1, clock=time)
    replica = Replica()
    replica.apply(feed)
    stored = feed.cursor.dumps()
    time.advance(5)
    crm.leads.patch(a.id, title="a2")
    crm.leads.delete(b.id)
    crm.contacts.delete(person.id)
    d = crm.leads.create(Lead(title="d"))
    time.advance(5)
    again = crm.changes(since=stored, lag=1, clock=time)
    events = replica.apply(again)
    assert sorted(kinds(events)) == sorted(
        [
            ("updated", "lead", a.id),
            ("created", "lead", d.id),
            ("deleted", "lead", b.id),
            ("deleted", "contact", person.id),
        ]
    )
    assert replica.records == truth(crm)
    assert list(crm.changes(since=again.cursor, lag=1, clock=time)) == []
    assert c.id is not None


def test_resuming_from_any_event_cursor_loses_nothing_after_it(crm: unicrm.CRM, time: Time) -> None:
    for n in range(6):
        crm.leads.create(Lead(title=f"lead {n}"))
        time.advance(n % 2)  # pairs of writes share an instant: ties broken by id
    time.advance(10)
    events = list(crm.changes(lag=1, clock=time))
    for index, event in enumerate(events):
        assert event.cursor is not None
        rest = list(crm.changes(since=event.cursor.dumps(), lag=1, clock=time))
        assert kinds(rest) == kinds(events[index + 1 :])


def test_the_lag_keeps_a_write_in_the_instant_of_a_poll_from_being_skipped(
    crm: unicrm.CRM, time: Time
) -> None:
    early = crm.leads.create(Lead(title="early"))
    with_lag = list(crm.changes(lag=1, clock=time))
    no_lag = crm.changes(lag=0, clock=time)
    assert kinds(list(no_lag)) == [("created", "lead", early.id)]
    late = crm.leads.create(Lead(title="same instant, after the poll"))
    # without a lag the position is "all of this instant": the late write is lost
    assert list(crm.changes(since=no_lag.cursor, lag=0, clock=time, deletions=False)) == []
    assert with_lag == []
    time.advance(2)
    assert {e.record_id for e in crm.changes(lag=1, clock=time)} == {early.id, late.id}


def test_updates_before_the_cursor_are_updated_and_records_made_after_are_created(
    crm: unicrm.CRM, time: Time
) -> None:
    old = crm.leads.create(Lead(title="old"))
    time.advance(5)
    feed = crm.changes(lag=1, clock=time)
    list(feed)
    new = crm.leads.create(Lead(title="new"))
    crm.leads.patch(new.id, title="new, edited")
    crm.leads.patch(old.id, title="old, edited")
    time.advance(5)
    events = list(crm.changes(since=feed.cursor, lag=1, clock=time))
    # both written in one instant: keyset order breaks the tie by id
    assert kinds(events) == [("updated", "lead", old.id), ("created", "lead", new.id)]
    assert events[1].record is not None and events[1].record.title == "new, edited"


def test_deletion_scans_run_at_most_once_per_scan_every(crm: unicrm.CRM, time: Time) -> None:
    lead = crm.leads.create(Lead(title="x"))
    time.advance(5)
    feed = crm.changes(lag=1, clock=time, scan_every=dt.timedelta(minutes=10))
    list(feed)
    crm.leads.delete(lead.id)
    time.advance(60)
    quiet = crm.changes(since=feed.cursor, lag=1, clock=time, scan_every=600)
    assert list(quiet) == []
    time.advance(600)
    later = list(crm.changes(since=quiet.cursor, lag=1, clock=time, scan_every=600))
    assert kinds(later) == [("deleted", "lead", lead.id)]
    assert later[0].source is ChangeSource.SCAN and later[0].record is None


def test_without_deletions_no_ids_are_kept_or_compared(crm: unicrm.CRM, time: Time) -> None:
    lead = crm.leads.create(Lead(title="x"))
    time.advance(5)
    feed = crm.changes(lag=1, clock=time, deletions=False)
    list(feed)
    crm.leads.delete(lead.id)
    time.advance(5)
    assert list(crm.changes(since=feed.cursor, lag=1, clock=time, deletions=False)) == []
    state = feed.cursor.state(unicrm.EntityKind.LEAD)
    assert state is not None and state.seen is None


def test_entities_narrow_the_feed_and_bad_names_are_typed_errors(
    crm: unicrm.CRM, time: Time
) -> None:
    crm.leads.create(Lead(title="x"))
    person = crm.contacts.create(Contact(first_name="Ann"))
    time.advance(5)
    assert kinds(list(crm.changes(entities=["contact"], lag=1, clock=time))) == [
        ("created", "contact", person.id)
    ]
    with pytest.raises(QueryError, match="no entity kind 'person'"):
        crm.changes(entities=["person"])
    with pytest.raises(ConfigurationError, match="unknown change feed options: bogus"):
        crm.changes(bogus=1)
    with pytest.raises(ConfigurationError, match="cannot be negative"):
        crm.changes(lag=-1)


def test_an_adapter_without_the_entity_refuses_it_by_name() -> None:
    import attrs

    with unicrm.connect("memory://") as crm:
        adapter = crm.async_crm.adapter
        adapter.capabilities = attrs.evolve(adapter.capabilities, entities={"lead", "contact"})
        with pytest.raises(UnsupportedOperation, match="does not support deals"):
            crm.changes(entities=["deal"])
        assert crm.changes().entities == (unicrm.EntityKind.LEAD, unicrm.EntityKind.CONTACT)


def test_kinds_that_are_the_same_records_are_reported_once(time: Time) -> None:
    import attrs

    with unicrm.connect("memory://") as crm:
        adapter = crm.async_crm.adapter
        adapter.capabilities = attrs.evolve(adapter.capabilities, same_records=[{"deal", "lead"}])
        assert crm.changes().entities == (
            unicrm.EntityKind.LEAD,
            unicrm.EntityKind.CONTACT,
            unicrm.EntityKind.COMPANY,
        )
        assert crm.changes(entities=["deal", "lead"]).entities == (unicrm.EntityKind.DEAL,)


def test_cursors_round_trip_and_damaged_ones_are_refused(crm: unicrm.CRM, time: Time) -> None:
    for n in range(3):
        crm.leads.create(Lead(title=str(n)))
    time.advance(5)
    feed = crm.changes(lag=1, clock=time)
    list(feed)
    text = feed.cursor.dumps()
    assert text.startswith("uc1.") and text.isascii()
    assert ChangeCursor.loads(text) == feed.cursor
    assert ChangeCursor.loads(text).dumps() == text
    with pytest.raises(ConfigurationError, match="not a unicrm change cursor"):
        crm.changes(since="hello")
    with pytest.raises(ConfigurationError, match="damaged"):
        crm.changes(since=text[:-6] + "AAAAAA")


def test_a_feed_is_iterated_once(crm: unicrm.CRM) -> None:
    feed = crm.changes()
    list(feed)
    with pytest.raises(RuntimeError, match="iterated once"):
        list(feed)


def test_the_async_feed_yields_the_same_events(time: Time) -> None:
    asyncio.run(_async_scenario(time))


async def _async_scenario(time: Time) -> None:
    from unicrm_memory.store import MemoryStore

    async with unicrm.connect_async("memory://", store=MemoryStore(clock=time)) as crm:
        lead = await crm.leads.create(Lead(title="x"))
        time.advance(5)
        feed = crm.changes(lag=1, clock=time)
        events = [e async for e in feed]
        assert kinds(events) == [("created", "lead", lead.id)]
        await crm.leads.patch(lead.id, title="y")
        time.advance(5)
        again = [e async for e in crm.changes(since=feed.cursor, lag=1, clock=time)]
        assert kinds(again) == [("updated", "lead", lead.id)]
        assert again[0].kind is ChangeKind.UPDATED
