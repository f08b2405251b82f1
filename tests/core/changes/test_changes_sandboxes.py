"""Issue 14's acceptance over HTTP against both sandboxes: after N creates, M updates and K
deletes by another client, ``crm.changes(since=c)`` reports exactly those records (each at
least once, kinds right), a second call from the returned cursor reports nothing, and the
same holds when 10 % of the feed's requests fail (the sandbox fault switch)."""

from __future__ import annotations

import datetime as dt

import pytest

from unicrm import Contact, Lead

from .sandboxes import VENDORS, Sandbox

N, M, K = 7, 5, 3
LAG = dt.timedelta(seconds=2)


@pytest.mark.parametrize("faults", [0.0, 0.1], ids=["clean", "faults-0.1"])
@pytest.mark.parametrize("vendor", VENDORS)
def test_changes_after_another_clients_writes_are_exactly_those(vendor: str, faults: float) -> None:
    with Sandbox(vendor, seed=20, random_seed=11) as box, box.connect() as writer:
        with box.connect() as reader:
            start = reader.changes(lag=LAG, clock=box.now)
            baseline = {(str(e.entity), e.record_id) for e in start}
            assert len(baseline) == writer.leads.count() + writer.contacts.count()
            cursor = start.cursor.dumps()
        box.clock.advance(3)
        existing = sorted(int(r.id) for r in writer.leads)
        created = [writer.leads.create(Lead(title=f"new {n}")).id for n in range(N - 2)]
        created += [writer.contacts.create(Contact(first_name=f"New {n}")).id for n in range(2)]
        updated = [str(i) for i in existing[:M]]
        for record_id in updated:
            writer.leads.patch(record_id, title=f"edited {record_id}")
        deleted = [str(i) for i in existing[M : M + K]]
        for record_id in deleted:
            box.delete(writer, "lead", record_id)
        box.clock.advance(5)
        box.emulator.set_faults(faults)
        with box.connect() as reader:
            feed = reader.changes(since=cursor, lag=LAG, clock=box.now)
            events = list(feed)
            got = {(str(e.kind), e.record_id) for e in events}
            assert got == (
                {("created", i) for i in created}
                | {("updated", i) for i in updated}
                | {("deleted", i) for i in deleted}
            )
            assert all(
                e.record is not None and e.record.id == e.record_id
                for e in events
                if str(e.kind) != "deleted"
            )
            assert list(reader.changes(since=feed.cursor.dumps(), lag=LAG, clock=box.now)) == []
        if faults:
            assert sum(box.emulator.faults.injected.values()) > 0
