"""The memory adapter's pushdown levels, selectable with ``memory://?pushdown=none|basic|full``.

They exist so every planner path can be exercised against one complete, exact store:
``none`` pushes nothing (every filter is a full scan), ``basic`` pushes what a typical REST
vendor can (equality and value lists on ids and names, ranges on amounts and dates, with
substring search only as a narrowing pre-filter), ``full`` pushes any boolean tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from unicrm.adapter import CUSTOM_FIELDS, BooleanSupport, Capabilities, Pushdown, filter_table
from unicrm.model import LINK_LISTS, EntityKind
from unicrm.query import FIELDS, Op

EXACT, NARROWING = Pushdown.EXACT, Pushdown.NARROWING
EQUALITY = (Op.EQ, Op.IN)
RANGE = (Op.EQ, Op.LT, Op.LE, Op.GT, Op.GE)

_BASIC_ROWS: dict[str | tuple[str, ...], Mapping[Op, Pushdown] | Iterable[Op]] = {
    (
        "id",
        "stage.id",
        "stage.pipeline_id",
        "stage.semantic",
        "responsible_id",
        "company_id",
    ): EQUALITY,
    ("source", "currency", "first_name", "last_name", "phones", "emails", "origin"): EQUALITY,
    ("amount", "created_at", "updated_at"): RANGE,
    "title": {Op.EQ: EXACT, Op.CONTAINS: NARROWING, Op.STARTSWITH: NARROWING},
}


def _basic(entity: EntityKind) -> dict[str, dict[Op, Pushdown]]:
    table = filter_table(_BASIC_ROWS)
    return {name: ops for name, ops in table.items() if entity in FIELDS[name].entities}


def _full(entity: EntityKind) -> dict[str, dict[Op, Pushdown]]:
    names = [n for n, spec in FIELDS.items() if entity in spec.entities] + [CUSTOM_FIELDS]
    return filter_table({tuple(names): tuple(Op)})


def memory_capabilities(level: str, page_size: int = 100, lazy_links: bool = False) -> Capabilities:
    """Capabilities for a pushdown level (``none``, ``basic`` or ``full``); with
    ``lazy_links`` every link list is read only when a query asks for it."""
    entities = tuple(EntityKind)
    builders = {
        "none": lambda e: {},
        "basic": _basic,
        "full": _full,
    }
    build = builders[level]
    orderable = {
        "none": (),
        "basic": ("id", "created_at", "amount"),
        "full": tuple(FIELDS),  # every field; the planner asks only for an entity's own
    }[level]
    return Capabilities(
        vendor=f"memory (pushdown={level})",
        entities=frozenset(entities),
        filters={e: build(e) for e in entities},
        boolean=BooleanSupport.FULL if level == "full" else BooleanSupport.CONJUNCTIVE,
        orderable={e: orderable for e in entities},
        page_size=page_size,
        max_page_size=page_size,
        write_batch_size=100,
        supports_delete=True,
        supports_custom_field_create=True,
        lazy_links=dict(LINK_LISTS) if lazy_links else {},
    )


LEVELS = ("none", "basic", "full")
