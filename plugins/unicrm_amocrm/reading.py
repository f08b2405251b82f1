"""Paging through amoCRM lists at the speed the limits allow.

There are no totals on lead/contact lists (vendor notes §4.2), so the number of pages is not
known up front. :func:`pages` keeps ``concurrency`` page requests in flight (the limiter paces
them to the vendor's rate), hands pages back in order, and stops launching once a page comes
back without ``_links.next`` or as a 204 (empty result; notes §4.3): those are the vendor's two
end signals. A short page is not one: a server may cap a page below the ``limit`` asked for
(custom field lists hold at most 50) and still say more follow. At most ``concurrency - 1``
requests past the end are wasted, whatever the size of the export. A page that is empty yet
claims a successor is a malformed answer (amoCRM says "nothing" with a 204), not a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs

from unicrm.errors import InvalidResponse
from unicrm_amocrm.shapes import VENDOR, body_or_none, embedded, has_next

#: Fetches one page: (page number, page size) -> the parsed body (None for a 204).
PageGetter = Callable[[int, int], Awaitable[Any]]


@attrs.frozen
class Page:
    """One list page: its items and whether the vendor says more follow."""

    number: int
    items: Sequence[Mapping[str, Any]]
    has_next: bool


def parse_page(number: int, body: Any, entity_path: str) -> Page:
    """A list body (HAL+JSON) or a 204 (None) as a :class:`Page`; a body of another shape, or an
    empty page that claims a next one, is an :class:`~unicrm.errors.InvalidResponse`."""
    page = body_or_none(body, "a list page")
    items = embedded(page, entity_path)
    more = has_next(page)
    if more and not items:
        raise InvalidResponse(
            f"amocrm answered page {number} with no items but a next link", vendor=VENDOR
        )
    return Page(number, tuple(items), more)


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
            if not page.has_next:
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
