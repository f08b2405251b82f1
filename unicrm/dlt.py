"""The change feed as a dlt source: ``pip install 'unicrm[dlt]'``.

>>> import dlt, unicrm.dlt
>>> source = unicrm.dlt.crm_source("bitrix24+https://x.bitrix24.com/rest/1/CODE/")
>>> dlt.pipeline("crm", destination="duckdb").run(source)  # doctest: +SKIP

One resource (table) per entity, loaded with ``write_disposition="merge"`` on ``id``. Each
resource keeps its :class:`~unicrm.ChangeCursor` in dlt's resource state, so every run loads
only what changed since the last successful one (dlt commits the state with the load); the
first run loads every record. Deletions arrive as rows flagged ``_unicrm_deleted``, a dlt
``hard_delete`` column, so merge removes them from the destination.

Rows are the neutral records flattened: scalar fields as columns, ``amount``/``stage`` as
``amount__amount``-style columns (dlt's nesting), each custom field as a ``custom__<key>``
column, and lists (phones, e-mails, links, tags, multi-valued custom fields) and ``extra`` as
JSON text, so one record is one row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dlt
from dlt.sources import DltResource, DltSource

import unicrm
from unicrm.changes import ChangeKind, ChangeOptions
from unicrm.model import EntityKind, Record, make_converter

#: The hard-delete column: a row with it set removes the record with its id from the table.
DELETED = "_unicrm_deleted"
_converter = make_converter()


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record_row(record: Record) -> dict[str, Any]:
    """One record as one row: lists and ``extra`` as JSON text, ``custom`` as columns."""
    data = _converter.unstructure(record)
    data.pop("raw", None)
    row: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue  # a merge replaces the whole row: a column left out is NULL
        if name == "custom":  # typed values (dates, decimals) as the record holds them
            for key, item in record.custom.items():
                row[f"custom__{key}"] = _text(item) if isinstance(item, (list, tuple)) else item
        elif name == "extra" or isinstance(value, (list, tuple)):
            row[name] = _text(value)
        elif isinstance(getattr(record, name, None), dt.datetime):
            row[name] = getattr(record, name)  # a timestamp column, not ISO text
        elif isinstance(value, Mapping):
            row.update({f"{name}__{k}": v for k, v in value.items()})
        else:
            row[name] = value
    return row


def _changes_of(
    url: str,
    entity: EntityKind,
    connect_options: Mapping[str, Any],
    change_options: Mapping[str, Any],
) -> Iterator[dict[str, Any]]:
    state = dlt.current.resource_state()
    with unicrm.connect(url, **connect_options) as crm:
        feed = crm.changes(since=state.get("cursor"), entities=[entity], **change_options)
        for event in feed:
            if event.kind is ChangeKind.DELETED:
                yield {"id": event.record_id, DELETED: True}
            elif event.record is not None:
                yield record_row(event.record)
        state["cursor"] = feed.cursor.dumps()


def _resource(
    url: str,
    entity: EntityKind,
    connect_options: Mapping[str, Any],
    change_options: Mapping[str, Any],
) -> DltResource:
    def rows() -> Iterator[dict[str, Any]]:
        yield from _changes_of(url, entity, connect_options, change_options)

    return dlt.resource(
        rows,
        name=entity.plural,
        write_disposition="merge",
        primary_key="id",
        columns={DELETED: {"data_type": "bool", "hard_delete": True}},
    )


def crm_source(
    url: str,
    entities: Iterable[EntityKind | str] | None = None,
    *,
    name: str = "unicrm",
    changes: Mapping[str, Any] | None = None,
    **connect_options: Any,
) -> DltSource:
    """A dlt source over the CRM at ``url``: one merge-on-id resource per entity (default:
    every entity the adapter lists, one per set of same records), incremental on the change
    cursor. ``changes`` are change-feed options (``lag``, ``scan_every``, ...);
    ``connect_options`` go to :func:`unicrm.connect` (tokens, limits)."""
    change_options = dict(changes or {})
    ChangeOptions.build(dict(change_options))  # typos fail here, not inside a pipeline
    with unicrm.connect(url, **connect_options) as crm:
        kinds = crm.changes(entities=entities).entities

    @dlt.source(name=name)
    def source() -> list[DltResource]:
        return [_resource(url, e, connect_options, change_options) for e in kinds]

    made: DltSource = source()
    return made


__all__ = ["DELETED", "crm_source", "record_row"]
