"""What amoCRM can filter, sort and write, declared as data for the planner and the test suite.

amoCRM's list filters are an AND across keys with OR inside one key (vendor notes §3.3): no OR
across fields, no negation, no null checks, no prefix or substring match on ``filter[name]``.
Only comparisons that the vendor runs are declared here; the planner finishes everything else
locally. A row is :attr:`Pushdown.EXACT` only where the vendor's answer is the evaluator's
answer by construction (integer ids, user ids, pipelines, status pairs). Everything whose exactness
depends on vendor behaviour we cannot prove (case rules of ``filter[name]``, whole-second
timestamps, the ``price`` 0/None policy, custom field value matching, ``query=`` full-text search)
is :attr:`Pushdown.NARROWING`: the vendor cuts the traffic, every row is re-checked locally.
"""

from __future__ import annotations

from unicrm.adapter import CUSTOM_FIELDS, BooleanSupport, Capabilities, Pushdown, filter_table
from unicrm.model import ContactKind, EntityKind
from unicrm.query import Op
from unicrm_amocrm.records import EMAIL_KINDS, PHONE_KINDS, UNSUPPORTED

EXACT, NARROWING = Pushdown.EXACT, Pushdown.NARROWING
VALUES = (Op.EQ, Op.IN)
RANGE = (Op.EQ, Op.LT, Op.LE, Op.GT, Op.GE)

#: Field name -> {operator: pushdown}, per entity.
LEAD_FILTERS = filter_table(
    {
        ("id", "responsible_id", "stage.pipeline_id", "stage.id", "stage.semantic"): VALUES,
        "title": {
            Op.EQ: NARROWING,
            Op.IN: NARROWING,
            Op.CONTAINS: NARROWING,
            Op.STARTSWITH: NARROWING,
        },
        ("amount", "created_at", "updated_at", "closed_at"): dict.fromkeys(RANGE, NARROWING),
        "origin": dict.fromkeys(VALUES, NARROWING),
        CUSTOM_FIELDS: dict.fromkeys((*VALUES, *RANGE), NARROWING),
    }
)

CONTACT_FILTERS = filter_table(
    {
        ("id", "responsible_id"): VALUES,
        ("created_at", "updated_at"): dict.fromkeys(RANGE, NARROWING),
        ("phones", "emails"): dict.fromkeys((Op.EQ, Op.CONTAINS, Op.STARTSWITH), NARROWING),
        "origin": dict.fromkeys(VALUES, NARROWING),
        CUSTOM_FIELDS: dict.fromkeys((*VALUES, *RANGE), NARROWING),
    }
)

#: The vendor's page size limit (notes §3.1) and the batch size it recommends for writes.
MAX_PAGE_SIZE = 250
DEFAULT_WRITE_BATCH = 50


def amocrm_capabilities(write_batch_size: int = DEFAULT_WRITE_BATCH) -> Capabilities:
    """The capabilities of an amoCRM/Kommo account (the same for every account)."""
    return Capabilities(
        vendor="amocrm",
        filters={EntityKind.LEAD: LEAD_FILTERS, EntityKind.CONTACT: CONTACT_FILTERS},
        boolean=BooleanSupport.CONJUNCTIVE,
        # ids sort numerically on the server but as strings in the neutral model, so only
        # timestamps are pushed (notes §3.2: leads sort by created_at/updated_at/id,
        # contacts by updated_at/id).
        orderable={
            EntityKind.LEAD: ("created_at", "updated_at"),
            EntityKind.CONTACT: ("updated_at",),
        },
        page_size=MAX_PAGE_SIZE,
        max_page_size=MAX_PAGE_SIZE,
        write_batch_size=write_batch_size,
        max_in_values=100,
        supports_delete=False,
        supports_custom_field_create=True,
        unstorable={
            entity: (
                *UNSUPPORTED[entity],
                *(_kinds_missing() if entity is EntityKind.CONTACT else ()),
            )
            for entity in UNSUPPORTED
        },
        supports_raw=True,
    )


__all__ = ["CONTACT_FILTERS", "LEAD_FILTERS", "MAX_PAGE_SIZE", "amocrm_capabilities"]


def _kinds_missing() -> tuple[str, ...]:
    """``phones.kind.pager``-style names of the contact kinds amoCRM's enums cannot hold."""
    names = []
    for field, table in (("phones", PHONE_KINDS), ("emails", EMAIL_KINDS)):
        held = {kind for _, kind in table}
        names += [f"{field}.kind.{kind}" for kind in ContactKind if kind not in held]
    return tuple(names)
