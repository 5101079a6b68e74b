"""Pagination loops shared by sources.

Each loop stops only on the vendor's own end-of-data signal and never on a short
page: several APIs serve fewer records than the page size asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from crm_assets.core.http import ApiError, MalformedResponseError


def numbered_pages(
    get_page: Callable[[int], Any], *, what: str, first: int = 1
) -> Iterator[list[dict]]:
    """Yield pages `first`, `first + 1`, ... until an empty page (or a 204) ends the data.

    A page that repeats the previous one means the API ignored `page`; the loop
    raises instead of spinning forever or writing the same records again.
    """
    number, previous = first, None
    while True:
        items = get_page(number)
        if items is None:
            return
        if not isinstance(items, list):
            raise MalformedResponseError(
                f"{what}: page {number} is a JSON {type(items).__name__}, not the list of "
                f"records the API documents (starts {str(items)[:80]!r})."
            )
        if not items:
            return
        signature = (_identity(items[0]), _identity(items[-1]), len(items))
        if signature == previous:
            raise ApiError(
                f"{what}: page {number} repeats page {number - 1}; the API is ignoring the "
                "page parameter. Stopped to avoid loading duplicates forever."
            )
        previous = signature
        yield items
        number += 1


def _identity(item: Any) -> Any:
    return item.get("id", repr(item)) if isinstance(item, dict) else repr(item)


def cursor_pages(
    get_page: Callable[[str | None], tuple[list[dict], str | None]], *, what: str
) -> Iterator[list[dict]]:
    """Yield pages while the API hands back a next cursor; `get_page(cursor)` fetches one."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        items, cursor = get_page(cursor)
        if items:
            yield items
        if not cursor:
            return
        if cursor in seen:
            raise ApiError(f"{what}: the API returned a cursor it had already returned.")
        seen.add(cursor)


def offset_pages(
    get_page: Callable[[int], tuple[list[dict], int | None]], *, what: str
) -> Iterator[list[dict]]:
    """Yield pages from offset 0 while the API says more items follow at `next_start`.

    A page holding fewer items than the step to `next_start` (a vendor trimming a
    page, yet announcing more) is not trusted to have covered that step: the next page
    starts right after the last item received, so nothing between is skipped. Items
    read twice this way are harmless, since rows are upserted by key.
    """
    start: int | None = 0
    while start is not None:
        items, next_start = get_page(start)
        if items:
            yield items
        if items and next_start is not None and start + len(items) < next_start:
            next_start = start + len(items)
        if next_start is not None and next_start <= start:
            raise ApiError(f"{what}: next page starts at {next_start}, not after {start}.")
        start = next_start
