"""Paging through amoCRM lists at the speed the limits allow.

There are no totals on lead/contact lists (vendor notes §4.2), so the number of pages is not
known up front. :func:`pages` keeps ``concurrency`` page requests in flight (the limiter paces
them to the vendor's rate), hands pages back in order, and stops launching once a page comes
back short, without ``_links.next``, or as a 204 (empty result; notes §4.3). At most
``concurrency - 1`` requests past the end are wasted, whatever the size of the export.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs

#: Fetches one page: (page number, page size) -> the parsed body, or None for a 204.
PageGetter = Callable[[int, int], Awaitable[Mapping[str, Any] | None]]


@attrs.frozen
class Page:
    """One list page: its items and whether the vendor says more follow."""

    number: int
    items: Sequence[Mapping[str, Any]]
    has_next: bool


def parse_page(number: int, body: Mapping[str, Any] | None, entity_path: str) -> Page:
    """A list body (HAL+JSON) or a 204 as a :class:`Page`."""
    if not body:
        return Page(number, (), False)
    items = (body.get("_embedded") or {}).get(entity_path) or ()
    has_next = bool((body.get("_links") or {}).get("next"))
    return Page(number, list(items), has_next)


async def pages(
    get: PageGetter,
    entity_path: str,
    *,
    page_size: int,
    limit: int | None = None,
    concurrency: int = 7,
) -> AsyncIterator[Page]:
    """Pages in order until the end (or until ``limit`` rows), ``concurrency`` in flight."""
    size = page_size if limit is None else max(1, min(page_size, limit))
    remaining = limit
    window = max(1, concurrency if limit is None else min(concurrency, -(-limit // size)))

    async def one(number: int) -> Page:
        return parse_page(number, await get(number, size), entity_path)

    pending: deque[asyncio.Task[Page]] = deque()
    dropped: list[asyncio.Task[Page]] = []
    next_number = 1
    finished = False
    try:
        while True:
            while not finished and len(pending) < window:
                pending.append(asyncio.ensure_future(one(next_number)))
                next_number += 1
            if not pending:
                return
            page = await pending.popleft()
            if not page.has_next or len(page.items) < size:
                finished = True
                _drop(pending, dropped)
            if remaining is not None:
                page = attrs.evolve(page, items=page.items[:remaining])
                remaining -= len(page.items)
                if remaining <= 0:
                    finished = True
                    _drop(pending, dropped)
            if page.items:
                yield page
    finally:
        _drop(pending, dropped)
        for task in dropped:
            with contextlib.suppress(BaseException):
                await task


def _drop(pending: deque[asyncio.Task[Page]], dropped: list[asyncio.Task[Page]]) -> None:
    """Cancel the requests past the end (they may have been sent; their answers are unused)."""
    for task in pending:
        task.cancel()
    dropped.extend(pending)
    pending.clear()


__all__ = ["Page", "PageGetter", "pages", "parse_page"]
