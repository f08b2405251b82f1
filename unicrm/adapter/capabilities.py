"""What an adapter can do, declared as data (SQLAlchemy ``supports_*``; ibis ``notimpl``).

The planner reads these tables to decide what to push to the vendor, and the compliance suite
reads them to decide which tests apply. An entry says, per entity, field and operator, whether
the vendor's own filter is :attr:`Pushdown.EXACT` (returns exactly the evaluator's answer) or
:attr:`Pushdown.NARROWING` (returns a superset: it cuts traffic, and the planner re-checks each
row locally). A (field, operator) with no entry is never sent to the vendor.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from unicrm.model import EntityKind, FrozenMap
from unicrm.query.nodes import Compare, Node, Not, Op

#: The wildcard key that stands for every ``custom.<key>`` field in a filter table.
CUSTOM_FIELDS = "custom.*"


class Pushdown(enum.Enum):
    """How faithfully the vendor runs a pushed comparison."""

    EXACT = "exact"
    NARROWING = "narrowing"


class BooleanSupport(enum.Enum):
    """Which boolean structure one vendor request can carry."""

    #: an AND of comparisons (one value list per field at most); OR becomes several requests
    CONJUNCTIVE = "conjunctive"
    #: any tree of AND / OR / NOT
    FULL = "full"


FilterTable = Mapping[str, Mapping[Op, Pushdown]]


def filter_table(
    rows: Mapping[str | tuple[str, ...], Mapping[Op, Pushdown] | Iterable[Op]],
    default: Pushdown = Pushdown.EXACT,
) -> dict[str, dict[Op, Pushdown]]:
    """Build a filter table from compact rows.

    Keys are a field or a tuple of fields sharing a row; values are ``{Op: Pushdown}`` or a
    plain iterable of ops (all ``default``).
    """
    table: dict[str, dict[Op, Pushdown]] = {}
    for key, ops in rows.items():
        row = dict(ops) if isinstance(ops, Mapping) else dict.fromkeys(ops, default)
        for name in (key,) if isinstance(key, str) else key:
            table.setdefault(name, {}).update(row)
    return table


def _op_name(op: Op | str) -> str:
    return op.name if isinstance(op, Op) else op  # already frozen (attrs.evolve converts again)


def _freeze_filters(
    value: Mapping[EntityKind, FilterTable],
) -> FrozenMap[FrozenMap[FrozenMap[Pushdown]]]:
    return FrozenMap(
        {
            str(entity): FrozenMap(
                {f: FrozenMap({_op_name(o): p for o, p in ops.items()}) for f, ops in table.items()}
            )
            for entity, table in value.items()
        }
    )


def _freeze_orderable(value: Mapping[Any, Iterable[str]]) -> FrozenMap[frozenset[str]]:
    return FrozenMap({str(k): frozenset(v) for k, v in value.items()})


def _kinds(value: Iterable[EntityKind | str]) -> frozenset[EntityKind]:
    return frozenset(EntityKind(v) for v in value)


def _groups(value: Iterable[Iterable[EntityKind | str]]) -> tuple[frozenset[EntityKind], ...]:
    return tuple(_kinds(group) for group in value)


def _check_groups(instance: Capabilities, _attribute: Any, value: Any) -> None:
    seen: set[EntityKind] = set()
    for group in value:
        if len(group) < 2 or not group <= instance.entities or group & seen:
            raise ValueError(
                "same_records groups must each name two or more of the adapter's entities, "
                f"and no entity twice; got {[sorted(map(str, g)) for g in value]}"
            )
        seen |= group


@attrs.frozen
class Capabilities:
    """Everything the planner and the compliance suite need to know about an adapter."""

    vendor: str
    #: The record types this adapter reads and writes. The default is the first two kinds:
    #: an adapter written before deals and companies existed does not claim them (the core
    #: then refuses ``crm.deals`` with UnsupportedOperation naming vendor and entity).
    entities: frozenset[EntityKind] = attrs.field(
        default=frozenset({EntityKind.LEAD, EntityKind.CONTACT}), converter=_kinds
    )
    filters: FrozenMap[FrozenMap[FrozenMap[Pushdown]]] = attrs.field(
        factory=FrozenMap, converter=_freeze_filters
    )
    boolean: BooleanSupport = BooleanSupport.CONJUNCTIVE
    orderable: FrozenMap[frozenset[str]] = attrs.field(
        factory=FrozenMap, converter=_freeze_orderable
    )
    page_size: int = 50
    max_page_size: int = 50
    write_batch_size: int = 1
    max_in_values: int | None = None
    supports_delete: bool = True
    supports_custom_field_create: bool = False
    supports_raw: bool = True
    #: Model fields each entity cannot store on this vendor (entity -> field names); writing a
    #: value there is a ValidationError. Migration routes them into a note before writing.
    unstorable: FrozenMap[frozenset[str]] = attrs.field(
        factory=FrozenMap, converter=_freeze_orderable
    )
    #: Groups of entity kinds that are one set of records on this vendor, each reached through
    #: several collections (amoCRM: ``{deal, lead}``, both ``/api/v4/leads``). Whatever copies
    #: or watches a whole CRM (migration, export, sync) reads and writes one kind per group,
    #: never two: see :meth:`distinct`.
    same_records: tuple[frozenset[EntityKind], ...] = attrs.field(
        default=(), converter=_groups, validator=_check_groups
    )
    #: Link lists (entity -> field names such as ``contacts``) the adapter reads only when a
    #: query asks (``with_links()`` or a filter on ``contact_ids``); otherwise they come back
    #: :data:`~unicrm.model.NOT_LOADED`. For an entity listed here the planner passes
    #: ``links=`` (the lists wanted) to :meth:`Adapter.compile`. Entities not listed get their
    #: links however the adapter reads them, and must then return them complete.
    lazy_links: FrozenMap[frozenset[str]] = attrs.field(
        factory=FrozenMap, converter=_freeze_orderable
    )

    #: Entities whose vendor change log (creates, updates and deletes) the adapter reads
    #: through :meth:`Adapter.change_log`; the change feed prefers it to polling there.
    change_log: frozenset[EntityKind] = attrs.field(default=frozenset(), converter=_kinds)

    def pushdown(self, entity: EntityKind, literal: Node) -> Pushdown | None:
        """How ``literal`` (a comparison) can be pushed for ``entity``, or None."""
        if isinstance(literal, Not) or not isinstance(literal, Compare):
            return None
        table = self.filters.get(str(entity), FrozenMap())
        row = table.get(literal.field)
        if row is None and literal.field.startswith("custom."):
            row = table.get(CUSTOM_FIELDS)
        if row is None:
            return None
        found = row.get(literal.op.name)
        if (
            found is not None
            and self.max_in_values is not None
            and literal.op in (Op.IN, Op.NOT_IN)
            and len(literal.value) > self.max_in_values
        ):
            return None
        return found

    def can_order(self, entity: EntityKind, field: str) -> bool:
        """Whether the vendor sorts ``entity`` by ``field``."""
        return field in self.orderable.get(str(entity), frozenset())

    def shares_records(self, entity: EntityKind) -> frozenset[EntityKind]:
        """Every kind whose collection holds the same records as ``entity`` (itself included)."""
        return next((g for g in self.same_records if entity in g), frozenset({entity}))

    def distinct(self, entities: Iterable[EntityKind | str]) -> tuple[EntityKind, ...]:
        """``entities`` in the given order, without a kind whose records an earlier one already
        covers: ``distinct(["deal", "lead", "contact"])`` on amoCRM is ``(deal, contact)``."""
        chosen: list[EntityKind] = []
        covered: set[EntityKind] = set()
        for entity in map(EntityKind, entities):
            if entity not in covered:
                chosen.append(entity)
                covered |= self.shares_records(entity)
        return tuple(chosen)

    def links_on_request(self, entity: EntityKind) -> frozenset[str]:
        """The link lists of ``entity`` read only when asked (see ``lazy_links``)."""
        return self.lazy_links.get(str(entity), frozenset())

    def cannot_store(self, entity: EntityKind) -> frozenset[str]:
        """Model fields ``entity`` records cannot hold on this vendor."""
        return self.unstorable.get(str(entity), frozenset())

    def __str__(self) -> str:
        lines = [
            f"vendor: {self.vendor}",
            f"entities: {', '.join(sorted(str(e) for e in self.entities))}",
            *(
                f"same records: {' = '.join(sorted(e.plural for e in group))}"
                for group in self.same_records
            ),
            *(
                f"{entity} links read on request: {', '.join(sorted(names))}"
                for entity, names in sorted(self.lazy_links.items())
                if names
            ),
            f"boolean pushdown: {self.boolean.value}",
            f"page size: {self.page_size} (max {self.max_page_size}); "
            f"write batch: {self.write_batch_size}",
            *(
                [f"change log: {', '.join(sorted(e.plural for e in self.change_log))}"]
                if self.change_log
                else []
            ),
            f"delete: {'yes' if self.supports_delete else 'no'}; "
            f"create custom fields: {'yes' if self.supports_custom_field_create else 'no'}",
        ]
        for entity, table in sorted(self.filters.items()):
            lines.append(f"{entity} filters pushed down:")
            if not table:
                lines.append("  (none: every filter runs locally)")
            for name, ops in sorted(table.items()):
                shown = ", ".join(
                    f"{Op[o].value}{'' if p is Pushdown.EXACT else '~'}" for o, p in ops.items()
                )
                lines.append(f"  {name}: {shown}")
        lines.append("(~ = narrowing pre-filter, re-checked locally)")
        return "\n".join(lines)
