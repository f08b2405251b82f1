"""Stored rows -> records as ``list``/``get`` answers carry them, compiled once per select.

A :class:`RowShape` fixes, for one entity schema and one resolved select, the SQL column list
and how each column is rendered (ids and integers as strings, money ``"15000.00"``, dates with
the portal offset, user fields by type). Rows arrive as plain tuples in :attr:`columns` order;
columns sent as stored are copied without a call. Keys come out in answer order: standard
fields, then the named multifields that have entries, then user fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from unicrm_bitrix24.emulator.fields import Field
from unicrm_bitrix24.emulator.wire import is_verbatim, renderer, user_field_renderer

#: one stored multifield entry list per type, as ``Store.fm_rows`` gives it for one owner
Multifields = dict[str, list[dict[str, Any]]]

_NO_MULTIFIELDS: Multifields = {}


class RowShape:
    """How rows of one select are read (:attr:`columns`) and rendered (:meth:`render`)."""

    def __init__(
        self,
        fields: Sequence[Field],
        user_fields: Sequence[tuple[str, Callable[[Any], Any]]],
        fm_types: Sequence[str],
    ) -> None:
        codes = [f.code for f in fields]
        #: SQL column order: standard fields, then user fields
        self.columns: tuple[str, ...] = (*codes, *(code for code, _ in user_fields))
        self.fm_types: tuple[str, ...] = tuple(fm_types)
        self.id_index = codes.index("ID") if "ID" in codes else -1
        self._codes = tuple(codes)
        self._converted: tuple[tuple[int, str, Callable[[Any], Any]], ...] = tuple(
            (i, f.code, render)
            for i, f in enumerate(fields)
            if not is_verbatim(render := renderer(f))
        )
        first_uf = len(codes)
        self._user_fields: tuple[tuple[int, str, Callable[[Any], Any]], ...] = tuple(
            (first_uf + j, code, render) for j, (code, render) in enumerate(user_fields)
        )

    def render(self, row: Sequence[Any], fm: Multifields = _NO_MULTIFIELDS) -> dict[str, Any]:
        """One stored row (and its multifield entries) -> the record on the wire."""
        out = dict(zip(self._codes, row, strict=False))  # user field columns follow
        for index, code, render in self._converted:
            out[code] = render(row[index])
        if fm:
            for type_id in self.fm_types:
                entries = fm.get(type_id)
                if entries:
                    out[type_id] = entries
        for index, code, render in self._user_fields:
            out[code] = render(row[index])
        return out


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
        [(uf.code, user_field_renderer(uf, full=full)) for uf in user_fields],
        fm_types,
    )
