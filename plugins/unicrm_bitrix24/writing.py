"""Writing in batches: up to 50 sub-commands per HTTP request (notes §5).

Each record becomes a *unit* of commands that must travel in the same ``batch`` because later
commands refer to earlier ones: ``crm.lead.add`` then ``crm.lead.contact.items.set`` with
``id=$result[a<i>]``. Units are packed into batches of at most 50 commands; a unit whose values
contain a ``$result``-like token (which the server would substitute) is sent as plain calls.
Per-command errors come back as typed errors for that record only; a record whose ``add``
went through but whose later command failed is deleted again, so an error means nothing was
created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from unicrm.errors import UnicrmError
from unicrm_bitrix24.capabilities import BATCH_COMMANDS
from unicrm_bitrix24.client import BatchResult, Envelope, command
from unicrm_bitrix24.wire import batch_safe, php_pairs


@attrs.frozen
class Step:
    """One method call of a unit; ``id_from`` names an earlier step whose result is the id."""

    key: str
    method: str
    params: Mapping[str, Any]
    id_from: str | None = None


@attrs.frozen
class Unit:
    """The calls for one record (index ``index`` of the caller's list)."""

    index: int
    steps: tuple[Step, ...]

    @property
    def safe(self) -> bool:
        return all(batch_safe(v) for s in self.steps for _k, v in php_pairs(s.params))


class Client:
    """What the writer needs from :class:`~unicrm_bitrix24.client.Bitrix24Client`."""

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Envelope:
        raise NotImplementedError

    async def batch(
        self, commands: Mapping[str, str], *, halt: bool = False, read_only: bool = False
    ) -> BatchResult:
        raise NotImplementedError


def _command(step: Step) -> str:
    if step.id_from is None:
        return command(step.method, step.params)
    ref = f"$result[{step.id_from}]"
    return command(step.method, {"id": ref, **step.params}, refs=(ref,))


def pack(units: Sequence[Unit], size: int = BATCH_COMMANDS) -> list[list[Unit]]:
    """Units packed into batches of at most ``size`` commands, in order."""
    batches: list[list[Unit]] = []
    count = 0
    for unit in units:
        if not batches or count + len(unit.steps) > size:
            batches.append([])
            count = 0
        batches[-1].append(unit)
        count += len(unit.steps)
    return batches


async def _plain(client: Any, unit: Unit, results: dict[str, Any]) -> dict[str, Any]:
    for step in unit.steps:
        params = dict(step.params)
        if step.id_from is not None:
            params["id"] = results[step.id_from]
        results[step.key] = (await client.call(step.method, params)).result
    return results


def _created(unit: Unit, results: Mapping[str, Any]) -> tuple[str, Any] | None:
    """``(delete method, id)`` when the unit's ``add`` went through (and a later step failed)."""
    first = unit.steps[0]
    created = results.get(first.key)
    if not first.method.endswith(".add") or created in (None, False, ""):
        return None
    return first.method[: -len(".add")] + ".delete", created


async def _undo(client: Any, undo: Mapping[int, tuple[str, Any]], size: int) -> None:
    """Delete the records whose unit failed after its ``add`` (e.g. a lead whose contact links
    were refused), so a failed item leaves nothing behind and a retry cannot duplicate it.
    Best effort: a refused delete leaves the item's original error as the answer."""
    keys = sorted(undo)
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        try:
            await client.batch({f"u{i}": command(*_delete(undo[i])) for i in chunk})
        except UnicrmError:
            pass


def _delete(target: tuple[str, Any]) -> tuple[str, Mapping[str, Any]]:
    return target[0], {"id": target[1]}


async def run_units(
    client: Any, units: Sequence[Unit], size: int = BATCH_COMMANDS
) -> dict[int, dict[str, Any] | UnicrmError]:
    """Run every unit; per record index, its step results or the first error it met.

    A unit that fails after its ``add`` succeeded is undone (the record deleted), so an error
    always means the record was not created.
    """
    outcome: dict[int, dict[str, Any] | UnicrmError] = {}
    undo: dict[int, tuple[str, Any]] = {}
    for unit in (u for u in units if not u.safe):
        partial: dict[str, Any] = {}
        try:
            outcome[unit.index] = await _plain(client, unit, partial)
        except UnicrmError as exc:
            outcome[unit.index] = exc
            created = _created(unit, partial)
            if created is not None:
                undo[unit.index] = created
    for group in pack([u for u in units if u.safe], size):
        commands = {s.key: _command(s) for u in group for s in u.steps}
        answer = await client.batch(commands)
        for unit in group:
            failed = next(
                (answer.errors[s.key] for s in unit.steps if s.key in answer.errors), None
            )
            outcome[unit.index] = failed or {s.key: answer.results.get(s.key) for s in unit.steps}
            created = _created(unit, answer.results) if failed is not None else None
            if created is not None:
                undo[unit.index] = created
    if undo:
        await _undo(client, undo, size)
    return outcome


__all__ = ["Step", "Unit", "pack", "run_units"]
