"""Partial updates: which fields a patch may name, checking its values, and applying it.

``crm.leads.patch(id, title="x")`` changes what it names and nothing else. The rules, the same
for every adapter (the default one reads, merges and writes the whole record; vendors send only
the changes):

* a change names a field of the record type; ``id``, ``vendor``, ``created_at``,
  ``updated_at`` and ``raw`` are the server's and cannot be patched;
* values are checked as the record's constructor checks them (``TypeError``/``ValueError``
  before anything is sent) and converted the same way (a list of strings for ``phones``
  becomes ``Phone``s);
* ``custom`` and ``extra`` are merged key by key: ``custom={"PRIORITY": "high"}`` sets one
  custom field and keeps the others (``None`` clears a value);
* every other field, lists included (``phones``, ``tags``, ``contacts``), is replaced when
  given and kept when not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import attrs

from unicrm.errors import QueryError
from unicrm.model.enums import EntityKind
from unicrm.model.kinds import RECORD_TYPES, Record
from unicrm.model.links import NOT_LOADED

#: Fields the server keeps; a patch cannot name them.
SERVER_FIELDS = frozenset({"id", "vendor", "created_at", "updated_at", "raw"})
#: Fields a patch merges key by key instead of replacing.
MERGED_FIELDS = frozenset({"custom", "extra"})


def patchable(entity: EntityKind) -> tuple[str, ...]:
    """The fields a patch of ``entity`` may name, in declaration order."""
    kind = RECORD_TYPES[entity]
    return tuple(f.name for f in attrs.fields(kind) if f.name not in SERVER_FIELDS)


def check_patch(entity: EntityKind, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` checked and converted as the record type's constructor would.

    QueryError for a field the record type has not (or one the server keeps); TypeError or
    ValueError for a bad value; QueryError for an empty patch or a link list set to
    NOT_LOADED (leave the field out to keep the links).
    """
    allowed = patchable(entity)
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise QueryError(
            f"{entity.plural} have no patchable field {', '.join(map(repr, unknown))}; "
            f"fields: {', '.join(allowed)}"
        )
    if not changes:
        raise QueryError("a patch needs at least one change")
    if any(value is NOT_LOADED for value in changes.values()):
        raise QueryError("a patch cannot set links to NOT_LOADED: leave the field out instead")
    probe = RECORD_TYPES[entity](**changes)  # runs every converter and check
    return {name: getattr(probe, name) for name in changes}


def apply_patch(record: Record, changes: Mapping[str, Any]) -> Record:
    """``record`` with checked ``changes`` applied (merged fields key by key)."""
    merged = {
        name: {**getattr(record, name), **value} if name in MERGED_FIELDS else value
        for name, value in changes.items()
    }
    patched: Record = attrs.evolve(cast(Any, record), **merged)
    return patched
