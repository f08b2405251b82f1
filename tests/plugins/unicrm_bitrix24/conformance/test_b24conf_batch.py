"""Conformance: ``batch``."""

from __future__ import annotations

from typing import Any

from .conftest import Caller, Ok


def _batch(call: Caller, cmd: object, halt: int = 0) -> Any:
    status, body = call("batch", halt=halt, cmd=cmd)
    assert status == 200, body  # a batch is answered with 200 whatever its commands did
    return body["result"]


def test_at_most_fifty_commands_run(call: Caller, ok: Ok) -> None:
    """Commands past the 50th are not run and end with ``ERROR_BATCH_LENGTH_EXCEEDED``.

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        The number of requests in a batch is limited to 50. If this limit is exceeded,
        subqueries beyond the limit will end with an error `ERROR_BATCH_LENGTH_EXCEEDED`.
    """
    cmd = {f"a{i}": f"crm.lead.add?fields[TITLE]=L{i}" for i in range(52)}
    result = _batch(call, cmd)
    assert len(result["result"]) == 50
    assert {k: v["error"] for k, v in result["result_error"].items()} == {
        "a50": "ERROR_BATCH_LENGTH_EXCEEDED",
        "a51": "ERROR_BATCH_LENGTH_EXCEEDED",
    }
    assert ok("crm.lead.list", select=["ID"])["total"] == 50


def test_nested_batch_is_not_allowed(call: Caller) -> None:
    """``batch`` inside ``batch`` ends with ``ERROR_BATCH_METHOD_NOT_ALLOWED``.

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        As of version **rest 24.0.0**, nesting is prohibited for the `batch` method: when
        calling the `batch` method, you cannot call another `batch` inside it. Such a subquery
        ends with an error `ERROR_BATCH_METHOD_NOT_ALLOWED`.
    """
    result = _batch(call, {"inner": "batch?cmd[x]=crm.lead.fields"})
    assert result["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_errors_go_to_result_error_and_others_stay_in_result(call: Caller) -> None:
    """A failing command's error is in ``result_error`` under its key; the others' results
    stay in ``result``; ``halt = 0`` runs every command.

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        The `batch` method does not return a single error for the entire batch — the request
        itself completes with a **200** status. The result of each sub-request that ends in an
        error is placed in the `result_error` field under the key of that specific
        sub-request.
        - `halt = 0` — all sub-requests in the batch are executed, and errors are collected in
        `result_error` for each problematic sub-request
    """
    result = _batch(
        call,
        {
            "bad": "crm.lead.get?id=999",
            "good": "crm.lead.add?fields[TITLE]=x",
            "fields": "crm.lead.fields",
        },
    )
    assert set(result["result"]) == {"good", "fields"}
    assert result["result_error"] == {"bad": {"error": "", "error_description": "Not found"}}


def test_halt_stops_at_the_first_error(call: Caller, ok: Ok) -> None:
    """``halt = 1`` stops at the first failing command; later ones do not run.

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        - `halt = 1` — execution of the chain is interrupted at the first sub-request that
        returns an error; subsequent sub-requests are not executed
    """
    result = _batch(
        call,
        {
            "one": "crm.lead.add?fields[TITLE]=a",
            "bad": "crm.lead.get?id=999",
            "two": "crm.lead.add?fields[TITLE]=b",
        },
        halt=1,
    )
    assert set(result["result"]) == {"one"}
    assert set(result["result_error"]) == {"bad"}
    assert ok("crm.lead.list", select=["ID"])["total"] == 1


def test_result_references_pass_data_to_later_commands(call: Caller) -> None:
    """``$result[key][field]`` puts an earlier command's answer into a later one's
    parameters (a list answer indexed by row).

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        If an intermediate method is a list method, it returns an array of records; therefore,
        when accessing the result, specify the index of the required record. For example, in
        the `$result[user_by_name][0][ID]` syntax for the `user.search` method, the identifier
        of the first found user is retrieved.
    """
    result = _batch(
        call,
        {
            "add": "crm.lead.add?fields[TITLE]=Referenced",
            "get": "crm.lead.get?id=$result[add]",
            "list": "crm.lead.list?filter[ID]=$result[add]&select[]=TITLE",
            "again": "crm.lead.get?id=$result[list][0][ID]",
        },
    )
    answers = result["result"]
    assert answers["get"]["TITLE"] == answers["again"]["TITLE"] == "Referenced"


def test_list_commands_report_total_and_next_only_with_a_next_page(call: Caller, ok: Ok) -> None:
    """``result_total`` holds list commands' totals; ``result_next`` only commands with a next
    page; empty maps are sent as ``[]``.

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        || **result_next** [`object`](../../api-reference/data-types.md) | The value of the
        `start` parameter to retrieve the next page of results for list methods. Present only
        for subqueries that have a next page ||
    Also: the page's sample answer: "result_error": [], ... "result_next": []
    """
    for i in range(60):
        ok("crm.lead.add", fields={"TITLE": f"L{i}"})
    result = _batch(
        call,
        {
            "big": "crm.lead.list?select[]=ID",
            "small": "crm.lead.list?select[]=ID&filter[%3C%3DID]=3",
        },
    )
    assert result["result_total"] == {"big": 60, "small": 3}
    assert result["result_next"] == {"big": 50}
    assert result["result_error"] == []
    quiet = _batch(call, {"small": "crm.lead.list?select[]=ID&filter[%3C%3DID]=3"})
    assert quiet["result_next"] == [] and quiet["result_error"] == []


def test_numeric_command_keys_are_accepted(call: Caller) -> None:
    """``cmd`` may be a list (numeric keys) as well as a map.

    Source: bitrix24/b24restdocs, settings/how-to-call-rest-api/batch.md:
        The array of requests can use numeric keys or be associative.
    """
    result = _batch(call, ["crm.lead.add?fields[TITLE]=a", "crm.lead.get?id=$result[0]"])
    answers = result["result"]
    assert isinstance(answers, list) and answers[1]["TITLE"] == "a"
