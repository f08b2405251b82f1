"""Verification: does the target hold exactly the mapped source?

Reads both sides in full through the neutral model and compares, per source entity (with the
target entity its route names, and the mapping the engine stored in the ledger):

* counts (source records, target records carrying this source's origin markers, ledger);
* ``missing``: a source record with no target record carrying its marker;
* ``duplicate``: several target records carrying one marker;
* ``ledger``: the ledger names another target id than the one found;
* ``field``: a field differs from :func:`~unicrm.migrate.transform.map_record` of the source
  (the same function the engine wrote with, with the mapping the engine stored in the ledger);
* ``link``: a link field (a lead's contacts with the main contact, a company id ...) differs,
  or names a record that has no target record.

``differences`` in the report is the total; zero means the migration is exact.
"""

from __future__ import annotations

import time

from unicrm.crm import AsyncCRM
from unicrm.errors import ConfigurationError
from unicrm.migrate.automap import migrating
from unicrm.migrate.compare import comparable, link_fields, matches
from unicrm.migrate.ledger import Ledger
from unicrm.migrate.links import LinkMissing
from unicrm.migrate.mapping import loads
from unicrm.migrate.prepare import load_schema, stage_semantics
from unicrm.migrate.report import Difference, VerifyReport
from unicrm.migrate.tables import links_of, migrated
from unicrm.migrate.transform import Context, map_record, origin_marker, source_key_of
from unicrm.model import EntityKind, Record


async def _all(crm: AsyncCRM, entity: EntityKind) -> list[Record]:
    query = crm.collection(entity).all().with_links()
    return [r async for page in query.pages() for r in page]


async def verify(
    source: AsyncCRM,
    target: AsyncCRM,
    *,
    ledger: Ledger,
    source_label: str,
    target_label: str = "",
) -> VerifyReport:
    """Compare ``target`` with the mapped ``source`` (see the module docstring)."""
    report = VerifyReport(source=source_label, target=target_label)
    started = time.perf_counter()
    stored = ledger.get_meta("mapping")
    if not stored:
        raise ConfigurationError(f"ledger {ledger.path} records no migration to verify")
    mapping = loads(stored)
    source_key = ledger.get_meta("source_key") or source_key_of(source_label)
    target_schema = await load_schema(target)
    semantics = stage_semantics(target_schema)
    moved = migrating(mapping, await load_schema(source), target_schema)
    for entity in moved:
        into = mapping.route(entity).target_kind
        ctx = Context(
            mapping=mapping,
            source_key=source_key,
            target_stages=semantics,
            ids=_linked_ids(ledger, into, moved),
            mirrors=True,
        )
        prefix = origin_marker(source_key, entity, "")
        sources = await _all(source, entity)
        targets = [r for r in await _all(target, into) if (r.origin or "").startswith(prefix)]
        by_marker: dict[str, list[Record]] = {}
        for record in targets:
            by_marker.setdefault(record.origin or "", []).append(record)
        ledger_ids = ledger.target_ids(entity)
        report.counts[str(entity)] = {
            "source": len(sources),
            "target": len(targets),
            "ledger": len(ledger_ids),
        }
        for record in sources:
            _check(report, entity, record, ctx, by_marker, ledger_ids)
    report.seconds = time.perf_counter() - started
    return report


def _linked_ids(
    ledger: Ledger, entity: EntityKind, moved: tuple[EntityKind, ...]
) -> dict[str, dict[str, str]]:
    """The ledger's target ids of every migrated entity a target ``entity`` links to."""
    ids: dict[str, dict[str, str]] = {}
    for link in links_of(entity):
        kind = migrated(link.entity, moved)
        if kind is not None:
            ids[link.entity] = ledger.target_ids(kind)
    return ids


def _check(  # noqa: PLR0917 - one record's comparison needs all of these
    report: VerifyReport,
    entity: EntityKind,
    record: Record,
    ctx: Context,
    by_marker: dict[str, list[Record]],
    ledger_ids: dict[str, str],
) -> None:
    name = str(entity)
    source_id = record.id or ""
    try:
        expected = map_record(record, ctx)
    except LinkMissing as exc:
        report.add(Difference(name, "link", source_id, None, None, str(exc), None))
        return
    found = by_marker.get(expected.origin or "", [])
    if not found:
        report.add(Difference(name, "missing", source_id, ledger_ids.get(source_id)))
        return
    if len(found) > 1:
        ids = ", ".join(r.id or "" for r in found)
        report.add(Difference(name, "duplicate", source_id, found[0].id, found=ids))
    actual = found[0]
    if source_id in ledger_ids and ledger_ids[source_id] not in {r.id for r in found}:
        report.add(
            Difference(name, "ledger", source_id, actual.id, "id", ledger_ids[source_id], actual.id)
        )
    want, have = comparable(expected), comparable(actual)
    links = link_fields(expected)
    for field in matches(expected, actual):
        kind = "link" if field in links else "field"
        report.add(
            Difference(name, kind, source_id, actual.id, field, str(want[field]), str(have[field]))
        )
