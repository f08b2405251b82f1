"""The change-log source through the adapter hook, batched record reads, and deletion scans
that never report a record that still exists."""

from __future__ import annotations

from unicrm import ChangeKind, Contact, Lead
from unicrm.changes import ChangeSource
from unicrm_memory.store import MemoryStore

from .conftest import Replica, Time, truth
from .fakes import CountingAdapter, LoggingAdapter, sync_crm


def test_a_logged_entity_is_read_in_full_once_then_followed_through_the_log(
    time: Time,
) -> None:
    adapter = LoggingAdapter(MemoryStore(clock=time))
    crm = sync_crm(adapter)
    before = [crm.leads.create(Lead(title=f"before {n}")) for n in range(2)]
    time.advance(5)
    replica = Replica()
    first = crm.changes(entities=["lead", "contact"], lag=1, clock=time)
    events = replica.apply(first)
    assert [(e.kind, e.record_id) for e in events] == [
        (ChangeKind.CREATED, before[0].id),
        (ChangeKind.CREATED, before[1].id),
    ]
    assert adapter.log_reads == 0  # the head was taken before the snapshot: nothing after it
    made = [crm.leads.create(Lead(title=f"after {n}")) for n in range(4)]
    crm.leads.patch(before[0].id, title="edited")
    crm.leads.delete(before[1].id)
    person = crm.contacts.create(Contact(first_name="Ann"))
    adapter.requests.clear()
    second = crm.changes(since=first.cursor.dumps(), entities=["lead", "contact"], clock=time)
    events = replica.apply(second)
    assert [(str(e.kind), e.record_id) for e in events] == [
        *(("created", m.id) for m in made),
        ("updated", before[0].id),
        ("deleted", before[1].id),
        ("created", person.id),
    ]
    assert {e.source for e in events} == {ChangeSource.LOG}
    # records of id-only entries are read per log page (3 entries), not one request each:
    # leads: two pages (the second needs one record), contacts: one page
    assert adapter.requests == ["memory.lead.filter"] * 2 + ["memory.contact.filter"]
    assert replica.records == truth(crm)
    assert list(crm.changes(since=second.cursor, entities=["lead", "contact"])) == []


def test_a_log_resumes_exactly_after_any_entry(time: Time) -> None:
    adapter = LoggingAdapter(MemoryStore(clock=time))
    crm = sync_crm(adapter)
    start = crm.changes(entities=["lead"], lag=1, clock=time)
    list(start)
    for n in range(5):
        crm.leads.create(Lead(title=str(n)))
    events = list(crm.changes(since=start.cursor, entities=["lead"], clock=time))
    for index, event in enumerate(events):
        rest = list(crm.changes(since=event.cursor, entities=["lead"], clock=time))
        assert [e.record_id for e in rest] == [e.record_id for e in events[index + 1 :]]


def test_a_record_missing_from_a_listing_but_still_there_is_not_reported_deleted(
    time: Time,
) -> None:
    adapter = CountingAdapter(MemoryStore(clock=time))
    crm = sync_crm(adapter)
    kept, gone = (crm.leads.create(Lead(title=t)) for t in ("kept", "gone"))
    time.advance(5)
    feed = crm.changes(entities=["lead"], lag=1, clock=time)
    list(feed)
    crm.leads.delete(gone.id)
    adapter.hidden.add(str(kept.id))  # an offset-paged listing skipped this row
    time.advance(5)
    events = list(crm.changes(since=feed.cursor, entities=["lead"], lag=1, clock=time))
    assert [(str(e.kind), e.record_id) for e in events] == [("deleted", gone.id)]


def test_a_deletion_scan_costs_the_listing_plus_one_batched_check(time: Time) -> None:
    adapter = CountingAdapter(MemoryStore(clock=time), page_size=10)
    crm = sync_crm(adapter)
    leads = [crm.leads.create(Lead(title=str(n))) for n in range(25)]
    time.advance(5)
    feed = crm.changes(entities=["lead"], lag=1, clock=time)
    list(feed)
    for lead in leads[:12]:
        crm.leads.delete(lead.id)
    time.advance(5)
    adapter.requests.clear()
    events = list(crm.changes(since=feed.cursor, entities=["lead"], lag=1, clock=time))
    assert sorted(e.record_id for e in events) == sorted(str(lead.id) for lead in leads[:12])
    # one poll, one id listing, one "id in (12 ids)" check (page_size 10 splits it in two)
    assert (
        adapter.requests == ["memory.lead.filter", "memory.lead.scan"] + ["memory.lead.filter"] * 2
    )
