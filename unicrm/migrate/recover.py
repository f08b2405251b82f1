"""The recover stage: find in the target what an earlier write may have left there.

A record whose ledger entry is ``pending`` (a crash between the write and its ``done``), a
write that failed in a way that may still have landed (a timeout, a 5xx), and the first
records of an entity on a fresh ledger are looked up by their origin marker
(``F("origin").in_(...)``). Found and already right: marked done, not written. Found but
different: updated in place. Not found: created.
"""

from __future__ import annotations

from collections.abc import Sequence

from unicrm.migrate.compare import matches
from unicrm.migrate.run import LOOKUP_CHUNK, Item, Run
from unicrm.model import EntityKind, Record
from unicrm.query import F


async def find_by_origin(
    run: Run, entity: EntityKind, markers: Sequence[str]
) -> dict[str, list[Record]]:
    """Target records (of ``entity``'s route target) carrying each of ``markers``."""
    found: dict[str, list[Record]] = {}
    collection = run.target.collection(run.target_of(entity))
    for start in range(0, len(markers), LOOKUP_CHUNK):
        query = collection.filter(F("origin").in_(list(markers[start : start + LOOKUP_CHUNK])))
        # each attempt reads the chunk afresh: a read that failed half-way adds nothing
        for record in await run.retrying(query.to_list):
            found.setdefault(record.origin or "", []).append(record)
    return found


async def recover(run: Run, entity: EntityKind, items: list[Item]) -> list[Item]:
    """Look ``items`` up by origin marker; mark found, unchanged ones done; return the rest
    (with the target id of the ones found, to update) for writing."""
    stats = run.report.stats(str(entity))
    found = await find_by_origin(run, entity, [i.marker for i in items])
    to_write: list[Item] = []
    done: list[Item] = []
    for item in items:
        carriers = sorted(found.get(item.marker, ()), key=lambda r: _id_key(r.id))
        if not carriers:
            item.target_id = None
            to_write.append(item)
            continue
        if len(carriers) > 1:
            run.report.warn(
                f"{entity} {item.source_id}: {len(carriers)} target records carry its origin "
                f"marker ({', '.join(r.id or '' for r in carriers)}); keeping the first"
            )
        item.target_id = carriers[0].id
        stats.recovered += 1
        if matches(item.mapped, carriers[0]):
            to_write.append(item)
        else:
            done.append(item)
            stats.skipped += 1
            run.advance(entity, 1)
    if run.ledger is not None and done:
        run.ledger.mark_pending(entity, [(i.source_id, i.marker) for i in done])
        run.ledger.mark_done(
            entity,
            [(i.source_id, i.target_id or "", i.digest, True, i.source_updated) for i in done],
        )
    return to_write


def _id_key(value: str | None) -> tuple[int, str]:
    text = value or ""
    return (int(text), "") if text.isdigit() else (1 << 62, text)
