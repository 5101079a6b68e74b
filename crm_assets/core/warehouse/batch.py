"""A batch of records as the writer stores it: one sequence of values per column,
each value converted as its column stores it.

Working a column at a time means a column that needs no conversion costs nothing per
value, and one that does costs one mapped call.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from crm_assets.core import schema
from crm_assets.core.warehouse.columns import DELETED, SYNCED_AT


def by_column(rows: list[dict[str, Any]]) -> dict[str, tuple]:
    """Each field's values across `rows`, None where a row lacks the field."""
    # In first-seen order, never a set's: new columns are created in this order, and a
    # set's order changes with the process's hash seed.
    names = list(dict.fromkeys(itertools.chain.from_iterable(rows)))
    if len(names) > 1 and all(len(row) == len(names) for row in rows):
        # Every row has every field (each has as many as the batch names): one C call
        # a row reads them all.
        values = zip(*map(itemgetter(*names), rows), strict=True)
    else:
        values = zip(*[tuple(map(row.get, names)) for row in rows], strict=True)
    return dict(zip(names, values, strict=True))


def stored_values(
    columns: dict[str, Sequence[Any]],
    types: dict[str, set[type]],
    names: list[str],
    count: int,
    *,
    column_types: dict[str, str],
    primary_key: Sequence[str],
    synced_at: datetime,
) -> list[Sequence[Any]]:
    """The batch's values of each of `names`, each value as its column (of
    `column_types`) stores it; `types` holds the Python types each field holds."""
    prepared: list[Sequence[Any]] = []
    converted_key = False
    for name in names:
        if name == SYNCED_AT:
            prepared.append([synced_at] * count)
        elif name == DELETED:
            # A record in hand is live unless the source itself says it is deleted.
            prepared.append(list(map(bool, columns.get(DELETED, [False] * count))))
        else:
            convert = schema.converter(column_types[name], types[name])
            values = columns[name]
            prepared.append(values if convert is None else list(map(convert, values)))
            converted_key |= convert is not None and name in primary_key
    if not converted_key:
        return prepared
    # Two raw keys can store as one (1 and "1" in a text column): the last one wins,
    # as it would have in a row-by-row upsert.
    rows = list(zip(*prepared, strict=True))
    key = itemgetter(*[names.index(k) for k in primary_key])
    kept = dict(zip(map(key, rows), rows, strict=True)).values()
    return [list(column) for column in zip(*kept, strict=True)]
