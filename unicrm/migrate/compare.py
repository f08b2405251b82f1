"""Comparing a mapped record with what the target holds, and fingerprinting mapped records.

Recovery (is the record found by its origin marker already right?), verification (field by
field) and the ledger's checksums all use these, so they agree on what "the same" means.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping as AbcMapping
from decimal import Decimal
from typing import Any

import attrs

from unicrm.migrate.links import comparable_link
from unicrm.migrate.tables import links_of
from unicrm.model import NOT_LOADED, Record

#: Fields verification and recovery never compare (target-maintained or vendor-specific).
UNCOMPARED = frozenset({"id", "vendor", "created_at", "updated_at", "closed_at", "extra", "raw"})

#: Fields a target fills with its own default when the migration leaves them empty.
TARGET_DEFAULTS = frozenset({"responsible_id", "stage"})


def present(value: Any) -> bool:
    """Whether a field value holds something (not None, not empty)."""
    return value is not None and value not in ((), "")


def _plain(value: Any) -> Any:
    if value is NOT_LOADED:
        return "not loaded"
    if attrs.has(type(value)):
        return {a.name: _plain(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, AbcMapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return str(value)
    return value


def to_plain(record: Record) -> dict[str, Any]:
    """A JSON-ready dict of a record (for previews, reports and checksums)."""
    data = _plain(record)
    data.pop("raw", None)
    result: dict[str, Any] = data
    return result


def checksum(record: Record) -> str:
    """A stable digest of a mapped record (what the ledger remembers as written)."""
    text = json.dumps(to_plain(record), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def matches(expected: Record, actual: Record) -> list[str]:
    """Names of the fields where ``actual`` differs from ``expected`` (empty: a match).

    A field in :data:`TARGET_DEFAULTS` that ``expected`` leaves empty may hold anything.
    """
    want, have = comparable(expected), comparable(actual)
    return [
        name
        for name, value in want.items()
        if have.get(name) != value and not (value is None and name in TARGET_DEFAULTS)
    ]


def comparable(record: Record) -> dict[str, Any]:
    """A record reduced to what must match after migration, with order-free collections.

    Tags compare as a set; link fields as their shape says (a set of ids, plus the main item
    of a link list); a link list left ``NOT_LOADED`` (a mirrored link the other end writes) is
    not compared; empty custom values are dropped; everything the target maintains itself is
    left out.
    """
    links = {link.field: link for link in links_of(record.kind)}
    data: dict[str, Any] = {}
    for a in attrs.fields(type(record)):
        link = links.get(a.name)
        value = getattr(record, a.name)
        if a.name in UNCOMPARED or value is NOT_LOADED:
            continue
        if link is not None:
            value = comparable_link(link, value)
        elif a.name == "amount" and value is not None and not value.amount:
            value = None  # a zero amount and no amount are the same to every vendor
        elif a.name == "tags":
            value = tuple(sorted(set(value)))
        elif a.name == "custom":
            value = {k: v for k, v in sorted(value.items()) if present(v)}
        data[a.name] = value
    return data


def link_fields(record: Record) -> frozenset[str]:
    """The fields of ``record`` that hold links (verification reports them as ``link``)."""
    return frozenset(link.field for link in links_of(record.kind))
