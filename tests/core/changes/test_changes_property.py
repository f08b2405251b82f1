"""Property: whatever the writes, the clock and where a platform resumes from, a replica fed
only by the change feed ends equal to a fresh full read (at-least-once, nothing lost)."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

import unicrm
from unicrm import Contact, Lead
from unicrm_memory.store import MemoryStore

from .conftest import Replica, Time, truth

ENTITIES = ("lead", "contact")
MAKERS: dict[str, Any] = {
    "lead": lambda n: Lead(title=f"t{n}"),
    "contact": lambda n: Contact(first_name=f"n{n}"),
}

write = st.tuples(
    st.sampled_from(("create", "patch", "delete")), st.sampled_from(ENTITIES), st.integers(0, 50)
)
step = st.one_of(
    write,
    st.tuples(st.just("tick"), st.sampled_from((0.0, 0.4, 1.0, 3.0))),
    # a poll; the platform applies every event but stores the cursor of the one at this
    # fraction of them (1.0: the feed's cursor at the end; else a crash before the rest)
    st.tuples(st.just("poll"), st.sampled_from((1.0, 1.0, 0.0, 0.5))),
)


def _apply_write(crm: unicrm.CRM, op: str, entity: str, n: int) -> None:
    collection = crm.collection(entity)
    ids = sorted(r.id for r in collection.all())
    if op == "create" or not ids:
        collection.create(MAKERS[entity](n))
    elif op == "patch":
        field = "title" if entity == "lead" else "first_name"
        collection.patch(ids[n % len(ids)], **{field: f"edit {n}"})
    else:
        collection.delete(ids[n % len(ids)])


@example(
    [
        ("create", "contact", 0),
        ("tick", 1.0),
        ("poll", 0.5),
        ("create", "contact", 1),
        ("create", "lead", 2),
        ("tick", 1.0),
        ("poll", 0.0),
        ("delete", "contact", 1),
    ]
)
@given(st.lists(step, max_size=40))
def test_a_replica_fed_by_the_feed_equals_a_full_read(steps: list[tuple[Any, ...]]) -> None:
    time = Time()
    with unicrm.connect("memory://?pushdown=basic", store=MemoryStore(clock=time)) as crm:
        replica, cursor = Replica(), None
        for item in steps:
            if item[0] == "tick":
                time.advance(item[1])
            elif item[0] == "poll":
                feed = crm.changes(since=cursor, entities=ENTITIES, lag=1, clock=time)
                events = replica.apply(feed)
                # the documented contract: store a cursor of each call that had events before
                # the next call (any of its events: all it may report is registered in it)
                stored = max(int(len(events) * item[1]), 1)
                if item[1] == 1.0 or not events:
                    cursor = feed.cursor
                elif stored:
                    cursor = events[stored - 1].cursor
            else:
                _apply_write(crm, *item)
        time.advance(2)
        replica.apply(crm.changes(since=cursor, entities=ENTITIES, lag=1, clock=time))
        assert replica.records == truth(crm)
