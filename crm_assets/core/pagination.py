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
