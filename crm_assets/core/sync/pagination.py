"""Pagination loops shared by sources.

Each loop stops only on the vendor's own end-of-data signal and never on a short
page: several APIs serve fewer records than the page size asked for.

Where the next page's address is known before the last page arrives (numbered and
offset pages), the run's workers ask for up to `pages_ahead()` more pages while the
last one is on its way (`workers.Concurrency.ahead`): a list then costs round trips
at the rate budget's pace, not one after another. The pages are still read in order,
each checked the same way; requests past the end of the list (at most that many per
list) are answered and thrown away. Where every page's address is known before the
first is read (`pages_at`: ranges of ids, the pages a list announces it has),
nothing is asked for past the end, so those are asked for ahead by default.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from crm_assets.core.http import ApiError, MalformedResponseError
from crm_assets.core.sync.workers import Workers, current_workers

K = TypeVar("K", bound=Hashable)


def pages_ahead() -> int:
    """Pages of a list the run asks for beside the one awaited (0: one at a time)."""
    return current_workers().concurrency.ahead


class _Requests:
    """Pages asked for ahead of the one being read, each answer kept until read."""

    def __init__(self, get_page: Callable[[Any], Any], workers: Workers):
        self._get_page = get_page
        self._workers = workers
        self._asked: dict[Hashable, Future] = {}
        self._sent: list[Future] = []

    def page(self, key: Hashable, then: Sequence[Hashable] = ()) -> Any:
        """The page at `key`, asking for the pages at `then` before waiting for it.

        A page the workers have no thread for is asked for at its own turn, by the
        caller; so is `key` when it was not asked for ahead."""
        self._sent = [sent for sent in self._sent if not sent.done()]
        for wanted in then:
            if wanted not in self._asked:
                asked = self._workers.offer(self._get_page, wanted)
                if asked is None:
                    break
                self._asked[wanted] = asked
                self._sent.append(asked)
        asked = self._asked.pop(key, None)
        return self._get_page(key) if asked is None else asked.result()

    def forget(self) -> None:
        """Drop the pages asked for ahead: they were asked for at the wrong place."""
        self._asked.clear()

    def wait(self) -> None:
        """Wait for the requests already sent (bounded by the client's timeout)."""
        wait(self._sent)


@contextmanager
def _requests(get_page: Callable[[Any], Any]) -> Iterator[_Requests]:
    requests = _Requests(get_page, current_workers())
    try:
        yield requests
    finally:
        requests.forget()
        # Leaving the list sends nothing more; what was sent is answered before the
        # stream goes on (or its client closes).
        requests.wait()


def known_pages_ahead() -> int:
    """Pages of a list whose page addresses are all known asked for beside the one
    awaited: on by default, since none is past the end (`Concurrency.ahead_known`)."""
    return current_workers().concurrency.ahead_known


def pages_at(get_page: Callable[[K], Any], keys: Iterable[K]) -> Iterator[tuple[K, Any]]:
    """Yield `(key, get_page(key))` for each of `keys` (distinct), in their order.

    For a list whose page addresses are all known before the first page is read.
    Up to `known_pages_ahead()` of the following keys are asked for while each page
    is awaited, and no key is asked for twice or past the last. Answers are yielded unchecked: the
    caller knows what its pages should hold. An exception raised fetching a page is
    raised at that page's turn, after every page before it; leaving early waits for
    the requests already sent and sends no more.
    """
    keys, ahead = list(keys), known_pages_ahead()
    with _requests(get_page) as requests:
        for index, key in enumerate(keys):
            yield key, requests.page(key, keys[index + 1 : index + 1 + ahead])


def numbered_pages(
    get_page: Callable[[int], Any], *, what: str, first: int = 1
) -> Iterator[list[dict]]:
    """Yield pages `first`, `first + 1`, ... until an empty page (or a 204) ends the data.

    A page that repeats the previous one means the API ignored `page`; the loop
    raises instead of spinning forever or writing the same records again. Up to
    `pages_ahead()` following pages are asked for while each page is awaited.
    """
    with _requests(get_page) as requests:
        yield from _numbered(requests, what, first, pages_ahead())


def _numbered(requests: _Requests, what: str, number: int, ahead: int) -> Iterator[list[dict]]:
    previous = None
    while True:
        items = requests.page(number, range(number + 1, number + 1 + ahead))
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
    get_page: Callable[[int], tuple[list[dict], int | None]],
    *,
    what: str,
    step: int = 0,
) -> Iterator[list[dict]]:
    """Yield pages from offset 0 while the API says more items follow at `next_start`.

    A page holding fewer items than the step to `next_start` (a vendor trimming a
    page, yet announcing more) is not trusted to have covered that step: the next page
    starts right after the last item received, so nothing between is skipped. Items
    read twice this way are harmless, since rows are upserted by key.

    With a `step` (the page size asked for), up to `pages_ahead()` pages are asked for
    at the offsets that follow by that step; where the API announces another next
    page, those are dropped and the list goes on from the one it announced.
    """
    with _requests(get_page) as requests:
        yield from _offsets(requests, what, step, pages_ahead() if step > 0 else 0)


def _offsets(requests: _Requests, what: str, step: int, ahead: int) -> Iterator[list[dict]]:
    start: int | None = 0
    while start is not None:
        following = [start + step * n for n in range(1, ahead + 1)] if step > 0 else []
        items, next_start = requests.page(start, following)
        if items:
            yield items
        if items and next_start is not None and start + len(items) < next_start:
            next_start = start + len(items)
        if next_start is not None and next_start <= start:
            raise ApiError(f"{what}: next page starts at {next_start}, not after {start}.")
        if next_start is None or next_start not in following[:1]:
            requests.forget()
        start = next_start
