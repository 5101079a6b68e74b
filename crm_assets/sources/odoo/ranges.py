"""Full reads of an Odoo model in id ranges, requested ahead (docs/odoo-api.md, "Full reads
in id ranges").

A keyset page's domain names the last record of the page before it, so the next page
cannot be asked for before that one arrives. A full read needs no `write_date` order:
it can be split into ranges of ids known before they are read, and several ranges
can be on their way at once (`core.sync.pagination.pages_at`, within the client's one
limiter). `streams.pages` reads this way only when the resource asks for pages ahead.

- The opening, three requests at once: the first page in id order, the highest id
  and the number of records (archived ones included, like every read). A model that
  fits in that page (an empty one too) is read: one round trip, as by the keyset.
- Ranges `[lo, lo + width)` from after the first page through the highest id, each
  one `search_read` ordered by id. Where ids are dense the width is the page size:
  such a range holds at most a page, so it is one request. Where most ids are gone
  (hard deletes), ranges that narrow would be mostly empty requests, so they widen
  to hold about `FILL` of a page on average; a range that still holds more than a
  page reads on after its last id, like the tail below.
- Then the records created since the opening: ids above the highest, page after
  page until a short page, read last so the read ends as late as a keyset read would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

from crm_assets.core.http.client import ApiError
from crm_assets.core.sync.pagination import pages_at
from crm_assets.sources.odoo.transport import transport_for

ID_ORDER = "id asc"
# Where fewer ids than this share are in use, ranges widen to hold this much of a page.
FILL = 0.75


def id_range_pages(
    client: Any, model: str, fields: list[str], *, context: dict[str, Any]
) -> Iterator[list]:
    """Every record of `model` (its `fields` and `id`), in pages of at most the page size.

    Up to `client.config.pages_ahead` requests are on their way while one is awaited.
    Raises ApiError when an answer is not a list, holds more records than the limit
    asked for, or holds ids outside the range asked for.
    """
    reader = _Reader(transport_for(client), model, fields, client.config.page_size, context)
    ahead = client.config.pages_ahead
    opening = {"first": lambda: reader.page(None, None),
               "highest": reader.highest_id, "count": reader.count}  # fmt: skip
    answers: dict[str, Any] = {}
    with closing(pages_at(lambda key: opening[key](), opening, ahead=ahead)) as opened:
        for key, answer in opened:
            answers[key] = answer
            if key != "first":
                continue
            if answer:
                yield answer
            if len(answer) < reader.limit:
                client.detail.debug(f"odoo: {model}: full read in one page")
                return
    after = answers["first"][-1]["id"]
    highest = max(answers["highest"] or after, after)
    rest = answers["count"] - reader.limit
    width = range_width(after + 1, highest, rest, reader.limit)
    starts = range(after + 1, highest + 1, width)
    client.detail.debug(
        f"odoo: {model}: full read: ids to {after} in the first page, then ids {after + 1} "
        f"to {highest} (about {max(rest, 0)} records) in {len(starts)} ranges of {width} "
        f"ids, {ahead} requested ahead, then ids above {highest}"
    )
    # The last range ends at the highest id: the ids above it are the tail's, read once.
    ends = {start: min(start + width, highest + 1) for start in starts}
    first_pages = pages_at(lambda start: reader.page(["id", ">=", start], ends[start]),
                           starts, ahead=ahead)  # fmt: skip
    for start, page in first_pages:
        yield from reader.read_on(page, ends[start])
    yield from reader.read_on(reader.page(["id", ">", highest], None), None)


def range_width(lowest: int, highest: int, count: int, limit: int) -> int:
    """Ids per range from `lowest` through `highest`, which hold about `count` records:
    `limit`, or more where under `FILL` of the ids hold a record."""
    span = highest - lowest + 1
    return max(limit, int(limit * FILL * span / max(count, 1)))


class _Reader:
    """One model's `search`, `search_count` and `search_read` calls, each answer checked."""

    def __init__(self, transport: Any, model: str, fields: list[str], limit: int, context):
        self.transport, self.model, self.fields = transport, model, fields
        self.limit, self.context = limit, context

    def highest_id(self) -> int | None:
        ids = self.transport.call(self.model, "search", domain=[], order="id desc", limit=1,
                                  context=self.context)  # fmt: skip
        if not isinstance(ids, list) or len(ids) > 1 or not all(isinstance(i, int) for i in ids):
            raise ApiError(f"Odoo: search on {self.model} answered {str(ids)[:80]!r}, not a list "
                           "of at most one id.")  # fmt: skip
        return ids[0] if ids else None

    def count(self) -> int:
        count = self.transport.call(self.model, "search_count", domain=[], context=self.context)
        if not isinstance(count, int):
            raise ApiError(
                f"Odoo: search_count on {self.model} answered {str(count)[:80]!r}, not a number."
            )
        return count

    def page(self, lower: list | None, end: int | None) -> list[dict]:
        """The records whose id meets `lower` and is below `end` (None: no bound), in id
        order: at most one page of them."""
        domain = [b for b in (lower, None if end is None else ["id", "<", end]) if b]
        page = self.transport.call(self.model, "search_read", domain=domain, fields=self.fields,
                                   limit=self.limit, order=ID_ORDER, context=self.context)  # fmt: skip
        what = f"Odoo: search_read on {self.model} for {domain}"
        if not isinstance(page, list):
            raise ApiError(f"{what} answered {str(page)[:80]!r}, not a list.")
        if len(page) > self.limit:
            raise ApiError(f"{what} answered {len(page)} records, more than the limit of "
                           f"{self.limit} it asked for; stopped.")  # fmt: skip
        if page and not (_meets(page[0]["id"], lower) and (end is None or page[-1]["id"] < end)):
            raise ApiError(f"{what} answered ids {page[0]['id']} to {page[-1]['id']}, outside "
                           "the range asked for; stopped.")  # fmt: skip
        return page

    def read_on(self, page: list[dict], end: int | None) -> Iterator[list[dict]]:
        """`page`, then the rest of its range: the ids after the last one read, below `end`,
        until a short page or the end of the range."""
        while True:
            if page:
                yield page
            if len(page) < self.limit or (end is not None and page[-1]["id"] >= end - 1):
                return
            page = self.page(["id", ">", page[-1]["id"]], end)


def _meets(record_id: int, lower: list | None) -> bool:
    if lower is None:
        return True
    _, operator, bound = lower
    return record_id >= bound if operator == ">=" else record_id > bound
