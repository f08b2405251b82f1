"""Rollback: delete what the ledger's runs created in the target, where the target can.

Entities go in the reverse of the migration order (records before the records they link).
Each deleted record leaves the ledger at once, so an interrupted rollback can simply be run
again. A target that cannot delete (the capability ``supports_delete`` is off) is not
touched: the report says so and lists the created ids, so they can be handled by hand.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs

from unicrm.crm import AsyncCRM
from unicrm.errors import NotFound, UnicrmError
from unicrm.migrate.decisions import plural
from unicrm.migrate.ledger import Ledger
from unicrm.migrate.mapping import Mapping, loads
from unicrm.migrate.tables import rollback_order
from unicrm.model import EntityKind


@attrs.define
class RollbackReport:
    """What a rollback did (or, on a target without deletion, what it would have to do)."""

    supported: bool
    deleted: dict[str, int] = attrs.field(factory=dict)
    created_ids: dict[str, list[str]] = attrs.field(factory=dict)
    errors: list[str] = attrs.field(factory=list)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


async def rollback(target: AsyncCRM, ledger: Ledger, *, concurrency: int = 4) -> RollbackReport:
    """Delete the target records the ledger says were created by its runs."""
    order = rollback_order()
    created = {str(e): [t for _, t in ledger.created(e)] for e in order}
    created = {entity: ids for entity, ids in created.items() if ids}
    if not target.capabilities.supports_delete:
        total = sum(len(v) for v in created.values())
        return RollbackReport(
            supported=False,
            created_ids=created,
            message=(
                f"{target.capabilities.vendor} cannot delete "
                f"{' or '.join(plural(str(e)) for e in order)} through its API; "
                f"nothing was deleted. The {total} records created by this ledger's runs are "
                "listed by id; close or archive them by hand."
            ),
        )
    report = RollbackReport(supported=True, created_ids=created)
    stored = ledger.get_meta("mapping")
    mapping = loads(stored) if stored else Mapping()
    gate = asyncio.Semaphore(concurrency)
    for entity in order:
        pairs = ledger.created(entity)
        if not pairs:
            continue
        deleted: list[str] = []

        async def drop(
            source_id: str,
            target_id: str,
            entity: EntityKind = entity,
            deleted: list[str] = deleted,
        ) -> None:
            async with gate:
                try:
                    await target.collection(mapping.route(entity).target_kind).delete(target_id)
                except NotFound:
                    pass
                except UnicrmError as exc:
                    report.errors.append(f"{entity} {target_id}: {type(exc).__name__}: {exc}")
                    return
                deleted.append(source_id)

        await asyncio.gather(*(drop(s, t) for s, t in pairs))
        ledger.forget(entity, deleted)
        report.deleted[str(entity)] = len(deleted)
    report.message = f"deleted {sum(report.deleted.values())} records created by the migration"
    return report
