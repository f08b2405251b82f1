"""Concurrent paging: pages come back in order, stop at a short page / 204, respect limits."""

from __future__ import annotations

import asyncio
import random

import pytest

from unicrm_amocrm.reading import pages, parse_page


def _fake_list(total: int, *, jitter: bool = True):
    calls: list[int] = []
    rng = random.Random(1)

    async def get(number: int, size: int):
        calls.append(number)
        if jitter:
            await asyncio.sleep(rng.random() / 1000)
        start = (number - 1) * size
        rows = [{"id": i} for i in range(start, min(start + size, total))]
        if not rows:
            return None  # amoCRM: 204, empty body
        more = start + size < total
        return {
            "_page": number,
            "_links": {"next": {"href": "x"}} if more else {},
            "_embedded": {"leads": rows},
        }

    return get, calls


def _collect(get, **kwargs):
    async def go():
        return [p async for p in pages(get, "leads", **kwargs)]

    return asyncio.run(go())


@pytest.mark.parametrize("total", [0, 1, 249, 250, 251, 1000, 1234])
def test_every_row_once_in_order(total: int) -> None:
    get, calls = _fake_list(total)
    got = [r["id"] for p in _collect(get, page_size=250, concurrency=7) for r in p.items]
    assert got == list(range(total))
    needed = max(1, -(-total // 250))
    assert len(calls) <= needed + 6  # at most concurrency-1 wasted requests


def test_limit_stops_early() -> None:
    get, calls = _fake_list(10_000)
    got = [r["id"] for p in _collect(get, page_size=250, limit=300, concurrency=7) for r in p.items]
    assert got == list(range(300))
    assert len(calls) == 2


def test_no_content_is_an_empty_page() -> None:
    page = parse_page(3, None, "leads")
    assert page.items == () and not page.has_next
