"""Planner golden tests: pushdown splits, OR across fields, residuals, full scans, order and
limit placement, estimates, and the explain() text (with secrets redacted)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence
from typing import Any

import attrs
import pytest

import unicrm
from unicrm import F, FullScanError, FullScanWarning, Lead, Money
from unicrm.adapter import BooleanSupport, Capabilities, OrderKey, Pushdown, VendorRequest
from unicrm.model import EntityKind
from unicrm.planner import Plan, plan_query
from unicrm.query import ALL, NOTHING, Node, evaluate
from unicrm.transport import Secret

LEAD = EntityKind.LEAD
EXACT, NARROWING = Pushdown.EXACT, Pushdown.NARROWING
Op = unicrm.query.Op

CONJUNCTIVE = Capabilities(
    vendor="fakecrm",
    filters={
        LEAD: {
            "amount": {Op.EQ: EXACT, Op.GE: EXACT, Op.LT: EXACT},
            "title": {Op.EQ: EXACT, Op.CONTAINS: NARROWING},
            "source": {Op.EQ: EXACT, Op.IN: EXACT},
            "custom.*": {Op.EQ: EXACT},
        }
    },
    orderable={LEAD: ["id", "amount"]},
    max_in_values=3,
)
FULL = Capabilities(
    vendor="treecrm",
    filters={LEAD: {"amount": {Op.GE: EXACT}, "source": {Op.EQ: EXACT, Op.NE: EXACT}}},
    boolean=BooleanSupport.FULL,
)

TOKEN = Secret("s3cr3t-token-value-123")


class Compiler:
    """Records what the planner asked for; puts a secret where a careless adapter might."""

    def __init__(self, estimate: int | None = 2) -> None:
        self.calls: list[dict[str, Any]] = []
        self.estimate = estimate

    async def __call__(
        self,
        entity: EntityKind,
        predicate: Node,
        *,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        fields: frozenset[str] | None = None,
    ) -> VendorRequest:
        self.calls.append(
            {"predicate": predicate, "order": order, "limit": limit, "fields": fields}
        )
        params: dict[str, Any] = {"filter": str(predicate)}
        if order:
            params["order"] = [str(k) for k in order]
        if limit is not None:
            params["limit"] = limit
        return VendorRequest(
            endpoint=f"GET https://crm.example/api?access_token={TOKEN.reveal()}",
            params=params,
            payload={"token": TOKEN.reveal()},
            estimated_requests=self.estimate,
        )


def plan(
    predicate: Node, caps: Capabilities = CONJUNCTIVE, compiler: Compiler | None = None, **kw: Any
) -> Plan:
    return asyncio.run(
        plan_query(
            entity=LEAD,
            predicate=predicate,
            capabilities=caps,
            compile=compiler or Compiler(),
            **kw,
        )
    )


def shape(p: Plan) -> list[tuple[str, str]]:
    return [(str(r.pushed), str(r.residual)) for r in p.requests]


@pytest.mark.parametrize(
    "predicate, expected, full_scan",
    [
        # everything exact: one request, nothing local
        (F("amount") >= 100, [("amount >= 100", "all")], False),
        # narrowing is pushed and also re-checked locally
        (
            (F("amount") >= 100) & F("title").contains("x"),
            [("amount >= 100 AND title contains 'x'", "title contains 'x'")],
            False,
        ),
        # what cannot be pushed stays as the residual
        (
            (F("amount") >= 100) & (F("tags") == "vip"),
            [("amount >= 100", "tags == 'vip'")],
            False,
        ),
        # OR across fields: one request per branch, merged by id
        (
            (F("amount") >= 100) | (F("source") == "web"),
            [("amount >= 100", "all"), ("source == 'web'", "all")],
            False,
        ),
        # same-field equalities fold into one IN request
        (
            (F("source") == "web") | (F("source") == "call"),
            [("source in ('call', 'web')", "all")],
            False,
        ),
        # distribution: (a | b) & c -> two requests
        (
            ((F("amount") >= 100) | (F("source") == "web")) & (F("title") == "t"),
            [
                ("amount >= 100 AND title == 't'", "all"),
                ("source == 'web' AND title == 't'", "all"),
            ],
            False,
        ),
        # NOT folds into a pushable operator: ~(amount >= 5) is amount < 5 OR null
        (
            ~(F("amount") >= 5) & (F("source") == "web"),
            [
                ("amount < 5 AND source == 'web'", "all"),
                ("source == 'web'", "amount is null"),  # is-null is not pushable here
            ],
            False,
        ),
        # one branch with nothing pushable makes the whole query a scan
        (
            (F("amount") >= 100) | (F("tags") == "vip"),
            [("all", "amount >= 100 OR tags == 'vip'")],
            True,
        ),
        (F("tags") == "vip", [("all", "tags == 'vip'")], True),
        # a NOT on a custom field of unknown type is never pushed
        (~(F("custom.x") > 1), [("all", "NOT custom.x > 1")], True),
        # ... though a negated equality has an exact form
        (~(F("custom.x") == "a"), [("all", "custom.x != 'a'")], True),
        (F("custom.x") == "a", [("custom.x == 'a'", "all")], False),
        # value lists longer than the vendor takes are not pushed
        (F("source").in_(["a", "b", "c", "d"]), [("all", "source in ('a', 'b', 'c', 'd')")], True),
        (F("source").in_(["a", "b", "c"]), [("source in ('a', 'b', 'c')", "all")], False),
        # constants
        (ALL, [("all", "all")], False),
    ],
)
def test_pushdown_splits(predicate: Node, expected: list[tuple[str, str]], full_scan: bool) -> None:
    result = plan(predicate)
    assert shape(result) == expected
    assert result.full_scan is full_scan
    assert bool(result.warnings) is full_scan


def test_nothing_plans_no_request() -> None:
    result = plan((F("amount") >= 1) & NOTHING)
    assert result.requests == ()
    assert "no request: the filter can never match" in str(result)
    assert result.estimated_requests == 0


def test_full_scan_warns_or_raises_when_strict() -> None:
    scan = plan(F("tags") == "vip")
    assert "cannot be pushed to fakecrm" in scan.warnings[0]
    with pytest.raises(FullScanError, match="tags == 'vip'") as caught:
        plan(F("tags") == "vip", strict=True)
    assert caught.value.vendor == "fakecrm"
    # strict does not object to a plan that pushes something
    assert plan(F("amount") >= 1, strict=True).full_scan is False


def test_full_boolean_support_sends_one_request_with_the_tree() -> None:
    tree = (F("amount") >= 100) | ~(F("source") == "web")
    result = plan(tree, caps=FULL)
    assert shape(result) == [("amount >= 100 OR source != 'web'", "all")]
    # ... but not when a literal is not exact: then it falls back to DNF requests
    mixed = (F("amount") >= 100) | (F("title") == "x")
    assert plan(mixed, caps=FULL).full_scan is True


def test_dnf_over_the_bound_becomes_a_full_scan() -> None:
    wide: Node = ALL
    for i in range(6):
        wide = wide & ((F("amount") >= i) | (F("source") == str(i)))
    assert plan(wide, max_branches=32).full_scan is True
    assert len(plan(wide, max_branches=64).requests) == 64


def test_order_and_limit_are_pushed_only_when_safe() -> None:
    compiler = Compiler()
    pushed = plan(F("amount") >= 1, compiler=compiler, order=[OrderKey("amount", True)], limit=5)
    assert pushed.order_pushed and pushed.limit_pushed
    assert compiler.calls[0]["order"] == (OrderKey("amount", True),)
    assert compiler.calls[0]["limit"] == 5

    # a residual means the vendor's first 5 may not match: limit stays local
    compiler = Compiler()
    residual = plan((F("amount") >= 1) & (F("tags") == "x"), compiler=compiler, limit=5)
    assert not residual.limit_pushed and compiler.calls[0]["limit"] is None

    # order on a field the vendor cannot sort by: sorted locally, limit local too
    local = plan(F("amount") >= 1, order=[OrderKey("title")], limit=5)
    assert not local.order_pushed and not local.limit_pushed
    assert "order: title asc (locally (all rows buffered))" in str(local)

    # several requests: neither is pushed
    merged = plan((F("amount") >= 1) | (F("source") == "w"), order=[OrderKey("id")], limit=5)
    assert not merged.order_pushed and not merged.limit_pushed


def test_projection_adds_what_the_filter_and_order_need() -> None:
    compiler = Compiler()
    result = plan(
        F("amount") >= 1, compiler=compiler, fields=frozenset({"title"}), order=[OrderKey("id")]
    )
    assert compiler.calls[0]["fields"] == {"title", "amount", "id"}
    assert "fields: amount, id, title" in str(result)


def test_estimated_requests_sum_or_unknown() -> None:
    both = (F("amount") >= 1) | (F("source") == "w")
    assert plan(both).estimated_requests == 4
    unknown = plan(both, compiler=Compiler(estimate=None))
    assert unknown.estimated_requests is None
    assert "estimated requests: unknown (at least 2)" in str(unknown)


def test_residual_property() -> None:
    assert plan(F("amount") >= 1).residual == ALL
    one = plan((F("amount") >= 1) & (F("tags") == "x"))
    assert str(one.residual) == "tags == 'x'"


def test_explain_text_golden_with_secret_redacted() -> None:
    text = str(plan((F("amount") >= 100) | (F("source") == "web") & F("title").contains("x")))
    assert TOKEN.reveal() not in text
    assert text == (
        "Plan for leads on fakecrm\n"
        "  filter: amount >= 100 OR (source == 'web' AND title contains 'x')\n"
        '  request 1: GET https://crm.example/api?access_token=*** {"filter": "amount >= 100"}\n'
        "    pushed: amount >= 100\n"
        "    residual (checked locally): none\n"
        "  request 2: GET https://crm.example/api?access_token=*** "
        "{\"filter\": \"source == 'web' AND title contains 'x'\"}\n"
        "    pushed: source == 'web' AND title contains 'x'\n"
        "    residual (checked locally): title contains 'x'\n"
        "  results of all requests are merged by id\n"
        "  estimated requests: 4"
    )


def test_secret_values_in_params_are_redacted_in_explain() -> None:
    request = VendorRequest("crm.lead.list", {"auth": TOKEN.reveal(), "x": f"k={TOKEN.reveal()}"})
    shown = request.describe()
    assert TOKEN.reveal() not in shown
    assert "crm.lead.list" in shown


# --- through the public API on the memory adapter -----------------------------------------


@pytest.fixture(scope="module")
def basic() -> unicrm.CRM:
    crm = unicrm.connect("memory://planner-golden?pushdown=basic")
    for i in range(60):
        crm.leads.create(
            Lead(title=f"Lead {i}", amount=Money(i * 10, "USD"), tags=["odd"] if i % 2 else [])
        )
    return crm


def test_or_across_fields_merges_by_id_without_duplicates(basic: unicrm.CRM) -> None:
    predicate = (F("amount") >= 300) | F("title").startswith("Lead 3")
    query = basic.leads.filter(predicate)
    assert len(query.explain().requests) == 2
    got = [lead.title for lead in query]
    assert len(got) == len(set(got))
    expected = {f"Lead {i}" for i in range(60) if i * 10 >= 300 or str(i).startswith("3")}
    assert set(got) == expected


def test_iterating_a_full_scan_warns_at_the_caller(basic: unicrm.CRM) -> None:
    query = basic.leads.filter(F("tags") == "odd")
    with pytest.warns(FullScanWarning, match="cannot be pushed") as record:
        rows = list(query)
    assert record[0].filename == __file__
    assert len(rows) == 30
    assert all(evaluate(F("tags") == "odd", r) for r in rows)
    with pytest.raises(FullScanError):
        list(query.strict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(basic.leads.filter(F("amount") >= 500))) == 10


# --- link lists read on request ---------------------------------------------------------------


class LinkCompiler(Compiler):
    """A compiler of an adapter that declares ``lazy_links``: it takes ``links=``."""

    async def __call__(  # type: ignore[override]
        self, entity: EntityKind, predicate: Node, *, links: frozenset[str], **kw: Any
    ) -> VendorRequest:
        request = await super().__call__(entity, predicate, **kw)
        self.calls[-1]["links"] = links
        return request


LAZY = attrs.evolve(CONJUNCTIVE, lazy_links={LEAD: {"contacts"}})


@pytest.mark.parametrize(
    "predicate, kw, wanted",
    [
        pytest.param(F("amount") >= 1, {}, frozenset(), id="not-asked"),
        pytest.param(
            F("amount") >= 1, {"links": frozenset({"contacts"})}, {"contacts"}, id="asked"
        ),
        pytest.param(F("contact_ids") == "7", {}, {"contacts"}, id="filter-needs-them"),
        pytest.param(
            F("amount") >= 1, {"order": [OrderKey("contact_ids")]}, {"contacts"}, id="order"
        ),
        pytest.param(
            F("amount") >= 1, {"fields": frozenset({"contact_ids"})}, {"contacts"}, id="projection"
        ),
    ],
)
def test_links_are_asked_for_only_when_wanted_or_needed(
    predicate: Node, kw: dict[str, Any], wanted: frozenset[str]
) -> None:
    compiler = LinkCompiler()
    result = plan(predicate, LAZY, compiler, **kw)
    assert [c["links"] for c in compiler.calls] == [wanted] * len(compiler.calls)
    assert result.links == wanted
    text = str(result)
    if wanted:
        assert "links read: contacts" in text and "links not read" not in text
    else:
        assert "links not read: contacts (NOT_LOADED on each record" in text


def test_adapters_without_lazy_links_are_not_given_a_links_argument() -> None:
    compiler = Compiler()  # its __call__ has no links parameter: a legacy adapter
    result = plan(F("contact_ids") == "7", CONJUNCTIVE, compiler, links=frozenset({"contacts"}))
    assert result.links is None and "links" not in str(result).replace("linked", "")
