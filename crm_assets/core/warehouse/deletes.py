"""Rows the source no longer has: those a full read did not see, and the child rows
a parent no longer lists. The writer flags them `_deleted`; none is removed.

A full read notes every key the source sent (or reported by id reconciliation) in a
temporary table; after it, the live rows whose keys are not there are the records the
source deleted. A temporary table lives on the writer's connection only, so memory
stays flat however many keys a full sync sees.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import quoted_name

from crm_assets.core import schema
from crm_assets.core.warehouse.columns import DELETED, TableColumns, temporary_name
from crm_assets.core.warehouse.staging import copy_rows, insert_rows

# Key values of these types compare as they are, written or read back (`schema.comparable`).
_COMPARABLE_AS_THEY_ARE = {int, str, bool, type(None)}


class SeenKeys:
    """The keys of one table seen so far, created on the connection when first noted."""

    def __init__(self, connection: Connection, columns: TableColumns):
        self.connection = connection
        self.columns = columns
        self.primary_key = columns.primary_key
        # Whether any key was noted: a full read that saw nothing marks nothing.
        self.any = False
        self._table: sa.Table | None = None

    def remember(self, rows: list[dict[str, Any]]) -> None:
        """Note the keys of `rows` (values as stored) as seen."""
        if self._table is None:
            self._table = self._create()
        keys = [{k: row[k] for k in self.primary_key} for row in rows]
        if keys:
            self.connection.execute(sa.insert(self._table), keys)
            self.any = True

    def load(self, batch: dict[str, Sequence[Any]]) -> None:
        """Note the keys of a batch as seen, by the bulk path: `batch` holds each column's
        values (as stored) by the column's key in the table (`TableColumns.keys`)."""
        if self._table is None:
            self._table = self._create()
        keys = [batch[self.columns.keys[k]] for k in self.primary_key]
        if self.connection.dialect.name == "postgresql":
            copy_rows(self.connection, self._table, self.primary_key, keys)
        else:
            collections.deque(
                insert_rows(self.connection, self._table, self.primary_key, keys), maxlen=0
            )
        self.any = True

    def remember_staged(self, staging: sa.Table) -> None:
        """Note the keys of the batch in `staging` as seen, without them leaving the database."""
        self.connection.execute(self.insert_from(staging))
        self.any = True

    def insert_from(self, staging: sa.Table) -> Any:
        """The INSERT noting the keys in `staging` as seen."""
        if self._table is None:
            self._table = self._create()
        keys = [staging.c[self.columns.keys[k]] for k in self.primary_key]
        seen = [self._table.c[k] for k in self.primary_key]
        return sa.insert(self._table).from_select(seen, sa.select(*keys))

    def unseen(self, table: sa.Table) -> Any:
        """The live rows of `table` whose keys were not seen."""
        keys = self.columns.keys
        matches = sa.and_(*[self._table.c[k] == table.c[keys[k]] for k in self.primary_key])
        return sa.and_(table.c[keys[DELETED]].is_(False), ~sa.exists().where(matches))

    def _create(self) -> sa.Table:
        name = temporary_name("_seen_", self.columns.name)
        columns = [
            sa.Column(quoted_name(k, True), schema.SQL_TYPES[self.columns.current()[k]], key=k)
            for k in self.primary_key
        ]
        seen = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        sa.Index(f"{name}_keys", *seen.columns)
        seen.drop(self.connection, checkfirst=True)
        seen.create(self.connection)
        return seen


def stale_children(
    connection: Connection,
    columns: TableColumns,
    parent_columns: list[str],
    parents: list[tuple],
    rows: list[dict[str, Any]],
) -> list[tuple]:
    """The keys (as stored) of the live child rows of `parents` that are not among
    `rows`, the parents' current child rows in hand."""
    table, keys, primary_key = columns.table(), columns.keys, columns.primary_key
    fks = [table.c[keys[c]] for c in parent_columns]
    if len(fks) == 1:
        of_parents = fks[0].in_([p[0] for p in parents])
    else:
        # The plain IN on the first column lets every dialect use the key's index.
        of_parents = sa.and_(
            fks[0].in_(sorted({p[0] for p in parents})), sa.tuple_(*fks).in_(parents)
        )
    key_columns = [table.c[keys[k]] for k in primary_key]
    live = table.c[keys[DELETED]].is_(False)
    types = columns.current()
    kept = set(
        _comparable_keys(map(_key_getter(primary_key), rows), primary_key, types, stored=False)
    )
    found = connection.execute(sa.select(*key_columns).where(of_parents, live))
    stored = [tuple(r) for r in found]
    compared = _comparable_keys(stored, primary_key, types, stored=True)
    return [key for key, c in zip(stored, compared, strict=True) if c not in kept]


def _comparable_keys(
    keys: Iterable[Sequence[Any]],
    primary_key: Sequence[str],
    columns: dict[str, str],
    *,
    stored: bool,
) -> list[tuple]:
    """Keys that match between rows in hand and the same rows read back, worked out a
    column at a time; `columns` are the table's column types.

    `stored=False` converts raw keys to their column types first (an option id 1 in
    a column widened to text is stored as "1").
    """
    converted = []
    for name, values in zip(primary_key, zip(*keys, strict=True), strict=False):
        types = set(map(type, values))
        convert = None if stored else schema.converter(columns[name], types)
        if convert is not None:
            values = tuple(map(convert, values))
            types = set(map(type, values))
        if not types <= _COMPARABLE_AS_THEY_ARE:
            values = tuple(map(schema.comparable, values))
        converted.append(values)
    return list(zip(*converted, strict=True))


def _key_getter(primary_key: Sequence[str]) -> Callable[[dict[str, Any]], tuple]:
    """The primary key of a row in hand, as a tuple."""
    if len(primary_key) == 1:
        only = primary_key[0]
        return lambda row: (row[only],)
    return itemgetter(*primary_key)
