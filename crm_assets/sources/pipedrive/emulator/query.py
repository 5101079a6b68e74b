"""Filtered, sorted index lists over the emulator's tables, cached between pages.

A client walking a million deals asks for the same query 2,000 times with a new
cursor each time; the ordered list of matching indices is computed once (an
`array`, 8 bytes a record) and kept until the table changes. `updated_since` /
`updated_until` (`>=` / `<`, docs/pipedrive-api.md) cut a slice out of the
table's update-time index instead of scanning every record.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable

from crm_assets.sources.pipedrive.emulator.data import Table

Predicate = Callable[[int], bool]


class QueryCache:
    """The last few query results, keyed by what the query asked and the table's version."""

    def __init__(self, capacity: int = 16):
        self.capacity = capacity
        self._results: OrderedDict[Hashable, array] = OrderedDict()

    def order(
        self,
        table: Table,
        *,
        key: Hashable,
        keep: Predicate | None = None,
        since: float | None = None,
        until: float | None = None,
        sort_field: str = "id",
        sort_key: Callable[[int], int] | None = None,
        direction: str = "asc",
    ) -> array:
        """Indices of records that pass `keep` and the time window, sorted by (sort key, id).

        `key` must identify everything else the caller filtered on; the table's name,
        version, window and sort are added here.
        """
        full_key = (table.name, table.version, key, since, until, sort_field, direction)
        cached = self._results.get(full_key)
        if cached is not None:
            self._results.move_to_end(full_key)
            return cached
        result = _order(table, keep, since, until, sort_field, sort_key, direction)
        self._results[full_key] = result
        if len(self._results) > self.capacity:
            self._results.popitem(last=False)
        return result


def _order(
    table: Table,
    keep: Predicate | None,
    since: float | None,
    until: float | None,
    sort_field: str,
    sort_key: Callable[[int], int] | None,
    direction: str,
) -> array:
    windowed = since is not None or until is not None
    upd = table.upd
    # A window comes from the update-time index once something has built it (then
    # in (update time, id) order); until then one linear scan is cheaper than the sort.
    indexed = windowed and (table.has_update_index() or sort_field == "update_time")
    if indexed:
        by_update = table.by_update()
        lo = 0 if since is None else bisect_left(by_update, since, key=upd.__getitem__)
        hi = len(by_update) if until is None else bisect_left(by_update, until, key=upd.__getitem__)
        candidates = by_update[lo:hi] if lo < hi else array("q")
    elif windowed:
        low = -math.inf if since is None else since
        high = math.inf if until is None else until
        candidates = [i for i in range(len(table)) if low <= upd[i] < high]
    else:
        candidates = range(len(table))
    chosen = [i for i in candidates if keep(i)] if keep else list(candidates)
    if sort_field == "update_time":
        if not indexed:
            chosen.sort(key=upd.__getitem__)  # stable: ties stay in id order
    else:
        if indexed:
            chosen.sort()
        if sort_field != "id":
            chosen.sort(key=sort_key)
    if direction == "desc":
        chosen.reverse()
    return array("q", chosen)


def update_key(table: Table) -> Callable[[int], int]:
    return table.upd.__getitem__


def add_key(table: Table) -> Callable[[int], int]:
    return table.add.__getitem__


def id_key(i: int) -> int:
    return i + 1
