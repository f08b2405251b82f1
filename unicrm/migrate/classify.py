"""The plan stage, per page: map each record and decide what to do with it.

Every source record is mapped (:func:`~unicrm.migrate.transform.map_record`) and, against
the ledger, sorted into skip (written before, unchanged), update (written before, changed),
look up first (``pending``, or unknown to a fresh ledger) or create. A dry run counts these
decisions and keeps a preview instead of passing the records on.
"""

from __future__ import annotations

from collections.abc import Sequence

from unicrm.migrate.compare import checksum, to_plain
from unicrm.migrate.ledger import Entry
from unicrm.migrate.links import LinkMissing
from unicrm.migrate.recover import recover
from unicrm.migrate.run import LOOKUP_CHUNK, Item, Run
from unicrm.migrate.transform import map_record
from unicrm.model import EntityKind, Record


async def classify(run: Run, entity: EntityKind, page: Sequence[Record]) -> list[Item]:
    """Map a page and decide, per record: skip, create, update, or look up first; return the
    records to write (none on a dry run)."""
    stats = run.report.stats(str(entity))
    ctx = run.context(count=True)
    entries = run.ledger.entries(entity, [r.id or "" for r in page]) if run.ledger else {}
    ready: list[Item] = []
    unsure: list[Item] = []
    unknown: list[Item] = []
    for record in page:
        try:
            mapped = map_record(record, ctx)
        except LinkMissing as exc:
            stats.failed += 1
            run.report.error(f"{entity} {record.id}: {exc}")
            run.advance(entity, 1)
            continue
        item = Item(record, mapped, mapped.origin or "", checksum(mapped), ctx.mapping)
        entry = entries.get(item.source_id)
        if run.options.dry_run:
            plan_dry(run, entity, item, entry)
        elif entry is not None and entry.state == "done":
            if entry.checksum == item.digest:
                stats.skipped += 1
                run.advance(entity, 1)
                continue
            item.target_id = entry.target_id
            ready.append(item)
        elif entry is not None:
            unsure.append(item)
        elif run.lookup_absent.get(entity, False):
            unknown.append(item)
        else:
            ready.append(item)
    if unknown:
        # A fresh ledger: probe the target with the first records only. If it holds none
        # of them, it holds none of this source's records (they are written in order).
        probe, rest = unknown[:LOOKUP_CHUNK], unknown[LOOKUP_CHUNK:]
        before = stats.recovered
        ready.extend(await recover(run, entity, probe))
        found_any = stats.recovered > before
        run.lookup_absent[entity] = found_any
        if run.ledger is not None:
            run.ledger.set_meta(f"lookup_absent.{entity}", found_any)
        (unsure if found_any else ready).extend(rest)
    if unsure:
        ready.extend(await recover(run, entity, unsure))
    return ready


def plan_dry(run: Run, entity: EntityKind, item: Item, entry: Entry | None) -> None:
    """Count what a real run would do with ``item`` and keep the first few as a preview."""
    plan = run.report.plan.setdefault(
        str(entity), {"create": 0, "update": 0, "skip": 0, "check": 0}
    )
    run.planned.setdefault(str(entity), set()).add(item.source_id)
    if entry is None:
        plan["create"] += 1
    elif entry.checksum is None:
        plan["check"] += 1
    elif entry.checksum == item.digest:
        plan["skip"] += 1
    else:
        plan["update"] += 1
    shown = sum(1 for p in run.report.preview if p["entity"] == str(entity))
    if shown < run.options.sample:
        run.report.preview.append(
            {"entity": str(entity), "source_id": item.source_id, "record": to_plain(item.mapped)}
        )
    run.advance(entity, 1)


def decide_lookups(run: Run, entity: EntityKind) -> None:
    """Whether records the ledger does not know must be looked up in the target first:
    yes on a fresh ledger (a lost ledger must not duplicate), until a probe finds nothing."""
    if run.ledger is None or entity in run.lookup_absent:
        return
    known = run.ledger.get_meta(f"lookup_absent.{entity}")
    has_done = bool(run.ledger.counts().get(str(entity), {}).get("done"))
    run.lookup_absent[entity] = bool(known) if known is not None else not has_done
