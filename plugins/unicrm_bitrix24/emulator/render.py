"""Stored rows -> records as ``list``/``get`` answers carry them, compiled once per select.

A :class:`RowShape` fixes, for one entity schema and one resolved select, the SQL column list
and how each column is rendered (ids and integers as strings, money ``"15000.00"``, dates with
the portal offset, user fields by type). Rows arrive as plain tuples in :attr:`columns` order;
columns sent as stored are copied without a call, the others are converted a column at a
time. Keys come out in answer order: standard fields, then the named multifields that have
entries, then user fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from unicrm_bitrix24.emulator.fields import Field
from unicrm_bitrix24.emulator.wire import (
    ColumnRender,
    column_renderer,
    user_field_column_renderer,
)

#: one stored multifield entry list per type, as ``Store.fm_rows`` gives it for one owner
Multifields = dict[str, list[dict[str, Any]]]

_NO_MULTIFIELDS: Multifields = {}


class RowShape:
    """How rows of one select are read (:attr:`columns`) and rendered (:meth:`render_page`)."""

    def __init__(
        self,
        fields: Sequence[Field],
        user_fields: Sequence[tuple[str, ColumnRender]],
        fm_types: Sequence[str],
    ) -> None:
        codes = tuple(f.code for f in fields)
        uf_codes = tuple(code for code, _ in user_fields)
        #: SQL column order: standard fields, then user fields
        self.columns: tuple[str, ...] = (*codes, *uf_codes)
        self.fm_types: tuple[str, ...] = tuple(fm_types)
        self.id_index = codes.index("ID") if "ID" in codes else -1
        self._codes = codes
        self._uf_codes = uf_codes
        first_uf = len(codes)
        #: (column index, column renderer) for every column not sent as stored
        self._conversions: tuple[tuple[int, ColumnRender], ...] = (
            *((i, r) for i, f in enumerate(fields) if (r := column_renderer(f)) is not None),
            *((first_uf + j, render) for j, (_, render) in enumerate(user_fields)),
        )

    def render_page(
        self,
        rows: Sequence[Sequence[Any]],
        fm_by_owner: Mapping[Any, Multifields] | None = None,
    ) -> list[dict[str, Any]]:
        """Stored rows (and their owners' multifield entries) -> records on the wire.

        Converted a column at a time; records are then zipped from the columns.
        """
        if not rows:
            return []
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for index, render in self._conversions:
            columns[index] = render(columns[index])
        rendered = zip(*columns, strict=True)
        if not fm_by_owner or not self.fm_types:
            keys = self.columns
            return [dict(zip(keys, values, strict=True)) for values in rendered]
        codes, uf_codes, fm_types = self._codes, self._uf_codes, self.fm_types
        first_uf, id_at = len(codes), self.id_index
        out: list[dict[str, Any]] = []
        for row, values in zip(rows, rendered, strict=True):
            record = dict(zip(codes, values, strict=False))  # user field columns follow
            fm = fm_by_owner.get(row[id_at])
            if fm:
                for type_id in fm_types:
                    entries = fm.get(type_id)
                    if entries:
                        record[type_id] = entries
            record.update(zip(uf_codes, values[first_uf:], strict=True))
            out.append(record)
        return out

    def render(self, row: Sequence[Any], fm: Multifields = _NO_MULTIFIELDS) -> dict[str, Any]:
        """One stored row (and its multifield entries) -> the record on the wire."""
        return self.render_page([row], {row[self.id_index]: fm} if fm else None)[0]


def row_shape(
    schema_fields: Sequence[Field],
    user_fields: Sequence[Any],
    fm_types: Sequence[str],
    *,
    full: bool,
) -> RowShape:
    """A shape for standard ``schema_fields``, ``UserField`` definitions and multifield types."""
    return RowShape(
        schema_fields,
        [(uf.code, user_field_column_renderer(uf, full=full)) for uf in user_fields],
        fm_types,
    )
