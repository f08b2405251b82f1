"""What Bitrix24's classic list methods can filter, declared as data for the planner.

``crm.lead.list`` / ``crm.contact.list`` AND their filter keys and know no OR at all (vendor
notes §4.1, gotcha 2), so boolean support is conjunctive and the planner sends an OR across
fields as separate requests. String comparisons run under the database collation, which is
case-insensitive, and LIKE on status fields is rewritten to ``=`` (§4.3-A): every string row is
therefore :attr:`Pushdown.NARROWING` (a superset the planner re-checks), and a string ``!=``
is never pushed (case-insensitive inequality would drop rows the evaluator keeps). Only
comparisons whose vendor answer is the evaluator's answer by construction (integer ids, the
stage semantic) are :attr:`Pushdown.EXACT`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from unicrm.adapter import BooleanSupport, Capabilities, Pushdown, filter_table
from unicrm.model import ContactKind, EntityKind
from unicrm.query import Op
from unicrm_bitrix24.multifields import EMAIL_KINDS, PHONE_KINDS

EXACT, NARROWING = Pushdown.EXACT, Pushdown.NARROWING
VALUES = (Op.EQ, Op.IN)
RANGE = (Op.EQ, Op.LT, Op.LE, Op.GT, Op.GE, Op.IN)
TEXT = {Op.EQ: NARROWING, Op.IN: NARROWING, Op.CONTAINS: NARROWING, Op.STARTSWITH: NARROWING}
#: A status-typed field: LIKE becomes ``=`` on the vendor side, so only whole values.
CODES = {Op.EQ: NARROWING, Op.IN: NARROWING}

Row = Mapping[Op, Pushdown] | Iterable[Op]
COMMON: dict[str | tuple[str, ...], Row] = {
    "id": VALUES,
    "responsible_id": VALUES,
    ("first_name", "middle_name", "last_name", "post", "comments"): TEXT,
    "origin": CODES,
    "source": CODES,
    ("phones", "emails"): {Op.EQ: NARROWING},
    ("created_at", "updated_at"): dict.fromkeys(RANGE, NARROWING),
}

LEAD_FILTERS = filter_table(
    {
        **COMMON,
        ("title", "company_title"): TEXT,
        ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"): TEXT,
        "stage.semantic": VALUES,
        "stage.id": CODES,
        "company_id": {Op.EQ: NARROWING, Op.IN: NARROWING},
        "currency": CODES,
        "amount": dict.fromkeys(RANGE, NARROWING),
        "closed_at": dict.fromkeys(RANGE, NARROWING),
    }
)

CONTACT_FILTERS = filter_table(
    {
        **COMMON,
        "company_id": {Op.EQ: NARROWING, Op.IN: NARROWING},
    }
)

#: Classic list pages are fixed at 50 rows; a batch carries 50 commands (notes §4.1, §5).
PAGE_SIZE = 50
BATCH_COMMANDS = 50


def bitrix24_capabilities(write_batch_size: int = BATCH_COMMANDS) -> Capabilities:
    """The capabilities of a Bitrix24 portal (the same for every portal)."""
    return Capabilities(
        vendor="bitrix24",
        filters={EntityKind.LEAD: LEAD_FILTERS, EntityKind.CONTACT: CONTACT_FILTERS},
        boolean=BooleanSupport.CONJUNCTIVE,
        # Reads are keyset-paged by numeric ID; neutral ids sort as strings, so no order is
        # pushed and the planner sorts locally.
        orderable={},
        page_size=PAGE_SIZE * BATCH_COMMANDS,
        max_page_size=PAGE_SIZE * BATCH_COMMANDS,
        write_batch_size=write_batch_size,
        max_in_values=500,
        supports_delete=True,
        supports_custom_field_create=True,
        unstorable={entity: _kinds_missing() for entity in (EntityKind.LEAD, EntityKind.CONTACT)},
        supports_raw=True,
    )


def _kinds_missing() -> tuple[str, ...]:
    """``emails.kind.private``-style names of the kinds no VALUE_TYPE holds (notes §6.3);
    a migration then writes such entries as ``other`` with the kind in the note."""
    names = []
    for field, table in (("phones", PHONE_KINDS), ("emails", EMAIL_KINDS)):
        held = set(table.values())
        names += [f"{field}.kind.{kind}" for kind in ContactKind if kind not in held]
    return tuple(names)


__all__ = [
    "BATCH_COMMANDS",
    "CONTACT_FILTERS",
    "LEAD_FILTERS",
    "PAGE_SIZE",
    "bitrix24_capabilities",
]
