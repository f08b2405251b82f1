"""Concurrent paging: pages come back in order, stop on a missing ``_links.next`` or a 204 (not
on a short page), respect limits."""

from __future__ import annotations

import asyncio
import random

import pytest

from unicrm.errors import InvalidResponse
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


def _short_pages(sizes: list[int]):
    """A list whose pages hold ``sizes`` items (fewer than asked), each but the last with next."""
    calls: list[int] = []

    async def get(number: int, size: int):
        calls.append(number)
        if number > len(sizes):
            return None
        start = sum(sizes[: number - 1])
        rows = [{"id": start + i} for i in range(sizes[number - 1])]
        links = {"next": {"href": "x"}} if number < len(sizes) else {}
        return {"_page": number, "_links": links, "_embedded": {"leads": rows}}

    return get, calls


@pytest.mark.parametrize("concurrency", [1, 7])
def test_a_short_page_with_a_next_link_does_not_end_the_list(concurrency: int) -> None:
    """A server may cap a page below the limit asked for and still say more follow (amoCRM's
    custom field lists come 50 at a time): only a missing ``_links.next`` or a 204 ends a list."""
    get, calls = _short_pages([50, 50, 3])
    got = [r["id"] for p in _collect(get, page_size=250, concurrency=concurrency) for r in p.items]
    assert got == list(range(103))
    assert set(calls) >= {1, 2, 3} and max(calls) <= 3 + concurrency - 1


def test_a_full_page_without_next_ends_the_list() -> None:
    get, calls = _short_pages([250])
    got = [r["id"] for p in _collect(get, page_size=250, concurrency=1) for r in p.items]
    assert got == list(range(250)) and calls == [1]


def test_an_empty_page_that_claims_a_next_one_is_invalid() -> None:
    async def get(number: int, size: int):
        return {"_links": {"next": {"href": "x"}}, "_embedded": {"leads": []}}

    with pytest.raises(InvalidResponse, match="no items but a next link"):
        _collect(get, page_size=250, concurrency=3)
