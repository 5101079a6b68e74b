"""Where personal data sits in each source's tables, and the SQL every step of an
erasure shares.

A `TableMap` says, for one raw table, which columns hold which classes of personal
data, how a child row leads to its record (the record about the person), and which
links (`streams.Link`) its rows declare to other streams' records. The helpers below
reflect the warehouse's tables once per erasure, select the rows of given records and
rewrite rows one by one, so each step states only what it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from crm_assets.core.privacy.personal_data import IDENTIFYING
from crm_assets.core.spec.streams import Link, SourceSpec
from crm_assets.core.spec.tables import child_table, stream_table
from crm_assets.core.warehouse import HISTORY_SUFFIX


@dataclass(frozen=True)
class TableMap:
    """Where personal data sits in one table, and how its rows lead to their record."""

    table: str
    key: tuple[str, ...]
    personal: dict[str, tuple[str, ...]]
    # A child table: its parent table (per scope value for a shared one) and link columns.
    parents: dict[tuple, str] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    children: tuple[TableMap, ...] = ()
    # For a table whose columns' classes depend on the row (see StreamSpec.personal_rows).
    by_row: Callable[[dict], Mapping[str, str]] | None = None
    # Declared links to other streams' records, each with the table linked to.
    follows: tuple[tuple[Link, str], ...] = ()


def table_maps(sources: Iterable[tuple[SourceSpec, str]]) -> list[TableMap]:
    """The parent tables of every (source, table prefix), each with its child tables."""
    maps, shared = [], {}
    for source, prefix in sources:
        named = {stream.name: stream_table(prefix, stream) for stream in source.streams}

        def resolved(links: Iterable[Link], named=named) -> tuple[tuple[Link, str], ...]:
            return tuple((link, named[link.to]) for link in links if link.to in named)

        for stream in source.streams:
            table = stream_table(prefix, stream)
            links = tuple(f"_parent_{k}" for k in stream.primary_key)
            children = []
            for child in stream.children:
                name = child_table(prefix, stream, child)
                personal = _classes(child.personal)
                if child.personal_rows is not None:
                    # A row-classified column may hold any class: search it for all.
                    personal.update({c: IDENTIFYING for c in child.personal_rows({})})
                scope = tuple(child.scope)
                known = shared.setdefault(
                    name,
                    TableMap(name, (), personal, {}, links, scope, by_row=child.personal_rows,
                             follows=resolved(child.links)),
                )  # fmt: skip
                known.parents[tuple(child.scope.values())] = table
                children.append(known)
            maps.append(TableMap(table, stream.primary_key, _classes(stream.personal),
                                 children=tuple(children), follows=resolved(stream.links)))  # fmt: skip
    return maps


def _classes(declared) -> dict[str, tuple[str, ...]]:
    return {c: (k,) if isinstance(k, str) else tuple(k) for c, k in declared.items()}


def every(maps: Sequence[TableMap]) -> list[TableMap]:
    """The parent tables and, once each, the child tables (a shared one has several
    parents)."""
    children = {c.table: c for m in maps for c in m.children}
    return [*maps, *children.values()]


class Tables:
    """The warehouse's tables on one connection, each reflected once when first asked for."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.names = set(sa.inspect(connection).get_table_names())
        self._cache: dict[str, sa.Table] = {}

    def get(self, name: str) -> sa.Table | None:
        if name not in self.names:
            return None
        if name not in self._cache:
            self._cache[name] = sa.Table(name, sa.MetaData(), autoload_with=self.connection)
        return self._cache[name]

    def each(self, item: TableMap) -> Iterable[tuple[str, sa.Table]]:
        """The table and its history table, those that exist."""
        for name in (item.table, item.table + HISTORY_SUFFIX):
            table = self.get(name)
            if table is not None:
                yield name, table


def of_records(table: sa.Table, item: TableMap, parent: str, keys: Iterable[tuple]) -> Any:
    """Rows of `item` (a table or its child) that are, or belong to, the records `keys`."""
    columns = [table.c[c] for c in (item.links or item.key)]
    keys = sorted(keys)
    if len(columns) == 1:
        where = columns[0].in_([k[0] for k in keys])
    else:
        where = sa.tuple_(*columns).in_(keys)
    if item.scope:
        # A shared child table: only the rows of this parent table's scope.
        values = [s for s, p in item.parents.items() if p == parent]
        where = sa.and_(where, sa.tuple_(*[table.c[c] for c in item.scope]).in_(values))
    return where


def rewrite(connection: Connection, table: sa.Table, where: Any,
            change: Callable[[dict], dict | None]) -> list[dict]:  # fmt: skip
    """Apply `change` (row -> the row as it should be, or None) to the rows `where`
    selects, one UPDATE per row that differs, by the table's key; returns those rows
    as they were."""
    key = [c.name for c in table.primary_key.columns]
    rows = [dict(r._mapping) for r in connection.execute(sa.select(table).where(where))]
    changed = []
    for row in rows:
        new = change(row)
        if new is None:
            continue
        values = {c: v for c, v in new.items() if c not in key and v != row.get(c)}
        if not values:
            continue
        match = sa.and_(*[table.c[c] == row[c] for c in key])
        connection.execute(sa.update(table).where(match).values(values))
        changed.append(row)
    return changed


def count(touched: dict[str, int], name: str, rows: int) -> None:
    """Add `rows` to the rows touched in table `name`."""
    touched[name] = touched.get(name, 0) + rows
