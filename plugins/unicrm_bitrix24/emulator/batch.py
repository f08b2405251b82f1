"""``batch``: up to 50 sub-calls in one HTTP request (notes §5).

Each command is ``"method?query"``; its parameters are parsed like a query string (every
scalar a string) and ``$result[key][path]`` (also ``$next``, ``$total``, ``$time``,
``$error``) references to earlier commands are substituted in keys and values: a value that is
exactly a reference takes the referenced value (possibly an array); inside a longer string the
reference is replaced by its text. Walking a path stops at the first missing key and yields
what it reached. The answer is always HTTP 200 with the five ``result*`` maps, each ``[]`` when
empty and a list when its keys happen to be ``0..n-1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from unicrm_bitrix24.emulator import errors
from unicrm_bitrix24.emulator.context import Outcome
from unicrm_bitrix24.emulator.errors import B24Error
from unicrm_bitrix24.emulator.params import parse_query, pick, truthy

MAX_COMMANDS = 50

_REF = re.compile(r"\$(result|next|total|time|error)((?:\[[^\[\]]*\])+)", re.I)
_PATH = re.compile(r"\[([^\[\]]*)\]")

#: Runs one sub-call: (method, params) -> (outcome, time block) or raises B24Error.
SubCall = Callable[[str, dict[str, Any]], tuple[Outcome, dict[str, Any]]]


def php_map(mapping: dict[str, Any]) -> Any:
    """A PHP array as ``json_encode`` writes it: ``[]`` when empty, a list for keys 0..n-1."""
    if not mapping:
        return []
    keys = list(mapping)
    if keys == [str(i) for i in range(len(keys))]:
        return [mapping[k] for k in keys]
    return mapping


def _walk(node: Any, path: str) -> Any:
    for key in _PATH.findall(path):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            break
    return node


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "Array"
    if value is True:
        return "1"
    if value is None or value is False:
        return ""
    return str(value)


def _substitute(value: Any, acc: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return {_text(_substitute(k, acc)): _substitute(v, acc) for k, v in value.items()}
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _REF.fullmatch(value)
    if whole:
        return _walk(acc[whole.group(1).lower()], whole.group(2))
    return _REF.sub(lambda m: _text(_walk(acc[m.group(1).lower()], m.group(2))), value)


@lru_cache(maxsize=1024)
def _parsed(query: str) -> dict[str, Any]:
    """A command's query, parsed once: readers send the same chained commands batch after
    batch. Shared between calls, so only ever read through :func:`_substitute`, which copies
    every map it walks."""
    return parse_query(query)


def _commands(raw: Any) -> list[tuple[str, Any]]:
    if isinstance(raw, dict):
        return [(str(k), v) for k, v in raw.items()]
    if isinstance(raw, list):
        return [(str(i), v) for i, v in enumerate(raw)]
    return []


def run_batch(params: dict[str, Any], sub_call: SubCall) -> Outcome:
    halt = truthy(pick(params, "halt") or False)
    results: dict[str, Any] = {}
    errors_map: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    nexts: dict[str, Any] = {}
    times: dict[str, Any] = {}
    acc = {"result": results, "error": errors_map, "total": totals, "next": nexts, "time": times}
    for index, (key, command) in enumerate(_commands(pick(params, "cmd"))):
        if not isinstance(command, str):
            continue  # non-string entries are skipped silently
        if index >= MAX_COMMANDS:
            errors_map[key] = errors.platform("ERROR_BATCH_LENGTH_EXCEEDED").body()
            continue
        method, _, query = command.partition("?")
        try:
            sub_params = _substitute(_parsed(query), acc)
            outcome, time_block = sub_call(method.strip(), sub_params)
        except B24Error as exc:
            errors_map[key] = exc.body()
            if halt:
                break
            continue
        results[key] = outcome.result
        if outcome.total is not None:
            totals[key] = outcome.total
        if outcome.next is not None:
            nexts[key] = outcome.next
        times[key] = time_block
    return Outcome(
        {
            "result": php_map(results),
            "result_error": php_map(errors_map),
            "result_total": php_map(totals),
            "result_next": php_map(nexts),
            "result_time": php_map(times),
        }
    )
