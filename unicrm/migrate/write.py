"""The write stage: send a batch, record it in the ledger, and decide about each failure.

A batch's creates are marked ``pending`` in the ledger before they are sent and every write is
marked ``done`` (target id, checksum) after. A failed record is tried again when that can help:
a transient error (looked up first when the write may have landed), a target record that is
gone (created again), or a validation error that names fields — then the target is taken to
lack them, the mapping learns it (kept in the ledger, so verification expects the same), and
the record is mapped again with those values in the note.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import attrs

from unicrm.errors import NotFound, RateLimited, TransportError, UnicrmError, ValidationError
from unicrm.migrate.compare import checksum
from unicrm.migrate.decisions import Decision
from unicrm.migrate.plan import POLICY_OUTCOME
from unicrm.migrate.prepare import ensure_note_field
from unicrm.migrate.recover import recover
from unicrm.migrate.run import TRANSIENT, Item, Run
from unicrm.migrate.transform import CURRENCY, FRACTION, map_record
from unicrm.model import EntityKind, Record

#: Model fields that never become "lacked" (the engine needs them, or they are structure).
STRUCTURAL = frozenset(
    {"id", "origin", "custom", "stage", "contacts", "companies", "extra", "raw", "vendor"}
)


async def write_batch(run: Run, entity: EntityKind, batch: list[Item]) -> None:
    """Write ``batch`` (creates and updates), retrying what can succeed on another try."""
    stats = run.report.stats(str(entity))
    collection = run.target.collection(run.target_of(entity))
    remap_stale(run, batch)
    todo = batch
    while todo:
        creates = [i for i in todo if i.target_id is None]
        updates = [i for i in todo if i.target_id is not None]
        assert run.ledger is not None
        run.ledger.mark_pending(entity, [(i.source_id, i.marker) for i in creates])
        retry: list[Item] = []
        done: list[tuple[str, str, str, bool, str | None]] = []
        for group, call, created in (
            (creates, collection.create_many, True),
            (updates, collection.update_many, False),
        ):
            if not group:
                continue
            records = [
                i.mapped if created else attrs.evolve(i.mapped, id=i.target_id) for i in group
            ]
            try:
                results: list[Any] = list(await call(records))
            except UnicrmError as exc:
                results = [exc] * len(group)
            for item, result in zip(group, results, strict=True):
                if isinstance(result, UnicrmError):
                    if await handle_error(run, entity, item, result):
                        retry.append(item)
                    continue
                done.append(
                    (item.source_id, result.id or "", item.digest, created, item.source_updated)
                )
                if created:
                    stats.created += 1
                else:
                    stats.updated += 1
        if done:
            run.ledger.mark_done(entity, done)
            run.advance(entity, len(done))
        todo = await prepare_retry(run, entity, retry) if retry else []


async def handle_error(run: Run, entity: EntityKind, item: Item, error: UnicrmError) -> bool:
    """Decide about one failed write: True to try it again (after fixing what we can)."""
    stats = run.report.stats(str(entity))
    item.attempts += 1
    if item.attempts >= run.options.max_attempts:
        return fail(run, entity, item, error)
    if isinstance(error, ValidationError):
        names = named_fields(error, item.mapped)
        if "amount" in names:
            # a value problem, not a missing field: only fractional amounts can be helped
            names.discard("amount")
            amount = getattr(item.record, "amount", None)
            if amount is not None and amount.amount != amount.amount.to_integral_value():
                names.add(FRACTION)
            elif amount is not None:
                names.add(f"{CURRENCY}{amount.currency}")
        if names and await learn(run, entity, names):
            return True
        return fail(run, entity, item, error)
    if isinstance(error, NotFound) and item.target_id is not None:
        run.report.warn(f"{entity} {item.source_id}: target {item.target_id} is gone; recreating")
        item.target_id = None
        return True
    if isinstance(error, TRANSIENT):
        stats.retried_batches += 1
        item.unsure = item.unsure or _maybe_applied(error)
        return True
    return fail(run, entity, item, error)


def fail(run: Run, entity: EntityKind, item: Item, error: UnicrmError) -> bool:
    """Count ``item`` as failed and report why; False (not tried again)."""
    run.report.stats(str(entity)).failed += 1
    details = getattr(error, "details", ())
    shown = f" {list(details)[:3]}" if details else ""
    run.report.error(f"{entity} {item.source_id}: {type(error).__name__}: {error}{shown}")
    run.advance(entity, 1)
    return False


async def learn(run: Run, entity: EntityKind, names: set[str]) -> bool:
    """The target rejected ``names``: record that it lacks them (once) and remap."""
    kind = run.target_of(entity)
    async with run.learn_lock:
        new = names - run.mapping.target_lacks(kind)
        if new:
            run.report.warn(
                f"the target has no place for {kind} {', '.join(sorted(new))}: "
                f"handled by the missing-field policy ({run.mapping.missing})"
            )
            run.mapping = run.mapping.with_lacks(kind, new)
            if "comments" in new:
                await ensure_note_field(run, kind)
            run.save_mapping()
            run.report.learned.extend(
                Decision(
                    "standard",
                    str(entity),
                    name,
                    POLICY_OUTCOME[run.mapping.missing],
                    f"the target refused it on a {kind} in this run",
                )
                for name in sorted(new)
            )
    return True


def remap_stale(run: Run, items: Sequence[Item]) -> None:
    """Map again the items mapped before the engine last learned what the target lacks,
    so a batch cut earlier is not sent only to be rejected for the same field."""
    stale = [i for i in items if i.mapped_with is not run.mapping]
    if not stale:
        return
    ctx = run.context()
    for item in stale:
        item.mapped = map_record(item.record, ctx)
        item.digest = checksum(item.mapped)
        item.mapped_with = ctx.mapping


async def prepare_retry(run: Run, entity: EntityKind, items: list[Item]) -> list[Item]:
    """Remap (the mapping may have learned) and look up creates that may have landed."""
    remap_stale(run, items)
    await asyncio.sleep(min(2.0, 0.1 * 2 ** max(i.attempts for i in items)))
    unsure = [i for i in items if i.target_id is None and i.unsure]
    sure = [i for i in items if i.target_id is not None or not i.unsure]
    for item in unsure:
        item.unsure = False
    return sure + (await recover(run, entity, unsure) if unsure else [])


def named_fields(error: ValidationError, record: Record) -> set[str]:
    """Model fields a ValidationError's details point at.

    A detail path's last segment (``"3:responsible_user_id"`` -> ``responsible_user_id``)
    names a model field when it equals it, or when it starts with the field's stem
    (``responsible_id`` -> ``responsible``); structural fields are never named.
    """
    fields = {a.name for a in attrs.fields(type(record))} - STRUCTURAL
    found: set[str] = set()
    for path, _message in error.details:
        segment = path.replace(":", ".").split(".")[-1]
        for name in fields:
            stem = name.removesuffix("_id")
            if segment == name or (name.endswith("_id") and segment.startswith(stem + "_")):
                found.add(name)
    return found


def _maybe_applied(error: UnicrmError) -> bool:
    """Whether a failed write may still have taken effect in the target."""
    if isinstance(error, TransportError):
        return error.maybe_applied
    return not isinstance(error, RateLimited)
